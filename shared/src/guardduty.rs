//! GuardDuty findings (EventBridge `detail-type: GuardDuty Finding`), mapped to bots by the
//! deployment's finding-type → `AUTO:` table ([`crate::mapping`]).
//!
//! A re-published finding (same id, same `updatedAt` and count) has the same fingerprint, so
//! it starts no second execution; a genuinely updated finding gets a new one. The same finding
//! arriving through Security Hub ([`crate::securityhub`]) gets the same fingerprint and entity
//! from [`generation_fingerprint`] and [`instance_entity`], so the two doors start one execution.

use crate::finding::{as_text, check_account_id, fingerprint, Finding, Rule, Source};
use crate::mapping::Mappings;
use crate::region;
use serde_json::{json, Value};

/// The instance id GuardDuty's "Generate sample findings" uses.
pub const SAMPLE_INSTANCE_ID: &str = "i-99999999";
/// The access key id of GuardDuty sample findings.
pub const SAMPLE_ACCESS_KEY_ID: &str = "GeneratedFindingAccessKeyId";

/// Whether an event is a GuardDuty finding delivered by EventBridge.
pub fn is_guardduty_event(event: &Value) -> bool {
    event.get("detail-type").and_then(Value::as_str) == Some("GuardDuty Finding")
        || event.get("source").and_then(Value::as_str) == Some("aws.guardduty")
}

/// Turn a GuardDuty EventBridge event into a finding planned with the mapped `AUTO:` line.
pub fn from_eventbridge(event: &Value, mappings: &Mappings) -> Result<Finding, String> {
    let detail = event
        .get("detail")
        .filter(|d| d.is_object())
        .ok_or("GuardDuty event without a detail object")?;
    let text = |v: &Value, key: &str| as_text(v.get(key)).filter(|s| !s.is_empty());
    let finding_type = text(detail, "type").ok_or("GuardDuty finding without detail.type")?;
    let id = text(detail, "id").ok_or("GuardDuty finding without detail.id")?;
    let account_id = text(detail, "accountId")
        .or_else(|| text(event, "account"))
        .ok_or("GuardDuty finding without detail.accountId")?;
    check_account_id(&account_id)?;
    let raw_region = text(detail, "region").or_else(|| text(event, "region"));
    let (region, region_error) = match region::normalise(raw_region.as_deref()) {
        Ok(code) => (code, None),
        Err(e) => (raw_region.clone().unwrap_or_default(), Some(e)),
    };
    let resource = detail.get("resource").cloned().unwrap_or(Value::Null);
    let resource_type = text(&resource, "resourceType").unwrap_or_default();

    let (entity_id, entity_name, entity, mut skip_reason) = match resource_type.as_str() {
        "Instance" => {
            let details = resource
                .get("instanceDetails")
                .cloned()
                .unwrap_or(Value::Null);
            let instance_id = text(&details, "instanceId").unwrap_or_default();
            let name = details
                .get("tags")
                .and_then(Value::as_array)
                .and_then(|tags| {
                    tags.iter()
                        .find(|t| t.get("key").and_then(Value::as_str) == Some("Name"))
                })
                .and_then(|t| as_text(t.get("value")))
                .unwrap_or_default();
            let vpc_id = details
                .pointer("/networkInterfaces/0/vpcId")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let entity = instance_entity(&instance_id, &name, vpc_id, &region, resource);
            let skip = sample_skip(&instance_id);
            (instance_id, name, entity, skip)
        }
        "AccessKey" => {
            let details = resource
                .get("accessKeyDetails")
                .cloned()
                .unwrap_or(Value::Null);
            let key_id = text(&details, "accessKeyId").unwrap_or_default();
            let user = text(&details, "userName").unwrap_or_default();
            let entity = access_key_entity(&key_id, &user, &region, resource);
            let skip = sample_skip(&key_id);
            (key_id, user, entity, skip)
        }
        other => (
            String::new(),
            String::new(),
            json!({"guardDutyResource": resource}),
            Some(format!(
                "GuardDuty resource type '{other}' is not supported (Instance and AccessKey are)"
            )),
        ),
    };
    let action = mappings
        .guardduty
        .action_for(&finding_type)
        .map(str::to_string);
    if action.is_none() && skip_reason.is_none() {
        skip_reason = Some(unmapped(&finding_type));
    }
    let updated_at = text(detail, "updatedAt").unwrap_or_default();
    let count = as_text(detail.pointer("/service/count")).unwrap_or_default();
    Ok(Finding {
        source: Source::GuardDuty,
        fingerprint: generation_fingerprint(&account_id, &id, &updated_at, &count),
        finding_key: Some(id),
        account_id,
        region,
        refusal: region_error,
        report_time: text(detail, "createdAt"),
        rule: Rule {
            name: finding_type.clone(),
            id: Some(finding_type),
            severity: as_text(detail.get("severity")),
            compliance_tags: action,
        },
        entity_id,
        entity_name,
        entity,
        skip_reason,
        ..Finding::of_aws_event(Source::GuardDuty)
    })
}

