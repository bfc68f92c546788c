//! Verify and undo of the network and network-logging bots on the local stack, each bot and
//! its restorer running as a user allowed exactly its own role's actions (IAM enforced):
//! load balancer access logs (`restore_load_balancer_attributes`), Network Firewall logging
//! (`restore_firewall_logging`) and VPC flow logs and isolation (`restore_vpc_settings`); the
//! network ACL entry revert is undone in `undo_network_acl.rs`. Each resource is described in full
//! before the bot runs and equals that description after undo; a second undo restores nothing;
//! a resource changed since the bot is refused unless forced; and a change answered "done" on
//! the wire but never made fails the step `NotVerified`.

use aws_sdk_ec2::types::{Filter, VpcAttributeName};
use aws_sdk_elasticloadbalancing::types::{AdditionalAttribute, LoadBalancerAttributes};
use aws_sdk_elasticloadbalancingv2::types::LoadBalancerAttribute;
use aws_sdk_networkfirewall::types::{
    LogDestinationConfig, LogDestinationType, LogType, LoggingConfiguration,
};
use cloudbots_cli::local::LOCAL_ACCOUNT;
use cloudbots_shared::outcome::OutcomeStatus;
use cloudbots_shared::plan::Mode;
use cloudbots_tests::network_acl::{acl_with, created_entry_trail, revert};
use cloudbots_tests::network_logging::{
    self, application, classic, firewalls, new_firewall, LOG_BUCKET,
};
use cloudbots_tests::resources::vpc_with_two_subnets;
use cloudbots_tests::wire::{faulty_client, faulty_json_client, query_no_op};
use cloudbots_tests::{
    assert_not_verified, assert_refused_then_forced, assert_remediated, assert_undo_not_found,
    assert_undone, aws, entity, run_ok, unique_name,
};
use serde_json::Value;
use std::collections::HashMap;

/// EC2's answer to `action` that it says succeeded, with `content`: the injected no-op.
fn ec2_done(action: &str, content: &str) -> (u16, &'static str) {
    let body = format!(
        "<{action}Response xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>nv</requestId><return>true</return>{content}</{action}Response>"
    );
    (200, Box::leak(body.into_boxed_str()))
}

// ---- load_balancer_enable_access_logs ----

async fn new_classic_load_balancer() -> String {
    let name = network_logging::new_classic_load_balancer().await;
    let desync = AdditionalAttribute::builder()
        .key("elb.http.desyncmitigationmode")
        .value("defensive")
        .build();
    classic()
        .await
        .modify_load_balancer_attributes()
        .load_balancer_name(&name)
        .load_balancer_attributes(
            LoadBalancerAttributes::builder()
                .additional_attributes(desync)
                .build(),
        )
        .send()
        .await
        .expect("modify_load_balancer_attributes");
    name
}

/// Set attributes of an application load balancer.
async fn set_attributes(arn: &str, attributes: &[(&str, &str)]) {
    let mut modify = application()
        .await
        .modify_load_balancer_attributes()
        .load_balancer_arn(arn);
    for (key, value) in attributes {
        modify = modify.attributes(
            LoadBalancerAttribute::builder()
                .key(*key)
                .value(*value)
                .build(),
        );
    }
    modify
        .send()
        .await
        .expect("modify_load_balancer_attributes");
}

/// A new application load balancer logging nowhere, into bucket `old-logs` under `old` when
/// turned on: its ARN. (The local stack lists `access_logs.s3.enabled` only once it was set,
/// where AWS always lists it: it is set off here, as AWS has it.)
async fn new_application_load_balancer(octet: u8) -> String {
    let arn = network_logging::new_application_load_balancer(octet).await;
    set_attributes(
        &arn,
        &[
            ("access_logs.s3.enabled", "false"),
            ("access_logs.s3.bucket", "old-logs"),
            ("access_logs.s3.prefix", "old"),
        ],
    )
    .await;
    arn
}

