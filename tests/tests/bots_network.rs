//! Network bots on the local stack: whether the VPC or ACL still exists, and the flow log's
//! traffic type, destination and delivery role after each run. The local stack has no
//! CloudTrail LookupEvents, so the Log.ic bot runs with a mocked CloudTrail and the real EC2.

use aws_sdk_cloudtrail::operation::lookup_events::LookupEventsOutput;
use aws_sdk_cloudtrail::primitives::DateTime;
use aws_sdk_cloudtrail::types::Event;
use aws_sdk_ec2::types::{FlowLog, LogDestinationType};
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use cloudbots_cli::local::LOCAL_ACCOUNT;
use cloudbots_functions::bots::network_acl::{acl_delete_with, acl_revert_modification_with};
use cloudbots_shared::error::ErrorName;
use cloudbots_shared::outcome::{BotInput, BotOutcome, OutcomeStatus};
use cloudbots_shared::plan::Mode;
use cloudbots_tests::network_acl::{
    acl_input, add_tcp_entry, cloudtrail_with_history, entry_event, new_acl, tcp_entry, ALERT_SECS,
};
use cloudbots_tests::{aws, bot_aws, entity, run_line, run_ok, unique_name};
use serde_json::{json, Value};

async fn ec2() -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::new(&aws().await)
}

/// An EC2 client signed as the user `bot` runs as, with IAM enforced: the bot's own calls
/// are checked against its role's actions (CloudTrail, mocked, is not).
async fn as_bot(bot: &str) -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::new(&bot_aws(bot).await)
}

async fn new_vpc(ec2: &aws_sdk_ec2::Client) -> String {
    ec2.create_vpc()
        .cidr_block("10.1.0.0/16")
        .send()
        .await
        .expect("create_vpc")
        .vpc()
        .unwrap()
        .vpc_id()
        .unwrap()
        .to_string()
}

fn vpc_entity(id: &str) -> Value {
    entity("VPC", id, "cloudbots-test-vpc")
}

async fn vpc_exists(ec2: &aws_sdk_ec2::Client, vpc_id: &str) -> bool {
    match ec2.describe_vpcs().vpc_ids(vpc_id).send().await {
        Ok(out) => !out.vpcs().is_empty(),
        Err(e) => {
            assert_eq!(
                e.into_service_error().meta().code(),
                Some("InvalidVpcID.NotFound")
            );
            false
        }
    }
}

// ---- vpc_delete ----

#[tokio::test]
async fn vpc_delete_deletes_the_vpc_and_then_finds_nothing_to_delete() {
    let ec2 = ec2().await;
    let vpc = new_vpc(&ec2).await;

    let dry = run_ok("vpc_delete", vpc_entity(&vpc), Mode::DryRun).await;
    assert_eq!(dry.status, OutcomeStatus::DryRun);
    assert_eq!(dry.changes, vec![format!("delete VPC {vpc}")]);
    assert!(vpc_exists(&ec2, &vpc).await, "dry-run changes nothing");

    let first = run_ok("vpc_delete", vpc_entity(&vpc), Mode::Enforce).await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert!(!vpc_exists(&ec2, &vpc).await);

    let second = run_ok("vpc_delete", vpc_entity(&vpc), Mode::Enforce).await;
    assert_eq!(second.status, OutcomeStatus::AlreadyCompliant);
    assert_eq!(
        second.message,
        format!("VPC {vpc} does not exist (any more): nothing to delete")
    );
}

#[tokio::test]
async fn vpc_delete_with_a_subnet_left_fails_as_a_conflict_and_keeps_the_vpc() {
    let ec2 = ec2().await;
    let vpc = new_vpc(&ec2).await;
    ec2.create_subnet()
        .vpc_id(&vpc)
        .cidr_block("10.1.1.0/24")
        .send()
        .await
        .expect("create_subnet");

    let error = run_line("vpc_delete", vpc_entity(&vpc), Mode::Enforce)
        .await
        .unwrap_err();
    assert_eq!(error.name, ErrorName::Conflict, "{}", error.message);
    assert!(
        error
            .message
            .starts_with(&format!("deleting VPC {vpc}: DependencyViolation")),
        "{}",
        error.message
    );
    assert!(vpc_exists(&ec2, &vpc).await);
}

