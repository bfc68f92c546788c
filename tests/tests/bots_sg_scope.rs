//! Scope-driven security-group bots and `sg_delete` on the local stack: the exact rules left
//! on the group after each run (or that the group is gone).

use aws_sdk_ec2::types::{IpPermission, IpRange, Ipv6Range, UserIdGroupPair};
use cloudbots_shared::outcome::{BotOutcome, OutcomeStatus};
use cloudbots_shared::plan::Mode;
use cloudbots_tests::security_groups::{
    allow_inbound, default_group, inbound, outbound, rule, set,
};
use cloudbots_tests::{aws, entity, run_line, unique_name};
use std::collections::BTreeSet;

async fn ec2() -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::new(&aws().await)
}

/// A new group in its own dual-stack VPC, with EC2's default outbound rules (all traffic to
/// 0.0.0.0/0 and ::/0) and no inbound rule; returns (group id, VPC id).
async fn new_group(ec2: &aws_sdk_ec2::Client) -> (String, String) {
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.0.0.0/16")
        .amazon_provided_ipv6_cidr_block(true)
        .send()
        .await
        .expect("create_vpc");
    let vpc_id = vpc.vpc().unwrap().vpc_id().unwrap().to_string();
    let group = ec2
        .create_security_group()
        .group_name(unique_name("cloudbots-test"))
        .description("cloudbots test group")
        .vpc_id(&vpc_id)
        .send()
        .await
        .expect("create_security_group");
    (group.group_id().unwrap().to_string(), vpc_id)
}

/// A rule for one CIDR (IPv4 or IPv6); `-1` opens all traffic.
fn sorted(lines: &[String]) -> BTreeSet<String> {
    lines.iter().cloned().collect()
}

async fn run(line: &str, group: &str, mode: Mode) -> BotOutcome {
    run_line(line, entity("SecurityGroup", group, "cloudbots-test"), mode)
        .await
        .unwrap_or_else(|e| panic!("{line}: {e}"))
}

/// Dry-run lists `changes` and leaves the inbound rules as they are; the real run makes
/// exactly those changes; a second run is already compliant.
async fn dry_then_enforce_then_compliant(
    ec2: &aws_sdk_ec2::Client,
    line: &str,
    group: &str,
    changes: &[&str],
) -> BotOutcome {
    let before = (inbound(ec2, group).await, outbound(ec2, group).await);
    let expected = set(changes);
    let dry = run(line, group, Mode::DryRun).await;
    assert_eq!(dry.status, OutcomeStatus::DryRun, "{}", dry.message);
    assert_eq!(sorted(&dry.changes), expected, "{line}");
    assert_eq!(
        (inbound(ec2, group).await, outbound(ec2, group).await),
        before,
        "dry-run changes nothing"
    );

    let first = run(line, group, Mode::Enforce).await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert_eq!(sorted(&first.changes), expected, "{line}");

    let second = run(line, group, Mode::Enforce).await;
    assert_eq!(
        second.status,
        OutcomeStatus::AlreadyCompliant,
        "{}",
        second.message
    );
    assert!(second.changes.is_empty());
    first
}

