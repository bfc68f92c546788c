//! The output message posted to the output topic: the original's `remediationOutput` format
//! (reference §2.8, §6.3), JSON or text, so existing parsers keep working — minus its defects:
//! the CloudGuard API key is never echoed, and every entry has an `Execution status`.
//!
//! An undo execution posts its own message to the same topic ([`UndoMessage`], subject
//! `RemediationUndo`), in the same format with its own keys, so whoever reads the remediations
//! also learns which of them were put back — and a parser of remediation messages never
//! mistakes an undo for one.

use crate::audit::{failure_message, AuditRecord, AuditStatus};
use crate::plan::Plan;
use serde::Serialize;
use serde_json::Value;

/// One entry of `Rules violations found`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BotReport {
    #[serde(rename = "Rule")]
    pub rule: String,
    #[serde(rename = "ID")]
    pub id: String,
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "Remediation")]
    pub remediation: String,
    #[serde(rename = "Execution status")]
    pub execution_status: String,
    #[serde(rename = "Bot message")]
    pub bot_message: String,
}

/// The whole message, keys in the original's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutputMessage {
    #[serde(rename = "ReportTime")]
    pub report_time: Option<String>,
    #[serde(rename = "logsHttpEndpoint")]
    pub logs_http_endpoint: Option<String>,
    #[serde(rename = "logsHttpEndpointStreamName")]
    pub logs_http_endpoint_stream_name: Option<String>,
    #[serde(rename = "logsHttpEndpointStreamPartitionKey")]
    pub logs_http_endpoint_stream_partition_key: Option<String>,
    #[serde(rename = "dome9AccountId")]
    pub dome9_account_id: Option<String>,
    #[serde(rename = "executionId")]
    pub execution_id: Option<String>,
    pub vendor: Option<String>,
    #[serde(rename = "Account id")]
    pub account_id: String,
    #[serde(rename = "findingKey")]
    pub finding_key: Option<String>,
    #[serde(rename = "Execution name")]
    pub execution_name: String,
    #[serde(rename = "Rules violations found")]
    pub rules_violations_found: Vec<BotReport>,
}

/// One step of an undo: the remediation step it reverses and what came of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UndoReport {
    /// The audit record of the step it reverses (`step#001`).
    #[serde(rename = "Step")]
    pub step: String,
    #[serde(rename = "Remediation")]
    pub remediation: String,
    /// `restored`, `nothing to restore`, `not restored (changed since)`, `irreversible`, …
    #[serde(rename = "Undo status")]
    pub undo_status: String,
    #[serde(rename = "Execution status")]
    pub execution_status: String,
    #[serde(rename = "Undo message")]
    pub undo_message: String,
}

/// The message of an undo execution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UndoMessage {
    #[serde(rename = "Execution name")]
    pub execution_name: String,
    /// The remediation execution it reverses.
    #[serde(rename = "Undoes")]
    pub undoes: String,
    #[serde(rename = "Steps undone")]
    pub steps: Vec<UndoReport>,
}

/// Build the message of the undo execution `execution_name` of `undoes` from its audit
/// records (one per remediation step, last step first, as undo went).
pub fn build_undo(execution_name: &str, undoes: &str, records: &[AuditRecord]) -> UndoMessage {
    UndoMessage {
        execution_name: execution_name.to_string(),
        undoes: undoes.to_string(),
        steps: records
            .iter()
            .map(|r| UndoReport {
                step: r.entry.clone(),
                remediation: r.bot.clone(),
                undo_status: r.status.words().to_string(),
                execution_status: r.status.execution_status().to_string(),
                undo_message: readable_message(r),
            })
            .collect(),
    }
}

/// The output format, from `OUTPUT_TYPE` (`JSON`, anything else is text, as in the original).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputType {
    Json,
    Text,
}

impl OutputType {
    pub fn from_var(value: Option<&str>) -> Self {
        match value {
            None => OutputType::Json,
            Some(v) if v.eq_ignore_ascii_case("json") => OutputType::Json,
            Some(_) => OutputType::Text,
        }
    }
}

