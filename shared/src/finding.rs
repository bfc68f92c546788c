//! The normalised finding: what the planner and the bots know about the alert, whatever
//! service sent it.
//!
//! CloudGuard's "JSON - Full entity" message is read here; GuardDuty and Security Hub events
//! are turned into the same shape in [`crate::guardduty`] and [`crate::securityhub`]. The entity stays opaque JSON, passed untouched to
//! the bots, which each pick the fields they need. The CloudGuard feedback key is kept apart
//! from everything that is serialised, so it never reaches an execution input, a log line or
//! an output message.

use crate::region;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::fmt;

/// Which service produced the finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    CloudGuard,
    GuardDuty,
    /// A Security Hub control finding (GuardDuty findings relayed by Security Hub keep
    /// [`Source::GuardDuty`]: they are the same finding as the direct one).
    SecurityHub,
}

/// The rule the entity violated.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compliance_tags: Option<String>,
}

/// Where CloudGuard wants remediation feedback posted (reference §2.10), minus the key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedbackChannel {
    pub endpoint: String,
    pub stream_name: String,
    pub partition_key: String,
}

/// A secret string: never serialised, never printed.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    /// The secret itself, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// A finding, normalised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub source: Source,
    /// Hex digest of the finding's identity and generation; the execution name derives from it.
    pub fingerprint: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finding_key: Option<String>,
    pub account_id: String,
    /// The region code (normalised), or the raw value when it is not a region.
    pub region: String,
    /// Why no entry of this finding can run (its region is not a region, its resource type is
    /// not supported): every entry is then rejected with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_time: Option<String>,
    pub rule: Rule,
    pub entity_id: String,
    pub entity_name: String,
    pub entity: Value,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remediation_actions: Vec<Value>,
    /// `alertWindowStartTime` of a Log.ic finding: the bots look up the CloudTrail event near it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dome9_account_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feedback: Option<FeedbackChannel>,
    /// The CloudGuard feedback API key; stays with the intake.
    #[serde(skip)]
    pub feedback_key: Option<Secret>,
    /// Set when the source tells us to do nothing (a GuardDuty sample, an unmapped type).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_reason: Option<String>,
    /// How and when the intake received this copy (`sns:<MessageId> at <time>`). It makes
    /// every delivery's execution input unique, so Step Functions refuses a second start of
    /// the same execution name even while the first runs (it would otherwise answer a start
    /// with the same name and input with the running execution), and the intake records the
    /// delivery as a duplicate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received: Option<String>,
    /// The Security Hub finding this one came through: the report marks it when the
    /// execution ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub securityhub: Option<crate::securityhub::SecurityHubRecord>,
}

impl Finding {
    /// An empty finding of an AWS service's event (GuardDuty, Security Hub): none of
    /// CloudGuard's own fields (remediation actions, Log.ic time, feedback channel), vendor AWS,
    /// status Failed. The readers fill in the rest with struct update syntax.
    pub fn of_aws_event(source: Source) -> Finding {
        Finding {
            source,
            fingerprint: String::new(),
            finding_key: None,
            account_id: String::new(),
            region: String::new(),
            refusal: None,
            vendor: Some("AWS".to_string()),
            status: "Failed".to_string(),
            report_time: None,
            rule: Rule::default(),
            entity_id: String::new(),
            entity_name: String::new(),
            entity: Value::Null,
            remediation_actions: Vec::new(),
            event_time: None,
            dome9_account_id: None,
            execution_id: None,
            feedback: None,
            feedback_key: None,
            skip_reason: None,
            received: None,
            securityhub: None,
        }
    }
}

/// Hex SHA-256 of the parts, separated so that ("ab","c") and ("a","bc") differ.
pub fn fingerprint(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// A JSON value as a string: strings as they are, numbers as written, anything else None.
pub fn as_text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A point in time as milliseconds since the epoch: an RFC 3339 text (`2024-01-12T07:45:57.163Z`)
/// or a number of milliseconds (`1758273447903`). The same instant written either way is equal.
pub fn instant_millis(text: &str) -> Option<i64> {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse().ok();
    }
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.timestamp_millis())
}

/// An AWS account id: twelve digits.
pub fn check_account_id(id: &str) -> Result<(), String> {
    if id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        let shown: String = id.chars().take(40).collect();
        Err(format!("account id must be 12 digits, got '{shown}'"))
    }
}

/// The feedback endpoint must be an HTTPS API Gateway host of AWS: anything else would let a
/// finding make us send the key (or anything) to a host of its choosing.
pub fn check_feedback_endpoint(endpoint: &str) -> Result<(), String> {
    let rest = endpoint
        .strip_prefix("https://")
        .ok_or("the feedback endpoint is not https")?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let valid_host = host.ends_with(".amazonaws.com")
        && host.contains(".execute-api.")
        && !host.contains(['@', ':'])
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    if valid_host {
        Ok(())
    } else {
        let shown: String = host.chars().take(80).collect();
        Err(format!(
            "the feedback endpoint host '{shown}' is not an AWS API Gateway host"
        ))
    }
}

