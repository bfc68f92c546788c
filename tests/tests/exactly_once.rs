//! Exactly once per finding generation, through the intake and the real state machine: a
//! CloudGuard re-send, an SNS redelivery, GuardDuty re-publishing the same finding, two
//! deliveries racing, and the same finding arriving through two routes each start one
//! execution and invoke the bot once; every extra delivery is a `duplicate` audit record.
//! A genuinely updated GuardDuty finding starts a new execution.

use aws_sdk_ec2::types::InstanceStateName;
use cloudbots_cli::local::{local_sdk_config, LOCAL_ACCOUNT, LOCAL_REGION};
use cloudbots_cli::run::{view_execution, ExecutionView, Sent};
use cloudbots_functions::intake::Disposition;
use cloudbots_shared::audit::AuditStatus;
use cloudbots_shared::mapping::Mappings;
use cloudbots_tests::e2e::{json_deployment, local_planner, send_event, send_with, sns_event};
use cloudbots_tests::resources::{instance_state, running_instance};
use cloudbots_tests::{aws, stack};
use serde_json::{json, Value};
use std::time::Duration;

fn instance_finding(instance_id: &str) -> Value {
    json!({
        "reportTime": "2026-11-30T10:00:00.000Z",
        "executionId": "6b0f3c2e-0d3f-4c55-9a51-5e8f1c2b7a10",
        "findingKey": format!("once-{instance_id}"),
        "rule": {"name": "Instance should be stopped", "ruleId": "ONCE.1", "complianceTags": "AUTO: ec2_stop_instance"},
        "status": "Failed",
        "account": {"id": LOCAL_ACCOUNT, "vendor": "AWS"},
        "entity": {"id": instance_id, "name": "web-1", "type": "Instance", "region": "us_east_1"},
    })
}

/// The port-probe GuardDuty finding about `instance_id` in the local account.
fn guardduty_event(instance_id: &str, eventbridge_id: &str) -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/guardduty/recon_portprobe_eventbridge.json"
    );
    let mut event: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    event["id"] = json!(eventbridge_id);
    event["account"] = json!(LOCAL_ACCOUNT);
    event["region"] = json!(LOCAL_REGION);
    event["detail"]["accountId"] = json!(LOCAL_ACCOUNT);
    event["detail"]["region"] = json!(LOCAL_REGION);
    event["detail"]["id"] = json!(format!("gd-once-{instance_id}"));
    event["detail"]["resource"]["instanceDetails"]["instanceId"] = json!(instance_id);
    event
}

async fn send_guardduty(event: &Value) -> Sent {
    let actions =
        Mappings::guardduty(r#"{"Recon:EC2/PortProbeUnprotectedPort": "AUTO: ec2_stop_instance"}"#)
            .unwrap();
    send_with(json_deployment().await, local_planner(), actions, event).await
}

fn started(sent: &Sent) -> &ExecutionView {
    match (&sent.dispositions[..], &sent.executions[..]) {
        ([Disposition::Started { .. }], [view]) => view,
        _ => panic!("expected one execution started: {:?}", sent.dispositions),
    }
}

fn assert_duplicate_of(sent: &Sent, name: &str) {
    assert!(sent.executions.is_empty());
    assert!(
        matches!(&sent.dispositions[..], [Disposition::Duplicate { execution_name, .. }] if execution_name == name),
        "expected a duplicate of {name}: {:?}",
        sent.dispositions
    );
}

/// How many executions of the deployment's state machine carry this name.
async fn executions_named(name: &str) -> usize {
    let target = json_deployment().await;
    let sfn = aws_sdk_sfn::Client::new(&local_sdk_config(target.moto_port, LOCAL_REGION).await);
    let mut count = 0;
    let mut token = None;
    loop {
        let page = sfn
            .list_executions()
            .state_machine_arn(&target.state_machine_arn)
            .set_next_token(token)
            .send()
            .await
            .expect("list_executions");
        count += page
            .executions()
            .iter()
            .filter(|e| e.name() == name)
            .count();
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            return count;
        }
    }
}

/// How many times `bot` ran for the execution.
fn bot_runs(name: &str, bot: &str) -> usize {
    stack()
        .gateway()
        .invocations_of(name)
        .iter()
        .filter(|i| i.function == bot)
        .count()
}

