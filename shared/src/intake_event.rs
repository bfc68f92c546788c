//! What the intake receives, unwrapped into findings: an SNS event (every record, not just the
//! first), an EventBridge GuardDuty or Security Hub event (every finding it carries), or a raw
//! CloudGuard finding (CLI, tests, direct invocation). Each SNS record and each Security Hub
//! finding is read on its own, so one bad one does not hide the others.
//!
//! A message that cannot be read keeps a short excerpt for the audit trail, bounded and with
//! every secret-looking value masked, so hostile input can be diagnosed without being stored.

use crate::finding::{self, Finding};
use crate::guardduty;
use crate::mapping::Mappings;
use crate::securityhub;
use serde_json::Value;

/// One message of the event, read.
#[derive(Debug, Clone)]
pub struct Received {
    /// Where it came from: `sns:<MessageId>`, `eventbridge:<id>` or `direct`.
    pub delivery: String,
    pub finding: Result<Finding, String>,
    /// When the finding could not be read: a bounded, secret-free excerpt of the message.
    pub excerpt: String,
}

impl Received {
    fn new(
        delivery: String,
        finding: Result<Finding, String>,
        message: impl Fn() -> String,
    ) -> Self {
        let excerpt = if finding.is_err() {
            excerpt(&message())
        } else {
            String::new()
        };
        Received {
            delivery,
            finding,
            excerpt,
        }
    }
}

/// Read every finding an intake event carries. Fails only when the event is not JSON at all.
pub fn read_event_text(text: &str, mappings: &Mappings) -> Result<Vec<Received>, String> {
    let event: Value =
        serde_json::from_str(text).map_err(|e| format!("the event is not valid JSON: {e}"))?;
    Ok(read_event(&event, mappings))
}

/// Read every finding of an already-parsed intake event.
pub fn read_event(event: &Value, mappings: &Mappings) -> Vec<Received> {
    match event.get("Records").and_then(Value::as_array) {
        Some(records) if records.is_empty() => vec![Received::new(
            "sns".to_string(),
            Err("an SNS event with no records: there is no finding to read".to_string()),
            || event.to_string(),
        )],
        Some(records) => records
            .iter()
            .map(|r| read_sns_record(r, mappings))
            .collect(),
        None if securityhub::is_securityhub_event(event) => {
            let delivery = eventbridge_delivery(event);
            let findings = securityhub::from_eventbridge(event, mappings);
            let several = findings.len() > 1;
            findings
                .into_iter()
                .enumerate()
                .map(|(n, finding)| {
                    let delivery = if several {
                        format!("{delivery}#{n}")
                    } else {
                        delivery.clone()
                    };
                    let message = || {
                        event
                            .pointer(&format!("/detail/findings/{n}"))
                            .unwrap_or(event)
                            .to_string()
                    };
                    Received::new(delivery, finding, message)
                })
                .collect()
        }
        None => vec![Received::new(
            delivery_of(event),
            read_message(event, mappings),
            || event.to_string(),
        )],
    }
}

fn eventbridge_delivery(event: &Value) -> String {
    let id = event.get("id").and_then(Value::as_str).unwrap_or("");
    format!("eventbridge:{id}")
}

fn delivery_of(message: &Value) -> String {
    if guardduty::is_guardduty_event(message) {
        eventbridge_delivery(message)
    } else {
        "direct".to_string()
    }
}

fn read_sns_record(record: &Value, mappings: &Mappings) -> Received {
    let Some(sns) = record.get("Sns") else {
        return Received::new(
            "record".to_string(),
            Err("a record without an Sns message (only SNS records are read)".to_string()),
            || record.to_string(),
        );
    };
    let delivery = format!(
        "sns:{}",
        sns.get("MessageId").and_then(Value::as_str).unwrap_or("")
    );
    let finding = match sns.get("Message") {
        Some(Value::String(text)) => serde_json::from_str::<Value>(text)
            .map_err(|e| format!("the SNS message is not valid JSON: {e}"))
            .and_then(|message| read_message(&message, mappings)),
        Some(message @ Value::Object(_)) => read_message(message, mappings),
        _ => Err("the SNS record has no Message".to_string()),
    };
    Received::new(delivery, finding, || match sns.get("Message") {
        Some(Value::String(text)) => text.clone(),
        other => other.map(Value::to_string).unwrap_or_default(),
    })
}

