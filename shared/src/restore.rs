//! Undo of an execution: the prior state a changing step records, what a restorer receives and
//! reports, and the undo plan read from an execution's audit records.
//!
//! A bot that changes a resource records, in its outcome (and so in its audit record), the
//! state it replaced and the state it left, with where the resource lives. Undo never trusts
//! anything else: the undo plan is built from the audit table alone, in reverse step order,
//! and each step goes to the *restorer* of the resource kind (one function per kind, with its
//! own role holding the inverse actions), which first checks that the resource is still in the
//! state the bot left it.

use crate::audit::{AuditRecord, AuditStatus};
use crate::catalogue::{undo_of, Undo};
use crate::outcome::{BotInput, BotOutcome};
use crate::plan::{Mode, Target};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What a changing step records so that undo can put the resource back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriorState {
    /// The restorer that can put it back (`restore_security_group_rules`, …).
    pub restorer: String,
    /// The resource, as its service names it (a group id, an instance id, an ARN).
    pub resource: String,
    /// Where it lives: the step's account, region and member role.
    pub target: Target,
    /// The state the bot replaced, exactly enough to restore it (the restorer's own shape).
    pub before: Value,
    /// The state the bot left; undo refuses to act when the resource is no longer in it.
    pub after: Value,
}

impl PriorState {
    /// The prior state of the resource a step changed, in the step's account and region.
    pub fn of(
        input: &BotInput,
        restorer: &str,
        resource: &str,
        before: Value,
        after: Value,
    ) -> Self {
        PriorState {
            restorer: restorer.to_string(),
            resource: resource.to_string(),
            target: input.target.clone(),
            before,
            after,
        }
    }
}

/// Sort-key prefix of the undo steps' audit records (`undo#000`), under the undo execution.
pub const UNDO_RECORD_PREFIX: &str = "undo#";

/// One step of an undo: a recorded change, and the restorer that reverses it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UndoStep {
    pub index: usize,
    /// Sort key of this undo step's audit record (`undo#000`).
    pub audit_id: String,
    /// The record of the step it reverses (`step#002`).
    pub record_id: String,
    /// The bot whose change it reverses.
    pub bot: String,
    pub prior: PriorState,
}

/// Why undo leaves a step alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// What the step changed cannot be put back.
    Irreversible,
    /// The step changed nothing undo would restore.
    NothingToRestore,
    /// The step's record holds no prior state.
    NotRecorded,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Irreversible => "irreversible",
            Verdict::NothingToRestore => "nothing to restore",
            Verdict::NotRecorded => "not recorded",
        }
    }
}

/// A step of the execution that undo leaves alone, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeftAlone {
    /// Sort key of its audit record under the undo execution (`undo#001`).
    pub audit_id: String,
    pub record_id: String,
    pub bot: String,
    pub verdict: Verdict,
    pub reason: String,
}

/// Everything an undo of one execution does, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UndoPlan {
    /// The execution being undone.
    pub undoes: String,
    pub mode: Mode,
    /// Restore even where the resource changed since the bot left it.
    pub force: bool,
    /// Reverse step order.
    pub steps: Vec<UndoStep>,
    pub left_alone: Vec<LeftAlone>,
}

/// The input of a restorer function: one undo step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RestoreInput {
    /// The undo execution's name.
    pub execution: String,
    pub undoes: String,
    pub step: UndoStep,
    pub mode: Mode,
    pub force: bool,
}

/// How an undo step ended, when it did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RestoreStatus {
    /// The resource is back in its prior state.
    Restored,
    /// The resource already is in its prior state.
    NothingToRestore,
    /// The resource changed since the bot left it; without `force` nothing was done.
    Refused,
    /// Dry-run: `changes` lists what would be restored.
    DryRun,
}

impl RestoreStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RestoreStatus::Restored => "restored",
            RestoreStatus::NothingToRestore => "nothing to restore",
            RestoreStatus::Refused => "refused",
            RestoreStatus::DryRun => "dry run",
        }
    }
}