/// Every attribute of the classic load balancer, as the API describes them. (The local stack
/// appends AWS's default desync mitigation mode to the additional attributes on every change
/// rather than keeping the one AWS lists: each additional attribute is listed once here, and
/// the new load balancer is given it as AWS has it.)
async fn described_classic(name: &str) -> String {
    let out = classic()
        .await
        .describe_load_balancer_attributes()
        .load_balancer_name(name)
        .send()
        .await
        .expect("describe_load_balancer_attributes");
    let mut attributes = out.load_balancer_attributes().cloned().unwrap();
    if let Some(additional) = attributes.additional_attributes.as_mut() {
        additional.dedup();
    }
    format!("{attributes:?}")
}

/// Every attribute of the application load balancer, sorted.
async fn described_application(arn: &str) -> Vec<(String, String)> {
    let out = application()
        .await
        .describe_load_balancer_attributes()
        .load_balancer_arn(arn)
        .send()
        .await
        .expect("describe_load_balancer_attributes");
    let mut attributes: Vec<(String, String)> = out
        .attributes()
        .iter()
        .map(|a| {
            (
                a.key().unwrap_or_default().to_string(),
                a.value().unwrap_or_default().to_string(),
            )
        })
        .collect();
    attributes.sort();
    attributes
}

fn application_entity(arn: &str) -> Value {
    entity(
        "ApplicationLoadBalancer",
        arn,
        arn.split('/').nth(2).unwrap(),
    )
}

fn alb_name(arn: &str) -> &str {
    arn.split('/').nth(2).unwrap()
}

/// The delivery statement the bot added to the log bucket's policy, which undo leaves.
async fn log_bucket_statements() -> Value {
    let policy = aws_sdk_s3::Client::new(&aws().await)
        .get_bucket_policy()
        .bucket(LOG_BUCKET)
        .send()
        .await
        .expect("the log bucket stays")
        .policy
        .unwrap();
    serde_json::from_str::<Value>(&policy).unwrap()["Statement"].clone()
}

#[tokio::test]
async fn load_balancer_access_logs_are_verified_and_undone_for_both_kinds() {
    let line = "load_balancer_enable_access_logs";
    let name = new_classic_load_balancer().await;
    let before = described_classic(&name).await;
    let outcome = run_ok(line, entity("ELB", &name, &name), Mode::Enforce).await;
    assert_remediated(&outcome, &[format!("the access logging of classic load balancer {name} is on, bucket {LOG_BUCKET}, every 60 min")]);
    assert_ne!(described_classic(&name).await, before);
    assert_undone(&outcome, "classic", &before, || described_classic(&name)).await;

    let arn = new_application_load_balancer(41).await;
    let before = described_application(&arn).await;
    let outcome = run_ok(line, application_entity(&arn), Mode::Enforce).await;
    assert_remediated(
        &outcome,
        &[format!(
            "the access logging of load balancer {} is on, bucket {LOG_BUCKET}, prefix old",
            alb_name(&arn)
        )],
    );
    assert_ne!(described_application(&arn).await, before);
    let undone = assert_undone(&outcome, "application", &before, || {
        described_application(&arn)
    })
    .await;
    assert_eq!(
        undone.changes,
        [format!(
            "set the access logging of load balancer {} back to off, bucket old-logs, prefix old",
            alb_name(&arn)
        )]
    );
    assert_eq!(
        log_bucket_statements().await[0]["Sid"],
        "ELBAccessLogs",
        "the delivery statement stays"
    );
}

#[tokio::test]
async fn load_balancer_access_logs_changed_since_are_refused_unless_forced() {
    let arn = new_application_load_balancer(42).await;
    let before = described_application(&arn).await;
    let outcome = run_ok(
        "load_balancer_enable_access_logs",
        application_entity(&arn),
        Mode::Enforce,
    )
    .await;
    set_attributes(&arn, &[("access_logs.s3.bucket", "elsewhere")]).await;
    assert_refused_then_forced(
        &outcome,
        &[&format!("its access logging is on, bucket elsewhere, prefix old, not on, bucket {LOG_BUCKET}, prefix old as the bot left it")],
        &before,
        || described_application(&arn),
    )
    .await;
}

