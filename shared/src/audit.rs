//! The audit trail: one DynamoDB item per step, whatever happened to it (ran, failed, dry-run,
//! rejected, not run), plus one per duplicate delivery.
//!
//! Step items are written by the state machine itself (a direct `dynamodb:putItem` task), so
//! the attribute names here are also the ones `state_machines/remediation.asl.json` writes; a
//! test keeps the two in agreement. The report is built from these items, so what users read
//! in the output topic is exactly what the audit table holds.

use serde::{Deserialize, Serialize};

/// Partition key: the execution name.
pub const PK: &str = "execution_name";
/// Sort key: `step#000`, `rejected#000`, `duplicate#...`.
pub const SK: &str = "record_id";
/// Every attribute a step record carries (the ASL writes exactly these).
pub const STEP_ATTRIBUTES: [&str; 9] = [
    PK,
    SK,
    "bot",
    "phase",
    "status",
    "message",
    "detail",
    "recorded_at",
    "entry",
];

/// What happened to an entry of the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditStatus {
    Remediated,
    AlreadyCompliant,
    Skipped,
    DryRun,
    /// The bot ran and failed (after retries).
    Failed,
    /// The entry never became a step (unknown bot, bad params, foreign account).
    Rejected,
    /// The step was planned but never ran: a guard step before it failed.
    NotRun,
    /// The same finding generation arrived again; no new execution.
    Duplicate,
    /// Not run: the account and region's budget of remediations for the window was used up.
    Throttled,
    /// Not run: the steps on the resource failed too many times in a row.
    CircuitOpen,
    /// Undo: the resource is back in the state the step replaced.
    Restored,
    /// Undo: the resource already was in the state the step replaced.
    NothingToRestore,
    /// Undo: the resource changed since the step left it, and the undo was not forced.
    Refused,
    /// Undo: what the step changed cannot be put back.
    Irreversible,
    /// Undo: the step's record holds no prior state.
    NotRecorded,
}

impl AuditStatus {
    /// The status as people read it in a sentence.
    pub fn words(self) -> &'static str {
        match self {
            AuditStatus::Remediated => "remediated",
            AuditStatus::AlreadyCompliant => "already compliant",
            AuditStatus::Skipped => "skipped",
            AuditStatus::DryRun => "dry-run only",
            AuditStatus::Failed => "failed",
            AuditStatus::Rejected => "refused",
            AuditStatus::NotRun => "not run",
            AuditStatus::Duplicate => "duplicate",
            AuditStatus::Throttled => "not run (remediation budget used up)",
            AuditStatus::CircuitOpen => "not run (circuit breaker open)",
            AuditStatus::Restored => "restored",
            AuditStatus::NothingToRestore => "nothing to restore",
            AuditStatus::Refused => "not restored (changed since)",
            AuditStatus::Irreversible => "irreversible",
            AuditStatus::NotRecorded => "not recorded",
        }
    }

    /// The original's `Execution status` value.
    pub fn execution_status(self) -> &'static str {
        match self {
            AuditStatus::Remediated
            | AuditStatus::AlreadyCompliant
            | AuditStatus::Skipped
            | AuditStatus::DryRun
            | AuditStatus::Duplicate
            | AuditStatus::Restored
            | AuditStatus::NothingToRestore
            | AuditStatus::Irreversible => "passed",
            AuditStatus::Failed
            | AuditStatus::Rejected
            | AuditStatus::NotRun
            | AuditStatus::Throttled
            | AuditStatus::CircuitOpen
            | AuditStatus::Refused
            | AuditStatus::NotRecorded => "failed",
        }
    }
}

/// One audit item, as read back from the table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub execution_name: String,
    pub record_id: String,
    pub bot: String,
    #[serde(default)]
    pub phase: String,
    pub status: AuditStatus,
    pub message: String,
    /// The bot's outcome or the error, as JSON text.
    #[serde(default)]
    pub detail: String,
    pub recorded_at: String,
    #[serde(default)]
    pub entry: String,
}

/// The readable message of a Lambda failure recorded by the state machine: the `Cause` of a
/// Lambda error is the JSON `{"errorType", "errorMessage"}`; other causes are kept as they are.
pub fn failure_message(error: &str, cause: &str) -> String {
    #[derive(Deserialize)]
    struct LambdaCause {
        #[serde(rename = "errorType")]
        error_type: Option<String>,
        #[serde(rename = "errorMessage")]
        error_message: Option<String>,
    }
    match serde_json::from_str::<LambdaCause>(cause) {
        Ok(LambdaCause {
            error_type,
            error_message: Some(message),
        }) => format!("{}: {message}", error_type.as_deref().unwrap_or(error)),
        _ if cause.is_empty() => error.to_string(),
        _ => format!("{error}: {cause}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambda_causes_are_unwrapped() {
        assert_eq!(
            failure_message(
                "NotFound",
                r#"{"errorType":"NotFound","errorMessage":"instance i-1 does not exist"}"#
            ),
            "NotFound: instance i-1 does not exist"
        );
        assert_eq!(failure_message("States.Timeout", ""), "States.Timeout");
        assert_eq!(
            failure_message("States.TaskFailed", "boom"),
            "States.TaskFailed: boom"
        );
    }

    #[test]
    fn statuses_map_to_the_original_execution_status() {
        assert_eq!(AuditStatus::AlreadyCompliant.execution_status(), "passed");
        assert_eq!(AuditStatus::NotRun.execution_status(), "failed");
        assert_eq!(
            serde_json::to_string(&AuditStatus::DryRun).unwrap(),
            "\"dry_run\""
        );
    }
}