// ---- vpc_turn_on_flow_logs ----

async fn flow_logs(ec2: &aws_sdk_ec2::Client, vpc: &str) -> Vec<FlowLog> {
    ec2.describe_flow_logs()
        .filter(
            aws_sdk_ec2::types::Filter::builder()
                .name("resource-id")
                .values(vpc)
                .build(),
        )
        .send()
        .await
        .expect("describe_flow_logs")
        .flow_logs()
        .to_vec()
}

#[tokio::test]
async fn flow_logs_default_to_all_traffic_into_the_vpc_flow_logs_group_through_the_delivery_role() {
    let config = aws().await;
    let ec2 = ec2().await;
    let vpc = new_vpc(&ec2).await;
    let line = "vpc_turn_on_flow_logs";

    let dry = run_ok(line, vpc_entity(&vpc), Mode::DryRun).await;
    assert_eq!(dry.status, OutcomeStatus::DryRun);
    assert_eq!(
        dry.changes.last().unwrap(),
        &format!(
            "create a flow log of ALL traffic of VPC {vpc} to CloudWatch Logs group vpcFlowLogs"
        )
    );
    assert!(
        flow_logs(&ec2, &vpc).await.is_empty(),
        "dry-run changes nothing"
    );

    let first = run_ok(line, vpc_entity(&vpc), Mode::Enforce).await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    let logs = flow_logs(&ec2, &vpc).await;
    assert_eq!(logs.len(), 1);
    let log = &logs[0];
    assert_eq!(log.traffic_type().unwrap().as_str(), "ALL");
    assert_eq!(
        log.log_destination_type(),
        Some(&LogDestinationType::CloudWatchLogs)
    );
    assert_eq!(log.log_group_name(), Some("vpcFlowLogs"));
    assert!(log
        .deliver_logs_permission_arn()
        .unwrap()
        .ends_with(":role/vpcFlowLogDelivery"));
    assert_eq!(
        first.artifacts,
        vec![log.flow_log_id().unwrap().to_string()]
    );

    let iam = aws_sdk_iam::Client::new(&config);
    let role = iam
        .get_role()
        .role_name("vpcFlowLogDelivery")
        .send()
        .await
        .expect("the delivery role exists");
    let trust = role.role().unwrap().assume_role_policy_document().unwrap();
    assert!(
        trust.contains("vpc-flow-logs.amazonaws.com"),
        "trusted by the flow-logs service: {trust}"
    );
    let attached = iam
        .list_attached_role_policies()
        .role_name("vpcFlowLogDelivery")
        .send()
        .await
        .unwrap();
    assert_eq!(
        attached
            .attached_policies()
            .iter()
            .filter_map(|p| p.policy_name())
            .collect::<Vec<_>>(),
        vec!["vpcFlowLogDelivery"]
    );
    let groups = aws_sdk_cloudwatchlogs::Client::new(&config)
        .describe_log_groups()
        .log_group_name_prefix("vpcFlowLogs")
        .send()
        .await
        .unwrap();
    assert_eq!(groups.log_groups()[0].log_group_name(), Some("vpcFlowLogs"));

    let second = run_ok(
        "vpc_turn_on_flow_logs traffic_type=reject destination=logs",
        vpc_entity(&vpc),
        Mode::Enforce,
    )
    .await;
    assert_eq!(
        second.status,
        OutcomeStatus::AlreadyCompliant,
        "all traffic includes rejected traffic: {}",
        second.message
    );
    assert_eq!(flow_logs(&ec2, &vpc).await.len(), 1);
}