/// One message: a GuardDuty EventBridge event, a Security Hub event of one finding, or a
/// CloudGuard finding.
pub fn read_message(message: &Value, mappings: &Mappings) -> Result<Finding, String> {
    if guardduty::is_guardduty_event(message) {
        return guardduty::from_eventbridge(message, mappings);
    }
    if securityhub::is_securityhub_event(message) {
        let mut findings = securityhub::from_eventbridge(message, mappings);
        return match findings.len() {
            1 => findings.remove(0),
            n => Err(format!(
                "a Security Hub event of {n} findings inside an SNS message: send it to the intake directly"
            )),
        };
    }
    let looks_like_cloudguard = ["rule", "entity", "account"]
        .iter()
        .any(|k| message.get(k).is_some());
    if !looks_like_cloudguard {
        return Err(
            "not a finding: expected a CloudGuard finding (rule, entity, account), a GuardDuty or Security Hub EventBridge event, or an SNS event carrying one"
                .to_string(),
        );
    }
    finding::from_cloudguard(message)
}

/// Longest excerpt kept, in characters.
const EXCERPT_CHARS: usize = 300;
/// How much of the message is scanned for secrets before it is cut (context for the masking).
const EXCERPT_SCAN_CHARS: usize = 4096;
/// A run of this many base64 characters is taken for a credential (an AWS secret key has 40).
const OPAQUE_TOKEN_CHARS: usize = 32;
/// What replaces a masked value.
pub const REDACTED: &str = "<redacted>";

/// Whether a field name names a secret (`logsHttpEndpointKey`, `SecretAccessKey`, `token`...).
fn is_secret_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [
        "key",
        "secret",
        "token",
        "password",
        "credential",
        "authorization",
        "signature",
    ]
    .iter()
    .any(|marker| lower.contains(marker))
}

/// A bounded excerpt of a message for the audit trail and the logs: control characters shown
/// as `?`, the value of every secret-named field and every long opaque token masked, at most
/// [`EXCERPT_CHARS`] characters.
pub fn excerpt(text: &str) -> String {
    let chars: Vec<char> = text.chars().take(EXCERPT_SCAN_CHARS).collect();
    let masked = mask_opaque_tokens(&mask_secret_fields(&chars));
    let mut out: String = masked
        .iter()
        .take(EXCERPT_CHARS)
        .map(|&c| if c.is_control() { '?' } else { c })
        .collect();
    if masked.len() > EXCERPT_CHARS || text.chars().nth(EXCERPT_SCAN_CHARS).is_some() {
        out.push('…');
    }
    out
}

/// Mask the value after a secret-named field, however it is quoted or escaped
/// (`"key": "v"`, `\"key\": \"v\"`, `key=v`).
fn mask_secret_fields(chars: &[char]) -> Vec<char> {
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    let mut out = Vec::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        if !is_word(chars[i]) {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && is_word(chars[i]) {
            i += 1;
        }
        out.extend_from_slice(&chars[start..i]);
        let name: String = chars[start..i].iter().collect();
        if !is_secret_name(&name) {
            continue;
        }
        let mut j = i;
        let mut separated = false;
        while j < chars.len() && matches!(chars[j], '\\' | '"' | '\'' | ' ' | ':' | '=') {
            separated |= matches!(chars[j], ':' | '=');
            j += 1;
        }
        let value_end = chars[j..]
            .iter()
            .position(|&c| matches!(c, '\\' | '"' | '\'' | ',' | '}' | ']' | ' ' | '&' | '\n'))
            .map_or(chars.len(), |n| j + n);
        if separated && value_end > j {
            out.extend_from_slice(&chars[i..j]);
            out.extend(REDACTED.chars());
            i = value_end;
        }
    }
    out
}

