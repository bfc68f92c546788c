//! The demo: a fresh local stack, real CloudGuard and GuardDuty findings (the fixtures, with
//! their resource ids pointed at resources created in moto), each sent through the intake and
//! run by the real state machine — then the proof: the executions, the audit records, the
//! output messages, and the resources' state read back from AWS.

use crate::local::deploy::{deploy, DeployOptions};
use crate::local::{LocalStack, LOCAL_ACCOUNT};
use crate::run::{print_sent, send, LocalTarget, Sent};
use aws_sdk_ec2::types::{InstanceStateName, IpPermission, IpRange};
use cloudbots_functions::intake::Disposition;
use cloudbots_shared::guardduty::GuardDutyActions;
use cloudbots_shared::plan::PlannerConfig;
use serde_json::{json, Value};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures");

fn fixture(path: &str) -> Result<Value, String> {
    let full = format!("{FIXTURES}/{path}");
    let text = std::fs::read_to_string(&full).map_err(|e| format!("reading {full}: {e}"))?;
    serde_json::from_str(&text).map_err(|e| format!("{full}: {e}"))
}

fn sns_event(message_id: &str, finding: &Value) -> Value {
    json!({"Records": [{"EventSource": "aws:sns", "Sns": {"MessageId": message_id, "Subject": null, "Message": finding.to_string()}}]})
}

/// The outcome of one demo case: what was expected and what was found.
struct Check {
    case: &'static str,
    ok: bool,
    detail: String,
}

fn banner(title: &str) {
    println!(
        "\n=== {title} {}",
        "=".repeat(70usize.saturating_sub(title.len()))
    );
}

async fn ec2(target: &LocalTarget, region: &str) -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::new(&crate::local::local_sdk_config(target.moto_port, region).await)
}

