//! Security groups for the tests: rules to open, the live rules read back as
//! `protocol ports peer` lines, so a test can compare the exact set left on a group, and the
//! quarantine group a quarantine bot creates.

use aws_sdk_ec2::types::{Filter, IpPermission, IpRange, Ipv6Range, SecurityGroup};
use std::collections::BTreeSet;

/// One rule open to `cidr` (IPv4 or IPv6); protocol `-1` is all traffic.
pub fn rule(protocol: &str, from: i32, to: i32, cidr: &str) -> IpPermission {
    let mut permission = IpPermission::builder().ip_protocol(protocol);
    if protocol != "-1" {
        permission = permission.from_port(from).to_port(to);
    }
    if cidr.contains(':') {
        permission.ipv6_ranges(Ipv6Range::builder().cidr_ipv6(cidr).build())
    } else {
        permission.ip_ranges(IpRange::builder().cidr_ip(cidr).build())
    }
    .build()
}

/// A new security group named `name` with SSH open to the world; returns its id.
pub async fn open_ssh_group(ec2: &aws_sdk_ec2::Client, name: &str) -> String {
    let group = ec2
        .create_security_group()
        .group_name(name)
        .description("open to the world")
        .send()
        .await
        .expect("create_security_group")
        .group_id()
        .expect("a group id")
        .to_string();
    allow_inbound(ec2, &group, vec![rule("tcp", 22, 22, "0.0.0.0/0")]).await;
    group
}

/// Add inbound rules to the group.
pub async fn allow_inbound(ec2: &aws_sdk_ec2::Client, group: &str, rules: Vec<IpPermission>) {
    ec2.authorize_security_group_ingress()
        .group_id(group)
        .set_ip_permissions(Some(rules))
        .send()
        .await
        .expect("authorize_security_group_ingress");
}

/// Add outbound rules to the group.
pub async fn allow_outbound(ec2: &aws_sdk_ec2::Client, group: &str, rules: Vec<IpPermission>) {
    ec2.authorize_security_group_egress()
        .group_id(group)
        .set_ip_permissions(Some(rules))
        .send()
        .await
        .expect("authorize_security_group_egress");
}

/// The group's live rules of one direction, one `protocol ports peer` line per peer
/// (`all` for the ports of an all-traffic rule).
pub async fn live_rules(ec2: &aws_sdk_ec2::Client, group: &str, inbound: bool) -> BTreeSet<String> {
    let out = ec2
        .describe_security_groups()
        .group_ids(group)
        .send()
        .await
        .expect("describe_security_groups");
    let group = &out.security_groups()[0];
    let permissions = if inbound {
        group.ip_permissions()
    } else {
        group.ip_permissions_egress()
    };
    permissions
        .iter()
        .flat_map(|p| {
            let protocol = p.ip_protocol().unwrap();
            let ports = match protocol {
                "-1" => "all".to_string(),
                _ => format!("{}-{}", p.from_port().unwrap(), p.to_port().unwrap()),
            };
            let peers = p
                .ip_ranges()
                .iter()
                .filter_map(|r| r.cidr_ip())
                .chain(p.ipv6_ranges().iter().filter_map(|r| r.cidr_ipv6()))
                .chain(
                    p.prefix_list_ids()
                        .iter()
                        .filter_map(|l| l.prefix_list_id()),
                )
                .chain(p.user_id_group_pairs().iter().filter_map(|g| g.group_id()))
                .map(|peer| format!("{protocol} {ports} {peer}"))
                .collect::<Vec<_>>();
            peers
        })
        .collect()
}

/// The group's inbound rules now.
pub async fn inbound(ec2: &aws_sdk_ec2::Client, group: &str) -> BTreeSet<String> {
    live_rules(ec2, group, true).await
}

/// The group's outbound rules now.
pub async fn outbound(ec2: &aws_sdk_ec2::Client, group: &str) -> BTreeSet<String> {
    live_rules(ec2, group, false).await
}

/// Expected rule lines as a set.
pub fn set(rules: &[&str]) -> BTreeSet<String> {
    rules.iter().map(|r| r.to_string()).collect()
}

/// The group as DescribeSecurityGroups returns it, every field, with its rules in one order:
/// each permission split to one peer per entry and sorted, so two reads of the same rules
/// compare equal however EC2 grouped them.
pub async fn described(ec2: &aws_sdk_ec2::Client, group: &str) -> String {
    let out = ec2
        .describe_security_groups()
        .group_ids(group)
        .send()
        .await
        .expect("describe_security_groups");
    let mut group = out.security_groups()[0].clone();
    let split = |permissions: Option<Vec<IpPermission>>| {
        let mut entries: Vec<String> = permissions
            .unwrap_or_default()
            .into_iter()
            .flat_map(|p| {
                let mut bare = p.clone();
                bare.ip_ranges = None;
                bare.ipv6_ranges = None;
                bare.prefix_list_ids = None;
                bare.user_id_group_pairs = None;
                let v4 = p.ip_ranges().iter().map(|r| format!("{bare:?} {r:?}"));
                let v6 = p.ipv6_ranges().iter().map(|r| format!("{bare:?} {r:?}"));
                let lists = p
                    .prefix_list_ids()
                    .iter()
                    .map(|r| format!("{bare:?} {r:?}"));
                let pairs = p
                    .user_id_group_pairs()
                    .iter()
                    .map(|r| format!("{bare:?} {r:?}"));
                v4.chain(v6).chain(lists).chain(pairs).collect::<Vec<_>>()
            })
            .collect();
        entries.sort();
        entries
    };
    let inbound = split(group.ip_permissions.take());
    let outbound = split(group.ip_permissions_egress.take());
    format!(
        "{group:?}\ninbound:\n{}\noutbound:\n{}",
        inbound.join("\n"),
        outbound.join("\n")
    )
}

/// The id of the default security group of `vpc`.
pub async fn default_group(ec2: &aws_sdk_ec2::Client, vpc: &str) -> String {
    ec2.describe_security_groups()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("vpc-id")
                .values(vpc)
                .build(),
        )
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("group-name")
                .values("default")
                .build(),
        )
        .send()
        .await
        .expect("describe_security_groups")
        .security_groups()[0]
        .group_id()
        .expect("a group id")
        .to_string()
}

/// The security group named `quarantine` in `vpc`, once a quarantine bot created it.
pub async fn quarantine_group(ec2: &aws_sdk_ec2::Client, vpc: &str) -> Option<SecurityGroup> {
    ec2.describe_security_groups()
        .filters(Filter::builder().name("vpc-id").values(vpc).build())
        .filters(
            Filter::builder()
                .name("group-name")
                .values("quarantine")
                .build(),
        )
        .send()
        .await
        .expect("describe_security_groups")
        .security_groups()
        .first()
        .cloned()
}
