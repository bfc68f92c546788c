//! The `cloudbots` command's library: the local stack (moto plus a local Lambda gateway), the
//! SAM template generated from the catalogue, and the printing of plans and executions.

pub mod demo;
pub mod local;
pub mod member_role;
pub mod planning;
pub mod run;
pub mod template;