#[tokio::test]
async fn a_load_balancer_or_acl_deleted_since_is_not_found_by_undo() {
    let arn = new_application_load_balancer(49).await;
    let outcome = run_ok(
        "load_balancer_enable_access_logs",
        application_entity(&arn),
        Mode::Enforce,
    )
    .await;
    application()
        .await
        .delete_load_balancer()
        .load_balancer_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_undo_not_found(
        &outcome,
        format!("load balancer {} does not exist (any more)", alb_name(&arn)),
    )
    .await;

    let acl = acl_with(&[(100, "0.0.0.0/0", (22, 22))]).await;
    let cloudtrail = created_entry_trail(&acl);
    let outcome = revert(&acl, &cloudtrail).await;
    ec2()
        .await
        .delete_network_acl()
        .network_acl_id(&acl)
        .send()
        .await
        .unwrap();
    assert_undo_not_found(
        &outcome,
        format!("network ACL {acl} does not exist (any more)"),
    )
    .await;
}

#[tokio::test]
async fn load_balancer_access_logs_that_do_not_show_fail_not_verified() {
    let name = new_classic_load_balancer().await;
    let action = "ModifyLoadBalancerAttributes";
    let faulty = faulty_client(action, &[query_no_op(action); 2]).await;
    assert_not_verified(
        faulty,
        "load_balancer_enable_access_logs",
        entity("ELB", &name, &name),
        format!("classic load balancer {name} read back after the change is not as intended (3 reads): its access logging is off, not on, bucket {LOG_BUCKET}, every 60 min"),
    )
    .await;
}

// ---- network_firewall_enable_logging ----

fn destination(
    log_type: LogType,
    kind: LogDestinationType,
    to: &[(&str, &str)],
) -> LogDestinationConfig {
    let to: HashMap<String, String> = to
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    LogDestinationConfig::builder()
        .log_type(log_type)
        .log_destination_type(kind)
        .set_log_destination(Some(to))
        .build()
        .unwrap()
}

