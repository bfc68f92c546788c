//! The EC2 and VPC bots that delete or create something read it back afterwards: on the local
//! stack, each run's `verified` names exactly what was found as promised (the key pair, the
//! Elastic IPs, the internet gateways, the VPC and the network ACL no longer exist; each new
//! snapshot exists), and a change answered "done" on the wire but never made fails the step
//! `NotVerified`, saying what was still (or not yet) there.

use aws_sdk_ec2::types::DomainType;
use cloudbots_functions::bots::network_acl::acl_delete_with;
use cloudbots_shared::outcome::OutcomeStatus;
use cloudbots_shared::plan::Mode;
use cloudbots_tests::cloudtrail::cloudtrail_with_event;
use cloudbots_tests::network_acl::{acl_input, new_acl};
use cloudbots_tests::resources::{public_vpc, running_instance};
use cloudbots_tests::wire::{faulty_client, functions_config, query_no_op};
use cloudbots_tests::{
    assert_not_verified, assert_remediated, assert_still_exists, aws, bot_aws, entity, run_line,
    run_ok, run_with_no_op, unique_name,
};
use serde_json::{json, Value};

async fn ec2() -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::new(&aws().await)
}

fn instance(id: &str) -> Value {
    entity("Instance", id, "web")
}

fn vpc(id: &str) -> Value {
    entity("VPC", id, "cloudbots-test-vpc")
}

// ---- ec2_delete_key_pair ----

async fn new_key_pair(ec2: &aws_sdk_ec2::Client) -> String {
    let name = unique_name("leaked-key");
    ec2.create_key_pair()
        .key_name(&name)
        .send()
        .await
        .expect("create_key_pair");
    name
}

#[tokio::test]
async fn delete_key_pair_verifies_the_key_pair_is_gone() {
    let ec2 = ec2().await;
    let name = new_key_pair(&ec2).await;
    let outcome = run_ok(
        "ec2_delete_key_pair",
        entity("KeyPair", &name, &name),
        Mode::Enforce,
    )
    .await;
    assert_remediated(&outcome, &[format!("key pair {name} no longer exists")]);

    let kept = new_key_pair(&ec2).await;
    let error = run_with_no_op(
        "ec2_delete_key_pair",
        entity("KeyPair", &kept, &kept),
        "DeleteKeyPair",
    )
    .await;
    assert_still_exists(&error, &format!("key pair {kept}"));
}

// ---- ec2_release_eips ----

/// A running instance with an Elastic IP associated: the instance's id and the address's IP.
async fn instance_with_eip(ec2: &aws_sdk_ec2::Client) -> (String, String) {
    let id = running_instance(ec2).await;
    let eip = ec2
        .allocate_address()
        .domain(DomainType::Vpc)
        .send()
        .await
        .expect("allocate_address");
    ec2.associate_address()
        .allocation_id(eip.allocation_id().unwrap())
        .instance_id(&id)
        .send()
        .await
        .expect("associate_address");
    (id, eip.public_ip().unwrap().to_string())
}

#[tokio::test]
async fn release_eips_verifies_every_address_is_released() {
    let ec2 = ec2().await;
    let (id, ip) = instance_with_eip(&ec2).await;
    let outcome = run_ok("ec2_release_eips", instance(&id), Mode::Enforce).await;
    assert_remediated(&outcome, &[format!("Elastic IP {ip} no longer exists")]);

    let (id, ip) = instance_with_eip(&ec2).await;
    let error = run_with_no_op("ec2_release_eips", instance(&id), "ReleaseAddress").await;
    assert_still_exists(&error, &format!("Elastic IP {ip}"));
}

// ---- ec2_create_snapshot ----

/// The root volume of the instance.
async fn root_volume(ec2: &aws_sdk_ec2::Client, id: &str) -> String {
    let out = ec2
        .describe_instances()
        .instance_ids(id)
        .send()
        .await
        .expect("describe_instances");
    out.reservations()[0].instances()[0].block_device_mappings()[0]
        .ebs()
        .and_then(|ebs| ebs.volume_id())
        .expect("an EBS root volume")
        .to_string()
}

/// A snapshot id that names no snapshot.
const UNKNOWN_SNAPSHOT: &str = "snap-0000000000000000f";