#[tokio::test]
async fn flow_logs_to_s3_go_to_the_bucket() {
    let config = aws().await;
    let ec2 = ec2().await;
    let vpc = new_vpc(&ec2).await;
    let bucket = unique_name("cloudbots-flow-logs");
    aws_sdk_s3::Client::new(&config)
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("create_bucket");
    // A folder after the bucket works on AWS, but the local stack takes the whole path for
    // the bucket name, so the test names the bucket alone.
    let arn = format!("arn:aws:s3:::{bucket}");
    let line = format!("vpc_turn_on_flow_logs traffic_type=reject destination=s3 s3_arn={arn}");

    let dry = run_ok(&line, vpc_entity(&vpc), Mode::DryRun).await;
    assert_eq!(
        dry.changes,
        vec![format!(
            "create a flow log of REJECT traffic of VPC {vpc} to {arn}"
        )],
        "no IAM role for S3 delivery"
    );
    assert!(
        flow_logs(&ec2, &vpc).await.is_empty(),
        "dry-run changes nothing"
    );

    let first = run_ok(&line, vpc_entity(&vpc), Mode::Enforce).await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    let logs = flow_logs(&ec2, &vpc).await;
    assert_eq!(logs.len(), 1);
    assert_eq!(logs[0].traffic_type().unwrap().as_str(), "REJECT");
    assert_eq!(
        logs[0].log_destination_type(),
        Some(&LogDestinationType::S3)
    );
    assert_eq!(logs[0].log_destination(), Some(arn.as_str()));

    let second = run_ok(&line, vpc_entity(&vpc), Mode::Enforce).await;
    assert_eq!(second.status, OutcomeStatus::AlreadyCompliant);
}

#[tokio::test]
async fn network_bots_skip_or_find_nothing_for_a_missing_vpc() {
    let missing = "vpc-0123456789abcdef0";
    let flow = run_ok("vpc_turn_on_flow_logs", vpc_entity(missing), Mode::Enforce).await;
    assert_eq!(flow.status, OutcomeStatus::Skipped);
    assert_eq!(
        flow.message,
        format!("VPC {missing} does not exist (any more): nothing to do")
    );
    let delete = run_ok("vpc_delete", vpc_entity(missing), Mode::Enforce).await;
    assert_eq!(delete.status, OutcomeStatus::AlreadyCompliant);
}

// ---- acl_delete (Log.ic) ----

/// A CloudTrail CreateNetworkAcl record for `acl_id`, `offset` seconds from the alert.
fn create_acl_event(acl_id: &str, vpc: &str, offset: i64) -> Event {
    let record = json!({
        "eventName": "CreateNetworkAcl",
        "requestParameters": {"vpcId": vpc},
        "responseElements": {"networkAcl": {"networkAclId": acl_id, "vpcId": vpc, "isDefault": false}}
    });
    Event::builder()
        .event_name("CreateNetworkAcl")
        .event_time(DateTime::from_secs(ALERT_SECS + offset))
        .cloud_trail_event(record.to_string())
        .build()
}

/// A CloudTrail client whose LookupEvents answers these events.
fn cloudtrail_with(events: Vec<Event>) -> aws_sdk_cloudtrail::Client {
    let lookup = mock!(aws_sdk_cloudtrail::Client::lookup_events).then_output(move || {
        LookupEventsOutput::builder()
            .set_events(Some(events.clone()))
            .build()
    });
    mock_client!(aws_sdk_cloudtrail, RuleMode::MatchAny, [&lookup])
}

fn delete_input(acl: &str, mode: Mode) -> BotInput {
    acl_input("acl_delete", acl, mode)
}

async fn acl_exists(ec2: &aws_sdk_ec2::Client, acl: &str) -> bool {
    let out = ec2
        .describe_network_acls()
        .send()
        .await
        .expect("describe_network_acls");
    out.network_acls()
        .iter()
        .any(|a| a.network_acl_id() == Some(acl))
}