async fn set_logging(arn: &str, configs: Vec<LogDestinationConfig>) {
    firewalls()
        .await
        .update_logging_configuration()
        .firewall_arn(arn)
        .logging_configuration(
            LoggingConfiguration::builder()
                .set_log_destination_configs(Some(configs))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("update_logging_configuration");
}

/// The firewall's whole logging configuration: each destination config, sorted.
async fn described_logging(arn: &str) -> Vec<String> {
    let out = firewalls()
        .await
        .describe_logging_configuration()
        .firewall_arn(arn)
        .send()
        .await
        .expect("describe_logging_configuration");
    let mut configs: Vec<String> = out
        .logging_configuration()
        .map(|c| c.log_destination_configs())
        .unwrap_or_default()
        .iter()
        .map(|c| {
            let mut to: Vec<_> = c.log_destination().iter().collect();
            to.sort();
            format!("{:?} {:?} {to:?}", c.log_type(), c.log_destination_type())
        })
        .collect();
    configs.sort();
    configs
}

#[tokio::test]
async fn firewall_logging_is_verified_and_undone_to_the_configuration_it_replaced() {
    // No logging at all, then logging whose flow logs move to another type of destination
    // (removed and added again by undo, one destination per call) and whose alert logs stay.
    let (name, arn) = new_firewall(&[]).await;
    let before = described_logging(&arn).await;
    let bucket = "123456789012-s3-network-firewall-flow-logs-us-east-1";
    let outcome = run_ok(
        "network_firewall_enable_logging FLOW S3 create",
        entity("NetworkFirewall", &arn, &name),
        Mode::Enforce,
    )
    .await;
    assert_remediated(
        &outcome,
        &[format!(
            "the logging of firewall {name} is FLOW logs to S3 bucketName={bucket}"
        )],
    );
    assert_undone(&outcome, "no logging before", &before, || {
        described_logging(&arn)
    })
    .await;

    let (name, arn) = new_firewall(&[]).await;
    set_logging(
        &arn,
        vec![
            destination(
                LogType::Alert,
                LogDestinationType::CloudwatchLogs,
                &[("logGroup", "alerts")],
            ),
            destination(
                LogType::Flow,
                LogDestinationType::S3,
                &[("bucketName", "my-logs"), ("prefix", "fw")],
            ),
        ],
    )
    .await;
    let before = described_logging(&arn).await;
    let outcome = run_ok(
        "network_firewall_enable_logging FLOW KinesisDataFirehose firewall-stream",
        entity("NetworkFirewall", &arn, &name),
        Mode::Enforce,
    )
    .await;
    assert_eq!(
        outcome.status,
        OutcomeStatus::Remediated,
        "{}",
        outcome.message
    );
    assert_ne!(described_logging(&arn).await, before);
    let undone = assert_undone(&outcome, "flow logs moved", &before, || {
        described_logging(&arn)
    })
    .await;
    assert_eq!(
        undone.changes,
        [format!("set the logging of firewall {name} back to ALERT logs to CloudWatchLogs logGroup=alerts; FLOW logs to S3 bucketName=my-logs,prefix=fw")]
    );
}

#[tokio::test]
async fn firewall_logging_changed_since_is_refused_unless_forced() {
    let (name, arn) = new_firewall(&[]).await;
    let before = described_logging(&arn).await;
    let outcome = run_ok(
        "network_firewall_enable_logging ALERT S3 my-logs",
        entity("NetworkFirewall", &arn, &name),
        Mode::Enforce,
    )
    .await;
    set_logging(
        &arn,
        vec![destination(
            LogType::Alert,
            LogDestinationType::S3,
            &[("bucketName", "other-logs")],
        )],
    )
    .await;
    assert_refused_then_forced(
        &outcome,
        &["its logging is ALERT logs to S3 bucketName=other-logs, not ALERT logs to S3 bucketName=my-logs as the bot left it"],
        &before,
        || described_logging(&arn),
    )
    .await;
}

#[tokio::test]
async fn firewall_logging_that_does_not_show_fails_not_verified() {
    let (name, arn) = new_firewall(&[]).await;
    let faulty = faulty_json_client("UpdateLoggingConfiguration", &[(200, "{}"); 2]).await;
    assert_not_verified(
        faulty,
        "network_firewall_enable_logging FLOW S3 my-logs",
        entity("NetworkFirewall", &arn, &name),
        format!("firewall {name} read back after the change is not as intended (3 reads): its logging is none, not FLOW logs to S3 bucketName=my-logs"),
    )
    .await;
}

// ---- vpc_turn_on_flow_logs and vpc_isolate ----

async fn ec2() -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::new(&aws().await)
}

fn vpc_entity(id: &str) -> Value {
    entity("VPC", id, "cloudbots-undo-vpc")
}

/// What the VPC bots change and its neighbours: the VPC's DNS attributes, its flow logs, the
/// network ACL of each subnet, and the managed policies of `users`.
async fn described_vpc(vpc: &str, users: &[String]) -> String {
    let ec2 = ec2().await;
    let attribute = |name| {
        let ec2 = ec2.clone();
        async move {
            let out = ec2
                .describe_vpc_attribute()
                .vpc_id(vpc)
                .attribute(name)
                .send()
                .await
                .expect("describe_vpc_attribute");
            (
                out.enable_dns_support().and_then(|v| v.value()),
                out.enable_dns_hostnames().and_then(|v| v.value()),
            )
        }
    };
    let dns = attribute(VpcAttributeName::EnableDnsSupport).await.0;
    let hostnames = attribute(VpcAttributeName::EnableDnsHostnames).await.1;
    let in_vpc = || Filter::builder().name("vpc-id").values(vpc).build();
    let flow_logs = ec2
        .describe_flow_logs()
        .filter(Filter::builder().name("resource-id").values(vpc).build())
        .send()
        .await
        .expect("describe_flow_logs");
    let mut flow_logs: Vec<String> = flow_logs
        .flow_logs()
        .iter()
        .map(|f| {
            format!(
                "{:?} {:?} {:?} {:?}",
                f.flow_log_id(),
                f.traffic_type(),
                f.log_group_name(),
                f.log_destination()
            )
        })
        .collect();
    flow_logs.sort();
    let acls = ec2
        .describe_network_acls()
        .filters(in_vpc())
        .send()
        .await
        .expect("describe_network_acls");
    let mut subnets: Vec<(String, String)> = acls
        .network_acls()
        .iter()
        .flat_map(|acl| {
            acl.associations().iter().filter_map(|a| {
                Some((
                    a.subnet_id()?.to_string(),
                    acl.network_acl_id()?.to_string(),
                ))
            })
        })
        .collect();
    subnets.sort();
    let iam = aws_sdk_iam::Client::new(&aws().await);
    let mut policies = Vec::new();
    for user in users {
        let attached = iam
            .list_attached_user_policies()
            .user_name(user)
            .send()
            .await
            .expect("list_attached_user_policies");
        let names: Vec<&str> = attached
            .attached_policies()
            .iter()
            .filter_map(|p| p.policy_name())
            .collect();
        policies.push(format!("{user}: {names:?}"));
    }
    format!("DNS support {dns:?}, DNS hostnames {hostnames:?}, flow logs {flow_logs:?}, subnets on {subnets:?}, users' policies {policies:?}")
}

