//! The report: the output message of an execution, built from its audit records, posted to
//! the output topic in the original's JSON or text format; when the finding asked for it, to
//! CloudGuard's remediation-feedback endpoint (one record per bot); and when it came from
//! Security Hub, the finding marked `RESOLVED` or `NOTIFIED` with a note naming the execution
//! and each bot's outcome (`BatchUpdateFindings` for ASFF, `BatchUpdateFindingsV2` for OCSF),
//! from the account and region that received it.
//!
//! An undo execution ends with the report too: its own message (`RemediationUndo`), built from
//! the undo's audit records, saying which remediation it reversed and what came of each step.
//!
//! The report runs after every step; failing here never re-runs a remediation: a feedback
//! record or a finding that cannot be marked is logged and counted, not retried. The feedback
//! key is read from the audit table, used for the POST, deleted, and never logged.

use crate::audit_store::AuditStore;
use base64::Engine;
use cloudbots_runtime::aws_error::bot_error;
use cloudbots_shared::error::BotError;
use cloudbots_shared::finding::{check_feedback_endpoint, FeedbackChannel, Secret};
use cloudbots_shared::output::{self, BotReport, OutputMessage, OutputType};
use cloudbots_shared::plan::Plan;
use cloudbots_shared::securityhub::{self, Format, SecurityHubRecord};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tracing::Instrument;

/// The report's input: the execution input (the plan), plus the Map's error when a guard
/// step stopped it.
#[derive(Debug, Clone, Deserialize)]
pub struct ReportInput {
    #[serde(flatten)]
    pub plan: Plan,
    #[serde(default)]
    pub run_error: Option<Value>,
}

/// What the report function is asked: the report of a remediation execution (its plan), or of
/// an undo execution (its name and the remediation it reverses).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ReportRequest {
    Undo(UndoReportInput),
    Remediation(Box<ReportInput>),
}

/// The undo state machine's report input.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UndoReportInput {
    /// The undo execution (`undo-<execution>`).
    pub execution: String,
    /// The remediation execution it reverses.
    pub undoes: String,
}

/// What the report did; the state machine fails the execution when `failed > 0`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportResult {
    pub published: bool,
    /// Entries whose execution status is `failed` (failed, rejected or not run).
    pub failed: usize,
    pub feedback_posted: usize,
    pub feedback_failed: usize,
    /// The workflow status the Security Hub finding was given (`RESOLVED`, `NOTIFIED`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finding_marked: Option<String>,
    /// Why the Security Hub finding could not be marked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finding_mark_failed: Option<String>,
}

/// The report function's settings and clients.
pub struct Report {
    pub sns: aws_sdk_sns::Client,
    pub audit: AuditStore,
    pub output_topic_arn: String,
    pub output_type: OutputType,
    pub http: reqwest::Client,
    /// Security Hub in the deployment's account (the one that received the findings).
    pub securityhub: aws_sdk_securityhub::Client,
}

impl Report {
    pub async fn run(&self, request: ReportRequest) -> Result<ReportResult, BotError> {
        match request {
            ReportRequest::Remediation(input) => {
                let span = tracing::info_span!("report", execution = %input.plan.execution_name);
                self.publish(*input).instrument(span).await
            }
            ReportRequest::Undo(input) => {
                let span = tracing::info_span!("report", execution = %input.execution, undoes = %input.undoes);
                self.publish_undo(input).instrument(span).await
            }
        }
    }

    /// Publish an undo's message. An undo refused or failed is reported, not failed again:
    /// `failed` counts its steps whose execution status is `failed`.
    async fn publish_undo(&self, input: UndoReportInput) -> Result<ReportResult, BotError> {
        let records = self.audit.records(&input.execution).await?;
        let message = output::build_undo(&input.execution, &input.undoes, &records);
        self.sns
            .publish()
            .topic_arn(&self.output_topic_arn)
            .subject("RemediationUndo")
            .message(output::render_undo(&message, self.output_type))
            .send()
            .await
            .map_err(|e| bot_error("publishing the undo's output message", e))?;
        let failed = message
            .steps
            .iter()
            .filter(|s| s.execution_status == "failed")
            .count();
        tracing::info!(execution = %input.execution, failed, "undo report published");
        Ok(ReportResult {
            published: true,
            failed,
            feedback_posted: 0,
            feedback_failed: 0,
            finding_marked: None,
            finding_mark_failed: None,
        })
    }

