//! Security-group bots on the local stack: the exact rules left on the group after each run.

use aws_sdk_ec2::types::{IpPermission, IpRange, Ipv6Range, PrefixListId, UserIdGroupPair};
use cloudbots_shared::outcome::{BotOutcome, OutcomeStatus};
use cloudbots_shared::plan::Mode;
use cloudbots_tests::security_groups::{
    allow_inbound, allow_outbound, inbound, outbound, rule, set,
};
use cloudbots_tests::{aws, entity, run_line};
use std::collections::BTreeSet;

async fn ec2() -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::new(&aws().await)
}

/// A new group in its own dual-stack VPC: EC2 gives it the default outbound rules
/// (all traffic to 0.0.0.0/0 and to ::/0) and no inbound rule.
async fn new_group(ec2: &aws_sdk_ec2::Client) -> String {
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.0.0.0/16")
        .amazon_provided_ipv6_cidr_block(true)
        .send()
        .await
        .expect("create_vpc");
    let vpc_id = vpc.vpc().unwrap().vpc_id().unwrap();
    let group = ec2
        .create_security_group()
        .group_name("cloudbots-test")
        .description("cloudbots test group")
        .vpc_id(vpc_id)
        .send()
        .await
        .expect("create_security_group");
    group.group_id().unwrap().to_string()
}

/// A rule for one CIDR (IPv4 or IPv6); `-1` opens all traffic.
fn sg(id: &str) -> serde_json::Value {
    entity("SecurityGroup", id, "cloudbots-test")
}

async fn run(line: &str, group: &str, mode: Mode) -> BotOutcome {
    run_line(line, sg(group), mode)
        .await
        .unwrap_or_else(|e| panic!("{line}: {e}"))
}

fn assert_mentions(outcome: &BotOutcome, parts: &[&str]) {
    for part in parts {
        assert!(
            outcome.message.contains(part),
            "'{part}' missing from: {}",
            outcome.message
        );
    }
}