#[tokio::test]
async fn acl_delete_deletes_the_acl_the_closest_create_event_made() {
    let ec2 = ec2().await;
    let vpc = new_vpc(&ec2).await;
    let acl = new_acl(&ec2, &vpc).await;
    let decoy = new_acl(&ec2, &vpc).await;
    let cloudtrail = cloudtrail_with(vec![
        create_acl_event(&decoy, &vpc, -25),
        create_acl_event(&acl, &vpc, 3),
    ]);

    let dry = acl_delete_with(
        &delete_input(&acl, Mode::DryRun),
        &as_bot("acl_delete").await,
        &cloudtrail,
    )
    .await
    .unwrap();
    assert_eq!(dry.status, OutcomeStatus::DryRun);
    assert_eq!(
        dry.changes,
        vec![format!("delete network ACL {acl} of VPC {vpc}")]
    );
    assert!(acl_exists(&ec2, &acl).await, "dry-run changes nothing");

    let first = acl_delete_with(
        &delete_input(&acl, Mode::Enforce),
        &as_bot("acl_delete").await,
        &cloudtrail,
    )
    .await
    .unwrap();
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert!(!acl_exists(&ec2, &acl).await);
    assert!(acl_exists(&ec2, &decoy).await, "only the event's ACL");

    let second = acl_delete_with(
        &delete_input(&acl, Mode::Enforce),
        &as_bot("acl_delete").await,
        &cloudtrail,
    )
    .await
    .unwrap();
    assert_eq!(second.status, OutcomeStatus::AlreadyCompliant);
    assert_eq!(
        second.message,
        format!("Network ACL {acl} does not exist (any more): nothing to delete")
    );
}

#[tokio::test]
async fn acl_delete_leaves_default_associated_and_other_acls_alone() {
    let ec2 = ec2().await;
    let vpc = new_vpc(&ec2).await;
    let acls = ec2
        .describe_network_acls()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("vpc-id")
                .values(&vpc)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let default = acls.network_acls()[0].network_acl_id().unwrap().to_string();
    let skipped = acl_delete_with(
        &delete_input(&default, Mode::Enforce),
        &as_bot("acl_delete").await,
        &cloudtrail_with(vec![create_acl_event(&default, &vpc, 0)]),
    )
    .await
    .unwrap();
    assert_eq!(skipped.status, OutcomeStatus::Skipped);
    assert_eq!(
        skipped.message,
        format!("Network ACL {default} is the default ACL of VPC {vpc}: not deleting it")
    );
    assert!(acl_exists(&ec2, &default).await);

    let associated = new_acl(&ec2, &vpc).await;
    let subnet = ec2
        .create_subnet()
        .vpc_id(&vpc)
        .cidr_block("10.1.2.0/24")
        .send()
        .await
        .unwrap()
        .subnet()
        .unwrap()
        .subnet_id()
        .unwrap()
        .to_string();
    let association = ec2
        .describe_network_acls()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("association.subnet-id")
                .values(&subnet)
                .build(),
        )
        .send()
        .await
        .unwrap()
        .network_acls()[0]
        .associations()
        .iter()
        .find(|a| a.subnet_id() == Some(subnet.as_str()))
        .unwrap()
        .network_acl_association_id()
        .unwrap()
        .to_string();
    ec2.replace_network_acl_association()
        .association_id(association)
        .network_acl_id(&associated)
        .send()
        .await
        .unwrap();
    let error = acl_delete_with(
        &delete_input(&associated, Mode::Enforce),
        &as_bot("acl_delete").await,
        &cloudtrail_with(vec![create_acl_event(&associated, &vpc, 0)]),
    )
    .await
    .unwrap_err();
    assert_eq!(error.name, ErrorName::Conflict);
    assert_eq!(
        error.message,
        format!("Network ACL {associated} is associated with subnet(s) {subnet}: EC2 deletes only unassociated ACLs")
    );

    let other = new_acl(&ec2, &vpc).await;
    let mismatch = acl_delete_with(
        &delete_input(&other, Mode::Enforce),
        &as_bot("acl_delete").await,
        &cloudtrail_with(vec![create_acl_event(&associated, &vpc, 0)]),
    )
    .await
    .unwrap();
    assert_eq!(mismatch.status, OutcomeStatus::Skipped);
    assert!(acl_exists(&ec2, &other).await && acl_exists(&ec2, &associated).await);
}

