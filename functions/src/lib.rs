//! The Lambda functions of cloudbots as library code: the intake, the report, and every bot.
//!
//! Each binary under `src/bin/` is a thin `main` over this library, so the local gateway and
//! the tests run exactly the code the deployed functions run.

pub mod audit_store;
pub mod aws_error;
pub mod bots;
pub mod cloudtrail;
pub mod exclusion;
pub mod https;
pub mod intake;
pub mod report;
pub mod runtime;
pub mod session;