/// Read a CloudGuard Continuous Compliance "JSON - Full entity" message.
pub fn from_cloudguard(message: &Value) -> Result<Finding, String> {
    let obj = message
        .as_object()
        .ok_or("a CloudGuard finding must be a JSON object")?;
    let account_id =
        as_text(obj.get("account").and_then(|a| a.get("id"))).ok_or("missing account.id")?;
    check_account_id(&account_id)?;
    let rule_value = obj.get("rule").ok_or("missing rule")?;
    let rule = Rule {
        name: as_text(rule_value.get("name")).ok_or("missing rule.name")?,
        id: as_text(rule_value.get("ruleId")).filter(|s| !s.is_empty()),
        severity: as_text(rule_value.get("severity")),
        compliance_tags: match rule_value.get("complianceTags") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return Err("rule.complianceTags must be a string".to_string()),
        },
    };
    let entity = obj.get("entity").cloned().unwrap_or(Value::Null);
    if !entity.is_object() {
        return Err("missing entity (an object)".to_string());
    }
    let status = match obj.get("status") {
        None | Some(Value::Null) => return Err("missing status".to_string()),
        Some(Value::String(status)) => status.clone(),
        Some(other) => {
            return Err(format!(
                "status must be a string (\"Failed\" or \"Passed\"), got {}",
                crate::intake_event::excerpt(&other.to_string())
            ))
        }
    };
    let remediation_actions = match obj.get("remediationActions") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.clone(),
        Some(_) => return Err("remediationActions must be a list".to_string()),
    };
    let entity_id = as_text(entity.get("id")).unwrap_or_default();
    let entity_name = as_text(entity.get("name")).unwrap_or_default();
    let (region, refusal) = match region::normalise(entity.get("region").and_then(Value::as_str)) {
        Ok(code) => (code, None),
        Err(e) => (as_text(entity.get("region")).unwrap_or_default(), Some(e)),
    };
    let text = |key: &str| as_text(obj.get(key)).filter(|s| !s.is_empty());
    let finding_key = text("findingKey");
    let report_time = text("reportTime");
    let execution_id = text("executionId");
    let identity = finding_key.clone().unwrap_or_else(|| {
        format!(
            "{}/{}/{}",
            rule.id.as_deref().unwrap_or(&rule.name),
            entity_id,
            entity_name
        )
    });
    let generation = execution_id
        .clone()
        .or_else(|| report_time.clone())
        .unwrap_or_default();
    if let Some(endpoint) = text("logsHttpEndpoint") {
        check_feedback_endpoint(&endpoint).map_err(|e| format!("logsHttpEndpoint: {e}"))?;
    }
    let feedback = match (
        text("logsHttpEndpoint"),
        text("logsHttpEndpointStreamName"),
        text("logsHttpEndpointStreamPartitionKey"),
    ) {
        (Some(endpoint), Some(stream_name), Some(partition_key)) => Some(FeedbackChannel {
            endpoint,
            stream_name,
            partition_key,
        }),
        _ => None,
    };
    Ok(Finding {
        source: Source::CloudGuard,
        fingerprint: fingerprint(&["cloudguard", &account_id, &identity, &generation]),
        finding_key,
        account_id,
        region,
        refusal,
        vendor: text("vendor")
            .or_else(|| as_text(obj.get("account").and_then(|a| a.get("vendor")))),
        status,
        report_time,
        rule,
        entity_id,
        entity_name,
        event_time: log_ic_event_time(obj.get("additionalFields")),
        entity,
        remediation_actions,
        dome9_account_id: text("dome9AccountId"),
        execution_id,
        feedback_key: feedback
            .as_ref()
            .and(text("logsHttpEndpointKey"))
            .map(Secret::new),
        feedback,
        skip_reason: None,
        received: None,
        securityhub: None,
    })
}