#[tokio::test]
async fn acl_delete_needs_an_event_and_an_alert_time() {
    let far = cloudtrail_with(vec![]);
    let none = acl_delete_with(
        &delete_input("acl-0123456789abcdef0", Mode::Enforce),
        &as_bot("acl_delete").await,
        &far,
    )
    .await
    .unwrap();
    assert_eq!(none.status, OutcomeStatus::Skipped);
    assert_eq!(
        none.message,
        "CloudTrail has no CreateNetworkAcl event within 30 s of the alert time 2026-11-30 10:00:00 UTC: nothing to delete"
    );

    let mut no_time = delete_input("acl-0123456789abcdef0", Mode::Enforce);
    no_time.finding.event_time = None;
    let error = acl_delete_with(&no_time, &as_bot("acl_delete").await, &far)
        .await
        .unwrap_err();
    assert_eq!(error.name, ErrorName::InvalidInput);
    assert!(
        error.message.contains("has no alert time"),
        "{}",
        error.message
    );
}

// ---- vpc_isolate ----

/// Whether the VPC resolves DNS.
async fn dns_support(ec2: &aws_sdk_ec2::Client, vpc: &str) -> bool {
    ec2.describe_vpc_attribute()
        .vpc_id(vpc)
        .attribute(aws_sdk_ec2::types::VpcAttributeName::EnableDnsSupport)
        .send()
        .await
        .expect("describe_vpc_attribute")
        .enable_dns_support()
        .and_then(|v| v.value())
        .unwrap()
}

/// For each subnet of the VPC: whether its network ACL allows anything.
async fn subnets_open(ec2: &aws_sdk_ec2::Client, vpc: &str) -> Vec<(String, bool)> {
    let acls = ec2
        .describe_network_acls()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("vpc-id")
                .values(vpc)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let mut subnets: Vec<(String, bool)> = acls
        .network_acls()
        .iter()
        .flat_map(|acl| {
            let allows = acl
                .entries()
                .iter()
                .any(|e| e.rule_action() == Some(&aws_sdk_ec2::types::RuleAction::Allow));
            acl.associations()
                .iter()
                .filter_map(move |a| Some((a.subnet_id()?.to_string(), allows)))
        })
        .collect();
    subnets.sort();
    subnets
}

