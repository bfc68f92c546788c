//! The demo: a fresh local stack, real CloudGuard, GuardDuty and Security Hub (ASFF and OCSF)
//! findings (the fixtures, with their resource ids pointed at resources created in moto), each
//! sent through the intake and run by the real state machine — then the proof: the executions,
//! the audit records, the output messages, the resources' state read back from AWS, and how
//! each Security Hub finding was marked; and last, two of those remediations undone through the
//! undo state machine.

use crate::local::deploy::{deploy, DeployOptions};
use crate::local::{LocalStack, LOCAL_ACCOUNT};
use crate::operate::{detail_text, executions_text, UndoOptions};
use crate::run::{print_sent, send, LocalTarget, Sent};
use aws_sdk_ec2::types::{InstanceStateName, IpPermission, IpRange};
use cloudbots_functions::intake::Disposition;
use cloudbots_shared::mapping::Mappings;
use cloudbots_shared::plan::{Mode, PlannerConfig};
use serde_json::{json, Value};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures");
const SECURITYHUB_MAPPING: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../infra/securityhub-actions.json"
);

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

/// Rules for people: `none`, or the rules separated by commas.
fn rules_words(rules: &[String]) -> String {
    if rules.is_empty() {
        "none".to_string()
    } else {
        rules.join(", ")
    }
}

/// A bucket's public access block for people.
fn block_words(flags: Option<[Option<bool>; 4]>) -> String {
    let Some(flags) = flags else {
        return "no public access block".to_string();
    };
    if flags == [Some(true); 4] {
        return "all four blocks on".to_string();
    }
    [
        "block public ACLs",
        "ignore public ACLs",
        "block public policy",
        "restrict public buckets",
    ]
    .iter()
    .zip(flags)
    .map(|(name, on)| format!("{name} {}", if on == Some(true) { "on" } else { "off" }))
    .collect::<Vec<_>>()
    .join(", ")
}

async fn create_bucket(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<(), String> {
    s3.create_bucket()
        .bucket(bucket)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| {
            format!(
                "creating bucket {bucket}: {}",
                aws_sdk_s3::error::DisplayErrorContext(e)
            )
        })
}

async fn public_access_block(s3: &aws_sdk_s3::Client, bucket: &str) -> Option<[Option<bool>; 4]> {
    let out = s3
        .get_public_access_block()
        .bucket(bucket)
        .send()
        .await
        .ok()?;
    let c = out.public_access_block_configuration()?;
    Some([
        c.block_public_acls(),
        c.ignore_public_acls(),
        c.block_public_policy(),
        c.restrict_public_buckets(),
    ])
}

