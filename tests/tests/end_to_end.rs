//! End to end: a finding goes in through the intake, the real state machine runs in moto's
//! Step Functions, our functions answer its Lambda calls, and we check what users see: the
//! execution status, the order of the steps, the audit records, the output message, and the
//! resources' real state.

use aws_sdk_ec2::types::InstanceStateName;
use cloudbots_cli::local::LOCAL_ACCOUNT;
use cloudbots_cli::run::ExecutionView;
use cloudbots_functions::intake::Disposition;
use cloudbots_shared::audit::AuditStatus;
use cloudbots_shared::error::ErrorName;
use cloudbots_shared::mapping::Mappings;
use cloudbots_tests::e2e::{
    instance_finding, invoked, json_deployment, local_planner, send_event, send_with, sns_event,
    text_deployment,
};
use cloudbots_tests::resources::{instance_state, public_vpc, running_instance, snapshots_of};
use cloudbots_tests::{aws, stack};
use serde_json::{json, Value};

fn record_statuses(view: &ExecutionView) -> Vec<(String, String, AuditStatus)> {
    view.records
        .iter()
        .map(|r| (r.record_id.clone(), r.bot.clone(), r.status))
        .collect()
}

fn only_execution(sent: &cloudbots_cli::run::Sent) -> &ExecutionView {
    assert_eq!(
        sent.executions.len(),
        1,
        "dispositions: {:?}",
        sent.dispositions
    );
    &sent.executions[0]
}

#[tokio::test]
async fn snapshot_is_inserted_and_runs_before_the_stop() {
    let ec2 = aws_sdk_ec2::Client::new(&aws().await);
    let id = running_instance(&ec2).await;
    let sent = send_event(&sns_event(
        "m-snap-stop",
        &instance_finding(&id, "AUTO: ec2_stop_instance"),
    ))
    .await;
    let view = only_execution(&sent);
    assert_eq!(view.status, "SUCCEEDED", "{view:?}");
    assert_eq!(
        invoked(&view.name),
        ["ec2_create_snapshot", "ec2_stop_instance", "report"]
    );
    assert_eq!(
        record_statuses(view),
        [
            (
                "step#000".to_string(),
                "ec2_create_snapshot".to_string(),
                AuditStatus::Remediated
            ),
            (
                "step#001".to_string(),
                "ec2_stop_instance".to_string(),
                AuditStatus::Remediated
            ),
        ]
    );
    assert!(matches!(
        instance_state(&ec2, &id).await,
        InstanceStateName::Stopped | InstanceStateName::Stopping
    ));
    assert_eq!(
        snapshots_of(&ec2, &id).await.len(),
        1,
        "the root volume was snapshotted"
    );
}

#[tokio::test]
async fn a_failing_snapshot_means_the_instance_is_not_stopped() {
    let ec2 = aws_sdk_ec2::Client::new(&aws().await);
    let id = running_instance(&ec2).await;
    // The snapshot function is denied (as with a missing ec2:CreateSnapshot permission).
    stack().inject_fault("ec2_create_snapshot", &id, ErrorName::AccessDenied, 1);
    let sent = send_event(&sns_event(
        "m-guard",
        &instance_finding(&id, "AUTO: ec2_create_snapshot|AUTO: ec2_stop_instance"),
    ))
    .await;
    let view = only_execution(&sent);
    assert_eq!(view.status, "FAILED");
    assert_eq!(
        invoked(&view.name),
        ["ec2_create_snapshot", "report"],
        "the stop was never invoked"
    );
    assert_eq!(instance_state(&ec2, &id).await, InstanceStateName::Running);
    assert_eq!(
        record_statuses(view),
        [(
            "step#000".to_string(),
            "ec2_create_snapshot".to_string(),
            AuditStatus::Failed
        )]
    );
    assert!(
        view.records[0].message.contains("AccessDenied"),
        "{}",
        view.records[0].message
    );
    let report = &view.output[0]["Rules violations found"];
    assert_eq!(report[1]["Remediation"], "ec2_stop_instance");
    assert_eq!(report[1]["Execution status"], "failed");
    assert_eq!(
        report[1]["Bot message"],
        "Not run: the guard step ec2_create_snapshot failed, so no later step ran"
    );
}

