//! The `cloudbots` command's library: the local stack (moto plus a local Lambda gateway), the
//! SAM template generated from the catalogue, the printing of plans and executions, and the
//! commands that list, show and undo a deployment's executions, local or deployed.

pub mod demo;
pub mod deployed;
pub mod local;
pub mod member_role;
pub mod operate;
pub mod planning;
pub mod run;
pub mod template;
