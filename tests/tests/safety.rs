//! Safety settings on the local stack: a per-bot dry-run override and exclusion tags, checked
//! through the intake and the real state machine, and by the resources' real state afterwards.

use aws_sdk_ec2::types::InstanceStateName;
use cloudbots_cli::local::LOCAL_ACCOUNT;
use cloudbots_shared::audit::AuditStatus;
use cloudbots_shared::guardduty::GuardDutyActions;
use cloudbots_shared::plan::{Mode, PlannerConfig};
use cloudbots_tests::e2e::{json_deployment, local_planner, send_with, sns_event};
use cloudbots_tests::resources::{instance_state, running_instance, snapshots_of};
use cloudbots_tests::{aws, stack};
use serde_json::{json, Value};

fn instance_finding(instance_id: &str, tags: &str) -> Value {
    json!({
        "reportTime": "2026-11-30T10:00:00.000Z",
        "findingKey": format!("safety-{instance_id}"),
        "rule": {"name": "Instance should be stopped", "ruleId": "SAFETY.1", "complianceTags": tags, "severity": "High"},
        "status": "Failed",
        "account": {"id": LOCAL_ACCOUNT, "vendor": "AWS"},
        "entity": {"id": instance_id, "name": "web-1", "type": "Instance", "region": "us_east_1"},
    })
}

/// The functions an execution invoked, in order (the report included).
fn invoked(execution: &str) -> Vec<String> {
    stack()
        .gateway()
        .invocations_of(execution)
        .into_iter()
        .map(|i| i.function)
        .collect()
}

#[tokio::test]
async fn a_bot_overridden_to_dry_run_reports_its_change_while_an_enforced_bot_acts() {
    let ec2 = aws_sdk_ec2::Client::new(&aws().await);
    let id = running_instance(&ec2).await;
    let planner = PlannerConfig {
        mode: Mode::Enforce,
        bot_modes: [("ec2_stop_instance".to_string(), Mode::DryRun)].into(),
        ..local_planner()
    };
    let sent = send_with(
        json_deployment().await,
        planner,
        GuardDutyActions::default(),
        &sns_event(
            "m-bot-mode",
            &instance_finding(&id, "AUTO: ec2_create_snapshot|AUTO: ec2_stop_instance"),
        ),
    )
    .await;
    let [view] = sent.executions.as_slice() else {
        panic!("one execution: {:?}", sent.dispositions)
    };
    assert_eq!(view.status, "SUCCEEDED", "{view:?}");
    assert_eq!(
        invoked(&view.name),
        ["ec2_create_snapshot", "ec2_stop_instance", "report"],
        "the dry-run step still runs through the state machine"
    );
    let statuses: Vec<_> = view
        .records
        .iter()
        .map(|r| (r.bot.as_str(), r.status))
        .collect();
    assert_eq!(
        statuses,
        [
            ("ec2_create_snapshot", AuditStatus::Remediated),
            ("ec2_stop_instance", AuditStatus::DryRun),
        ]
    );
    let stop = &view.records[1];
    assert_eq!(stop.message, format!("Would stop instance {id}"));
    let detail: Value = serde_json::from_str(&stop.detail).expect("the outcome as JSON");
    assert_eq!(
        detail["changes"],
        json!([format!("stop instance {id} (now running)")]),
        "the audit record lists the change it would have made"
    );
    assert_eq!(
        instance_state(&ec2, &id).await,
        InstanceStateName::Running,
        "the dry-run bot left the instance running"
    );
    assert_eq!(
        snapshots_of(&ec2, &id).await.len(),
        1,
        "the enforced bot acted"
    );
}
