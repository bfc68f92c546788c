//! The RDS quarantine on the local stack, run as its Lambda runs it (through `run_step`) with
//! IAM enforced and only its role's actions allowed: the DB instance's real security groups
//! and the VPC's quarantine group after each run.

use cloudbots_shared::outcome::OutcomeStatus;
use cloudbots_shared::plan::{Mode, DEFAULT_EXCLUDE_TAG_KEY};
use cloudbots_tests::resources::vpc_with_two_subnets;
use cloudbots_tests::security_groups;
use cloudbots_tests::{assert_skipped_by_live_opt_out, aws, entity, run_ok, unique_name};
use serde_json::{json, Value};

async fn ec2() -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::new(&aws().await)
}

async fn rds() -> aws_sdk_rds::Client {
    aws_sdk_rds::Client::new(&aws().await)
}

/// A new VPC with two subnets, a DB subnet group over them and a security group: the VPC's
/// id, the subnet group's name and the security group's id.
async fn new_network() -> (String, String, String) {
    let (vpc, subnets) = vpc_with_two_subnets(20).await;
    let subnet_group = unique_name("cloudbots-db-subnets");
    rds()
        .await
        .create_db_subnet_group()
        .db_subnet_group_name(&subnet_group)
        .db_subnet_group_description("cloudbots tests")
        .set_subnet_ids(Some(subnets))
        .send()
        .await
        .expect("create_db_subnet_group");
    let group = ec2()
        .await
        .create_security_group()
        .group_name(unique_name("cloudbots-db"))
        .description("database access")
        .vpc_id(&vpc)
        .send()
        .await
        .expect("create_security_group")
        .group_id
        .unwrap();
    (vpc, subnet_group, group)
}

async fn new_db_instance(subnet_group: &str, group: &str) -> String {
    let identifier = unique_name("cloudbots-orders");
    rds()
        .await
        .create_db_instance()
        .db_instance_identifier(&identifier)
        .engine("postgres")
        .db_instance_class("db.t3.micro")
        .allocated_storage(20)
        .master_username("admin1")
        .master_user_password("Sup3r-secret-pw")
        .db_subnet_group_name(subnet_group)
        .vpc_security_group_ids(group)
        .send()
        .await
        .expect("create_db_instance");
    identifier
}

/// The CloudGuard entity of a DB instance: its identifier as name.
fn db_entity(identifier: &str, vpc: &str) -> Value {
    let mut entity = entity("RDS", identifier, identifier);
    entity["vpc"] = json!({"id": vpc});
    entity
}

async fn db_groups(identifier: &str) -> Vec<String> {
    rds()
        .await
        .describe_db_instances()
        .db_instance_identifier(identifier)
        .send()
        .await
        .expect("describe_db_instances")
        .db_instances()[0]
        .vpc_security_groups()
        .iter()
        .filter_map(|g| g.vpc_security_group_id().map(str::to_string))
        .collect()
}

/// The VPC's quarantine group: its id and its inbound and outbound rule counts.
async fn quarantine_group(vpc: &str) -> Option<(String, usize, usize)> {
    let group = security_groups::quarantine_group(&ec2().await, vpc).await;
    group.map(|g| {
        (
            g.group_id().unwrap().to_string(),
            g.ip_permissions().len(),
            g.ip_permissions_egress().len(),
        )
    })
}

