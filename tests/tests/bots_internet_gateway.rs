//! `igw_delete` on the local stack: the public instances are stopped first (the bot reports
//! `in_progress` meanwhile), then the VPC's internet gateway is detached and deleted.

use aws_sdk_ec2::types::InstanceStateName;
use cloudbots_shared::outcome::OutcomeStatus;
use cloudbots_shared::plan::Mode;
use cloudbots_tests::resources::{instance_state, public_vpc};
use cloudbots_tests::{aws, run_line};
use serde_json::{json, Value};

fn vpc(id: &str) -> Value {
    json!({"id": id, "name": "prod", "type": "VPC", "region": "us_east_1"})
}

async fn gateways_of(ec2: &aws_sdk_ec2::Client, vpc_id: &str) -> Vec<String> {
    let filter = aws_sdk_ec2::types::Filter::builder()
        .name("attachment.vpc-id")
        .values(vpc_id)
        .build();
    let out = ec2
        .describe_internet_gateways()
        .filters(filter)
        .send()
        .await
        .unwrap();
    out.internet_gateways()
        .iter()
        .filter_map(|g| g.internet_gateway_id().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn stops_public_instances_then_deletes_the_gateway() {
    let ec2 = aws_sdk_ec2::Client::new(&aws().await);
    let (vpc_id, igw_id, instance_id) = public_vpc(&ec2).await;

    let dry = run_line("igw_delete", vpc(&vpc_id), Mode::DryRun)
        .await
        .unwrap();
    assert_eq!(dry.status, OutcomeStatus::DryRun);
    assert_eq!(
        dry.changes,
        [
            format!("stop public instance {instance_id}"),
            format!("detach internet gateway {igw_id} from {vpc_id} and delete it"),
        ]
    );
    assert_eq!(
        instance_state(&ec2, &instance_id).await,
        InstanceStateName::Running
    );
    assert_eq!(gateways_of(&ec2, &vpc_id).await, vec![igw_id.clone()]);

    let first = run_line("igw_delete", vpc(&vpc_id), Mode::Enforce)
        .await
        .unwrap();
    assert_eq!(first.status, OutcomeStatus::InProgress, "{}", first.message);
    assert_eq!(
        gateways_of(&ec2, &vpc_id).await,
        vec![igw_id.clone()],
        "the gateway waits for the stop"
    );
    assert!(matches!(
        instance_state(&ec2, &instance_id).await,
        InstanceStateName::Stopping | InstanceStateName::Stopped
    ));

    let second = run_line("igw_delete", vpc(&vpc_id), Mode::Enforce)
        .await
        .unwrap();
    assert_eq!(
        second.status,
        OutcomeStatus::Remediated,
        "{}",
        second.message
    );
    assert_eq!(
        second.message,
        format!("Internet gateway(s) {igw_id} detached from {vpc_id} and deleted")
    );
    assert!(gateways_of(&ec2, &vpc_id).await.is_empty());
    let gone = ec2
        .describe_internet_gateways()
        .internet_gateway_ids(&igw_id)
        .send()
        .await;
    assert!(gone.is_err(), "the gateway is deleted, not only detached");

    let third = run_line("igw_delete", vpc(&vpc_id), Mode::Enforce)
        .await
        .unwrap();
    assert_eq!(third.status, OutcomeStatus::AlreadyCompliant);
    assert_eq!(
        third.message,
        format!("VPC {vpc_id} has no internet gateway")
    );
}

#[tokio::test]
async fn a_missing_vpc_is_skipped() {
    let outcome = run_line("igw_delete", vpc("vpc-0123456789abcdef0"), Mode::Enforce)
        .await
        .unwrap();
    assert_eq!(outcome.status, OutcomeStatus::Skipped);
    assert_eq!(
        outcome.message,
        "VPC vpc-0123456789abcdef0 does not exist (any more): nothing to do"
    );
}