    async fn publish(&self, input: ReportInput) -> Result<ReportResult, BotError> {
        let plan = &input.plan;
        let records = self.audit.records(&plan.execution_name).await?;
        let message = output::build(plan, &records);
        let failed = message
            .rules_violations_found
            .iter()
            .filter(|b| b.execution_status == "failed")
            .count();
        self.sns
            .publish()
            .topic_arn(&self.output_topic_arn)
            .subject("RemediationLog")
            .message(output::render(&message, self.output_type))
            .send()
            .await
            .map_err(|e| bot_error("publishing the output message", e))?;
        let (feedback_posted, feedback_failed) = match &plan.finding.feedback {
            Some(channel) => self.post_feedback(plan, channel, &message).await,
            None => (0, 0),
        };
        let (finding_marked, finding_mark_failed) = match &plan.finding.securityhub {
            Some(record) => {
                let marking = securityhub::marking(plan, &records);
                match self.mark(record, &marking).await {
                    Ok(()) => (Some(marking.workflow_status().to_string()), None),
                    Err(reason) => {
                        tracing::warn!(execution = %plan.execution_name, %reason, "the Security Hub finding was not marked");
                        (None, Some(reason))
                    }
                }
            }
            None => (None, None),
        };
        tracing::info!(execution = %plan.execution_name, failed, feedback_posted, feedback_failed, ?finding_marked, "report published");
        Ok(ReportResult {
            published: true,
            failed,
            feedback_posted,
            feedback_failed,
            finding_marked,
            finding_mark_failed,
        })
    }

    /// Set the Security Hub finding's workflow and note, in the region that received it.
    async fn mark(
        &self,
        record: &SecurityHubRecord,
        marking: &securityhub::Marking,
    ) -> Result<(), String> {
        use aws_sdk_securityhub::types::{
            AwsSecurityFindingIdentifier, NoteUpdate, OcsfFindingIdentifier, WorkflowStatus,
            WorkflowUpdate,
        };
        let in_region = aws_sdk_securityhub::config::Builder::default().region(
            aws_sdk_securityhub::config::Region::new(record.region.clone()),
        );
        let unprocessed = match record.format {
            Format::Asff => {
                let identifier = AwsSecurityFindingIdentifier::builder()
                    .id(&record.id)
                    .product_arn(&record.product_arn)
                    .build();
                let note = NoteUpdate::builder()
                    .text(&marking.note)
                    .updated_by("cloudbots")
                    .build();
                let out = self
                    .securityhub
                    .batch_update_findings()
                    .finding_identifiers(identifier)
                    .workflow(
                        WorkflowUpdate::builder()
                            .status(WorkflowStatus::from(marking.workflow_status()))
                            .build(),
                    )
                    .note(note)
                    .customize()
                    .config_override(in_region)
                    .send()
                    .await
                    .map_err(|e| bot_error("BatchUpdateFindings", e).message)?;
                out.unprocessed_findings()
                    .iter()
                    .map(|u| {
                        format!(
                            "{}: {}",
                            u.error_code().unwrap_or("error"),
                            u.error_message().unwrap_or("")
                        )
                    })
                    .collect::<Vec<_>>()
            }
            Format::Ocsf => {
                let identifier = OcsfFindingIdentifier::builder()
                    .cloud_account_uid(&record.account_id)
                    .finding_info_uid(&record.id)
                    .metadata_product_uid(&record.product_arn)
                    .build();
                let out = self
                    .securityhub
                    .batch_update_findings_v2()
                    .finding_identifiers(identifier)
                    .status_id(marking.status_id())
                    .comment(&marking.note)
                    .customize()
                    .config_override(in_region)
                    .send()
                    .await
                    .map_err(|e| bot_error("BatchUpdateFindingsV2", e).message)?;
                out.unprocessed_findings()
                    .iter()
                    .map(|u| {
                        format!(
                            "{}: {}",
                            u.error_code().map(|c| c.as_str()).unwrap_or("error"),
                            u.error_message().unwrap_or("")
                        )
                    })
                    .collect::<Vec<_>>()
            }
        };
        if unprocessed.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "Security Hub did not update the finding: {}",
                unprocessed.join("; ")
            ))
        }
    }

    /// Post one feedback record per bot; failures are logged and counted, never fatal.
    async fn post_feedback(
        &self,
        plan: &Plan,
        channel: &FeedbackChannel,
        message: &OutputMessage,
    ) -> (usize, usize) {
        let execution = &plan.execution_name;
        if let Err(reason) = check_feedback_endpoint(&channel.endpoint) {
            tracing::warn!(%execution, %reason, "feedback not sent");
            return (0, message.rules_violations_found.len());
        }
        let key = match self.audit.take_feedback_key(execution).await {
            Ok(Some(key)) => key,
            Ok(None) => {
                tracing::warn!(%execution, "feedback not sent: no feedback key stored for this execution");
                return (0, message.rules_violations_found.len());
            }
            Err(e) => {
                tracing::warn!(%execution, error = %e, "feedback not sent");
                return (0, message.rules_violations_found.len());
            }
        };
        let (mut posted, mut failed) = (0, 0);
        for bot in &message.rules_violations_found {
            let body = feedback_body(plan, channel, bot, &chrono::Utc::now().to_rfc3339());
            match self.post(&channel.endpoint, &key, &body).await {
                Ok(()) => posted += 1,
                Err(reason) => {
                    failed += 1;
                    tracing::warn!(%execution, bot = %bot.remediation, %reason, "feedback record not accepted");
                }
            }
        }
        (posted, failed)
    }

    async fn post(&self, endpoint: &str, key: &Secret, body: &Value) -> Result<(), String> {
        let response = self
            .http
            .post(endpoint)
            .header("x-api-key", key.expose())
            .json(body)
            .send()
            .await
            .map_err(|e| format!("POST failed: {}", e.without_url()))?;
        let status = response.status();
        let reply: Value = response.json().await.unwrap_or(Value::Null);
        if status.is_success()
            && reply.get("SequenceNumber").is_some()
            && reply.get("ShardId").is_some()
        {
            Ok(())
        } else {
            Err(format!("HTTP {status}"))
        }
    }
}