#[tokio::test]
async fn quarantine_moves_the_db_instance_alone_into_the_empty_quarantine_group_once() {
    let (vpc, subnet_group, group) = new_network().await;
    let identifier = new_db_instance(&subnet_group, &group).await;
    let line = "rds_quarantine_instance";

    let dry = run_ok(line, db_entity(&identifier, &vpc), Mode::DryRun).await;
    assert_eq!(dry.status, OutcomeStatus::DryRun);
    assert_eq!(
        dry.changes,
        vec![
            format!("create security group quarantine in VPC {vpc}, with no rules"),
            format!("replace the security groups of DB instance {identifier}, {group}, with quarantine, applied immediately"),
        ]
    );
    assert_eq!(quarantine_group(&vpc).await, None);
    assert_eq!(db_groups(&identifier).await, vec![group.clone()]);

    let first = run_ok(line, db_entity(&identifier, &vpc), Mode::Enforce).await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    let (quarantine, inbound, outbound) = quarantine_group(&vpc).await.expect("created");
    assert_eq!((inbound, outbound), (0, 0), "the new group has no rules");
    assert_eq!(db_groups(&identifier).await, vec![quarantine.clone()]);
    assert_eq!(
        first.message,
        format!("DB instance quarantined: {identifier} is now only in security group {quarantine} (quarantine); it was in {group}")
    );
    assert_eq!(first.artifacts, vec![quarantine.clone()]);

    let second = run_ok(line, db_entity(&identifier, &vpc), Mode::Enforce).await;
    assert_eq!(second.status, OutcomeStatus::AlreadyCompliant);
    assert_eq!(
        second.message,
        format!("DB instance {identifier} is already quarantined in the empty security group quarantine")
    );
}

#[tokio::test]
async fn quarantine_reuses_the_vpcs_group_and_strips_rules_it_gained() {
    let (vpc, subnet_group, group) = new_network().await;
    let ec2 = ec2().await;
    let existing = ec2
        .create_security_group()
        .group_name("quarantine")
        .description("made by someone")
        .vpc_id(&vpc)
        .send()
        .await
        .expect("create_security_group")
        .group_id
        .unwrap();
    ec2.authorize_security_group_ingress()
        .group_id(&existing)
        .ip_protocol("tcp")
        .from_port(5432)
        .to_port(5432)
        .cidr_ip("0.0.0.0/0")
        .send()
        .await
        .expect("authorize_security_group_ingress");
    let identifier = new_db_instance(&subnet_group, &group).await;

    let outcome = run_ok(
        "rds_quarantine_instance",
        db_entity(&identifier, &vpc),
        Mode::Enforce,
    )
    .await;
    assert_eq!(
        outcome.status,
        OutcomeStatus::Remediated,
        "{}",
        outcome.message
    );
    assert_eq!(
        outcome.changes[0],
        format!(
            "revoke the 1 inbound and 1 outbound rule(s) of security group {existing} (quarantine)"
        )
    );
    assert_eq!(quarantine_group(&vpc).await, Some((existing.clone(), 0, 0)));
    assert_eq!(db_groups(&identifier).await, vec![existing]);
    assert!(outcome.artifacts.is_empty(), "no group was created");
}

#[tokio::test]
async fn quarantine_skips_a_db_instance_that_is_gone_or_opted_out() {
    let (vpc, subnet_group, group) = new_network().await;
    let gone = unique_name("cloudbots-never-created");
    let outcome = run_ok(
        "rds_quarantine_instance",
        db_entity(&gone, &vpc),
        Mode::Enforce,
    )
    .await;
    assert_eq!(outcome.status, OutcomeStatus::Skipped);
    assert_eq!(
        outcome.message,
        format!("DB instance {gone} does not exist (any more): nothing to do")
    );

    let identifier = new_db_instance(&subnet_group, &group).await;
    let arn = format!("arn:aws:rds:us-east-1:123456789012:db:{identifier}");
    rds()
        .await
        .add_tags_to_resource()
        .resource_name(&arn)
        .tags(
            aws_sdk_rds::types::Tag::builder()
                .key(DEFAULT_EXCLUDE_TAG_KEY)
                .value("rds_quarantine_instance")
                .build(),
        )
        .send()
        .await
        .expect("add_tags_to_resource");
    assert_skipped_by_live_opt_out("rds_quarantine_instance", db_entity(&identifier, &vpc)).await;
    assert_eq!(db_groups(&identifier).await, vec![group]);
}
