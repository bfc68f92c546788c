//! The template's Security Hub rule admits exactly what cloudbots acts on: failed Security Hub
//! control findings and GuardDuty findings, in both formats, active and neither resolved nor
//! suppressed — checked against the real-shaped fixtures and variants of them.
//!
//! moto cannot evaluate the pattern (its matcher does not look into `detail.findings[]`, and
//! `TestEventPattern` is not implemented), so the test evaluates it with EventBridge's rules for
//! the filters the pattern uses: exact values, `suffix`, `$or`, and a list in the event matching
//! when any of its items does.

use cloudbots_cli::template::{render, securityhub_pattern};
use serde_json::{json, Value};

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/../tests/fixtures/securityhub/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).expect(&path)).unwrap()
}

/// Whether `event` matches `pattern`.
fn matches(pattern: &Value, event: &Value) -> bool {
    let fields = pattern.as_object().expect("a pattern is an object");
    fields.iter().all(|(key, wanted)| {
        if key == "$or" {
            return wanted
                .as_array()
                .expect("$or takes a list")
                .iter()
                .any(|p| matches(p, event));
        }
        let values: Vec<&Value> = match event.get(key) {
            None => return false,
            Some(Value::Array(items)) => items.iter().collect(),
            Some(value) => vec![value],
        };
        match wanted {
            Value::Object(_) => values.iter().any(|v| matches(wanted, v)),
            Value::Array(filters) => values
                .iter()
                .any(|v| filters.iter().any(|f| filter_matches(f, v))),
            other => panic!("a pattern value is a list or an object, got {other}"),
        }
    })
}

fn filter_matches(filter: &Value, value: &Value) -> bool {
    match filter {
        Value::Object(named) => match named.get("suffix").and_then(Value::as_str) {
            Some(suffix) => value.as_str().is_some_and(|v| v.ends_with(suffix)),
            None => panic!("a filter the test does not evaluate: {filter}"),
        },
        exact => exact == value,
    }
}

#[test]
fn the_rule_in_the_template_is_the_tested_pattern() {
    assert!(render().contains(&format!("Pattern: {}", securityhub_pattern())));
}

#[test]
fn failed_controls_and_guardduty_findings_of_both_formats_are_admitted() {
    let pattern = securityhub_pattern();
    for name in [
        "asff_cloudtrail.4_log-file-validation_failed_consolidated.json",
        "asff_ec2.2_default-sg_failed_fsbp-unconsolidated.json",
        "asff_s3.8_bucket-public-access-block_failed_consolidated.json",
        "asff_guardduty_ec2-ssh-bruteforce.json",
        "ocsf_ec2.19_sg-high-risk-ports_failed.json",
        "ocsf_s3.8_bucket-public-access-block_failed.json",
        "ocsf_sqs.1_queue-encryption_failed.json",
        "ocsf_guardduty_ec2-runtime-new-binary-executed.json",
    ] {
        assert!(matches(&pattern, &fixture(name)), "{name} is admitted");
    }
    let mut notified = fixture("asff_s3.8_bucket-public-access-block_failed_consolidated.json");
    notified["detail"]["findings"][0]["Workflow"]["Status"] = json!("NOTIFIED");
    assert!(matches(&pattern, &notified));
}

#[test]
fn passed_closed_suppressed_resolved_and_other_products_are_not() {
    let pattern = securityhub_pattern();
    for name in [
        "asff_s3.12_bucket-acls_PASSED_consolidated.json",
        "ocsf_sqs.3_queue-public-access_PASSED.json",
    ] {
        assert!(!matches(&pattern, &fixture(name)), "{name} is not admitted");
    }
    let asff = fixture("asff_s3.8_bucket-public-access-block_failed_consolidated.json");
    let ocsf = fixture("ocsf_sqs.1_queue-encryption_failed.json");
    let variants: Vec<(&str, Value, &str, Value)> = vec![
        (
            "inspector",
            asff.clone(),
            "/detail/findings/0/ProductArn",
            json!("arn:aws:securityhub:us-east-1::product/aws/inspector"),
        ),
        (
            "partner",
            asff.clone(),
            "/detail/findings/0/ProductArn",
            json!("arn:aws:securityhub:us-east-1::product/prowler/prowler"),
        ),
        (
            "archived",
            asff.clone(),
            "/detail/findings/0/RecordState",
            json!("ARCHIVED"),
        ),
        (
            "suppressed",
            asff.clone(),
            "/detail/findings/0/Workflow/Status",
            json!("SUPPRESSED"),
        ),
        (
            "resolved",
            asff.clone(),
            "/detail/findings/0/Workflow/Status",
            json!("RESOLVED"),
        ),
        (
            "warning",
            asff.clone(),
            "/detail/findings/0/Compliance/Status",
            json!("WARNING"),
        ),
        (
            "custom action",
            asff.clone(),
            "/detail-type",
            json!("Security Hub Findings - Custom Action"),
        ),
        (
            "coverage",
            ocsf.clone(),
            "/detail/findings/0/metadata/product/uid",
            json!("arn:aws:securityhub:us-east-2::productv2/aws/securityhub-coverage"),
        ),
        (
            "ocsf resolved",
            ocsf.clone(),
            "/detail/findings/0/status_id",
            json!(4),
        ),
        (
            "ocsf archived",
            ocsf.clone(),
            "/detail/findings/0/status_id",
            json!(5),
        ),
        (
            "ocsf pass",
            ocsf.clone(),
            "/detail/findings/0/compliance/status",
            json!("Pass"),
        ),
        (
            "ocsf vulnerability",
            ocsf,
            "/detail/findings/0/class_uid",
            json!(2002),
        ),
    ];
    for (case, mut event, pointer, value) in variants {
        *event.pointer_mut(pointer).unwrap() = value;
        assert!(!matches(&pattern, &event), "{case} is not admitted");
    }
}