/// Build the message of an execution from its plan and its audit records. Steps with no
/// record never ran (a guard step before them failed) and are reported as such.
pub fn build(plan: &Plan, records: &[AuditRecord]) -> OutputMessage {
    let finding = &plan.finding;
    let report = |bot: &str, status: &str, message: String| BotReport {
        rule: finding.rule.name.clone(),
        id: finding.entity_id.clone(),
        name: finding.entity_name.clone(),
        remediation: bot.to_string(),
        execution_status: status.to_string(),
        bot_message: message,
    };
    let record = |id: &str| records.iter().find(|r| r.record_id == id);
    // A guard step that failed, or was refused by its circuit breaker, stopped the plan.
    let guard_stop = plan.steps.iter().find_map(|s| {
        let r = record(&s.audit_id)?;
        let stopped = matches!(r.status, AuditStatus::Failed | AuditStatus::CircuitOpen);
        (s.guard && stopped).then_some((s, r.status))
    });
    let mut entries = Vec::new();
    for step in &plan.steps {
        entries.push(match record(&step.audit_id) {
            Some(r) => report(&step.bot, r.status.execution_status(), readable_message(r)),
            None => report(
                &step.bot,
                AuditStatus::NotRun.execution_status(),
                match guard_stop {
                    Some((g, AuditStatus::CircuitOpen)) => format!(
                        "Not run: the guard step {} was refused by its circuit breaker, so no later step ran",
                        g.bot
                    ),
                    Some((g, _)) => format!(
                        "Not run: the guard step {} failed, so no later step ran",
                        g.bot
                    ),
                    None => "Not run: the execution ended before this step".to_string(),
                },
            ),
        });
    }
    for rejected in &plan.rejected {
        let name = if rejected.bot.is_empty() {
            &rejected.entry
        } else {
            &rejected.bot
        };
        entries.push(report(
            name,
            AuditStatus::Rejected.execution_status(),
            format!("Rejected before running: {}", rejected.reason),
        ));
    }
    OutputMessage {
        report_time: finding.report_time.clone(),
        logs_http_endpoint: finding.feedback.as_ref().map(|f| f.endpoint.clone()),
        logs_http_endpoint_stream_name: finding.feedback.as_ref().map(|f| f.stream_name.clone()),
        logs_http_endpoint_stream_partition_key: finding
            .feedback
            .as_ref()
            .map(|f| f.partition_key.clone()),
        dome9_account_id: finding.dome9_account_id.clone(),
        execution_id: finding.execution_id.clone(),
        vendor: finding.vendor.clone(),
        account_id: finding.account_id.clone(),
        finding_key: finding.finding_key.clone(),
        execution_name: plan.execution_name.clone(),
        rules_violations_found: entries,
    }
}

/// A record's message for people: a failure recorded by the state machine carries the raw
/// Lambda error (`{"Error", "Cause"}` in `detail`), unwrapped here.
fn readable_message(record: &AuditRecord) -> String {
    if record.status != AuditStatus::Failed {
        return record.message.clone();
    }
    let detail: Value = serde_json::from_str(&record.detail).unwrap_or(Value::Null);
    match (
        detail.get("Error").and_then(Value::as_str),
        detail.get("Cause").and_then(Value::as_str),
    ) {
        (Some(error), cause) => failure_message(error, cause.unwrap_or("")),
        _ => record.message.clone(),
    }
}

/// The message body in the deployment's format.
pub fn render(message: &OutputMessage, output_type: OutputType) -> String {
    match output_type {
        OutputType::Json => serde_json::to_string(message).expect("output serialises"),
        OutputType::Text => render_text(
            message,
            ("Rules violations found", "Rule violations found"),
            &message.rules_violations_found,
            ("Bot message", |bot: &BotReport| bot.bot_message.as_str()),
        ),
    }
}