/// `alertWindowStartTime` from the `logic_data` additional field of a Log.ic finding (§2.9).
fn log_ic_event_time(additional_fields: Option<&Value>) -> Option<String> {
    additional_fields?
        .as_array()?
        .iter()
        .find(|f| f.get("name").and_then(Value::as_str) == Some("logic_data"))
        .and_then(|f| f.get("value").and_then(Value::as_str))
        .and_then(|v| serde_json::from_str::<Value>(v).ok())
        .and_then(|v| as_text(v.get("alertWindowStartTime")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fixture(name: &str) -> Value {
        let path = format!(
            "{}/../tests/fixtures/cloudguard/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        serde_json::from_str(&std::fs::read_to_string(&path).expect(&path)).unwrap()
    }

    #[test]
    fn reads_the_full_entity_instance_finding() {
        let f = from_cloudguard(&fixture("instance_full_entity.json")).unwrap();
        assert_eq!(f.account_id, "621958466464");
        assert_eq!(f.region, "us-west-2");
        assert_eq!(f.entity_id, "i-0028f9751d334c93a");
        assert_eq!(f.rule.name, "Instance should fail");
        assert_eq!(f.status, "Failed");
        assert_eq!(f.vendor.as_deref(), Some("Aws"));
        assert!(f.feedback.is_none());
    }

    #[test]
    fn null_region_is_us_east_1_and_numeric_account_ids_are_read() {
        let mut msg = fixture("iamuser_quarantine_2018.json");
        assert_eq!(from_cloudguard(&msg).unwrap().region, "us-east-1");
        msg["account"]["id"] = json!(621958466464u64);
        assert_eq!(from_cloudguard(&msg).unwrap().account_id, "621958466464");
    }

    #[test]
    fn the_feedback_key_is_never_serialised_or_printed() {
        let f =
            from_cloudguard(&fixture("instance_remediationactions_feedback_2023.json")).unwrap();
        assert_eq!(
            f.feedback.as_ref().unwrap().stream_name,
            "remediation_feedback"
        );
        let key = f.feedback_key.as_ref().unwrap().expose().to_string();
        assert!(!key.is_empty());
        assert!(!serde_json::to_string(&f).unwrap().contains(&key));
        assert!(!format!("{f:?}").contains(&key));
    }

    #[test]
    fn missing_fields_are_named() {
        let cases = [
            (json!([]), "a CloudGuard finding must be a JSON object"),
            (json!({"rule": {"name": "r"}}), "missing account.id"),
            (
                json!({"account": {"id": "12"}}),
                "account id must be 12 digits, got '12'",
            ),
            (json!({"account": {"id": "123456789012"}}), "missing rule"),
            (
                json!({"account": {"id": "123456789012"}, "rule": {"name": "r"}, "status": "Failed"}),
                "missing entity (an object)",
            ),
            (
                json!({"account": {"id": "123456789012"}, "rule": {"name": "r"}, "entity": {}}),
                "missing status",
            ),
            (
                json!({"account": {"id": "123456789012"}, "rule": {"name": "r"}, "entity": {}, "status": 1}),
                "status must be a string (\"Failed\" or \"Passed\"), got 1",
            ),
            (
                json!({"account": {"id": "123456789012"}, "rule": {"name": "r"}, "entity": {}, "status": ["Failed"]}),
                "status must be a string (\"Failed\" or \"Passed\"), got [\"Failed\"]",
            ),
        ];
        for (msg, reason) in cases {
            assert_eq!(from_cloudguard(&msg).unwrap_err(), reason);
        }
    }

    #[test]
    fn log_ic_alert_time_is_read() {
        let mut msg = fixture("securitygroup_full_entity.json");
        msg["additionalFields"] = json!([{"name": "logic_data", "value": "{\"alertWindowStartTime\": \"2020-12-01T10:00:00Z\"}"}]);
        assert_eq!(
            from_cloudguard(&msg).unwrap().event_time.as_deref(),
            Some("2020-12-01T10:00:00Z")
        );
    }

    #[test]
    fn the_generation_changes_the_fingerprint_but_a_resend_does_not() {
        let msg = fixture("instance_full_entity.json");
        let a = from_cloudguard(&msg).unwrap();
        assert_eq!(a.fingerprint, from_cloudguard(&msg).unwrap().fingerprint);
        let mut later = msg.clone();
        later["reportTime"] = json!("2018-03-21T05:40:42.043Z");
        assert_ne!(a.fingerprint, from_cloudguard(&later).unwrap().fingerprint);
    }

    #[test]
    fn only_https_api_gateway_hosts_get_feedback() {
        assert!(check_feedback_endpoint(
            "https://pd3xz887wl.execute-api.us-east-1.amazonaws.com/remediation/feedback"
        )
        .is_ok());
        assert_eq!(
            check_feedback_endpoint("http://pd3xz887wl.execute-api.us-east-1.amazonaws.com/x")
                .unwrap_err(),
            "the feedback endpoint is not https"
        );
        for bad in [
            "https://169.254.169.254/latest/meta-data",
            "https://evil.example.com/execute-api.amazonaws.com",
            "https://x.execute-api.us-east-1.amazonaws.com@evil.com/",
            "https://x.execute-api.us-east-1.amazonaws.com.evil.com/",
        ] {
            assert!(check_feedback_endpoint(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_finding_with_a_foreign_feedback_endpoint_is_refused() {
        let mut msg = fixture("instance_remediationactions_feedback_2023.json");
        msg["logsHttpEndpoint"] = json!("https://169.254.169.254/latest/meta-data");
        assert_eq!(
            from_cloudguard(&msg).unwrap_err(),
            "logsHttpEndpoint: the feedback endpoint host '169.254.169.254' is not an AWS API Gateway host"
        );
        msg["logsHttpEndpoint"] = json!("http://x.execute-api.us-east-1.amazonaws.com/f");
        assert_eq!(
            from_cloudguard(&msg).unwrap_err(),
            "logsHttpEndpoint: the feedback endpoint is not https"
        );
    }
}
