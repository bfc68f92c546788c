//! The undo planner: the first state of the undo state machine. It reads the audit records of
//! the execution to undo, and only those, into the undo plan (`restore::plan_undo`), so an undo
//! can restore nothing but what a bot recorded replacing.

use crate::audit_store::AuditStore;
use cloudbots_shared::error::BotError;
use cloudbots_shared::plan::Mode;
use cloudbots_shared::restore::{plan_undo, UndoPlan};
use serde::{Deserialize, Serialize};

/// The input of an undo execution, and of its planner (which the state machine also tells the
/// undo execution's own name, for its logs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UndoRequest {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub execution: String,
    /// The execution to undo.
    pub undoes: String,
    pub mode: Mode,
    /// Restore even where the resource changed since the bot left it.
    #[serde(default)]
    pub force: bool,
}

/// Reads the audit table.
pub struct UndoPlanner {
    pub audit: AuditStore,
}

impl UndoPlanner {
    pub async fn run(&self, request: UndoRequest) -> Result<UndoPlan, BotError> {
        tracing::info!(execution = %request.execution, undoes = %request.undoes, "planning the undo");
        let records = self.audit.records(&request.undoes).await?;
        if !records.iter().any(|r| r.record_id.starts_with("step#")) {
            return Err(BotError::not_found(format!(
                "execution {} has no step in the audit table: nothing to undo",
                request.undoes
            )));
        }
        Ok(plan_undo(
            &request.undoes,
            &records,
            request.mode,
            request.force,
        ))
    }
}
