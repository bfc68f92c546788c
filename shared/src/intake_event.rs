//! What the intake receives, unwrapped into findings: an SNS event (every record, not just the
//! first), an EventBridge GuardDuty event, or a raw CloudGuard finding (CLI, tests, direct
//! invocation). Each SNS record is read on its own, so one bad record does not hide the others.

use crate::finding::{self, Finding};
use crate::guardduty::{self, GuardDutyActions};
use serde_json::Value;

/// One message of the event, read.
#[derive(Debug, Clone)]
pub struct Received {
    /// Where it came from: `sns:<MessageId>`, `eventbridge:<id>` or `direct`.
    pub delivery: String,
    pub finding: Result<Finding, String>,
}

/// Read every finding an intake event carries. Fails only when the event is not JSON at all.
pub fn read_event_text(text: &str, actions: &GuardDutyActions) -> Result<Vec<Received>, String> {
    let event: Value =
        serde_json::from_str(text).map_err(|e| format!("the event is not valid JSON: {e}"))?;
    Ok(read_event(&event, actions))
}

/// Read every finding of an already-parsed intake event.
pub fn read_event(event: &Value, actions: &GuardDutyActions) -> Vec<Received> {
    match event.get("Records").and_then(Value::as_array) {
        Some(records) => records
            .iter()
            .map(|r| read_sns_record(r, actions))
            .collect(),
        None => vec![Received {
            delivery: delivery_of(event),
            finding: read_message(event, actions),
        }],
    }
}

fn delivery_of(message: &Value) -> String {
    if guardduty::is_guardduty_event(message) {
        let id = message.get("id").and_then(Value::as_str).unwrap_or("");
        format!("eventbridge:{id}")
    } else {
        "direct".to_string()
    }
}

fn read_sns_record(record: &Value, actions: &GuardDutyActions) -> Received {
    let Some(sns) = record.get("Sns") else {
        return Received {
            delivery: "record".to_string(),
            finding: Err("a record without an Sns message (only SNS records are read)".to_string()),
        };
    };
    let delivery = format!(
        "sns:{}",
        sns.get("MessageId").and_then(Value::as_str).unwrap_or("")
    );
    let finding = match sns.get("Message") {
        Some(Value::String(text)) => serde_json::from_str::<Value>(text)
            .map_err(|e| format!("the SNS message is not valid JSON: {e}"))
            .and_then(|message| read_message(&message, actions)),
        Some(message @ Value::Object(_)) => read_message(message, actions),
        _ => Err("the SNS record has no Message".to_string()),
    };
    Received { delivery, finding }
}

/// One message: a GuardDuty EventBridge event or a CloudGuard finding.
pub fn read_message(message: &Value, actions: &GuardDutyActions) -> Result<Finding, String> {
    if guardduty::is_guardduty_event(message) {
        return guardduty::from_eventbridge(message, actions);
    }
    let looks_like_cloudguard = ["rule", "entity", "account"]
        .iter()
        .any(|k| message.get(k).is_some());
    if !looks_like_cloudguard {
        return Err(
            "not a finding: expected a CloudGuard finding (rule, entity, account), a GuardDuty EventBridge event or an SNS event carrying one"
                .to_string(),
        );
    }
    finding::from_cloudguard(message)
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
        let received = read_event(&event, &GuardDutyActions::default());
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
        let received = read_event(&instance_finding(), &GuardDutyActions::default());
        assert_eq!(received[0].delivery, "direct");
        assert!(received[0].finding.is_ok());
        let junk = read_event(&json!({"hello": "world"}), &GuardDutyActions::default());
        assert!(junk[0]
            .finding
            .as_ref()
            .unwrap_err()
            .starts_with("not a finding"));
        assert!(read_event_text("][", &GuardDutyActions::default())
            .unwrap_err()
            .starts_with("the event is not valid JSON"));
    }
}
