//! The stable error names a bot function returns to Step Functions.
//!
//! `Retry` and `Catch` in the state machine match on these exact strings, so they are part of
//! the contract between the functions and `state_machines/remediation.asl.json`.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The kind of failure, as Step Functions sees it (`errorType` of the Lambda error).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ErrorName {
    /// Throttling, 5xx, timeouts: the state machine retries with backoff and jitter.
    Transient,
    /// The function's role (or the member-account role) lacks a permission.
    AccessDenied,
    /// The resource the finding names does not exist (any more).
    NotFound,
    /// The step's input cannot be acted on (bad params, entity without the needed fields).
    InvalidInput,
    /// The resource is in a state that forbids the change (e.g. a dependency).
    Conflict,
    /// The bot re-read the resource after its change and did not find the state it promised
    /// (a silent no-op, a change undone by someone else): a failure, never `remediated`.
    NotVerified,
    /// Anything else: recorded as a failure, not retried.
    Internal,
}

impl ErrorName {
    pub const ALL: [ErrorName; 7] = [
        ErrorName::Transient,
        ErrorName::AccessDenied,
        ErrorName::NotFound,
        ErrorName::InvalidInput,
        ErrorName::Conflict,
        ErrorName::NotVerified,
        ErrorName::Internal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorName::Transient => "Transient",
            ErrorName::AccessDenied => "AccessDenied",
            ErrorName::NotFound => "NotFound",
            ErrorName::InvalidInput => "InvalidInput",
            ErrorName::Conflict => "Conflict",
            ErrorName::NotVerified => "NotVerified",
            ErrorName::Internal => "Internal",
        }
    }
}

impl fmt::Display for ErrorName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failed bot run: the stable name plus a message for the audit trail.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name}: {message}")]
pub struct BotError {
    pub name: ErrorName,
    pub message: String,
}

impl BotError {
    pub fn new(name: ErrorName, message: impl Into<String>) -> Self {
        BotError {
            name,
            message: message.into(),
        }
    }
    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self::new(ErrorName::InvalidInput, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorName::NotFound, message)
    }
}
