//! Every cloudbots function as one library, for what runs them all in one process: the local
//! gateway that answers the state machine's Lambda calls, the CLI and the tests. It holds the
//! registry of bots by area and re-exports the runtime and the intake under one name.
//!
//! The Lambda binaries are not built from here but from the area packages (`functions/ec2`,
//! `functions/vpc`, …, `functions/intake`), so that a change to one bot relinks the binaries of
//! its own area only.

pub mod bots;

pub use cloudbots_intake::{audit_store, intake, report, undo_planner};
pub use cloudbots_runtime::{aws_error, cloudtrail, exclusion, https, lambda, restorer, session};
