//! What a bot function receives and what it returns: the contract between the state machine's
//! Map iteration and one bot Lambda.

use crate::catalogue::Phase;
use crate::finding::Finding;
use crate::plan::{Mode, Step, Target};
use crate::restore::PriorState;
use serde::{Deserialize, Serialize};

/// The input of a bot function: one step, with the finding and where to act.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BotInput {
    /// The execution name; snapshots and assumed-role sessions are tagged with it.
    pub execution: String,
    pub step: Step,
    pub finding: Finding,
    pub target: Target,
    pub mode: Mode,
}

/// How a step ended, when it did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeStatus {
    /// The bot changed the resource.
    Remediated,
    /// Nothing to change: the resource is already as the bot would leave it.
    AlreadyCompliant,
    /// The bot did not act, for the stated reason (resource gone, not applicable).
    Skipped,
    /// Dry-run: `changes` lists what it would have done.
    DryRun,
    /// Started, not finished (e.g. waiting for instances to stop): the state machine waits a
    /// few seconds and runs the step again, so no Lambda sleeps.
    InProgress,
}

/// What a bot did (or would do).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BotOutcome {
    pub bot: String,
    pub phase: Phase,
    pub status: OutcomeStatus,
    /// The "Bot message" of the output, for people.
    pub message: String,
    /// Each change made, or that would be made in dry-run, one line each.
    #[serde(default)]
    pub changes: Vec<String>,
    /// Ids of what the bot created (snapshot ids, policy ARNs).
    #[serde(default)]
    pub artifacts: Vec<String>,
    /// What the bot re-read after its change and found as it promised.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub verified: Vec<String>,
    /// The state the change replaced, which undo restores.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prior: Option<Box<PriorState>>,
}

impl BotOutcome {
    pub fn new(input: &BotInput, status: OutcomeStatus, message: impl Into<String>) -> Self {
        BotOutcome {
            bot: input.step.bot.clone(),
            phase: input.step.phase,
            status,
            message: message.into(),
            changes: Vec::new(),
            artifacts: Vec::new(),
            verified: Vec::new(),
            prior: None,
        }
    }

    /// Dry-run: what the bot would do, and each change it would make.
    pub fn would(input: &BotInput, message: impl Into<String>, changes: Vec<String>) -> Self {
        Self::new(input, OutcomeStatus::DryRun, message).with_changes(changes)
    }

    /// Nothing to change: the resource already is as the bot would leave it.
    pub fn compliant(input: &BotInput, message: impl Into<String>) -> Self {
        Self::new(input, OutcomeStatus::AlreadyCompliant, message)
    }

    /// The bot changed the resource: `message` says what it did, `changes` lists each change.
    pub fn remediated(input: &BotInput, message: impl Into<String>, changes: Vec<String>) -> Self {
        Self::new(input, OutcomeStatus::Remediated, message).with_changes(changes)
    }

    /// Skipped because the resource is gone: "`what` does not exist (any more): `consequence`".
    pub fn gone(input: &BotInput, what: &str, consequence: &str) -> Self {
        Self::new(
            input,
            OutcomeStatus::Skipped,
            format!("{what} does not exist (any more): {consequence}"),
        )
    }

    pub fn with_changes(mut self, changes: Vec<String>) -> Self {
        self.changes = changes;
        self
    }

    pub fn with_artifacts(mut self, artifacts: Vec<String>) -> Self {
        self.artifacts = artifacts;
        self
    }

    /// What was re-read after the change and found as promised.
    pub fn with_verified(mut self, verified: Vec<String>) -> Self {
        self.verified = verified;
        self
    }

    /// The state the change replaced, for undo.
    pub fn with_prior(mut self, prior: PriorState) -> Self {
        self.prior = Some(Box::new(prior));
        self
    }
}