#[tokio::test]
async fn rules_delete_revokes_every_rule_of_both_directions_and_lists_them() {
    let ec2 = ec2().await;
    let group = new_group(&ec2).await;
    let peer = ec2
        .create_security_group()
        .group_name("cloudbots-peer")
        .description("peer")
        .vpc_id(
            ec2.describe_security_groups()
                .group_ids(&group)
                .send()
                .await
                .unwrap()
                .security_groups()[0]
                .vpc_id()
                .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .group_id()
        .unwrap()
        .to_string();
    let prefix_list = ec2
        .create_managed_prefix_list()
        .prefix_list_name("office")
        .address_family("IPv4")
        .max_entries(5)
        .send()
        .await
        .expect("create_managed_prefix_list")
        .prefix_list()
        .unwrap()
        .prefix_list_id()
        .unwrap()
        .to_string();
    allow_inbound(
        &ec2,
        &group,
        vec![
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(22)
                .to_port(22)
                .ip_ranges(
                    IpRange::builder()
                        .cidr_ip("0.0.0.0/0")
                        .description("ssh")
                        .build(),
                )
                .build(),
            rule("tcp", 443, 443, "::/0"),
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(80)
                .to_port(80)
                .user_id_group_pairs(UserIdGroupPair::builder().group_id(&peer).build())
                .build(),
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(5432)
                .to_port(5432)
                .prefix_list_ids(PrefixListId::builder().prefix_list_id(&prefix_list).build())
                .build(),
        ],
    )
    .await;
    allow_outbound(&ec2, &group, vec![rule("udp", 53, 53, "10.0.0.0/8")]).await;
    let inbound_before = inbound(&ec2, &group).await;
    let outbound_before = outbound(&ec2, &group).await;
    assert_eq!(
        outbound_before,
        set(&["-1 all 0.0.0.0/0", "-1 all ::/0", "udp 53-53 10.0.0.0/8"])
    );

    let expected = [
        "revoke inbound tcp port 22 from 0.0.0.0/0 (ssh)".to_string(),
        "revoke inbound tcp port 443 from ::/0".to_string(),
        format!("revoke inbound tcp port 80 from {peer}"),
        format!("revoke inbound tcp port 5432 from {prefix_list}"),
        "revoke outbound all traffic to 0.0.0.0/0, ::/0".to_string(),
        "revoke outbound udp port 53 to 10.0.0.0/8".to_string(),
    ];
    let sorted = |lines: &[String]| lines.iter().cloned().collect::<BTreeSet<_>>();

    let dry = run("sg_rules_delete", &group, Mode::DryRun).await;
    assert_eq!(dry.status, OutcomeStatus::DryRun);
    assert_eq!(dry.changes.len(), expected.len(), "{:?}", dry.changes);
    assert_eq!(sorted(&dry.changes), sorted(&expected));
    assert_eq!(
        inbound(&ec2, &group).await,
        inbound_before,
        "dry-run changes nothing"
    );
    assert_eq!(
        outbound(&ec2, &group).await,
        outbound_before,
        "dry-run changes nothing"
    );

    let first = run("sg_rules_delete", &group, Mode::Enforce).await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert_eq!(sorted(&first.changes), sorted(&expected));
    for line in &expected {
        assert_mentions(&first, &[line.trim_start_matches("revoke ")]);
    }
    assert!(inbound(&ec2, &group).await.is_empty());
    assert!(outbound(&ec2, &group).await.is_empty());

    let second = run("sg_rules_delete", &group, Mode::Enforce).await;
    assert_eq!(second.status, OutcomeStatus::AlreadyCompliant);
    assert_eq!(
        second.message,
        format!("Security group {group} has no inbound or outbound rules")
    );
}

#[tokio::test]
async fn both_bots_skip_a_missing_group_with_a_reason() {
    for line in [
        "sg_rules_delete",
        "sg_single_rule_delete split=false protocol=TCP scope=0.0.0.0/0 direction=inbound port=22",
    ] {
        let outcome = run(line, "sg-0123456789abcdef0", Mode::Enforce).await;
        assert_eq!(outcome.status, OutcomeStatus::Skipped, "{line}");
        assert_eq!(
            outcome.message,
            "Security group sg-0123456789abcdef0 does not exist (any more): nothing to do"
        );
    }
}

#[tokio::test]
async fn single_rule_delete_revokes_an_exact_match_for_its_scope_only() {
    let ec2 = ec2().await;
    let group = new_group(&ec2).await;
    allow_inbound(
        &ec2,
        &group,
        vec![
            rule("tcp", 22, 22, "0.0.0.0/0"),
            rule("tcp", 22, 22, "10.0.0.0/8"),
            rule("tcp", 80, 80, "0.0.0.0/0"),
        ],
    )
    .await;
    let line =
        "sg_single_rule_delete split=false protocol=TCP scope=0.0.0.0/0 direction=inbound port=22";

    let dry = run(line, &group, Mode::DryRun).await;
    assert_eq!(dry.status, OutcomeStatus::DryRun);
    assert_eq!(
        dry.changes,
        vec!["revoke inbound tcp port 22 from 0.0.0.0/0"]
    );
    assert_eq!(
        inbound(&ec2, &group).await,
        set(&[
            "tcp 22-22 0.0.0.0/0",
            "tcp 22-22 10.0.0.0/8",
            "tcp 80-80 0.0.0.0/0"
        ]),
        "dry-run changes nothing"
    );

    let first = run(line, &group, Mode::Enforce).await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert_mentions(
        &first,
        &[
            "Matching rule found that is going to be deleted: inbound tcp port 22 from 0.0.0.0/0",
            "Security Group ingress rule from port 22 to port 22 successfully removed",
        ],
    );
    assert_eq!(
        inbound(&ec2, &group).await,
        set(&["tcp 22-22 10.0.0.0/8", "tcp 80-80 0.0.0.0/0"])
    );

    let second = run(line, &group, Mode::Enforce).await;
    assert_eq!(second.status, OutcomeStatus::AlreadyCompliant);
    assert_eq!(
        second.message,
        format!(
            "Security group {group} has no inbound tcp rule for port 22 and 0.0.0.0/0: nothing to remove"
        )
    );
}

#[tokio::test]
async fn single_rule_delete_with_split_cuts_the_port_out_of_a_range_and_keeps_the_rest() {
    let ec2 = ec2().await;
    let group = new_group(&ec2).await;
    allow_inbound(
        &ec2,
        &group,
        vec![IpPermission::builder()
            .ip_protocol("tcp")
            .from_port(0)
            .to_port(1024)
            .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
            .ip_ranges(IpRange::builder().cidr_ip("10.0.0.0/8").build())
            .build()],
    )
    .await;
    let before = set(&["tcp 0-1024 0.0.0.0/0", "tcp 0-1024 10.0.0.0/8"]);
    assert_eq!(inbound(&ec2, &group).await, before);
    let line =
        "sg_single_rule_delete split=true protocol=TCP scope=0.0.0.0/0 direction=inbound port=22";

    let dry = run(line, &group, Mode::DryRun).await;
    assert_eq!(dry.status, OutcomeStatus::DryRun);
    assert_eq!(
        dry.changes,
        vec![
            "authorize inbound tcp ports 0-21 from 0.0.0.0/0",
            "authorize inbound tcp ports 23-1024 from 0.0.0.0/0",
            "revoke inbound tcp ports 0-1024 from 0.0.0.0/0",
        ]
    );
    assert_eq!(
        inbound(&ec2, &group).await,
        before,
        "dry-run changes nothing"
    );

    let first = run(line, &group, Mode::Enforce).await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert_eq!(first.changes, dry.changes);
    assert_mentions(
        &first,
        &[
            "Security Group ingress rule from port 0 to port 21 successfully added",
            "Security Group ingress rule from port 23 to port 1024 successfully added",
            "Security Group ingress rule from port 0 to port 1024 successfully removed",
        ],
    );
    assert_eq!(
        inbound(&ec2, &group).await,
        set(&[
            "tcp 0-21 0.0.0.0/0",
            "tcp 23-1024 0.0.0.0/0",
            "tcp 0-1024 10.0.0.0/8",
        ]),
        "port 22 is closed to the scope, the rest of the range and the other CIDR stay open"
    );

    let second = run(line, &group, Mode::Enforce).await;
    assert_eq!(
        second.status,
        OutcomeStatus::AlreadyCompliant,
        "{}",
        second.message
    );
}

#[tokio::test]
async fn single_rule_delete_without_split_keeps_a_wider_range_and_says_why() {
    let ec2 = ec2().await;
    let group = new_group(&ec2).await;
    allow_inbound(&ec2, &group, vec![rule("tcp", 0, 1024, "0.0.0.0/0")]).await;

    let outcome = run(
        "sg_single_rule_delete split=false protocol=TCP scope=0.0.0.0/0 direction=inbound port=22",
        &group,
        Mode::Enforce,
    )
    .await;
    assert_eq!(outcome.status, OutcomeStatus::Skipped);
    assert_eq!(
        outcome.message,
        format!(
            "No SG rule of security group {group} matches the inbound tcp rule for port 22 and 0.0.0.0/0 exactly: \
             split=false keeps wider ranges, so inbound tcp ports 0-1024 from 0.0.0.0/0 stays open \
             (use split=true to cut port 22 out of it)"
        )
    );
    assert!(outcome.changes.is_empty());
    assert_eq!(inbound(&ec2, &group).await, set(&["tcp 0-1024 0.0.0.0/0"]));
}

#[tokio::test]
async fn single_rule_delete_with_split_handles_a_port_at_either_end_of_the_range() {
    let ec2 = ec2().await;
    let group = new_group(&ec2).await;
    allow_inbound(
        &ec2,
        &group,
        vec![
            rule("udp", 53, 60, "0.0.0.0/0"),
            rule("tcp", 8000, 8080, "0.0.0.0/0"),
        ],
    )
    .await;

    let start = run(
        "sg_single_rule_delete split=true protocol=UDP scope=0.0.0.0/0 direction=inbound port=53",
        &group,
        Mode::Enforce,
    )
    .await;
    assert_eq!(start.status, OutcomeStatus::Remediated, "{}", start.message);
    assert_eq!(
        start.changes,
        vec![
            "authorize inbound udp ports 54-60 from 0.0.0.0/0",
            "revoke inbound udp ports 53-60 from 0.0.0.0/0",
        ]
    );

    let end = run(
        "sg_single_rule_delete split=true protocol=TCP scope=0.0.0.0/0 direction=inbound port=8080",
        &group,
        Mode::Enforce,
    )
    .await;
    assert_eq!(end.status, OutcomeStatus::Remediated, "{}", end.message);
    assert_eq!(
        end.changes,
        vec![
            "authorize inbound tcp ports 8000-8079 from 0.0.0.0/0",
            "revoke inbound tcp ports 8000-8080 from 0.0.0.0/0",
        ]
    );
    assert_eq!(
        inbound(&ec2, &group).await,
        set(&["udp 54-60 0.0.0.0/0", "tcp 8000-8079 0.0.0.0/0"])
    );
}

#[tokio::test]
async fn single_rule_delete_port_zero_with_split_removes_the_whole_range() {
    let ec2 = ec2().await;
    let group = new_group(&ec2).await;
    allow_inbound(
        &ec2,
        &group,
        vec![
            rule("tcp", 1000, 2000, "0.0.0.0/0"),
            rule("udp", 1000, 2000, "0.0.0.0/0"),
        ],
    )
    .await;

    let outcome = run(
        "sg_single_rule_delete split=true protocol=TCP scope=0.0.0.0/0 direction=inbound port=0",
        &group,
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
        outcome.changes,
        vec!["revoke inbound tcp ports 1000-2000 from 0.0.0.0/0"]
    );
    assert_eq!(
        inbound(&ec2, &group).await,
        set(&["udp 1000-2000 0.0.0.0/0"])
    );
}

#[tokio::test]
async fn single_rule_delete_all_without_split_revokes_the_all_traffic_rule() {
    let ec2 = ec2().await;
    let group = new_group(&ec2).await;
    allow_inbound(
        &ec2,
        &group,
        vec![
            rule("-1", 0, 0, "0.0.0.0/0"),
            rule("tcp", 22, 22, "0.0.0.0/0"),
        ],
    )
    .await;
    let line = "sg_single_rule_delete split=false protocol=ALL scope=0.0.0.0/0 direction=inbound";

    let first = run(line, &group, Mode::Enforce).await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert_eq!(
        first.changes,
        vec!["revoke inbound all traffic from 0.0.0.0/0"]
    );
    assert_mentions(
        &first,
        &["Security Group ingress rule for all traffic successfully removed"],
    );
    assert_eq!(inbound(&ec2, &group).await, set(&["tcp 22-22 0.0.0.0/0"]));

    let second = run(line, &group, Mode::Enforce).await;
    assert_eq!(second.status, OutcomeStatus::AlreadyCompliant);
    assert_eq!(
        second.message,
        format!(
            "Security group {group} has no inbound all-traffic rule for 0.0.0.0/0: nothing to remove"
        )
    );
}

#[tokio::test]
async fn single_rule_delete_all_with_split_reopens_every_other_tcp_port_outbound() {
    let ec2 = ec2().await;
    let group = new_group(&ec2).await;
    let before = set(&["-1 all 0.0.0.0/0", "-1 all ::/0"]);
    assert_eq!(
        outbound(&ec2, &group).await,
        before,
        "EC2's default outbound rules"
    );
    let line =
        "sg_single_rule_delete split=true protocol=ALL scope=0.0.0.0/0 direction=outbound port=22";

    let dry = run(line, &group, Mode::DryRun).await;
    assert_eq!(dry.status, OutcomeStatus::DryRun);
    assert_eq!(
        dry.changes,
        vec![
            "authorize outbound tcp ports 0-21 to 0.0.0.0/0",
            "authorize outbound tcp ports 23-65535 to 0.0.0.0/0",
            "revoke outbound all traffic to 0.0.0.0/0",
        ]
    );
    assert_eq!(
        outbound(&ec2, &group).await,
        before,
        "dry-run changes nothing"
    );

    let first = run(line, &group, Mode::Enforce).await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert_mentions(
        &first,
        &[
            "Security Group egress rule from port 0 to port 21 successfully added",
            "Security Group egress rule from port 23 to port 65535 successfully added",
            "Security Group egress rule for all traffic successfully removed",
        ],
    );
    assert_eq!(
        outbound(&ec2, &group).await,
        set(&[
            "tcp 0-21 0.0.0.0/0",
            "tcp 23-65535 0.0.0.0/0",
            "-1 all ::/0"
        ]),
        "the IPv6 rule is another scope and stays"
    );
    assert!(inbound(&ec2, &group).await.is_empty());

    let second = run(line, &group, Mode::Enforce).await;
    assert_eq!(
        second.status,
        OutcomeStatus::AlreadyCompliant,
        "{}",
        second.message
    );
}

#[tokio::test]
async fn single_rule_delete_all_with_split_and_port_zero_removes_the_all_traffic_rule() {
    let ec2 = ec2().await;
    let group = new_group(&ec2).await;

    let outcome = run(
        "sg_single_rule_delete split=true protocol=ALL scope=0.0.0.0/0 direction=outbound port=0",
        &group,
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
        outcome.changes,
        vec!["revoke outbound all traffic to 0.0.0.0/0"]
    );
    assert_eq!(outbound(&ec2, &group).await, set(&["-1 all ::/0"]));
}

#[tokio::test]
async fn single_rule_delete_acts_on_ipv6_scopes_in_both_directions() {
    let ec2 = ec2().await;
    let group = new_group(&ec2).await;
    allow_inbound(
        &ec2,
        &group,
        vec![IpPermission::builder()
            .ip_protocol("tcp")
            .from_port(0)
            .to_port(1024)
            .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
            .ipv6_ranges(Ipv6Range::builder().cidr_ipv6("::/0").build())
            .build()],
    )
    .await;
    allow_outbound(&ec2, &group, vec![rule("udp", 53, 53, "::/0")]).await;

    let split = run(
        "sg_single_rule_delete split=true protocol=TCP scope=::/0 direction=inbound port=22",
        &group,
        Mode::Enforce,
    )
    .await;
    assert_eq!(split.status, OutcomeStatus::Remediated, "{}", split.message);
    assert_eq!(
        split.changes,
        vec![
            "authorize inbound tcp ports 0-21 from ::/0",
            "authorize inbound tcp ports 23-1024 from ::/0",
            "revoke inbound tcp ports 0-1024 from ::/0",
        ]
    );
    assert_eq!(
        inbound(&ec2, &group).await,
        set(&["tcp 0-1024 0.0.0.0/0", "tcp 0-21 ::/0", "tcp 23-1024 ::/0"])
    );

    let exact = run(
        "sg_single_rule_delete split=false protocol=UDP scope=::/0 direction=outbound port=53",
        &group,
        Mode::Enforce,
    )
    .await;
    assert_eq!(exact.status, OutcomeStatus::Remediated, "{}", exact.message);
    assert_mentions(
        &exact,
        &["Security Group egress rule from port 53 to port 53 successfully removed"],
    );

    let all = run(
        "sg_single_rule_delete split=false protocol=ALL scope=::/0 direction=outbound",
        &group,
        Mode::Enforce,
    )
    .await;
    assert_eq!(all.status, OutcomeStatus::Remediated, "{}", all.message);
    assert_eq!(all.changes, vec!["revoke outbound all traffic to ::/0"]);
    assert_eq!(outbound(&ec2, &group).await, set(&["-1 all 0.0.0.0/0"]));
}