/// An undo's message body in the deployment's format.
pub fn render_undo(message: &UndoMessage, output_type: OutputType) -> String {
    match output_type {
        OutputType::Json => serde_json::to_string(message).expect("output serialises"),
        OutputType::Text => render_text(
            message,
            ("Steps undone", "Steps undone"),
            &message.steps,
            ("Undo message", |step: &UndoReport| {
                step.undo_message.as_str()
            }),
        ),
    }
}

/// The original's text mode: each dict dumped as JSON, `"{}'` removed, `,` turned into line
/// breaks; then the list's heading (`Rule violations found:`) and each entry, its message on a
/// line of its own (`Bot message: …`). `list` is the list's key and heading, `message` the
/// entries' message key and the message.
fn render_text<T: Serialize, E: Serialize>(
    top: &T,
    (list_key, heading): (&str, &str),
    entries: &[E],
    (message_key, message): (&str, fn(&E) -> &str),
) -> String {
    let mut text = flatten(&pairs(top, &[list_key]));
    text.push_str(&format!("\n{heading}:\n"));
    for entry in entries {
        let message = message(entry);
        text.push_str(&flatten(&pairs(entry, &[message_key])));
        text.push_str(&format!("\n{message_key}: {message}"));
        if !message.ends_with('\n') {
            text.push('\n');
        }
    }
    text
}

/// The fields of a struct in declaration order (serde_json keeps the order), minus some.
fn pairs<T: Serialize>(value: &T, without: &[&str]) -> Vec<(String, Value)> {
    match serde_json::to_value(value).expect("serialises") {
        Value::Object(map) => map
            .into_iter()
            .filter(|(k, _)| !without.contains(&k.as_str()))
            .collect(),
        _ => unreachable!("output structs serialise to objects"),
    }
}

fn flatten(pairs: &[(String, Value)]) -> String {
    let dumped = pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{}: {}",
                python_dumps(&Value::String(k.clone())),
                python_dumps(v)
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    dumped
        .chars()
        .filter(|c| !matches!(c, '"' | '{' | '}' | '\''))
        .map(|c| if c == ',' { '\n' } else { c })
        .collect()
}