async fn policies_of_user(iam: &aws_sdk_iam::Client, user: &str) -> Vec<String> {
    iam.list_attached_user_policies()
        .user_name(user)
        .send()
        .await
        .unwrap()
        .attached_policies()
        .iter()
        .filter_map(|p| p.policy_name().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn vpc_isolate_cuts_dns_subnets_and_every_users_ec2_access_to_the_vpc() {
    let config = aws().await;
    let ec2 = ec2().await;
    let iam = aws_sdk_iam::Client::new(&config);
    let vpc = new_vpc(&ec2).await;
    let mut subnets = Vec::new();
    for cidr in ["10.1.10.0/24", "10.1.11.0/24"] {
        subnets.push(
            ec2.create_subnet()
                .vpc_id(&vpc)
                .cidr_block(cidr)
                .send()
                .await
                .unwrap()
                .subnet()
                .unwrap()
                .subnet_id()
                .unwrap()
                .to_string(),
        );
    }
    subnets.sort();
    let users = [unique_name("isolated-alice"), unique_name("isolated-bob")];
    for user in &users {
        iam.create_user().user_name(user).send().await.unwrap();
    }
    let open_before: Vec<(String, bool)> = subnets.iter().map(|s| (s.clone(), true)).collect();
    assert_eq!(subnets_open(&ec2, &vpc).await, open_before);
    assert!(dns_support(&ec2, &vpc).await);
    let policy = format!("isolate_deny_{vpc}_access_policy");

    let dry = run_ok("vpc_isolate", vpc_entity(&vpc), Mode::DryRun).await;
    assert_eq!(dry.status, OutcomeStatus::DryRun);
    for expected in [
        format!("turn off DNS support of VPC {vpc}"),
        format!("create a new network ACL (deny all) in VPC {vpc}"),
        format!(
            "associate subnet {} with a new network ACL (deny all)",
            subnets[0]
        ),
        format!(
            "associate subnet {} with a new network ACL (deny all)",
            subnets[1]
        ),
        format!(
            "attach IAM policy arn:aws:iam::{LOCAL_ACCOUNT}:policy/{policy} to IAM user {}",
            users[0]
        ),
    ] {
        assert!(
            dry.changes.contains(&expected),
            "{expected} in {:?}",
            dry.changes
        );
    }
    assert!(dns_support(&ec2, &vpc).await, "dry-run changes nothing");
    assert_eq!(subnets_open(&ec2, &vpc).await, open_before);
    assert!(policies_of_user(&iam, &users[0]).await.is_empty());

    let first = run_ok("vpc_isolate", vpc_entity(&vpc), Mode::Enforce).await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert!(!dns_support(&ec2, &vpc).await);
    assert_eq!(
        subnets_open(&ec2, &vpc).await,
        subnets
            .iter()
            .map(|s| (s.clone(), false))
            .collect::<Vec<_>>(),
        "every subnet is on a deny-all ACL"
    );
    for user in &users {
        assert_eq!(policies_of_user(&iam, user).await, vec![policy.clone()]);
    }
    let document = iam
        .get_policy_version()
        .policy_arn(format!("arn:aws:iam::{LOCAL_ACCOUNT}:policy/{policy}"))
        .version_id("v1")
        .send()
        .await
        .unwrap()
        .policy_version()
        .unwrap()
        .document()
        .unwrap()
        .to_string();
    assert!(
        document.contains(&format!("vpc/{vpc}")) && document.contains("Deny"),
        "{document}"
    );

    let second = run_ok("vpc_isolate", vpc_entity(&vpc), Mode::Enforce).await;
    assert_eq!(
        second.status,
        OutcomeStatus::AlreadyCompliant,
        "{:?}",
        second.changes
    );

    let missing = run_ok(
        "vpc_isolate",
        vpc_entity("vpc-0123456789abcdef0"),
        Mode::Enforce,
    )
    .await;
    assert_eq!(missing.status, OutcomeStatus::Skipped);
}

// ---- acl_revert_modification (Log.ic) ----

fn revert_input(acl: &str, mode: Mode) -> BotInput {
    acl_input("acl_revert_modification", acl, mode)
}

/// The ACL's inbound entries other than the final deny: `rule cidr from-to`.
async fn inbound_entries(ec2: &aws_sdk_ec2::Client, acl: &str) -> Vec<String> {
    let out = ec2.describe_network_acls().send().await.unwrap();
    let acl = out
        .network_acls()
        .iter()
        .find(|a| a.network_acl_id() == Some(acl))
        .unwrap();
    let mut entries: Vec<String> = acl
        .entries()
        .iter()
        .filter(|e| e.egress() == Some(false) && e.rule_number() != Some(32767))
        .map(|e| {
            let ports = e.port_range().unwrap();
            format!(
                "{} {} {}-{}",
                e.rule_number().unwrap(),
                e.cidr_block().unwrap(),
                ports.from().unwrap(),
                ports.to().unwrap()
            )
        })
        .collect();
    entries.sort();
    entries
}

async fn revert(
    input: &BotInput,
    ec2: &aws_sdk_ec2::Client,
    cloudtrail: &aws_sdk_cloudtrail::Client,
) -> BotOutcome {
    acl_revert_modification_with(input, ec2, cloudtrail)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn acl_revert_deletes_an_entry_the_event_created() {
    let ec2 = ec2().await;
    let vpc = new_vpc(&ec2).await;
    let acl = new_acl(&ec2, &vpc).await;
    add_tcp_entry(&ec2, &acl, 100, "0.0.0.0/0", (22, 22)).await;
    add_tcp_entry(&ec2, &acl, 200, "10.0.0.0/8", (443, 443)).await;
    let cloudtrail = cloudtrail_with_history(
        vec![entry_event(
            "CreateNetworkAclEntry",
            tcp_entry(&acl, 100, "0.0.0.0/0", (22, 22)),
            2,
        )],
        vec![],
    );

    let dry = revert(
        &revert_input(&acl, Mode::DryRun),
        &as_bot("acl_revert_modification").await,
        &cloudtrail,
    )
    .await;
    assert_eq!(dry.status, OutcomeStatus::DryRun);
    assert_eq!(
        dry.changes,
        vec![format!("delete inbound rule 100 allow protocol 6 ports 22-22 from 0.0.0.0/0 of network ACL {acl}")]
    );
    assert_eq!(
        inbound_entries(&ec2, &acl).await,
        vec!["100 0.0.0.0/0 22-22", "200 10.0.0.0/8 443-443"]
    );

    let first = revert(
        &revert_input(&acl, Mode::Enforce),
        &as_bot("acl_revert_modification").await,
        &cloudtrail,
    )
    .await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert_eq!(
        inbound_entries(&ec2, &acl).await,
        vec!["200 10.0.0.0/8 443-443"]
    );

    let second = revert(
        &revert_input(&acl, Mode::Enforce),
        &as_bot("acl_revert_modification").await,
        &cloudtrail,
    )
    .await;
    assert_eq!(
        second.status,
        OutcomeStatus::AlreadyCompliant,
        "{}",
        second.message
    );
}

#[tokio::test]
async fn acl_revert_recreates_a_deleted_entry_from_its_latest_earlier_definition() {
    let ec2 = ec2().await;
    let vpc = new_vpc(&ec2).await;
    let acl = new_acl(&ec2, &vpc).await;
    let delete = json!({"networkAclId": acl, "ruleNumber": 110, "egress": false});
    let cloudtrail = cloudtrail_with_history(
        vec![entry_event("DeleteNetworkAclEntry", delete, -1)],
        vec![
            entry_event(
                "CreateNetworkAclEntry",
                tcp_entry(&acl, 120, "0.0.0.0/0", (80, 80)),
                -50,
            ),
            entry_event(
                "ReplaceNetworkAclEntry",
                tcp_entry(&acl, 110, "10.0.0.0/8", (22, 22)),
                -100,
            ),
            entry_event(
                "CreateNetworkAclEntry",
                tcp_entry(&acl, 110, "0.0.0.0/0", (22, 22)),
                -200,
            ),
        ],
    );

    let dry = revert(
        &revert_input(&acl, Mode::DryRun),
        &as_bot("acl_revert_modification").await,
        &cloudtrail,
    )
    .await;
    assert_eq!(
        dry.changes,
        vec![format!("recreate inbound rule 110 allow protocol 6 ports 22-22 from 10.0.0.0/8 of network ACL {acl}")],
        "the newest earlier definition of rule 110, not rule 120 nor the first version"
    );
    assert!(
        inbound_entries(&ec2, &acl).await.is_empty(),
        "dry-run changes nothing"
    );

    let first = revert(
        &revert_input(&acl, Mode::Enforce),
        &as_bot("acl_revert_modification").await,
        &cloudtrail,
    )
    .await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert_eq!(
        inbound_entries(&ec2, &acl).await,
        vec!["110 10.0.0.0/8 22-22"]
    );

    let second = revert(
        &revert_input(&acl, Mode::Enforce),
        &as_bot("acl_revert_modification").await,
        &cloudtrail,
    )
    .await;
    assert_eq!(
        second.status,
        OutcomeStatus::AlreadyCompliant,
        "{}",
        second.message
    );
}

#[tokio::test]
async fn acl_revert_restores_a_replaced_entry() {
    let ec2 = ec2().await;
    let vpc = new_vpc(&ec2).await;
    let acl = new_acl(&ec2, &vpc).await;
    add_tcp_entry(&ec2, &acl, 130, "0.0.0.0/0", (0, 65535)).await;
    let cloudtrail = cloudtrail_with_history(
        vec![entry_event(
            "ReplaceNetworkAclEntry",
            tcp_entry(&acl, 130, "0.0.0.0/0", (0, 65535)),
            1,
        )],
        vec![entry_event(
            "CreateNetworkAclEntry",
            tcp_entry(&acl, 130, "0.0.0.0/0", (443, 443)),
            -300,
        )],
    );

    let first = revert(
        &revert_input(&acl, Mode::Enforce),
        &as_bot("acl_revert_modification").await,
        &cloudtrail,
    )
    .await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert_eq!(
        first.changes,
        vec![format!("restore inbound rule 130 allow protocol 6 ports 443-443 from 0.0.0.0/0 of network ACL {acl}")]
    );
    assert_eq!(
        inbound_entries(&ec2, &acl).await,
        vec!["130 0.0.0.0/0 443-443"]
    );

    let second = revert(
        &revert_input(&acl, Mode::Enforce),
        &as_bot("acl_revert_modification").await,
        &cloudtrail,
    )
    .await;
    assert_eq!(
        second.status,
        OutcomeStatus::AlreadyCompliant,
        "{}",
        second.message
    );
}

#[tokio::test]
async fn acl_revert_skips_what_it_cannot_or_should_not_undo() {
    let ec2 = ec2().await;
    let vpc = new_vpc(&ec2).await;
    let acl = new_acl(&ec2, &vpc).await;

    let nothing = revert(
        &revert_input(&acl, Mode::Enforce),
        &as_bot("acl_revert_modification").await,
        &cloudtrail_with_history(vec![], vec![]),
    )
    .await;
    assert_eq!(nothing.status, OutcomeStatus::Skipped);
    assert!(nothing
        .message
        .starts_with(&format!("CloudTrail has no event about network ACL {acl}")));

    let association = cloudtrail_with_history(
        vec![entry_event(
            "ReplaceNetworkAclAssociation",
            json!({"networkAclId": acl, "associationId": "aclassoc-1"}),
            0,
        )],
        vec![],
    );
    let other = revert(
        &revert_input(&acl, Mode::Enforce),
        &as_bot("acl_revert_modification").await,
        &association,
    )
    .await;
    assert_eq!(other.status, OutcomeStatus::Skipped);
    assert!(
        other.message.contains("changed no entry"),
        "{}",
        other.message
    );

    let no_history = cloudtrail_with_history(
        vec![entry_event(
            "DeleteNetworkAclEntry",
            json!({"networkAclId": acl, "ruleNumber": 140, "egress": false}),
            0,
        )],
        vec![],
    );
    let unknown = revert(
        &revert_input(&acl, Mode::Enforce),
        &as_bot("acl_revert_modification").await,
        &no_history,
    )
    .await;
    assert_eq!(unknown.status, OutcomeStatus::Skipped);
    assert_eq!(
        unknown.message,
        format!("CloudTrail holds no earlier definition of the inbound rule 140 of network ACL {acl}: cannot restore it")
    );

    let missing = revert(
        &revert_input("acl-0123456789abcdef0", Mode::Enforce),
        &as_bot("acl_revert_modification").await,
        &no_history,
    )
    .await;
    assert_eq!(missing.status, OutcomeStatus::Skipped);
    assert_eq!(
        missing.message,
        "Network ACL acl-0123456789abcdef0 does not exist (any more): nothing to revert"
    );

    let mut no_time = revert_input(&acl, Mode::Enforce);
    no_time.finding.event_time = None;
    let error = acl_revert_modification_with(
        &no_time,
        &as_bot("acl_revert_modification").await,
        &no_history,
    )
    .await
    .unwrap_err();
    assert_eq!(error.name, ErrorName::InvalidInput);
}