#[tokio::test]
async fn a_transient_error_is_retried_and_then_succeeds() {
    let ec2 = aws_sdk_ec2::Client::new(&aws().await);
    let id = running_instance(&ec2).await;
    stack().inject_fault("ec2_stop_instance", &id, ErrorName::Transient, 2);
    let sent = send_event(&sns_event(
        "m-retry",
        &instance_finding(&id, "AUTO: ec2_create_snapshot|AUTO: ec2_stop_instance"),
    ))
    .await;
    let view = only_execution(&sent);
    assert_eq!(view.status, "SUCCEEDED", "{view:?}");
    assert_eq!(
        invoked(&view.name),
        [
            "ec2_create_snapshot",
            "ec2_stop_instance",
            "ec2_stop_instance",
            "ec2_stop_instance",
            "report"
        ],
        "two transient failures, then success"
    );
    assert!(matches!(
        instance_state(&ec2, &id).await,
        InstanceStateName::Stopped | InstanceStateName::Stopping
    ));
    assert_eq!(view.records[1].status, AuditStatus::Remediated);
}

#[tokio::test]
async fn the_same_finding_delivered_twice_starts_one_execution() {
    let ec2 = aws_sdk_ec2::Client::new(&aws().await);
    let id = running_instance(&ec2).await;
    let event = sns_event("m-dup", &instance_finding(&id, "AUTO: ec2_stop_instance"));
    let first = send_event(&event).await;
    let name = only_execution(&first).name.clone();
    // SNS redelivers the same message; CloudGuard re-sends the same finding in a new message.
    let redelivered = send_event(&event).await;
    let resent = send_event(&sns_event(
        "m-dup-resend",
        &instance_finding(&id, "AUTO: ec2_stop_instance"),
    ))
    .await;
    for again in [&redelivered, &resent] {
        assert!(again.executions.is_empty());
        assert!(
            matches!(&again.dispositions[..], [Disposition::Duplicate { execution_name, .. }] if *execution_name == name)
        );
    }
    assert_eq!(
        invoked(&name)
            .iter()
            .filter(|f| *f == "ec2_stop_instance")
            .count(),
        1
    );
    let target = json_deployment().await;
    let records = cloudbots_cli::run::view_execution(
        target,
        &format!(
            "{}:{name}",
            target
                .state_machine_arn
                .replace(":stateMachine:", ":execution:")
        ),
        std::time::Duration::from_secs(10),
    )
    .await
    .unwrap()
    .records;
    let duplicates: Vec<_> = records
        .iter()
        .filter(|r| r.status == AuditStatus::Duplicate)
        .collect();
    assert_eq!(
        duplicates.len(),
        2,
        "both duplicates are in the audit trail: {records:?}"
    );
}

#[tokio::test]
async fn unknown_bot_and_bad_params_are_rejected_audited_and_touch_nothing() {
    let ec2 = aws_sdk_ec2::Client::new(&aws().await);
    let id = running_instance(&ec2).await;
    let tags = "AUTO: ec2_stop_instanse|AUTO: sg_single_rule_delete split=maybe protocol=TCP scope=0.0.0.0/0 direction=inbound port=22";
    let sent = send_event(&sns_event("m-bad", &instance_finding(&id, tags))).await;
    let view = only_execution(&sent);
    assert_eq!(
        view.status, "FAILED",
        "rejected entries fail the execution so it shows in the console"
    );
    assert_eq!(invoked(&view.name), ["report"], "no bot ran");
    assert_eq!(instance_state(&ec2, &id).await, InstanceStateName::Running);
    let rejected: Vec<(String, String)> = view
        .records
        .iter()
        .map(|r| (r.record_id.clone(), r.message.clone()))
        .collect();
    assert_eq!(
        rejected,
        [
            ("rejected#000".to_string(), "unknown bot 'ec2_stop_instanse': no such bot in the catalogue".to_string()),
            (
                "rejected#001".to_string(),
                "bad parameters for sg_single_rule_delete: split must be true or false, got 'maybe'".to_string()
            ),
        ]
    );
}