/// `json.dumps` of Python for scalars: ASCII only, `\uXXXX` escapes.
fn python_dumps(value: &Value) -> String {
    match value {
        Value::String(s) => {
            let mut out = String::from("\"");
            for c in s.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\t' => out.push_str("\\t"),
                    c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                        let mut buf = [0u16; 2];
                        for unit in c.encode_utf16(&mut buf) {
                            out.push_str(&format!("\\u{unit:04x}"));
                        }
                    }
                    c => out.push(c),
                }
            }
            out.push('"');
            out
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> OutputMessage {
        OutputMessage {
            report_time: Some("2018-03-20T05:40:42.043Z".into()),
            logs_http_endpoint: None,
            logs_http_endpoint_stream_name: None,
            logs_http_endpoint_stream_partition_key: None,
            dome9_account_id: None,
            execution_id: None,
            vendor: Some("AWS".into()),
            account_id: "123456789012".into(),
            finding_key: Some("SAMPLEFINDINGKEY==".into()),
            execution_name: "cg-i-3ff104dc363d2ab2c-0123".into(),
            rules_violations_found: vec![BotReport {
                rule: "Instance should fail".into(),
                id: "i-3ff104dc363d2ab2c".into(),
                name: "TestInstance".into(),
                remediation: "ec2_stop_instance".into(),
                execution_status: "passed".into(),
                bot_message: "Instance stopped: i-3ff104dc363d2ab2c".into(),
            }],
        }
    }

    #[test]
    fn json_keeps_the_original_keys_in_order_without_the_api_key() {
        let json = render(&sample(), OutputType::Json);
        assert_eq!(
            json,
            r#"{"ReportTime":"2018-03-20T05:40:42.043Z","logsHttpEndpoint":null,"logsHttpEndpointStreamName":null,"logsHttpEndpointStreamPartitionKey":null,"dome9AccountId":null,"executionId":null,"vendor":"AWS","Account id":"123456789012","findingKey":"SAMPLEFINDINGKEY==","Execution name":"cg-i-3ff104dc363d2ab2c-0123","Rules violations found":[{"Rule":"Instance should fail","ID":"i-3ff104dc363d2ab2c","Name":"TestInstance","Remediation":"ec2_stop_instance","Execution status":"passed","Bot message":"Instance stopped: i-3ff104dc363d2ab2c"}]}"#
        );
        assert!(!json.contains("logsHttpEndpointKey"));
    }

    #[test]
    fn text_flattens_like_the_original() {
        assert_eq!(
            render(&sample(), OutputType::Text),
            "ReportTime: 2018-03-20T05:40:42.043Z\n logsHttpEndpoint: null\n logsHttpEndpointStreamName: null\n logsHttpEndpointStreamPartitionKey: null\n dome9AccountId: null\n executionId: null\n vendor: AWS\n Account id: 123456789012\n findingKey: SAMPLEFINDINGKEY==\n Execution name: cg-i-3ff104dc363d2ab2c-0123\nRule violations found:\nRule: Instance should fail\n ID: i-3ff104dc363d2ab2c\n Name: TestInstance\n Remediation: ec2_stop_instance\n Execution status: passed\nBot message: Instance stopped: i-3ff104dc363d2ab2c\n"
        );
    }

    #[test]
    fn an_undo_says_which_remediation_it_reverses_and_what_came_of_each_step() {
        let record = |id: &str, entry: &str, bot: &str, status, message: &str| AuditRecord {
            execution_name: "undo-cg-sg-1".into(),
            record_id: id.into(),
            bot: bot.into(),
            phase: "undo".into(),
            status,
            message: message.into(),
            detail: String::new(),
            recorded_at: "2026-12-04T10:00:00Z".into(),
            entry: entry.into(),
        };
        let message = build_undo(
            "undo-cg-sg-1",
            "cg-sg-1",
            &[
                record(
                    "undo#000",
                    "step#001",
                    "sg_single_rule_delete",
                    AuditStatus::Refused,
                    "security group sg-1 changed since sg_single_rule_delete left it",
                ),
                record(
                    "undo#001",
                    "step#000",
                    "ec2_create_snapshot",
                    AuditStatus::Irreversible,
                    "the snapshots are evidence, and undo never deletes evidence",
                ),
            ],
        );
        assert_eq!(
            render_undo(&message, OutputType::Json),
            r#"{"Execution name":"undo-cg-sg-1","Undoes":"cg-sg-1","Steps undone":[{"Step":"step#001","Remediation":"sg_single_rule_delete","Undo status":"not restored (changed since)","Execution status":"failed","Undo message":"security group sg-1 changed since sg_single_rule_delete left it"},{"Step":"step#000","Remediation":"ec2_create_snapshot","Undo status":"irreversible","Execution status":"passed","Undo message":"the snapshots are evidence, and undo never deletes evidence"}]}"#
        );
        assert_eq!(
            render_undo(&message, OutputType::Text),
            "Execution name: undo-cg-sg-1\n Undoes: cg-sg-1\nSteps undone:\nStep: step#001\n Remediation: sg_single_rule_delete\n Undo status: not restored (changed since)\n Execution status: failed\nUndo message: security group sg-1 changed since sg_single_rule_delete left it\nStep: step#000\n Remediation: ec2_create_snapshot\n Undo status: irreversible\n Execution status: passed\nUndo message: the snapshots are evidence, and undo never deletes evidence\n"
        );
    }

    #[test]
    fn output_type_follows_the_original_variable() {
        assert_eq!(OutputType::from_var(Some("JSON")), OutputType::Json);
        assert_eq!(OutputType::from_var(Some("text")), OutputType::Text);
        assert_eq!(OutputType::from_var(None), OutputType::Json);
    }
}