#[tokio::test]
async fn rules_delete_by_scope_revokes_rules_open_to_a_block_holding_the_scope() {
    let ec2 = ec2().await;
    let (group, _) = new_group(&ec2).await;
    allow_inbound(
        &ec2,
        &group,
        vec![
            rule("tcp", 22, 22, "0.0.0.0/0"),
            rule("tcp", 22, 22, "::/0"),
            rule("tcp", 22, 22, "10.0.0.0/8"),
            rule("tcp", 80, 80, "0.0.0.0/0"),
            rule("tcp", 0, 1024, "0.0.0.0/0"),
            rule("udp", 22, 22, "0.0.0.0/0"),
        ],
    )
    .await;

    dry_then_enforce_then_compliant(
        &ec2,
        "sg_rules_delete_by_scope 0.0.0.0/0 inbound 22 tcp",
        &group,
        &[
            "revoke inbound tcp port 22 from 0.0.0.0/0",
            "revoke inbound tcp port 22 from ::/0",
        ],
    )
    .await;
    assert_eq!(
        inbound(&ec2, &group).await,
        set(&[
            "tcp 22-22 10.0.0.0/8",
            "tcp 80-80 0.0.0.0/0",
            "tcp 0-1024 0.0.0.0/0",
            "udp 22-22 0.0.0.0/0"
        ]),
        "::/0 is as open as 0.0.0.0/0; a narrower scope, another port, a range and another protocol stay"
    );

    let any = run(
        "sg_rules_delete_by_scope 10.1.0.0/16 inbound * *",
        &group,
        Mode::Enforce,
    )
    .await;
    assert_eq!(any.status, OutcomeStatus::Remediated, "{}", any.message);
    assert!(
        inbound(&ec2, &group).await.is_empty(),
        "every rule open to a block holding 10.1.0.0/16, whatever its ports"
    );
    assert_eq!(
        outbound(&ec2, &group).await,
        set(&["-1 all 0.0.0.0/0", "-1 all ::/0"]),
        "the other direction is untouched"
    );
}

#[tokio::test]
async fn intelligence_rules_delete_by_scope_honours_the_protocol_and_revokes_by_rule_id() {
    let ec2 = ec2().await;
    let (group, _) = new_group(&ec2).await;
    allow_inbound(
        &ec2,
        &group,
        vec![
            rule("tcp", 22, 22, "0.0.0.0/0"),
            rule("udp", 22, 22, "0.0.0.0/0"),
            rule("tcp", 22, 22, "::/0"),
            rule("tcp", 22, 22, "192.168.0.0/16"),
        ],
    )
    .await;

    let first = dry_then_enforce_then_compliant(
        &ec2,
        "intelligence_sg_rules_delete_by_scope 0.0.0.0/0 inbound 22 udp",
        &group,
        &["revoke inbound udp port 22 from 0.0.0.0/0"],
    )
    .await;
    assert!(
        first.message.contains("(rule ids sgr-"),
        "{}",
        first.message
    );
    assert_eq!(
        inbound(&ec2, &group).await,
        set(&[
            "tcp 22-22 0.0.0.0/0",
            "tcp 22-22 ::/0",
            "tcp 22-22 192.168.0.0/16"
        ]),
        "only the UDP rule: the protocol parameter counts"
    );

    dry_then_enforce_then_compliant(
        &ec2,
        "intelligence_sg_rules_delete_by_scope ::/0 inbound * *",
        &group,
        &[
            "revoke inbound tcp port 22 from 0.0.0.0/0",
            "revoke inbound tcp port 22 from ::/0",
        ],
    )
    .await;
    assert_eq!(
        inbound(&ec2, &group).await,
        set(&["tcp 22-22 192.168.0.0/16"])
    );
}

#[tokio::test]
async fn delete_not_matching_cidr_revokes_whole_rules_opening_the_port_outside_the_cidr() {
    let ec2 = ec2().await;
    let (group, _) = new_group(&ec2).await;
    allow_inbound(
        &ec2,
        &group,
        vec![
            rule("tcp", 22, 22, "10.163.1.0/24"),
            rule("tcp", 22, 22, "0.0.0.0/0"),
            rule("tcp", 0, 1024, "192.168.0.0/16"),
            rule("tcp", 22, 22, "::/0"),
            rule("tcp", 80, 80, "0.0.0.0/0"),
            rule("-1", 0, 0, "8.8.8.8/32"),
        ],
    )
    .await;

    dry_then_enforce_then_compliant(
        &ec2,
        "sg_delete_not_matching_cidr 22 10.163.0.0/16 inbound",
        &group,
        &[
            "revoke inbound tcp port 22 from 0.0.0.0/0",
            "revoke inbound tcp ports 0-1024 from 192.168.0.0/16",
            "revoke inbound tcp port 22 from ::/0",
            "revoke inbound all traffic from 8.8.8.8/32",
        ],
    )
    .await;
    assert_eq!(
        inbound(&ec2, &group).await,
        set(&["tcp 22-22 10.163.1.0/24", "tcp 80-80 0.0.0.0/0"]),
        "inside the CIDR or another port: kept"
    );
}