/// How the report marked the Security Hub finding `id`: the call and what it set.
fn marking_of(stack: &LocalStack, id: &str) -> Option<String> {
    let update = stack
        .gateway()
        .securityhub_updates()
        .into_iter()
        .rev()
        .find(|u| u.request.to_string().contains(id))?;
    let request = &update.request;
    let status = request
        .pointer("/Workflow/Status")
        .map(|s| s.as_str().unwrap_or_default().to_string())
        .or_else(|| request.get("StatusId").map(|s| format!("status {s}")))?;
    let note = request
        .pointer("/Note/Text")
        .or_else(|| request.get("Comment"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    Some(format!(
        "{} set {status}, note \"{note}\"",
        update.operation
    ))
}

fn status_of(sent: &Sent) -> String {
    sent.executions
        .iter()
        .map(|e| e.status.clone())
        .collect::<Vec<_>>()
        .join(",")
}

/// The name of the execution a sent finding started.
fn execution_name(sent: &Sent) -> String {
    sent.executions
        .first()
        .map(|e| e.name.clone())
        .unwrap_or_default()
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
    // The deployment's Security Hub mapping: the one shipped in infra/.
    let securityhub_mapping = std::fs::read_to_string(SECURITYHUB_MAPPING)
        .map_err(|e| format!("reading {SECURITYHUB_MAPPING}: {e}"))?;
    let mappings = Mappings::guardduty(gd_mapping)?.with_securityhub(&securityhub_mapping)?;
    let intake = target.intake(planner, mappings).await;
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
    let instance_execution = execution_name(&sent);
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
    println!(
        "AWS now: group {group} inbound rules: {}",
        rules_words(&rules)
    );
    checks.push(Check {
        case: "security group: all rules removed",
        ok: status_of(&sent) == "SUCCEEDED" && rules.is_empty(),
        detail: format!("{group} inbound rules: {}", rules_words(&rules)),
    });

    // 4. One port cut out of an open range.
    banner("CloudGuard: security group, AUTO: sg_single_rule_delete split=true ... port=22");
    let group = open_group(&west2, "demo-open-range", 0, 1024).await?;
    finding["rule"] = json!({"name": "SSH should not be open to the world", "complianceTags": "AUTO: sg_single_rule_delete split=true protocol=TCP scope=0.0.0.0/0 direction=inbound port=22"});
    finding["entity"]["id"] = json!(group);
    finding["findingKey"] = json!("demo-split");
    let sent = send(&target, &intake, &sns_event("demo-sg-2", &finding)).await?;
    print_sent(&sent);
    let (split_group, group_execution) = (group.clone(), execution_name(&sent));
    let mut rules = ingress_rules(&west2, &group).await;
    rules.sort();
    println!(
        "AWS now: group {group} inbound rules: {}",
        rules_words(&rules)
    );
    checks.push(Check {
        case: "security group: port 22 cut out of 0-1024",
        ok: status_of(&sent) == "SUCCEEDED"
            && rules == ["tcp 0-21 from 0.0.0.0/0", "tcp 23-1024 from 0.0.0.0/0"],
        detail: format!("{group} inbound rules: {}", rules_words(&rules)),
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
    create_bucket(&s3, &bucket).await?;
    finding["rule"]["complianceTags"] = json!("AUTO: s3_block_all_public_access");
    finding["account"]["id"] = json!(LOCAL_ACCOUNT);
    let sent = send(&target, &intake, &sns_event("demo-s3-1", &finding)).await?;
    print_sent(&sent);
    let flags = public_access_block(&s3, &bucket).await;
    println!(
        "AWS now: bucket {bucket} public access: {}",
        block_words(flags)
    );
    checks.push(Check {
        case: "bucket: public access blocked",
        ok: status_of(&sent) == "SUCCEEDED" && flags == Some([Some(true); 4]),
        detail: format!("{bucket}: {}", block_words(flags)),
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
    println!(
        "AWS now: group {group} inbound rules: {} (untouched)",
        rules_words(&rules)
    );
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
            "{} rejected entries audited; execution {}",
            rejected.map_or("no".to_string(), |n| n.to_string()),
            status_of(&sent)
        ),
    });

    // 8. A Security Hub control finding (ASFF), mapped by the shipped mapping.
    banner("Security Hub (ASFF): control S3.8 failed, mapped to AUTO: s3_block_all_public_access");
    let bucket = "demo-securityhub-assets";
    create_bucket(&s3, bucket).await?;
    let mut event =
        fixture("securityhub/asff_s3.8_bucket-public-access-block_failed_consolidated.json")?;
    event["account"] = json!(LOCAL_ACCOUNT);
    let finding = &mut event["detail"]["findings"][0];
    finding["AwsAccountId"] = json!(LOCAL_ACCOUNT);
    finding["Resources"][0]["Id"] = json!(format!("arn:aws:s3:::{bucket}"));
    let finding_id = finding["Id"].as_str().unwrap_or_default().to_string();
    let sent = send(&target, &intake, &event).await?;
    print_sent(&sent);
    let flags = public_access_block(&s3, bucket).await;
    let marked = marking_of(&stack, &finding_id);
    println!(
        "AWS now: bucket {bucket} public access: {}\nSecurity Hub: {}",
        block_words(flags),
        marked.as_deref().unwrap_or("not marked")
    );
    checks.push(Check {
        case: "Security Hub ASFF: bucket blocked, finding resolved",
        ok: status_of(&sent) == "SUCCEEDED"
            && flags == Some([Some(true); 4])
            && marked
                .as_deref()
                .is_some_and(|m| m.contains("set RESOLVED")),
        detail: format!("{bucket}: {}", block_words(flags)),
    });

    // 9. A Security Hub v2 control finding (OCSF).
    banner("Security Hub (OCSF): control SQS.1 failed, mapped to AUTO: sqs_enforce_sse");
    let sqs = aws_sdk_sqs::Client::new(
        &crate::local::local_sdk_config(target.moto_port, "us-east-1").await,
    );
    let queue = "demo-securityhub-jobs";
    let url = sqs
        .create_queue()
        .queue_name(queue)
        .attributes(
            aws_sdk_sqs::types::QueueAttributeName::SqsManagedSseEnabled,
            "false",
        )
        .send()
        .await
        .map_err(|e| {
            format!(
                "creating queue: {}",
                aws_sdk_sqs::error::DisplayErrorContext(e)
            )
        })?
        .queue_url()
        .unwrap_or_default()
        .to_string();
    let mut event = fixture("securityhub/ocsf_sqs.1_queue-encryption_failed.json")?;
    event["account"] = json!(LOCAL_ACCOUNT);
    event["region"] = json!("us-east-1");
    let finding = &mut event["detail"]["findings"][0];
    finding["cloud"]["account"]["uid"] = json!(LOCAL_ACCOUNT);
    finding["cloud"]["region"] = json!("us-east-1");
    finding["resources"][0]["uid"] = json!(url);
    finding["resources"][0]["uid_alt"] =
        json!(format!("arn:aws:sqs:us-east-1:{LOCAL_ACCOUNT}:{queue}"));
    finding["resources"][0]["region"] = json!("us-east-1");
    let finding_id = finding["finding_info"]["uid"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let sent = send(&target, &intake, &event).await?;
    print_sent(&sent);
    let encrypted = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::SqsManagedSseEnabled)
        .send()
        .await
        .ok()
        .and_then(|o| {
            o.attributes()?
                .get(&aws_sdk_sqs::types::QueueAttributeName::SqsManagedSseEnabled)
                .cloned()
        });
    let marked = marking_of(&stack, &finding_id);
    println!(
        "AWS now: queue {queue} encrypted at rest (SSE-SQS): {}\nSecurity Hub: {}",
        if encrypted.as_deref() == Some("true") {
            "yes"
        } else {
            "no"
        },
        marked.as_deref().unwrap_or("not marked")
    );
    checks.push(Check {
        case: "Security Hub OCSF: queue encrypted, finding resolved",
        ok: status_of(&sent) == "SUCCEEDED"
            && encrypted.as_deref() == Some("true")
            && marked
                .as_deref()
                .is_some_and(|m| m.contains("set status 4")),
        detail: format!(
            "{queue} encrypted: {}",
            encrypted.as_deref().unwrap_or("unknown")
        ),
    });

    // 10. Undo: the stop and the rule split put back by the undo state machine.
    banner("Undo: the instance's stop and the security group's split, undone");
    let operated = target.operated().await?;
    let mut undone = Vec::new();
    for execution in [&instance_execution, &group_execution] {
        let detail = operated
            .undo(
                execution,
                UndoOptions {
                    mode: Mode::Enforce,
                    force: false,
                    timeout: std::time::Duration::from_secs(120),
                },
            )
            .await?;
        print!("{}", detail_text(&detail));
        undone.push(detail.summary.status == "SUCCEEDED");
    }
    let state = instance_state(&west2, &instance).await;
    let mut rules = ingress_rules(&west2, &split_group).await;
    rules.sort();
    println!(
        "AWS now: instance {instance} is {state}; group {split_group} inbound rules: {}; snapshots kept: {}",
        rules_words(&rules),
        snapshots_of(&west2, &instance).await.len()
    );
    checks.push(Check {
        case: "undo: instance started, open range restored",
        ok: undone.iter().all(|ok| *ok)
            && (state == "running" || state == "pending")
            && rules == ["tcp 0-1024 from 0.0.0.0/0"],
        detail: format!("{instance} {state}, {split_group} {}", rules_words(&rules)),
    });
    print!(
        "{}",
        executions_text(&operated.executions(None, false).await?)
    );

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