/// The `duplicate` audit records of the execution, with the deliveries they name.
async fn duplicate_deliveries(name: &str) -> Vec<String> {
    let target = json_deployment().await;
    let arn = format!(
        "{}:{name}",
        target
            .state_machine_arn
            .replace(":stateMachine:", ":execution:")
    );
    view_execution(target, &arn, Duration::from_secs(60))
        .await
        .expect("the execution")
        .records
        .into_iter()
        .filter(|r| r.status == AuditStatus::Duplicate)
        .map(|r| r.entry)
        .collect()
}

/// One execution, one run of the bot, and these duplicate deliveries recorded.
async fn assert_once(name: &str, duplicates: &[&str]) {
    assert_eq!(executions_named(name).await, 1, "executions named {name}");
    assert_eq!(
        bot_runs(name, "ec2_stop_instance"),
        1,
        "stop runs of {name}"
    );
    let mut recorded = duplicate_deliveries(name).await;
    recorded.sort();
    let mut expected: Vec<String> = duplicates.iter().map(|d| d.to_string()).collect();
    expected.sort();
    assert_eq!(recorded, expected, "duplicate records of {name}");
    println!("{name}: {} duplicate(s) suppressed", recorded.len());
}

#[tokio::test]
async fn a_cloudguard_resend_of_the_same_generation_starts_nothing_new() {
    let ec2 = aws_sdk_ec2::Client::new(&aws().await);
    let id = running_instance(&ec2).await;
    let first = send_event(&sns_event("cg-first", &instance_finding(&id))).await;
    let name = started(&first).name.clone();
    assert_eq!(started(&first).status, "SUCCEEDED");
    // "Send all events": CloudGuard sends the same finding again, in new SNS messages.
    for message_id in ["cg-resend-1", "cg-resend-2"] {
        let again = send_event(&sns_event(message_id, &instance_finding(&id))).await;
        assert_duplicate_of(&again, &name);
    }
    assert_once(&name, &["sns:cg-resend-1", "sns:cg-resend-2"]).await;
    assert!(matches!(
        instance_state(&ec2, &id).await,
        InstanceStateName::Stopped | InstanceStateName::Stopping
    ));
}

#[tokio::test]
async fn an_sns_redelivery_starts_nothing_new() {
    let ec2 = aws_sdk_ec2::Client::new(&aws().await);
    let id = running_instance(&ec2).await;
    let event = sns_event("sns-redelivered", &instance_finding(&id));
    let name = started(&send_event(&event).await).name.clone();
    // The intake's Lambda is retried by SNS with the very same message.
    assert_duplicate_of(&send_event(&event).await, &name);
    assert_once(&name, &["sns:sns-redelivered"]).await;
}

#[tokio::test]
async fn deliveries_racing_each_other_start_one_execution() {
    let ec2 = aws_sdk_ec2::Client::new(&aws().await);
    let id = running_instance(&ec2).await;
    let target = json_deployment().await;
    let intake = target.intake(local_planner(), Mappings::default()).await;
    let (a, b) = (
        sns_event("race-a", &instance_finding(&id)),
        sns_event("race-b", &instance_finding(&id)),
    );
    let (a, b) = tokio::join!(intake.handle(&a), intake.handle(&b));
    let dispositions: Vec<Disposition> = [a.unwrap(), b.unwrap()].concat();
    // One wins; the other is refused by Step Functions (each delivery's input is its own,
    // so the start is not answered with the running execution) and recorded as a duplicate.
    let (started, duplicates): (Vec<&Disposition>, Vec<&Disposition>) = dispositions
        .iter()
        .partition(|d| matches!(d, Disposition::Started { .. }));
    let ([Disposition::Started { execution_arn, .. }], [Disposition::Duplicate { delivery, .. }]) =
        (&started[..], &duplicates[..])
    else {
        panic!("one start and one duplicate: {dispositions:?}");
    };
    let view = view_execution(target, execution_arn, Duration::from_secs(120))
        .await
        .unwrap();
    assert_eq!(view.status, "SUCCEEDED");
    let duplicates = [delivery.as_str()];
    assert_once(&view.name, &duplicates).await;
}

