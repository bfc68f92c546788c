//! The intake: every finding of an incoming event is read, planned and, when there is
//! something to run or to record, started as one Step Functions execution named after the
//! finding generation. A second delivery of the same generation hits `ExecutionAlreadyExists`
//! and is recorded as a duplicate instead of running twice.

use crate::audit_store::AuditStore;
use cloudbots_runtime::aws_error::{bot_error, code};
use cloudbots_shared::budget::{ExecutionInput, Limits};
use cloudbots_shared::error::{BotError, ErrorName};
use cloudbots_shared::intake_event::{excerpt, read_event};
use cloudbots_shared::mapping::Mappings;
use cloudbots_shared::plan::{plan, Plan, PlannerConfig};
use serde::Serialize;
use serde_json::Value;
use tracing::Instrument;

/// The largest execution input Step Functions accepts, in bytes.
pub const MAX_EXECUTION_INPUT: usize = 262_144;

/// What happened to one finding of the event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Disposition {
    /// An execution started.
    Started {
        delivery: String,
        execution_name: String,
        execution_arn: String,
        steps: usize,
        rejected: usize,
    },
    /// The same finding generation was already started: recorded, not re-run.
    Duplicate {
        delivery: String,
        execution_name: String,
    },
    /// Nothing to do (passed, no `AUTO:` entries, a GuardDuty sample or unmapped type, an
    /// archived, suppressed or resolved Security Hub finding, the echo of our own update):
    /// recorded with the reason under the execution name, nothing started.
    Skipped {
        delivery: String,
        execution_name: String,
        reason: String,
    },
    /// Not a finding that can be read or run: recorded in the audit trail, nothing started.
    Invalid { delivery: String, reason: String },
}

/// The intake's settings and clients.
pub struct Intake {
    pub sfn: aws_sdk_sfn::Client,
    pub audit: AuditStore,
    pub state_machine_arn: String,
    pub planner: PlannerConfig,
    /// The deployment's GuardDuty and Security Hub mappings to bots.
    pub mappings: Mappings,
    /// The blast-radius limits the state machine enforces, handed over in the execution input.
    pub limits: Limits,
}

impl Intake {
    /// Handle an event: every finding gets a disposition. The call fails only when the event
    /// is unreadable as a whole or a record was invalid (after the others were handled), so
    /// that the delivery ends in the dead-letter queue with the message intact.
    pub async fn handle(&self, event: &Value) -> Result<Vec<Disposition>, BotError> {
        let mut dispositions = Vec::new();
        for received in read_event(event, &self.mappings) {
            let disposition = match received.finding {
                Err(reason) => {
                    self.invalid(received.delivery, &reason, &received.excerpt)
                        .await?
                }
                Ok(mut finding) => {
                    finding.received = Some(format!(
                        "{} at {}",
                        received.delivery,
                        chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
                    ));
                    let planned = plan(&finding, &self.planner);
                    let span = tracing::info_span!("intake", execution = %planned.execution_name);
                    self.start(planned, received.delivery, finding.feedback_key.as_ref())
                        .instrument(span)
                        .await?
                }
            };
            log(&disposition);
            dispositions.push(disposition);
        }
        if let Some(Disposition::Invalid { reason, .. }) = dispositions
            .iter()
            .find(|d| matches!(d, Disposition::Invalid { .. }))
        {
            return Err(BotError::invalid_input(format!(
                "the event holds an invalid finding: {reason}"
            )));
        }
        Ok(dispositions)
    }

    /// Record an input that cannot be read or run in the audit trail (reason and a bounded,
    /// secret-free excerpt), so that it never vanishes silently.
    async fn invalid(
        &self,
        delivery: String,
        reason: &str,
        message_excerpt: &str,
    ) -> Result<Disposition, BotError> {
        let reason = excerpt(reason);
        self.audit
            .put_invalid(&delivery, &reason, message_excerpt, chrono::Utc::now())
            .await?;
        Ok(Disposition::Invalid { delivery, reason })
    }

    async fn start(
        &self,
        planned: Plan,
        delivery: String,
        feedback_key: Option<&cloudbots_shared::finding::Secret>,
    ) -> Result<Disposition, BotError> {
        let execution_name = planned.execution_name.clone();
        let now = chrono::Utc::now();
        if !planned.needs_execution() {
            let reason = planned
                .skipped
                .clone()
                .unwrap_or_else(|| "nothing to run".to_string());
            self.audit
                .put_skipped(&execution_name, &delivery, &reason, now)
                .await?;
            return Ok(Disposition::Skipped {
                delivery,
                execution_name,
                reason,
            });
        }
        let input = serde_json::to_string(&ExecutionInput {
            plan: &planned,
            guardrails: self.limits.guardrails(&planned, now),
        })
        .map_err(|e| BotError::new(ErrorName::Internal, format!("serialising the plan: {e}")))?;
        if input.len() > MAX_EXECUTION_INPUT {
            let reason = format!(
                "the finding is too large: its execution input would be {} bytes, Step Functions accepts at most {MAX_EXECUTION_INPUT}",
                input.len()
            );
            return self.invalid(delivery, &reason, &excerpt(&input)).await;
        }
        if let Some(key) = feedback_key {
            self.audit
                .put_feedback_key(&execution_name, key, now.timestamp())
                .await?;
        }
        match self
            .sfn
            .start_execution()
            .state_machine_arn(&self.state_machine_arn)
            .name(&execution_name)
            .input(input)
            .send()
            .await
        {
            Ok(started) => Ok(Disposition::Started {
                delivery,
                execution_name,
                execution_arn: started.execution_arn().to_string(),
                steps: planned.steps.len(),
                rejected: planned.rejected.len(),
            }),
            Err(e) if code(&e) == Some("ExecutionAlreadyExists") => {
                self.audit
                    .put_duplicate(&execution_name, &delivery, &now.to_rfc3339())
                    .await?;
                Ok(Disposition::Duplicate {
                    delivery,
                    execution_name,
                })
            }
            Err(e) => Err(bot_error(
                &format!("starting execution {execution_name}"),
                e,
            )),
        }
    }
}

fn log(disposition: &Disposition) {
    match disposition {
        Disposition::Started {
            delivery,
            execution_name,
            steps,
            rejected,
            ..
        } => {
            tracing::info!(execution = %execution_name, %delivery, steps, rejected, "execution started")
        }
        Disposition::Duplicate {
            delivery,
            execution_name,
        } => {
            tracing::info!(execution = %execution_name, %delivery, "duplicate finding: not started again")
        }
        Disposition::Skipped {
            delivery,
            execution_name,
            reason,
        } => {
            tracing::info!(execution = %execution_name, %delivery, %reason, "finding skipped")
        }
        Disposition::Invalid { delivery, reason } => {
            tracing::error!(%delivery, %reason, "invalid finding")
        }
    }
}