/// The identity of a GuardDuty finding generation, whichever door it came through: the
/// account, the finding's own id (not its ARN), the time of its last update (to the
/// millisecond, however it is written) and its occurrence count.
pub fn generation_fingerprint(account_id: &str, id: &str, updated_at: &str, count: &str) -> String {
    let updated = crate::finding::instant_millis(updated_at)
        .map(|ms| ms.to_string())
        .unwrap_or_else(|| updated_at.to_string());
    fingerprint(&["guardduty", account_id, id, &updated, count])
}

/// Why a GuardDuty finding with no mapping is not acted on.
pub fn unmapped(finding_type: &str) -> String {
    format!("no bots are defined for GuardDuty finding type {finding_type}")
}

/// Why a GuardDuty sample finding (about a made-up instance or key) is not acted on.
pub fn sample_skip(resource_id: &str) -> Option<String> {
    match resource_id {
        SAMPLE_INSTANCE_ID => Some(format!(
            "GuardDuty sample finding (instance {SAMPLE_INSTANCE_ID}): nothing to remediate"
        )),
        SAMPLE_ACCESS_KEY_ID => Some(format!(
            "GuardDuty sample finding (access key {SAMPLE_ACCESS_KEY_ID}): nothing to remediate"
        )),
        _ => None,
    }
}

/// The entity of an instance in a threat finding, as the instance bots read it.
pub fn instance_entity(
    instance_id: &str,
    name: &str,
    vpc_id: &str,
    region: &str,
    resource: Value,
) -> Value {
    json!({
        "id": instance_id, "name": name, "type": "Instance", "region": region,
        "vpc": {"id": vpc_id}, "guardDutyResource": resource,
    })
}

/// The entity of the user whose access key a threat finding names.
pub fn access_key_entity(key_id: &str, user: &str, region: &str, resource: Value) -> Value {
    json!({
        "id": key_id, "name": user, "type": "IamUser", "region": region,
        "guardDutyResource": resource,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> String {
        let path = format!(
            "{}/../tests/fixtures/guardduty/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(&path).expect(&path)
    }

    fn portprobe() -> Value {
        serde_json::from_str(&fixture("recon_portprobe_eventbridge.json")).unwrap()
    }

    fn mapping() -> Mappings {
        Mappings::guardduty(r#"{"Recon:EC2/PortProbeUnprotectedPort": "AUTO: ec2_stop_instance"}"#)
            .unwrap()
    }

    #[test]
    fn maps_the_port_probe_finding_to_its_bot() {
        let event = portprobe();
        assert!(is_guardduty_event(&event));
        let f = from_eventbridge(&event, &mapping()).unwrap();
        assert_eq!(f.source, Source::GuardDuty);
        assert_eq!(f.entity_id, "i-07711445ed3ea4d78");
        assert_eq!(f.entity_name, "windows-bastion");
        assert_eq!(f.account_id, "936643054293");
        assert_eq!(f.region, "us-west-1");
        assert_eq!(
            f.rule.compliance_tags.as_deref(),
            Some("AUTO: ec2_stop_instance")
        );
        assert_eq!(f.entity["vpc"]["id"], "vpc-eab7a493");
        assert_eq!(f.skip_reason, None);
    }

    #[test]
    fn unmapped_types_and_samples_are_skipped_with_a_reason() {
        let event = portprobe();
        let all_empty = Mappings::guardduty(&fixture("gd_actions_all_types.json")).unwrap();
        assert_eq!(
            from_eventbridge(&event, &all_empty)
                .unwrap()
                .skip_reason
                .unwrap(),
            "no bots are defined for GuardDuty finding type Recon:EC2/PortProbeUnprotectedPort"
        );
        let mut sample = event.clone();
        sample["detail"]["resource"]["instanceDetails"]["instanceId"] = json!(SAMPLE_INSTANCE_ID);
        assert_eq!(
            from_eventbridge(&sample, &mapping())
                .unwrap()
                .skip_reason
                .unwrap(),
            "GuardDuty sample finding (instance i-99999999): nothing to remediate"
        );
    }

    #[test]
    fn republished_finding_keeps_its_fingerprint_updated_one_does_not() {
        let event = portprobe();
        let first = from_eventbridge(&event, &mapping()).unwrap();
        let mut republished = event.clone();
        republished["id"] = json!("another-eventbridge-id");
        assert_eq!(
            first.fingerprint,
            from_eventbridge(&republished, &mapping())
                .unwrap()
                .fingerprint
        );
        let mut updated = event.clone();
        updated["detail"]["service"]["count"] = json!(1398);
        updated["detail"]["updatedAt"] = json!("2018-07-03T18:30:36.494Z");
        assert_ne!(
            first.fingerprint,
            from_eventbridge(&updated, &mapping()).unwrap().fingerprint
        );
    }

    #[test]
    fn the_original_example_mapping_reads() {
        let actions = Mappings::guardduty(&fixture("gd_actions_example.json")).unwrap();
        assert_eq!(
            actions.guardduty.action_for("Backdoor:EC2/XORDDOS"),
            Some("AUTO: ec2_stop_instance")
        );
        assert_eq!(actions.guardduty.action_for("Recon:EC2/Portscan"), None);
        assert!(Mappings::guardduty("[1]")
            .unwrap_err()
            .starts_with("GuardDuty actions must be"));
    }
}