/// The Kinesis `PutRecord`-shaped body CloudGuard's feedback endpoint takes (reference §6.3).
pub fn feedback_body(plan: &Plan, channel: &FeedbackChannel, bot: &BotReport, now: &str) -> Value {
    let finding = &plan.finding;
    let record = json!({
        "logType": "feedback",
        "dome9AccountId": finding.dome9_account_id,
        "vendor": finding.vendor,
        "findingKey": finding.finding_key,
        "envCloudAccountId": finding.account_id,
        "executionId": finding.execution_id,
        "remediationInfo": {
            "Rule": bot.rule,
            "Remediation": bot.remediation,
            "ExecutionStatus": bot.execution_status,
            "BotMessage": bot.bot_message,
        },
        "executionTime": now,
    });
    let data = base64::engine::general_purpose::STANDARD.encode(format!("{record}\n"));
    json!({"Data": data, "PartitionKey": channel.partition_key, "StreamName": channel.stream_name})
}

#[cfg(test)]
mod tests {
    use super::*;
    use cloudbots_shared::finding::from_cloudguard;
    use cloudbots_shared::plan::{plan, PlannerConfig};

    #[test]
    fn feedback_records_are_cloudguard_kinesis_records_without_the_key() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/fixtures/cloudguard/instance_remediationactions_feedback_2023.json"
        );
        let finding = from_cloudguard(
            &serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap(),
        )
        .unwrap();
        let planned = plan(&finding, &PlannerConfig::default());
        let channel = finding.feedback.clone().unwrap();
        let bot = BotReport {
            rule: "Overprivileged IamRole".into(),
            id: finding.entity_id.clone(),
            name: String::new(),
            remediation: "ec2_stop_instance".into(),
            execution_status: "passed".into(),
            bot_message: "Instance stopped".into(),
        };
        let body = feedback_body(&planned, &channel, &bot, "2026-11-30T10:00:00Z");
        assert_eq!(body["StreamName"], "remediation_feedback");
        assert_eq!(body["PartitionKey"], "1");
        let data = base64::engine::general_purpose::STANDARD
            .decode(body["Data"].as_str().unwrap())
            .unwrap();
        let text = String::from_utf8(data).unwrap();
        assert!(text.ends_with('\n'));
        let record: Value = serde_json::from_str(text.trim_end()).unwrap();
        assert_eq!(
            record,
            json!({
                "logType": "feedback", "dome9AccountId": "39801", "vendor": "AWS",
                "findingKey": "PKn4JEIxyPopzyZJ+ieCpg", "envCloudAccountId": "838321622243",
                "executionId": "2914b53f-f785-4a7a-b616-32fe9326d39b",
                "remediationInfo": {"Rule": "Overprivileged IamRole", "Remediation": "ec2_stop_instance",
                                    "ExecutionStatus": "passed", "BotMessage": "Instance stopped"},
                "executionTime": "2026-11-30T10:00:00Z",
            })
        );
        let key = finding.feedback_key.unwrap();
        assert!(!body.to_string().contains(key.expose()));
    }
}