#[tokio::test]
async fn flow_logs_are_verified_and_undone_by_deleting_the_flow_log_only() {
    let bucket = unique_name("undo-flow-logs");
    aws_sdk_s3::Client::new(&aws().await)
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("create_bucket");
    for (line, delivery) in [
        (
            "vpc_turn_on_flow_logs".to_string(),
            "ALL traffic to cloud-watch-logs vpcFlowLogs".to_string(),
        ),
        (
            format!("vpc_turn_on_flow_logs traffic_type=reject destination=s3 s3_arn=arn:aws:s3:::{bucket}"),
            format!("REJECT traffic to s3 arn:aws:s3:::{bucket}"),
        ),
    ] {
        let (vpc, _) = vpc_with_two_subnets(43).await;
        let before = described_vpc(&vpc, &[]).await;
        let outcome = run_ok(&line, vpc_entity(&vpc), Mode::Enforce).await;
        assert_eq!(outcome.status, OutcomeStatus::Remediated, "{line}: {}", outcome.message);
        let flow_log = &outcome.artifacts[0];
        assert_eq!(
            outcome.verified,
            [format!("the flow log of VPC {vpc} is {flow_log} ({delivery})")],
            "{line}"
        );
        assert_ne!(described_vpc(&vpc, &[]).await, before, "{line}");
        let undone = assert_undone(&outcome, &line, &before, || described_vpc(&vpc, &[])).await;
        assert_eq!(undone.changes, [format!("delete flow log {flow_log} of VPC {vpc}")]);
    }
    // What delivery to CloudWatch Logs needed stays: the log group and the delivery role.
    let config = aws().await;
    let groups = aws_sdk_cloudwatchlogs::Client::new(&config)
        .describe_log_groups()
        .log_group_name_prefix("vpcFlowLogs")
        .send()
        .await
        .unwrap();
    assert_eq!(groups.log_groups()[0].log_group_name(), Some("vpcFlowLogs"));
    aws_sdk_iam::Client::new(&config)
        .get_role()
        .role_name("vpcFlowLogDelivery")
        .send()
        .await
        .expect("the delivery role stays");
}

#[tokio::test]
async fn a_flow_log_that_does_not_show_fails_not_verified() {
    // (A flow log cannot be changed once created, only deleted, which undo then finds as
    // nothing to restore: there is no "changed since" case for it.)
    let (vpc, _) = vpc_with_two_subnets(44).await;
    let action = "CreateFlowLogs";
    let created = "<flowLogIdSet><item>fl-0badc0ffee0000000</item></flowLogIdSet>";
    let faulty = faulty_client(action, &[ec2_done(action, created); 2]).await;
    assert_not_verified(
        faulty,
        "vpc_turn_on_flow_logs",
        vpc_entity(&vpc),
        format!("VPC {vpc} read back after the change is not as intended (3 reads): its flow log is fl-0badc0ffee0000000 absent, not fl-0badc0ffee0000000 (ALL traffic to cloud-watch-logs vpcFlowLogs)"),
    )
    .await;
}

