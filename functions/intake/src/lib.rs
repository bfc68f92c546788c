//! The functions around the bots: the intake (findings in, executions started), the report
//! (the output message and CloudGuard feedback of an execution) and the undo planner (an
//! execution's audit records into its undo plan), with the audit store they share. Each binary under `src/bin/` is a thin `main` over this library.

pub mod audit_store;
pub mod intake;
pub mod report;
pub mod undo_planner;