/// What a restorer did (or would do).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RestoreOutcome {
    pub bot: String,
    pub status: RestoreStatus,
    pub message: String,
    /// Each change made, or that would be made; for a refusal, each difference found.
    #[serde(default)]
    pub changes: Vec<String>,
    /// What was re-read and found restored.
    #[serde(default)]
    pub verified: Vec<String>,
}

impl RestoreOutcome {
    pub fn new(input: &RestoreInput, status: RestoreStatus, message: impl Into<String>) -> Self {
        RestoreOutcome {
            bot: input.step.bot.clone(),
            status,
            message: message.into(),
            changes: Vec::new(),
            verified: Vec::new(),
        }
    }

    pub fn with_changes(mut self, changes: Vec<String>) -> Self {
        self.changes = changes;
        self
    }
}

/// The name of the undo execution of `execution` (`undo-<execution>`); `attempt` 1 is the
/// first undo, later attempts are numbered (`undo-<execution>-2`). Always ≤ 80 characters.
pub fn undo_execution_name(execution: &str, attempt: u32) -> String {
    let suffix = if attempt <= 1 {
        String::new()
    } else {
        format!("-{attempt}")
    };
    let room = 80 - "undo-".len() - suffix.len();
    let kept: String = execution.chars().take(room).collect();
    format!("undo-{kept}{suffix}")
}