#[tokio::test]
async fn the_same_finding_through_sns_and_a_direct_invocation_runs_once() {
    let ec2 = aws_sdk_ec2::Client::new(&aws().await);
    let id = running_instance(&ec2).await;
    let name = started(&send_event(&sns_event("two-routes", &instance_finding(&id))).await)
        .name
        .clone();
    // The same finding handed to the intake directly (CLI, test event, another subscription).
    assert_duplicate_of(&send_event(&instance_finding(&id)).await, &name);
    assert_once(&name, &["direct"]).await;
}

#[tokio::test]
async fn guardduty_republishing_a_finding_runs_once_and_an_update_runs_again() {
    let ec2 = aws_sdk_ec2::Client::new(&aws().await);
    let id = running_instance(&ec2).await;
    let first = send_guardduty(&guardduty_event(&id, "eb-1")).await;
    let view = started(&first);
    assert_eq!(view.status, "SUCCEEDED", "{view:?}");
    let name = view.name.clone();
    // GuardDuty re-publishes the finding unchanged (same id, updatedAt and count) in a new
    // EventBridge event, and also through an SNS topic subscribed to the same rule.
    assert_duplicate_of(&send_guardduty(&guardduty_event(&id, "eb-2")).await, &name);
    assert_duplicate_of(
        &send_guardduty(&sns_event("gd-via-sns", &guardduty_event(&id, "eb-3"))).await,
        &name,
    );
    assert_once(&name, &["eventbridge:eb-2", "sns:gd-via-sns"]).await;

    // The activity goes on: GuardDuty updates the finding (new updatedAt, higher count).
    let mut updated = guardduty_event(&id, "eb-4");
    updated["detail"]["updatedAt"] = json!("2018-07-03T19:55:01.000Z");
    updated["detail"]["service"]["count"] = json!(1400);
    let again = send_guardduty(&updated).await;
    let second = started(&again);
    assert_ne!(second.name, name, "an updated finding is a new generation");
    assert_eq!(second.status, "SUCCEEDED");
    assert_eq!(bot_runs(&second.name, "ec2_stop_instance"), 1);
    // The instance was stopped by the first execution: the second finds nothing to do.
    let stop = second
        .records
        .iter()
        .find(|r| r.bot == "ec2_stop_instance")
        .expect("a stop record");
    assert_eq!(stop.status, AuditStatus::AlreadyCompliant, "{stop:?}");
}

/// The Security Hub (ASFF) event relaying the GuardDuty finding of `direct`, as an
/// administrator's bus receives it.
fn relayed_through_security_hub(direct: &Value) -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/securityhub/asff_guardduty_ec2-ssh-bruteforce.json"
    );
    let mut event: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let detail = &direct["detail"];
    let instance = detail["resource"]["instanceDetails"]["instanceId"]
        .as_str()
        .unwrap();
    event["region"] = json!(LOCAL_REGION);
    let finding = &mut event["detail"]["findings"][0];
    finding["Id"] = json!(format!(
        "arn:aws:guardduty:{LOCAL_REGION}:{LOCAL_ACCOUNT}:detector/12abc34d567e8fa901bc2d34e56789f0/finding/{}",
        detail["id"].as_str().unwrap()
    ));
    finding["AwsAccountId"] = json!(LOCAL_ACCOUNT);
    finding["Types"] = json!(["TTPs/Discovery/Recon:EC2-PortProbeUnprotectedPort"]);
    finding["UpdatedAt"] = detail["updatedAt"].clone();
    finding["ProductFields"]["aws/guardduty/service/count"] =
        json!(detail["service"]["count"].to_string());
    finding["Resources"][0]["Id"] = json!(format!(
        "arn:aws:ec2:{LOCAL_REGION}:{LOCAL_ACCOUNT}:instance/{instance}"
    ));
    finding["Resources"][0]["Region"] = json!(LOCAL_REGION);
    event
}

#[tokio::test]
async fn the_same_guardduty_finding_directly_and_through_security_hub_runs_once() {
    let ec2 = aws_sdk_ec2::Client::new(&aws().await);
    let id = running_instance(&ec2).await;
    let direct = guardduty_event(&id, "eb-direct");
    let first = send_guardduty(&direct).await;
    let view = started(&first);
    assert_eq!(view.status, "SUCCEEDED", "{view:?}");
    let name = view.name.clone();

    let mut relayed = relayed_through_security_hub(&direct);
    relayed["id"] = json!("eb-securityhub");
    assert_duplicate_of(&send_guardduty(&relayed).await, &name);
    assert_once(&name, &["eventbridge:eb-securityhub"]).await;
}
