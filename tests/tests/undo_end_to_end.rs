//! Undo through the real state machines on the local stack: a finding remediated by the
//! remediation state machine, then undone by the undo state machine (`undo-<execution>`), which
//! plans from the audit table, runs each restorer and records `undo#000…`; what `cloudbots
//! executions` and `cloudbots show` report.

use aws_sdk_ec2::types::InstanceStateName;
use cloudbots_cli::local::LOCAL_ACCOUNT;
use cloudbots_cli::operate::{Kind, UndoOptions};
use cloudbots_cli::run::output_messages;
use cloudbots_shared::audit::{AuditRecord, AuditStatus};
use cloudbots_shared::plan::Mode;
use cloudbots_tests::e2e::{instance_finding, invoked, json_deployment, send_event, sns_event};
use cloudbots_tests::resources::{instance_state, running_instance};
use cloudbots_tests::security_groups::{allow_inbound, described, rule};
use cloudbots_tests::{aws, unique_name};
use serde_json::json;
use std::time::Duration;

fn options(mode: Mode, force: bool) -> UndoOptions {
    UndoOptions {
        mode,
        force,
        timeout: Duration::from_secs(120),
    }
}

/// Each record as (record id, bot, status).
fn rows(records: &[AuditRecord]) -> Vec<(&str, &str, AuditStatus)> {
    records
        .iter()
        .map(|r| (r.record_id.as_str(), r.bot.as_str(), r.status))
        .collect()
}

/// Send a CloudGuard finding and return its execution's name, checking it succeeded.
async fn remediate(finding: serde_json::Value, message_id: &str) -> String {
    let sent = send_event(&sns_event(message_id, &finding)).await;
    let execution = &sent.executions[0];
    assert_eq!(execution.status, "SUCCEEDED", "{:?}", execution.records);
    execution.name.clone()
}

#[tokio::test]
async fn the_demo_instance_finding_is_remediated_then_undone_by_the_undo_state_machine() {
    let ec2 = aws_sdk_ec2::Client::new(&aws().await);
    let id = running_instance(&ec2).await;
    let name = remediate(
        instance_finding(&id, "AUTO: ec2_stop_instance"),
        &unique_name("undo-instance"),
    )
    .await;
    assert_eq!(instance_state(&ec2, &id).await, InstanceStateName::Stopped);
    let operated = json_deployment().await.operated().await.unwrap();

    // What undo would do, before doing it.
    let shown = operated.show(&name).await.unwrap();
    let plan = shown.undo.expect("a remediation shows its undo");
    assert_eq!(plan.steps.len(), 1);
    assert_eq!(plan.steps[0].bot, "ec2_stop_instance");
    assert_eq!(plan.steps[0].prior.resource, id);
    assert_eq!(plan.left_alone[0].bot, "ec2_create_snapshot");

    let undone = operated
        .undo(&name, options(Mode::Enforce, false))
        .await
        .unwrap();
    assert_eq!(undone.summary.name, format!("undo-{name}"));
    assert_eq!(undone.summary.kind, Kind::Undo);
    assert_eq!(undone.summary.status, "SUCCEEDED", "{:?}", undone.error);
    assert_eq!(
        rows(&undone.records),
        [
            ("undo#000", "ec2_stop_instance", AuditStatus::Restored),
            (
                "undo#001",
                "ec2_create_snapshot",
                AuditStatus::NothingToRestore
            ),
        ]
    );
    assert_eq!(
        undone.records[0].entry, "step#001",
        "each undo record names the step it reverses"
    );
    assert_eq!(
        undone.records[1].message,
        "the snapshots are evidence, and undo never deletes evidence"
    );
    assert_eq!(instance_state(&ec2, &id).await, InstanceStateName::Running);
    assert_eq!(
        invoked(&format!("undo-{name}")),
        ["plan_undo", "restore_instance_state", "report"]
    );
    // The output topic tells its subscribers which remediation was put back, step by step.
    let published = output_messages(json_deployment().await, &format!("undo-{name}"))
        .await
        .unwrap();
    assert_eq!(
        published,
        [json!({
            "Execution name": format!("undo-{name}"),
            "Undoes": name,
            "Steps undone": [
                {
                    "Step": "step#001",
                    "Remediation": "ec2_stop_instance",
                    "Undo status": "restored",
                    "Execution status": "passed",
                    "Undo message": undone.records[0].message,
                },
                {
                    "Step": "step#000",
                    "Remediation": "ec2_create_snapshot",
                    "Undo status": "nothing to restore",
                    "Execution status": "passed",
                    "Undo message": "the snapshots are evidence, and undo never deletes evidence",
                },
            ],
        })]
    );
    let snapshots = ec2
        .describe_snapshots()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("tag:cloudbots:execution")
                .values(&name)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert!(!snapshots.snapshots().is_empty(), "the snapshot is kept");

    // The undo is listed beside the remediation it reverses.
    let listed = operated
        .executions(Some(Duration::from_secs(600)), false)
        .await
        .unwrap();
    let undo_listed = listed
        .iter()
        .find(|e| e.name == format!("undo-{name}"))
        .expect("the undo is listed");
    assert_eq!(
        (undo_listed.kind, undo_listed.status.as_str()),
        (Kind::Undo, "SUCCEEDED")
    );
    assert!(listed
        .iter()
        .any(|e| e.name == name && e.kind == Kind::Remediation));

    // A second request is a new undo execution, which finds nothing left to restore.
    let again = operated
        .undo(&name, options(Mode::Enforce, false))
        .await
        .unwrap();
    assert_eq!(again.summary.name, format!("undo-{name}-2"));
    assert_eq!(again.records[0].status, AuditStatus::NothingToRestore);
    assert_eq!(instance_state(&ec2, &id).await, InstanceStateName::Running);
}