#[tokio::test]
async fn clear_rules_for_any_scope_without_a_whitelist_clears_every_source_of_the_rule() {
    let ec2 = ec2().await;
    let (group, vpc) = new_group(&ec2).await;
    let peer = ec2
        .create_security_group()
        .group_name(unique_name("cloudbots-peer"))
        .description("peer")
        .vpc_id(vpc)
        .send()
        .await
        .unwrap()
        .group_id()
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
                .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
                .ip_ranges(IpRange::builder().cidr_ip("10.0.0.1/32").build())
                .ipv6_ranges(Ipv6Range::builder().cidr_ipv6("::/0").build())
                .user_id_group_pairs(UserIdGroupPair::builder().group_id(&peer).build())
                .build(),
            rule("tcp", 20, 25, "0.0.0.0/0"),
        ],
    )
    .await;

    let first = dry_then_enforce_then_compliant(
        &ec2,
        "sg_clear_rules_for_any_scope 22 tcp inbound",
        &group,
        &[&format!(
            "revoke inbound tcp port 22 from 0.0.0.0/0, 10.0.0.1/32, ::/0, {peer}"
        )],
    )
    .await;
    assert!(
        first.message.contains("Revoked 1 rule(s)"),
        "{}",
        first.message
    );
    assert_eq!(
        inbound(&ec2, &group).await,
        set(&["tcp 20-25 0.0.0.0/0"]),
        "only the exact port"
    );
}

#[tokio::test]
async fn clear_rules_for_any_scope_keeps_the_whitelisted_blocks() {
    let ec2 = ec2().await;
    let (group, _) = new_group(&ec2).await;
    allow_inbound(
        &ec2,
        &group,
        vec![IpPermission::builder()
            .ip_protocol("tcp")
            .from_port(22)
            .to_port(22)
            .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
            .ip_ranges(IpRange::builder().cidr_ip("10.0.0.1/32").build())
            .ip_ranges(IpRange::builder().cidr_ip("10.0.0.2/32").build())
            .ipv6_ranges(Ipv6Range::builder().cidr_ipv6("2001:db8::/32").build())
            .build()],
    )
    .await;

    dry_then_enforce_then_compliant(
        &ec2,
        "sg_clear_rules_for_any_scope 22 TCP inbound 10.0.0.1/32,2001:db8::/32",
        &group,
        &["revoke inbound tcp port 22 from 0.0.0.0/0, 10.0.0.2/32"],
    )
    .await;
    assert_eq!(
        inbound(&ec2, &group).await,
        set(&["tcp 22-22 10.0.0.1/32", "tcp 22-22 2001:db8::/32"])
    );
}

#[tokio::test]
async fn clear_rules_for_any_scope_all_clears_the_all_traffic_rule() {
    let ec2 = ec2().await;
    let (group, _) = new_group(&ec2).await;

    dry_then_enforce_then_compliant(
        &ec2,
        "sg_clear_rules_for_any_scope 0 all outbound",
        &group,
        &["revoke outbound all traffic to 0.0.0.0/0, ::/0"],
    )
    .await;
    assert!(outbound(&ec2, &group).await.is_empty());
}