#[tokio::test]
async fn output_message_is_the_compatible_json() {
    let ec2 = aws_sdk_ec2::Client::new(&aws().await);
    let id = running_instance(&ec2).await;
    let sent = send_event(&sns_event(
        "m-json",
        &instance_finding(&id, "AUTO: ec2_stop_instance|AUTO: no_such_bot"),
    ))
    .await;
    let view = only_execution(&sent);
    assert_eq!(view.output.len(), 1, "one message on the output topic");
    let message = &view.output[0];
    let keys: Vec<&str> = message
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "ReportTime",
            "logsHttpEndpoint",
            "logsHttpEndpointStreamName",
            "logsHttpEndpointStreamPartitionKey",
            "dome9AccountId",
            "executionId",
            "vendor",
            "Account id",
            "findingKey",
            "Execution name",
            "Rules violations found",
        ],
        "the original's keys, in its order, without the API key"
    );
    assert_eq!(message["Account id"], LOCAL_ACCOUNT);
    assert_eq!(message["findingKey"], format!("e2e-{id}"));
    assert_eq!(message["ReportTime"], "2026-11-30T10:00:00.000Z");
    let bots = message["Rules violations found"].as_array().unwrap();
    let summary: Vec<(&str, &str)> = bots
        .iter()
        .map(|b| {
            (
                b["Remediation"].as_str().unwrap(),
                b["Execution status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("ec2_create_snapshot", "passed"),
            ("ec2_stop_instance", "passed"),
            ("no_such_bot", "failed")
        ]
    );
    assert_eq!(bots[1]["Rule"], "Instance should be stopped");
    assert_eq!(bots[1]["ID"], id.as_str());
    assert_eq!(bots[1]["Name"], "web-1");
    assert!(bots[1]["Bot message"]
        .as_str()
        .unwrap()
        .starts_with(&format!("Instance stopped: {id}")));
    assert_eq!(
        bots[2]["Bot message"],
        "Rejected before running: unknown bot 'no_such_bot': no such bot in the catalogue"
    );
}

#[tokio::test]
async fn output_message_is_the_compatible_text() {
    let ec2 = aws_sdk_ec2::Client::new(&aws().await);
    let id = running_instance(&ec2).await;
    let target = text_deployment().await;
    let sent = send_with(
        target,
        local_planner(),
        Mappings::default(),
        &instance_finding(&id, "AUTO: ec2_stop_instance"),
    )
    .await;
    let view = only_execution(&sent);
    assert_eq!(view.status, "SUCCEEDED");
    let text = view.output[0].as_str().expect("a text message");
    let stop = &view.records[1].message;
    let snapshot = &view.records[0].message;
    let expected = format!(
        "ReportTime: 2026-11-30T10:00:00.000Z\n logsHttpEndpoint: null\n logsHttpEndpointStreamName: null\n logsHttpEndpointStreamPartitionKey: null\n dome9AccountId: null\n executionId: null\n vendor: AWS\n Account id: {LOCAL_ACCOUNT}\n findingKey: e2e-{id}\n Execution name: {name}\nRule violations found:\nRule: Instance should be stopped\n ID: {id}\n Name: web-1\n Remediation: ec2_create_snapshot\n Execution status: passed\nBot message: {snapshot}\nRule: Instance should be stopped\n ID: {id}\n Name: web-1\n Remediation: ec2_stop_instance\n Execution status: passed\nBot message: {stop}\n",
        name = view.name
    );
    assert_eq!(text, expected);
}

#[tokio::test]
async fn guardduty_finding_is_mapped_and_remediated() {
    let ec2 = aws_sdk_ec2::Client::new(&aws().await);
    let id = running_instance(&ec2).await;
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/guardduty/recon_portprobe_eventbridge.json"
    );
    let mut event: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    event["detail"]["resource"]["instanceDetails"]["instanceId"] = json!(id);
    event["detail"]["accountId"] = json!(LOCAL_ACCOUNT);
    event["detail"]["region"] = json!("us-east-1");
    let mapping =
        Mappings::guardduty(r#"{"Recon:EC2/PortProbeUnprotectedPort": "AUTO: ec2_stop_instance"}"#)
            .unwrap();
    let sent = send_with(
        json_deployment().await,
        local_planner(),
        mapping.clone(),
        &event,
    )
    .await;
    let view = only_execution(&sent);
    assert_eq!(view.status, "SUCCEEDED");
    assert_eq!(
        invoked(&view.name),
        ["ec2_create_snapshot", "ec2_stop_instance", "report"]
    );
    assert!(matches!(
        instance_state(&ec2, &id).await,
        InstanceStateName::Stopped | InstanceStateName::Stopping
    ));

    // A sample finding ("Generate sample findings") is skipped with its reason.
    event["detail"]["resource"]["instanceDetails"]["instanceId"] = json!("i-99999999");
    let sample = send_with(json_deployment().await, local_planner(), mapping, &event).await;
    assert!(sample.executions.is_empty());
    assert!(
        matches!(&sample.dispositions[..], [Disposition::Skipped { reason, .. }] if reason.contains("sample finding"))
    );
}

#[tokio::test]
async fn a_foreign_account_finding_is_refused_in_single_mode() {
    let ec2 = aws_sdk_ec2::Client::new(&aws().await);
    let id = running_instance(&ec2).await;
    let mut finding = instance_finding(&id, "AUTO: ec2_stop_instance");
    finding["account"]["id"] = json!("210987654321");
    let sent = send_event(&sns_event("m-foreign", &finding)).await;
    let view = only_execution(&sent);
    assert_eq!(view.status, "FAILED");
    assert_eq!(invoked(&view.name), ["report"]);
    assert!(
        view.records[0]
            .message
            .starts_with("This finding was found in account id 210987654321."),
        "{}",
        view.records[0].message
    );
    assert_eq!(instance_state(&ec2, &id).await, InstanceStateName::Running);
}

#[tokio::test]
async fn a_bot_in_progress_is_polled_by_the_state_machine_until_done() {
    let ec2 = aws_sdk_ec2::Client::new(&aws().await);
    let (vpc_id, igw_id, instance_id) = public_vpc(&ec2).await;
    let finding = json!({
        "reportTime": "2026-11-30T10:00:00.000Z",
        "findingKey": format!("e2e-{vpc_id}"),
        "rule": {"name": "VPC should not reach the internet", "complianceTags": "AUTO: igw_delete"},
        "status": "Failed",
        "account": {"id": LOCAL_ACCOUNT, "vendor": "AWS"},
        "entity": {"id": vpc_id, "name": "prod", "type": "VPC", "region": "us_east_1"},
    });
    let sent = send_event(&sns_event("m-igw", &finding)).await;
    let view = only_execution(&sent);
    assert_eq!(view.status, "SUCCEEDED", "{view:?}");
    assert_eq!(
        invoked(&view.name),
        ["igw_delete", "igw_delete", "report"],
        "in progress, waited, then done"
    );
    assert!(
        view.states.iter().any(|s| s == "WaitForBot"),
        "{:?}",
        view.states
    );
    assert_eq!(
        record_statuses(view),
        [(
            "step#000".to_string(),
            "igw_delete".to_string(),
            AuditStatus::Remediated
        )]
    );
    assert_eq!(
        instance_state(&ec2, &instance_id).await,
        InstanceStateName::Stopped
    );
    assert!(
        ec2.describe_internet_gateways()
            .internet_gateway_ids(&igw_id)
            .send()
            .await
            .is_err(),
        "the gateway is gone"
    );
}

#[tokio::test]
async fn a_destroy_bot_the_deployment_does_not_enable_is_refused_and_audited() {
    let ec2 = aws_sdk_ec2::Client::new(&aws().await);
    let id = running_instance(&ec2).await;
    let sent = send_event(&sns_event(
        "m-terminate",
        &instance_finding(&id, "AUTO: ec2_terminate_instance"),
    ))
    .await;
    let view = only_execution(&sent);
    assert_eq!(view.status, "FAILED");
    assert_eq!(
        invoked(&view.name),
        ["report"],
        "nothing ran, not even the snapshot"
    );
    assert_eq!(instance_state(&ec2, &id).await, InstanceStateName::Running);
    assert_eq!(
        view.records[0].message,
        "ec2_terminate_instance deletes resources and is opt-in: the deployment does not enable it (add it to the DestroyBots parameter, DESTROY_BOTS)"
    );
}
