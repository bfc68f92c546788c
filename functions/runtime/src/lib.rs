//! What every cloudbots function runs on: the Lambda plumbing, the session in the finding's
//! account, the AWS error mapping, the compiled-in HTTPS roots, the live opt-out tag re-check,
//! the CloudTrail event lookup some bots need, the KMS key check of the encryption bots, the
//! buckets bots edit or deliver logs into, the [`bot::Bot`] and [`restorer::Restorer`] types, and
//! the re-read that verifies a change.
//!
//! The bots themselves live in one package per service area (`functions/ec2`, `functions/vpc`,
//! …), each with one binary per bot, so that a change to one bot rebuilds and relinks the
//! binaries of its own area only. Nothing here names a bot.

pub mod aws_error;
pub mod bot;
pub mod cloudtrail;
pub mod exclusion;
pub mod https;
pub mod kms_key;
pub mod lambda;
pub mod restorer;
pub mod s3_bucket;
pub mod session;
pub mod setting;
pub mod verify;

pub use lambda::serve_bot;