#[tokio::test]
async fn create_snapshot_verifies_each_new_snapshot_exists() {
    let ec2 = ec2().await;
    let id = running_instance(&ec2).await;
    let volume = root_volume(&ec2, &id).await;
    let outcome = run_ok("ec2_create_snapshot", instance(&id), Mode::Enforce).await;
    let snapshot = &outcome.artifacts[0];
    assert_remediated(
        &outcome,
        &[format!(
            "snapshot {snapshot} of volume {volume} exists (completed)"
        )],
    );

    // CreateSnapshot answers with the id of a snapshot it never took.
    let started = format!(
        "<CreateSnapshotResponse><requestId>nv</requestId><snapshotId>{UNKNOWN_SNAPSHOT}</snapshotId><status>pending</status></CreateSnapshotResponse>"
    );
    let answer = (200, &*Box::leak(started.into_boxed_str()));
    let id = running_instance(&ec2).await;
    assert_not_verified(
        faulty_client("CreateSnapshot", &[answer]).await,
        "ec2_create_snapshot",
        instance(&id),
        format!(
            "snapshots of instance {id} read back after the change is not as intended (3 reads): snapshot {UNKNOWN_SNAPSHOT} does not exist"
        ),
    )
    .await;
}

// ---- igw_delete ----

/// A VPC with an internet gateway whose public instance `igw_delete` has already stopped:
/// the VPC's and the gateway's ids.
async fn vpc_ready_for_igw_delete(ec2: &aws_sdk_ec2::Client) -> (String, String) {
    let (vpc_id, igw_id, _) = public_vpc(ec2).await;
    let stopping = run_line("igw_delete", vpc(&vpc_id), Mode::Enforce)
        .await
        .unwrap();
    assert_eq!(
        stopping.status,
        OutcomeStatus::InProgress,
        "{}",
        stopping.message
    );
    (vpc_id, igw_id)
}

#[tokio::test]
async fn igw_delete_verifies_every_gateway_is_gone() {
    let ec2 = ec2().await;
    let (vpc_id, igw_id) = vpc_ready_for_igw_delete(&ec2).await;
    let outcome = run_ok("igw_delete", vpc(&vpc_id), Mode::Enforce).await;
    assert_remediated(
        &outcome,
        &[format!("internet gateway {igw_id} no longer exists")],
    );

    let (vpc_id, igw_id) = vpc_ready_for_igw_delete(&ec2).await;
    let error = run_with_no_op("igw_delete", vpc(&vpc_id), "DeleteInternetGateway").await;
    assert_still_exists(&error, &format!("internet gateway {igw_id}"));
}

// ---- vpc_delete ----

async fn new_vpc(ec2: &aws_sdk_ec2::Client) -> String {
    ec2.create_vpc()
        .cidr_block("10.1.0.0/16")
        .send()
        .await
        .expect("create_vpc")
        .vpc()
        .and_then(|v| v.vpc_id())
        .expect("a VPC id")
        .to_string()
}

#[tokio::test]
async fn vpc_delete_verifies_the_vpc_is_gone() {
    let ec2 = ec2().await;
    let id = new_vpc(&ec2).await;
    let outcome = run_ok("vpc_delete", vpc(&id), Mode::Enforce).await;
    assert_remediated(&outcome, &[format!("VPC {id} no longer exists")]);

    let id = new_vpc(&ec2).await;
    let error = run_with_no_op("vpc_delete", vpc(&id), "DeleteVpc").await;
    assert_still_exists(&error, &format!("VPC {id}"));
}

// ---- acl_delete (Log.ic) ----

/// A new network ACL, and a CloudTrail whose CreateNetworkAcl event just after the alert
/// created it.
async fn created_acl(ec2: &aws_sdk_ec2::Client) -> (String, aws_sdk_cloudtrail::Client) {
    let vpc = new_vpc(ec2).await;
    let acl = new_acl(ec2, &vpc).await;
    let record = json!({
        "eventName": "CreateNetworkAcl",
        "requestParameters": {"vpcId": vpc},
        "responseElements": {"networkAcl": {"networkAclId": acl, "vpcId": vpc, "isDefault": false}}
    });
    (
        acl.clone(),
        cloudtrail_with_event("CreateNetworkAcl", record, None),
    )
}

#[tokio::test]
async fn acl_delete_verifies_the_acl_is_gone() {
    let ec2 = ec2().await;
    let (acl, cloudtrail) = created_acl(&ec2).await;
    let outcome = acl_delete_with(
        &acl_input("acl_delete", &acl, Mode::Enforce),
        &aws_sdk_ec2::Client::new(&bot_aws("acl_delete").await),
        &cloudtrail,
    )
    .await
    .unwrap();
    assert_remediated(&outcome, &[format!("network ACL {acl} no longer exists")]);

    let (acl, cloudtrail) = created_acl(&ec2).await;
    let (client, faults) =
        faulty_client("DeleteNetworkAcl", &[query_no_op("DeleteNetworkAcl")]).await;
    let error = acl_delete_with(
        &acl_input("acl_delete", &acl, Mode::Enforce),
        &aws_sdk_ec2::Client::new(&functions_config(client).await),
        &cloudtrail,
    )
    .await
    .unwrap_err();
    assert_eq!(faults.seen(), 1);
    assert_still_exists(&error, &format!("network ACL {acl}"));
}