/// Mask every run of [`OPAQUE_TOKEN_CHARS`] or more base64 characters (keys, session tokens).
fn mask_opaque_tokens(chars: &[char]) -> Vec<char> {
    let is_b64 = |c: char| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=');
    let mut out = Vec::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        let run = chars[i..].iter().take_while(|&&c| is_b64(c)).count();
        if run >= OPAQUE_TOKEN_CHARS {
            out.extend(REDACTED.chars());
            i += run;
        } else if run > 0 {
            out.extend_from_slice(&chars[i..i + run]);
            i += run;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn instance_finding() -> Value {
        let path = format!(
            "{}/../tests/fixtures/cloudguard/instance_full_entity.json",
            env!("CARGO_MANIFEST_DIR")
        );
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn every_sns_record_is_read_string_or_object() {
        let finding = instance_finding();
        let event = json!({"Records": [
            {"EventSource": "aws:sns", "Sns": {"MessageId": "m-1", "Message": finding.to_string()}},
            {"EventSource": "aws:sns", "Sns": {"MessageId": "m-2", "Message": finding}},
            {"EventSource": "aws:sns", "Sns": {"MessageId": "m-3", "Message": "{not json"}},
        ]});
        let received = read_event(&event, &Mappings::default());
        assert_eq!(received.len(), 3);
        assert_eq!(received[0].delivery, "sns:m-1");
        assert_eq!(
            received[0].finding.as_ref().unwrap().entity_id,
            "i-0028f9751d334c93a"
        );
        assert_eq!(
            received[1].finding.as_ref().unwrap().entity_id,
            "i-0028f9751d334c93a"
        );
        assert!(received[2]
            .finding
            .as_ref()
            .unwrap_err()
            .starts_with("the SNS message is not valid JSON"));
    }

    #[test]
    fn raw_findings_and_garbage() {
        let received = read_event(&instance_finding(), &Mappings::default());
        assert_eq!(received[0].delivery, "direct");
        assert!(received[0].finding.is_ok());
        let junk = read_event(&json!({"hello": "world"}), &Mappings::default());
        assert!(junk[0]
            .finding
            .as_ref()
            .unwrap_err()
            .starts_with("not a finding"));
        assert!(read_event_text("][", &Mappings::default())
            .unwrap_err()
            .starts_with("the event is not valid JSON"));
    }

    #[test]
    fn an_sns_event_without_records_is_refused() {
        let received = read_event(&serde_json::json!({"Records": []}), &Mappings::default());
        assert_eq!(received.len(), 1);
        assert_eq!(
            received[0].finding.as_ref().unwrap_err(),
            "an SNS event with no records: there is no finding to read"
        );
    }

    #[test]
    fn every_security_hub_finding_of_an_event_is_one_delivery() {
        let path = format!(
            "{}/../tests/fixtures/securityhub/ocsf_sqs.1_queue-encryption_failed.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let mut event: Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let received = read_event(&event, &Mappings::default());
        assert_eq!(received.len(), 1);
        assert_eq!(
            received[0].delivery,
            format!("eventbridge:{}", event["id"].as_str().unwrap())
        );
        let copy = event["detail"]["findings"][0].clone();
        event["detail"]["findings"]
            .as_array_mut()
            .unwrap()
            .push(copy);
        let received = read_event(&event, &Mappings::default());
        assert_eq!(received.len(), 2);
        assert!(received[1].delivery.ends_with("#1"));
        // Through SNS, one finding per message.
        let sns = serde_json::json!({"Records": [{"Sns": {"MessageId": "m-1", "Message": event.to_string()}}]});
        assert!(read_event(&sns, &Mappings::default())[0]
            .finding
            .as_ref()
            .unwrap_err()
            .starts_with("a Security Hub event of 2 findings inside an SNS message"));
    }

    #[test]
    fn excerpts_are_bounded_and_mask_secrets() {
        let secret = "fEedBackKey-123";
        let aws_secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
        let message = json!({"logsHttpEndpointKey": secret, "rule": {"name": "r\nx"},
            "creds": {"SecretAccessKey": aws_secret}, "blob": "x".repeat(10_000)});
        for text in [message.to_string(), json!(message.to_string()).to_string()] {
            let cut = excerpt(&text);
            assert!(!cut.contains(secret), "{cut}");
            assert!(!cut.contains(aws_secret), "{cut}");
            assert!(cut.contains("logsHttpEndpointKey"), "{cut}");
            assert!(cut.chars().count() <= EXCERPT_CHARS + 1);
            assert!(cut.ends_with('…'));
        }
        assert_eq!(excerpt("token=abc&x=1"), "token=<redacted>&x=1");
        assert_eq!(excerpt("a\nb"), "a?b");
        assert_eq!(excerpt("{not json"), "{not json");
    }

    #[test]
    fn only_unreadable_messages_keep_an_excerpt() {
        let event = json!({"Records": [
            {"Sns": {"MessageId": "m-1", "Message": instance_finding().to_string()}},
            {"Sns": {"MessageId": "m-2", "Message": "{\"apiKey\": \"s3cr3t\"}"}},
        ]});
        let received = read_event(&event, &Mappings::default());
        assert_eq!(received[0].excerpt, "");
        assert_eq!(received[1].excerpt, "{\"apiKey\": \"<redacted>\"}");
    }
}