/// A new VPC with two subnets on its default ACL, and two new IAM users: their ids and names.
async fn vpc_to_isolate(octet: u8) -> (String, Vec<String>) {
    let (vpc, _) = vpc_with_two_subnets(octet).await;
    let iam = aws_sdk_iam::Client::new(&aws().await);
    let users = vec![
        unique_name("undo-isolated-a"),
        unique_name("undo-isolated-b"),
    ];
    for user in &users {
        iam.create_user().user_name(user).send().await.unwrap();
    }
    (vpc, users)
}

#[tokio::test]
async fn vpc_isolation_is_verified_and_undone_but_the_acl_and_policy_stay() {
    let (vpc, users) = vpc_to_isolate(45).await;
    let before = described_vpc(&vpc, &users).await;
    let outcome = run_ok("vpc_isolate", vpc_entity(&vpc), Mode::Enforce).await;
    assert_eq!(
        outcome.status,
        OutcomeStatus::Remediated,
        "{}",
        outcome.message
    );
    let policy_arn =
        format!("arn:aws:iam::{LOCAL_ACCOUNT}:policy/isolate_deny_{vpc}_access_policy");
    for part in [
        format!("the DNS support of VPC {vpc} is off"),
        format!(
            "the deny policy of VPC {vpc} is attached to user {}",
            users[0]
        ),
        format!(
            "the deny policy of VPC {vpc} is attached to user {}",
            users[1]
        ),
    ] {
        assert!(
            outcome.verified.contains(&part),
            "{part} in {:?}",
            outcome.verified
        );
    }
    let subnets_verified = outcome
        .verified
        .iter()
        .filter(|v| v.starts_with(&format!("the subnet network ACL of VPC {vpc} is ")))
        .count();
    assert_eq!(subnets_verified, 2, "{:?}", outcome.verified);
    assert_ne!(described_vpc(&vpc, &users).await, before);
    assert_undone(&outcome, "vpc_isolate", &before, || {
        described_vpc(&vpc, &users)
    })
    .await;

    // The deny-all network ACL and the deny policy stay.
    let isolation_acl = &outcome.artifacts[0];
    assert!(isolation_acl.starts_with("acl-"), "{:?}", outcome.artifacts);
    ec2()
        .await
        .describe_network_acls()
        .network_acl_ids(isolation_acl)
        .send()
        .await
        .expect("the deny-all ACL stays");
    aws_sdk_iam::Client::new(&aws().await)
        .get_policy()
        .policy_arn(&policy_arn)
        .send()
        .await
        .expect("the deny policy stays");
}

#[tokio::test]
async fn a_vpc_changed_since_isolation_is_refused_unless_forced() {
    let (vpc, users) = vpc_to_isolate(46).await;
    let before = described_vpc(&vpc, &users).await;
    let outcome = run_ok("vpc_isolate", vpc_entity(&vpc), Mode::Enforce).await;
    ec2()
        .await
        .modify_vpc_attribute()
        .vpc_id(&vpc)
        .enable_dns_support(
            aws_sdk_ec2::types::AttributeBooleanValue::builder()
                .value(true)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_refused_then_forced(
        &outcome,
        &["its DNS support is on, not off as the bot left it"],
        &before,
        || described_vpc(&vpc, &users),
    )
    .await;
}

#[tokio::test]
async fn an_isolation_that_does_not_show_fails_not_verified() {
    let (vpc, _) = vpc_to_isolate(47).await;
    let action = "ModifyVpcAttribute";
    let faulty = faulty_client(action, &[ec2_done(action, ""); 2]).await;
    assert_not_verified(
        faulty,
        "vpc_isolate",
        vpc_entity(&vpc),
        format!("VPC {vpc} read back after the change is not as intended (3 reads): its DNS support is on, not off"),
    )
    .await;
}
