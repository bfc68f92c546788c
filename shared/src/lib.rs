//! The cloudbots library: everything that crosses a boundary between the intake, the state
//! machine, the bot functions and the report, plus the pure logic that decides what runs.
//!
//! Nothing in this crate talks to AWS: parsing a finding, reading its `AUTO:` entries, checking
//! them against the catalogue and planning the steps are pure functions, so the intake Lambda,
//! the `cloudbots plan` command and the tests all plan a finding the same way.

pub mod audit;
pub mod budget;
pub mod catalogue;
pub mod error;
pub mod finding;
pub mod grammar;
pub mod guardduty;
pub mod intake_event;
pub mod mapping;
pub mod outcome;
pub mod output;
pub mod params;
pub mod plan;
pub mod policy;
pub mod region;
pub mod restore;
pub mod securityhub;
