//! Safety settings on the local stack: a per-bot dry-run override and exclusion tags, checked
//! through the intake and the real state machine, and by the resources' real state afterwards.

use aws_sdk_ec2::types::{InstanceStateName, Tag};
use cloudbots_shared::audit::AuditStatus;
use cloudbots_shared::mapping::Mappings;
use cloudbots_shared::plan::{Mode, PlannerConfig, DEFAULT_EXCLUDE_TAG_KEY};
use cloudbots_tests::e2e::{
    instance_finding, invoked, json_deployment, local_planner, send_event, send_with, sns_event,
};
use cloudbots_tests::resources::{instance_state, running_instance, snapshots_of};
use cloudbots_tests::{aws, LIVE_OPT_OUT};
use serde_json::{json, Value};

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
        Mappings::default(),
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

#[tokio::test]
async fn an_opt_out_tag_in_the_finding_rejects_the_steps_at_intake_and_nothing_runs() {
    let ec2 = aws_sdk_ec2::Client::new(&aws().await);
    let id = running_instance(&ec2).await;
    let mut finding = instance_finding(&id, "AUTO: ec2_stop_instance");
    finding["entity"]["tags"] = json!([{"key": DEFAULT_EXCLUDE_TAG_KEY, "value": "all"}]);
    let sent = send_event(&sns_event("m-exclude-intake", &finding)).await;
    let [view] = sent.executions.as_slice() else {
        panic!("one execution: {:?}", sent.dispositions)
    };
    assert_eq!(invoked(&view.name), ["report"], "no bot was invoked");
    let records: Vec<_> = view
        .records
        .iter()
        .map(|r| (r.bot.as_str(), r.status, r.message.as_str()))
        .collect();
    assert_eq!(
        records,
        [(
            "ec2_stop_instance",
            AuditStatus::Rejected,
            "excluded by tag cloudbots:exclude=\"all\": the resource opts out of every bot"
        )]
    );
    assert_eq!(instance_state(&ec2, &id).await, InstanceStateName::Running);
}

#[tokio::test]
async fn an_instance_tagged_after_the_finding_is_not_stopped_but_still_snapshotted() {
    let ec2 = aws_sdk_ec2::Client::new(&aws().await);
    let id = running_instance(&ec2).await;
    let finding = instance_finding(&id, "AUTO: ec2_stop_instance");
    // The owner opts the instance out of stops after CloudGuard produced the finding.
    ec2.create_tags()
        .resources(&id)
        .tags(
            Tag::builder()
                .key(DEFAULT_EXCLUDE_TAG_KEY)
                .value("ec2_stop_instance until 2099-12-31")
                .build(),
        )
        .send()
        .await
        .expect("create_tags");
    let sent = send_event(&sns_event("m-exclude-live", &finding)).await;
    let [view] = sent.executions.as_slice() else {
        panic!("one execution: {:?}", sent.dispositions)
    };
    assert_eq!(view.status, "SUCCEEDED", "{view:?}");
    assert_eq!(
        invoked(&view.name),
        ["ec2_create_snapshot", "ec2_stop_instance", "report"]
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
            ("ec2_stop_instance", AuditStatus::Skipped),
        ]
    );
    assert_eq!(
        view.records[1].message,
        format!("excluded by tag cloudbots:exclude=\"ec2_stop_instance until 2099-12-31\": the resource opts out of ec2_stop_instance until 2099-12-31 {LIVE_OPT_OUT}")
    );
    assert_eq!(instance_state(&ec2, &id).await, InstanceStateName::Running);
    assert_eq!(
        snapshots_of(&ec2, &id).await.len(),
        1,
        "the snapshot is not excluded"
    );
}