/// The undo plan of an execution from its audit records: every remediated step that recorded
/// its prior state, last step first; every other step is listed with why undo leaves it alone.
/// Each gets the audit id of its record under the undo execution, numbered last step first
/// (`undo#000` is the execution's last step), so the undo's records read in the order undo
/// went through the steps.
pub fn plan_undo(undoes: &str, records: &[AuditRecord], mode: Mode, force: bool) -> UndoPlan {
    let mut step_records: Vec<&AuditRecord> = records
        .iter()
        .filter(|r| r.execution_name == undoes && r.record_id.starts_with("step#"))
        .collect();
    step_records.sort_by(|a, b| b.record_id.cmp(&a.record_id));
    let mut plan = UndoPlan {
        undoes: undoes.to_string(),
        mode,
        force,
        steps: Vec::new(),
        left_alone: Vec::new(),
    };
    for (index, record) in step_records.into_iter().enumerate() {
        let audit_id = format!("{UNDO_RECORD_PREFIX}{index:03}");
        let mut leave = |verdict: Verdict, reason: String| {
            plan.left_alone.push(LeftAlone {
                audit_id: audit_id.clone(),
                record_id: record.record_id.clone(),
                bot: record.bot.clone(),
                verdict,
                reason,
            })
        };
        if record.status != AuditStatus::Remediated {
            leave(
                Verdict::NothingToRestore,
                format!("the step changed nothing ({})", record.status.words()),
            );
            continue;
        }
        let prior = serde_json::from_str::<BotOutcome>(&record.detail)
            .ok()
            .and_then(|outcome| outcome.prior);
        match (prior, undo_of(&record.bot)) {
            (Some(prior), _) => plan.steps.push(UndoStep {
                index: plan.steps.len(),
                audit_id,
                record_id: record.record_id.clone(),
                bot: record.bot.clone(),
                prior: *prior,
            }),
            (None, Undo::Irreversible(why)) => leave(Verdict::Irreversible, why.to_string()),
            (None, Undo::NothingToUndo(why)) => leave(Verdict::NothingToRestore, why.to_string()),
            (None, Undo::Reversible) => leave(
                Verdict::NotRecorded,
                "the step's audit record holds no prior state to restore".to_string(),
            ),
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::Phase;
    use crate::outcome::OutcomeStatus;
    use serde_json::json;

    fn record(id: &str, bot: &str, status: AuditStatus, detail: String) -> AuditRecord {
        AuditRecord {
            execution_name: "cg-sg-1-abc".to_string(),
            record_id: id.to_string(),
            bot: bot.to_string(),
            phase: "modify".to_string(),
            status,
            message: String::new(),
            detail,
            recorded_at: "2026-12-03T10:00:00Z".to_string(),
            entry: String::new(),
        }
    }

    fn outcome(bot: &str, prior: Option<PriorState>) -> String {
        serde_json::to_string(&BotOutcome {
            bot: bot.to_string(),
            phase: Phase::Modify,
            status: OutcomeStatus::Remediated,
            message: "done".to_string(),
            changes: vec![],
            artifacts: vec![],
            verified: vec![],
            prior: prior.map(Box::new),
        })
        .unwrap()
    }

    fn prior(resource: &str) -> PriorState {
        PriorState {
            restorer: "restore_security_group_rules".to_string(),
            resource: resource.to_string(),
            target: Target {
                account_id: "123456789012".to_string(),
                region: "us-east-1".to_string(),
                role_arn: None,
            },
            before: json!({"ingress": [1]}),
            after: json!({"ingress": []}),
        }
    }

    #[test]
    fn undo_runs_recorded_changes_last_first_and_says_why_it_leaves_the_others() {
        let records = vec![
            record(
                "step#000",
                "ec2_create_snapshot",
                AuditStatus::Remediated,
                outcome("ec2_create_snapshot", None),
            ),
            record(
                "step#001",
                "sg_rules_delete",
                AuditStatus::Remediated,
                outcome("sg_rules_delete", Some(prior("sg-1"))),
            ),
            record(
                "step#002",
                "ec2_terminate_instance",
                AuditStatus::Remediated,
                outcome("ec2_terminate_instance", None),
            ),
            record(
                "step#003",
                "sg_single_rule_delete",
                AuditStatus::Remediated,
                outcome("sg_single_rule_delete", Some(prior("sg-2"))),
            ),
            record(
                "step#004",
                "ec2_stop_instance",
                AuditStatus::DryRun,
                String::new(),
            ),
            record("rejected#000", "", AuditStatus::Rejected, String::new()),
            record(
                "step#005",
                "s3_block_all_public_access",
                AuditStatus::Remediated,
                outcome("s3_block_all_public_access", None),
            ),
        ];
        let plan = plan_undo("cg-sg-1-abc", &records, Mode::Enforce, false);
        let steps: Vec<(&str, &str, &str)> = plan
            .steps
            .iter()
            .map(|s| {
                (
                    s.audit_id.as_str(),
                    s.record_id.as_str(),
                    s.prior.resource.as_str(),
                )
            })
            .collect();
        assert_eq!(
            steps,
            [
                ("undo#002", "step#003", "sg-2"),
                ("undo#004", "step#001", "sg-1")
            ]
        );
        let left: Vec<(&str, &str, &str)> = plan
            .left_alone
            .iter()
            .map(|l| {
                (
                    l.audit_id.as_str(),
                    l.record_id.as_str(),
                    l.verdict.as_str(),
                )
            })
            .collect();
        assert_eq!(
            left,
            [
                ("undo#000", "step#005", "not recorded"),
                ("undo#001", "step#004", "nothing to restore"),
                ("undo#003", "step#002", "irreversible"),
                ("undo#005", "step#000", "nothing to restore"),
            ]
        );
        // Each verdict is the audit status its record gets.
        for left in &plan.left_alone {
            let status: AuditStatus =
                serde_json::from_value(serde_json::to_value(left.verdict).unwrap()).unwrap();
            assert_eq!(status.words(), left.verdict.as_str());
        }
        assert_eq!(
            plan.left_alone[1].reason,
            "the step changed nothing (dry-run only)"
        );
        assert!(plan.left_alone[2]
            .reason
            .contains("cannot be started again"));
    }

    #[test]
    fn undo_names_fit_step_functions() {
        assert_eq!(undo_execution_name("cg-sg-1-abc", 1), "undo-cg-sg-1-abc");
        assert_eq!(undo_execution_name("cg-sg-1-abc", 3), "undo-cg-sg-1-abc-3");
        let long = "x".repeat(80);
        assert_eq!(undo_execution_name(&long, 1).len(), 80);
        assert_eq!(undo_execution_name(&long, 12).len(), 80);
        assert!(undo_execution_name(&long, 12).ends_with("-12"));
    }
}