#[tokio::test]
async fn modify_scope_by_port_moves_whole_rules_to_the_new_scope() {
    let ec2 = ec2().await;
    let (group, _) = new_group(&ec2).await;
    allow_inbound(
        &ec2,
        &group,
        vec![
            rule("tcp", 20, 25, "0.0.0.0/0"),
            rule("tcp", 22, 22, "::/0"),
            rule("tcp", 22, 22, "10.0.0.0/24"),
            rule("tcp", 80, 80, "0.0.0.0/0"),
        ],
    )
    .await;

    dry_then_enforce_then_compliant(
        &ec2,
        "sg_modify_scope_by_port 22 0.0.0.0/0 10.0.0.0/24 inbound",
        &group,
        &[
            "authorize inbound tcp ports 20-25 from 10.0.0.0/24",
            "revoke inbound tcp ports 20-25 from 0.0.0.0/0",
            "revoke inbound tcp port 22 from ::/0",
        ],
    )
    .await;
    assert_eq!(
        inbound(&ec2, &group).await,
        set(&[
            "tcp 20-25 10.0.0.0/24",
            "tcp 22-22 10.0.0.0/24",
            "tcp 80-80 0.0.0.0/0"
        ]),
        "the existing port-22 rule on the new scope is not added twice; port 80 stays"
    );
}

#[tokio::test]
async fn modify_scope_by_port_with_any_scope_moves_all_traffic_rules_once() {
    let ec2 = ec2().await;
    let (group, _) = new_group(&ec2).await;

    dry_then_enforce_then_compliant(
        &ec2,
        "sg_modify_scope_by_port 443 * 10.0.0.0/8 outbound",
        &group,
        &[
            "authorize outbound all traffic to 10.0.0.0/8",
            "revoke outbound all traffic to 0.0.0.0/0",
            "revoke outbound all traffic to ::/0",
        ],
    )
    .await;
    assert_eq!(outbound(&ec2, &group).await, set(&["-1 all 10.0.0.0/8"]));
}

#[tokio::test]
async fn sg_delete_deletes_the_group_and_then_finds_nothing_to_delete() {
    let ec2 = ec2().await;
    let (group, vpc) = new_group(&ec2).await;

    let dry = run("sg_delete", &group, Mode::DryRun).await;
    assert_eq!(dry.status, OutcomeStatus::DryRun);
    assert_eq!(dry.changes.len(), 1);
    assert!(dry.changes[0].starts_with(&format!("delete security group {group} (")));
    assert_eq!(inbound(&ec2, &group).await, set(&[]), "still there");

    let first = run("sg_delete", &group, Mode::Enforce).await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    let gone = ec2
        .describe_security_groups()
        .group_ids(&group)
        .send()
        .await;
    assert_eq!(
        gone.unwrap_err().into_service_error().meta().code(),
        Some("InvalidGroup.NotFound")
    );

    let second = run("sg_delete", &group, Mode::Enforce).await;
    assert_eq!(second.status, OutcomeStatus::AlreadyCompliant);
    assert_eq!(
        second.message,
        format!("Security group {group} does not exist (any more): nothing to delete")
    );

    let default_group = default_group(&ec2, &vpc).await;
    let default = run("sg_delete", &default_group, Mode::Enforce).await;
    assert_eq!(default.status, OutcomeStatus::Skipped);
    assert!(
        default.message.contains("default group of its VPC"),
        "{}",
        default.message
    );
}

#[tokio::test]
async fn every_scope_bot_skips_a_missing_group_with_a_reason() {
    for line in [
        "sg_rules_delete_by_scope 0.0.0.0/0 inbound 22 tcp",
        "intelligence_sg_rules_delete_by_scope 0.0.0.0/0 inbound * *",
        "sg_delete_not_matching_cidr 22 10.163.0.0/16 inbound",
        "sg_clear_rules_for_any_scope 22 tcp inbound",
        "sg_modify_scope_by_port 22 * 10.0.0.0/24 inbound",
    ] {
        let outcome = run(line, "sg-0123456789abcdef0", Mode::Enforce).await;
        assert_eq!(outcome.status, OutcomeStatus::Skipped, "{line}");
        assert_eq!(
            outcome.message,
            "Security group sg-0123456789abcdef0 does not exist (any more): nothing to do"
        );
    }
}