async fn running_instance(ec2: &aws_sdk_ec2::Client, name: &str) -> Result<String, String> {
    let out = ec2
        .run_instances()
        .image_id("ami-12c6146b")
        .min_count(1)
        .max_count(1)
        .tag_specifications(
            aws_sdk_ec2::types::TagSpecification::builder()
                .resource_type(aws_sdk_ec2::types::ResourceType::Instance)
                .tags(
                    aws_sdk_ec2::types::Tag::builder()
                        .key("Name")
                        .value(name)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .map_err(|e| {
            format!(
                "creating instance: {}",
                aws_sdk_ec2::error::DisplayErrorContext(e)
            )
        })?;
    Ok(out.instances()[0]
        .instance_id()
        .unwrap_or_default()
        .to_string())
}

async fn instance_state(ec2: &aws_sdk_ec2::Client, id: &str) -> String {
    match ec2.describe_instances().instance_ids(id).send().await {
        Ok(out) => out
            .reservations()
            .first()
            .and_then(|r| r.instances().first())
            .and_then(|i| i.state())
            .and_then(|s| s.name())
            .map(|n| n.as_str().to_string())
            .unwrap_or_default(),
        Err(e) => format!("unknown ({})", aws_sdk_ec2::error::DisplayErrorContext(e)),
    }
}

async fn snapshots_of(ec2: &aws_sdk_ec2::Client, id: &str) -> Vec<String> {
    ec2.describe_snapshots()
        .owner_ids("self")
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("tag:source_instance_id")
                .values(id)
                .build(),
        )
        .send()
        .await
        .map(|o| {
            o.snapshots()
                .iter()
                .filter_map(|s| s.snapshot_id().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

async fn open_group(
    ec2: &aws_sdk_ec2::Client,
    name: &str,
    from: i32,
    to: i32,
) -> Result<String, String> {
    let group = ec2
        .create_security_group()
        .group_name(name)
        .description("demo: open to the world")
        .send()
        .await
        .map_err(|e| {
            format!(
                "creating group: {}",
                aws_sdk_ec2::error::DisplayErrorContext(e)
            )
        })?;
    let id = group.group_id().unwrap_or_default().to_string();
    ec2.authorize_security_group_ingress()
        .group_id(&id)
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(from)
                .to_port(to)
                .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
                .build(),
        )
        .send()
        .await
        .map_err(|e| {
            format!(
                "opening group: {}",
                aws_sdk_ec2::error::DisplayErrorContext(e)
            )
        })?;
    Ok(id)
}

async fn ingress_rules(ec2: &aws_sdk_ec2::Client, id: &str) -> Vec<String> {
    let out = ec2.describe_security_groups().group_ids(id).send().await;
    out.map(|o| {
        o.security_groups()
            .iter()
            .flat_map(|g| g.ip_permissions())
            .flat_map(|p| {
                p.ip_ranges().iter().map(move |r| {
                    format!(
                        "{} {}-{} from {}",
                        p.ip_protocol().unwrap_or("?"),
                        p.from_port().unwrap_or(-1),
                        p.to_port().unwrap_or(-1),
                        r.cidr_ip().unwrap_or("?")
                    )
                })
            })
            .collect()
    })
    .unwrap_or_default()
}

fn status_of(sent: &Sent) -> String {
    sent.executions
        .iter()
        .map(|e| e.status.clone())
        .collect::<Vec<_>>()
        .join(",")
}

/// Run the demo; fails when a finding was not remediated as expected.
pub async fn run() -> Result<(), String> {
    println!("Starting the local stack (moto + Lambda gateway) and deploying cloudbots ...");
    let stack = LocalStack::start()?;
    let deployment = deploy(&stack, &DeployOptions::default()).await?;
    let target = LocalTarget::new(stack.moto_port, stack.gateway_port, &deployment);
    println!("state machine {}", deployment.state_machine_arn);
    let gd_mapping = r#"{"Backdoor:EC2/XORDDOS": "AUTO: ec2_stop_instance", "Recon:EC2/PortProbeUnprotectedPort": "AUTO: ec2_stop_instance"}"#;
    let planner = PlannerConfig {
        home_account: Some(LOCAL_ACCOUNT.to_string()),
        ..Default::default()
    };
    let intake = target
        .intake(planner, GuardDutyActions::from_json(gd_mapping)?)
        .await;
    let mut checks = Vec::new();

    // 1. CloudGuard instance finding: the planner adds a snapshot before the stop.
    banner("CloudGuard: instance finding, AUTO: ec2_stop_instance");
    let west2 = ec2(&target, "us-west-2").await;
    let instance = running_instance(&west2, "decommissioned-web").await?;
    let mut finding = fixture("cloudguard/instance_full_entity.json")?;
    finding["rule"]["complianceTags"] = json!("AUTO: ec2_stop_instance");
    finding["entity"]["id"] = json!(instance);
    finding["account"]["id"] = json!(LOCAL_ACCOUNT);
    let instance_event = sns_event("demo-instance-1", &finding);
    let sent = send(&target, &intake, &instance_event).await?;
    print_sent(&sent);
    let (state, snaps) = (
        instance_state(&west2, &instance).await,
        snapshots_of(&west2, &instance).await,
    );
    println!(
        "AWS now: instance {instance} is {state}; snapshots of it: {}",
        snaps.join(", ")
    );
    checks.push(Check {
        case: "instance: snapshot, then stop",
        ok: status_of(&sent) == "SUCCEEDED"
            && (state == InstanceStateName::Stopped.as_str() || state == "stopping")
            && !snaps.is_empty(),
        detail: format!("{instance} {state}, {} snapshot(s)", snaps.len()),
    });

    // 2. The same SNS message delivered again: one execution only.
    banner("CloudGuard: the same finding delivered again");
    let again = send(&target, &intake, &instance_event).await?;
    print_sent(&again);
    checks.push(Check {
        case: "duplicate delivery",
        ok: matches!(
            again.dispositions.as_slice(),
            [Disposition::Duplicate { .. }]
        ),
        detail: "recorded as a duplicate, nothing re-run".into(),
    });

    // 3. The sample ruleset's rule on a security group: every rule removed.
    banner("CloudGuard sample ruleset: default security group, AUTO: sg_rules_delete");
    let bundle = fixture("sample_bundle.json")?;
    let rule = &bundle[0];
    let group = open_group(&west2, "demo-default-like", 22, 22).await?;
    let mut finding = fixture("cloudguard/securitygroup_full_entity.json")?;
    finding["rule"] = json!({"name": rule["name"], "severity": rule["severity"], "ruleId": "D9.AWS.NET.01", "complianceTags": rule["complianceTag"]});
    finding["entity"]["id"] = json!(group);
    finding["account"]["id"] = json!(LOCAL_ACCOUNT);
    let sent = send(&target, &intake, &sns_event("demo-sg-1", &finding)).await?;
    print_sent(&sent);
    let rules = ingress_rules(&west2, &group).await;
    println!("AWS now: group {group} inbound rules: {rules:?}");
    checks.push(Check {
        case: "security group: all rules removed",
        ok: status_of(&sent) == "SUCCEEDED" && rules.is_empty(),
        detail: format!("{group} inbound {rules:?}"),
    });

    // 4. One port cut out of an open range.
    banner("CloudGuard: security group, AUTO: sg_single_rule_delete split=true ... port=22");
    let group = open_group(&west2, "demo-open-range", 0, 1024).await?;
    finding["rule"] = json!({"name": "SSH should not be open to the world", "complianceTags": "AUTO: sg_single_rule_delete split=true protocol=TCP scope=0.0.0.0/0 direction=inbound port=22"});
    finding["entity"]["id"] = json!(group);
    finding["findingKey"] = json!("demo-split");
    let sent = send(&target, &intake, &sns_event("demo-sg-2", &finding)).await?;
    print_sent(&sent);
    let mut rules = ingress_rules(&west2, &group).await;
    rules.sort();
    println!("AWS now: group {group} inbound rules: {rules:?}");
    checks.push(Check {
        case: "security group: port 22 cut out of 0-1024",
        ok: status_of(&sent) == "SUCCEEDED"
            && rules == ["tcp 0-21 from 0.0.0.0/0", "tcp 23-1024 from 0.0.0.0/0"],
        detail: format!("{group} inbound {rules:?}"),
    });

    // 5. An S3 bucket finding (global region → us-east-1).
    banner("CloudGuard: S3 bucket, AUTO: s3_block_all_public_access");
    let mut finding = fixture("cloudguard/s3bucket_full_entity_s3_delete_permissions.json")?;
    let bucket = finding["entity"]["id"]
        .as_str()
        .unwrap_or("dome9clickthroughs")
        .to_string();
    let s3 = aws_sdk_s3::Client::new(
        &crate::local::local_sdk_config(target.moto_port, "us-east-1").await,
    );
    s3.create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .map_err(|e| {
            format!(
                "creating bucket: {}",
                aws_sdk_s3::error::DisplayErrorContext(e)
            )
        })?;
    finding["rule"]["complianceTags"] = json!("AUTO: s3_block_all_public_access");
    finding["account"]["id"] = json!(LOCAL_ACCOUNT);
    let sent = send(&target, &intake, &sns_event("demo-s3-1", &finding)).await?;
    print_sent(&sent);
    let block = s3
        .get_public_access_block()
        .bucket(&bucket)
        .send()
        .await
        .ok();
    let flags = block
        .as_ref()
        .and_then(|b| b.public_access_block_configuration())
        .map(|c| {
            [
                c.block_public_acls(),
                c.ignore_public_acls(),
                c.block_public_policy(),
                c.restrict_public_buckets(),
            ]
        });
    println!("AWS now: bucket {bucket} public access block (acls, ignore acls, policy, restrict): {flags:?}");
    checks.push(Check {
        case: "bucket: public access blocked",
        ok: status_of(&sent) == "SUCCEEDED" && flags == Some([Some(true); 4]),
        detail: format!("{bucket} {flags:?}"),
    });

    // 6. GuardDuty port probe, mapped by the deployment's GD_ACTIONS.
    banner("GuardDuty: Recon:EC2/PortProbeUnprotectedPort mapped to AUTO: ec2_stop_instance");
    let west1 = ec2(&target, "us-west-1").await;
    let probed = running_instance(&west1, "windows-bastion").await?;
    let mut event = fixture("guardduty/recon_portprobe_eventbridge.json")?;
    event["detail"]["resource"]["instanceDetails"]["instanceId"] = json!(probed);
    event["detail"]["accountId"] = json!(LOCAL_ACCOUNT);
    event["account"] = json!(LOCAL_ACCOUNT);
    let sent = send(&target, &intake, &event).await?;
    print_sent(&sent);
    let (state, snaps) = (
        instance_state(&west1, &probed).await,
        snapshots_of(&west1, &probed).await,
    );
    println!(
        "AWS now: instance {probed} is {state}; snapshots of it: {}",
        snaps.join(", ")
    );
    checks.push(Check {
        case: "GuardDuty: probed instance snapshotted and stopped",
        ok: status_of(&sent) == "SUCCEEDED"
            && (state == "stopped" || state == "stopping")
            && !snaps.is_empty(),
        detail: format!("{probed} {state}, {} snapshot(s)", snaps.len()),
    });

    // 7. Bad input: a misspelt bot and a bad parameter are rejected and audited; nothing runs.
    banner("Bad input: a misspelt bot and a bad parameter");
    let group = open_group(&west2, "demo-untouched", 22, 22).await?;
    finding = fixture("cloudguard/securitygroup_full_entity.json")?;
    finding["rule"]["complianceTags"] = json!("AUTO: sg_rules_delet|AUTO: sg_single_rule_delete split=maybe protocol=TCP scope=0.0.0.0/0 direction=inbound port=22");
    finding["entity"]["id"] = json!(group);
    finding["account"]["id"] = json!(LOCAL_ACCOUNT);
    let sent = send(&target, &intake, &sns_event("demo-bad-1", &finding)).await?;
    print_sent(&sent);
    let rules = ingress_rules(&west2, &group).await;
    println!("AWS now: group {group} inbound rules: {rules:?} (untouched)");
    let rejected = sent.executions.first().map(|e| {
        e.records
            .iter()
            .filter(|r| r.record_id.starts_with("rejected#"))
            .count()
    });
    checks.push(Check {
        case: "bad input: rejected, audited, nothing touched",
        ok: rejected == Some(2) && rules.len() == 1,
        detail: format!(
            "{rejected:?} rejected entries audited; execution {}",
            status_of(&sent)
        ),
    });

    banner("Summary");
    for c in &checks {
        println!(
            "{} {:<52} {}",
            if c.ok { "OK    " } else { "FAILED" },
            c.case,
            c.detail
        );
    }
    stack.stop();
    if checks.iter().all(|c| c.ok) {
        println!("\nAll findings handled as expected.");
        Ok(())
    } else {
        Err("some findings were not handled as expected (see above)".to_string())
    }
}
