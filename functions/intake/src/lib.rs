//! The functions around the bots: the intake (findings in, executions started) and the report
//! (the output message and CloudGuard feedback of an execution), with the audit store both
//! write to. Each binary under `src/bin/` is a thin `main` over this library.

pub mod audit_store;
pub mod intake;
pub mod report;