#[tokio::test]
async fn the_demo_security_group_finding_is_undone_after_a_dry_run_and_a_refusal() {
    let ec2 = aws_sdk_ec2::Client::new(&aws().await);
    let group = ec2
        .create_security_group()
        .group_name(unique_name("undo-e2e"))
        .description("open to the world")
        .send()
        .await
        .unwrap()
        .group_id()
        .unwrap()
        .to_string();
    allow_inbound(&ec2, &group, vec![rule("tcp", 0, 1024, "0.0.0.0/0")]).await;
    let before = described(&ec2, &group).await;
    let finding = json!({
        "reportTime": "2026-12-03T10:00:00.000Z",
        "findingKey": format!("e2e-{group}"),
        "rule": {"name": "SSH should not be open to the world", "ruleId": "E2E.2", "severity": "High",
                 "complianceTags": "AUTO: sg_single_rule_delete split=true protocol=TCP scope=0.0.0.0/0 direction=inbound port=22"},
        "status": "Failed",
        "account": {"id": LOCAL_ACCOUNT, "vendor": "AWS"},
        "entity": {"id": group, "name": "open", "type": "SecurityGroup", "region": "us_east_1"},
    });
    let name = remediate(finding, &unique_name("undo-sg")).await;
    let remediated = described(&ec2, &group).await;
    assert_ne!(remediated, before);
    let operated = json_deployment().await.operated().await.unwrap();

    let dry = operated
        .undo(&name, options(Mode::DryRun, false))
        .await
        .unwrap();
    assert_eq!(
        rows(&dry.records),
        [("undo#000", "sg_single_rule_delete", AuditStatus::DryRun)]
    );
    assert_eq!(
        described(&ec2, &group).await,
        remediated,
        "a dry run changes nothing"
    );

    allow_inbound(&ec2, &group, vec![rule("tcp", 8443, 8443, "10.1.2.3/32")]).await;
    let refused = operated
        .undo(&name, options(Mode::Enforce, false))
        .await
        .unwrap();
    assert_eq!(refused.records[0].status, AuditStatus::Refused);
    assert!(
        refused.records[0]
            .message
            .ends_with("added since: inbound tcp port 8443 from 10.1.2.3/32"),
        "{}",
        refused.records[0].message
    );

    let forced = operated
        .undo(&name, options(Mode::Enforce, true))
        .await
        .unwrap();
    assert_eq!(forced.summary.name, format!("undo-{name}-3"));
    assert_eq!(
        forced.records[0].status,
        AuditStatus::Restored,
        "{}",
        forced.records[0].message
    );
    ec2.revoke_security_group_ingress()
        .group_id(&group)
        .ip_permissions(rule("tcp", 8443, 8443, "10.1.2.3/32"))
        .send()
        .await
        .unwrap();
    assert_eq!(described(&ec2, &group).await, before);
}

#[tokio::test]
async fn undoing_what_is_not_a_remediation_is_refused_with_the_reason() {
    let operated = json_deployment().await.operated().await.unwrap();
    assert_eq!(
        operated
            .undo("cg-nothing-here", options(Mode::Enforce, false))
            .await
            .unwrap_err(),
        "no execution named cg-nothing-here in this deployment"
    );
    assert_eq!(
        operated.show("undo-cg-nothing-here").await.unwrap_err(),
        "no execution named undo-cg-nothing-here in this deployment"
    );
}
