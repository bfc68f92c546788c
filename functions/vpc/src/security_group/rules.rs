//! A security group's rules as the bots, verify and undo see them: one [`Rule`] per peer.
//!
//! EC2 groups a group's rules by protocol and ports, each with several peers (CIDRs, prefix
//! lists, other groups), and merges or splits them as rules come and go. One entry per peer is
//! what EC2 authorizes and revokes, so comparing, recording and restoring rules in that shape
//! is exact whatever grouping EC2 shows: the rules a bot revoked, the state it left and the
//! state it replaced are all lists of these.

use aws_sdk_ec2::types::{
    IpPermission, IpRange, Ipv6Range, PrefixListId, SecurityGroup, UserIdGroupPair,
};
use cloudbots_runtime::aws_error::{bot_error, code};
use cloudbots_shared::error::{BotError, ErrorName};
use cloudbots_shared::params::Direction;
use serde::{Deserialize, Serialize};

/// What a rule opens traffic from (inbound) or to (outbound).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Peer {
    Cidr(String),
    CidrV6(String),
    PrefixList(String),
    Group {
        group_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        user_id: Option<String>,
    },
}

/// One rule of a group, for one peer.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Rule {
    pub direction: Direction,
    /// EC2's `IpProtocol`: `tcp`, `udp`, `icmp`, `-1` (all traffic), …
    pub protocol: String,
    /// The port range (ICMP type and code); none for all traffic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<i32>,
    pub peer: Peer,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl Rule {
    /// Whether both are the same rule to EC2: everything but the description.
    pub fn same_rule(&self, other: &Rule) -> bool {
        (
            self.direction,
            &self.protocol,
            self.from,
            self.to,
            &self.peer,
        ) == (
            other.direction,
            &other.protocol,
            other.from,
            other.to,
            &other.peer,
        )
    }

    /// This rule as one entry of an authorize or revoke request.
    pub fn permission(&self) -> IpPermission {
        let description = self.description.clone();
        let rule = IpPermission::builder()
            .ip_protocol(&self.protocol)
            .set_from_port(self.from)
            .set_to_port(self.to);
        match &self.peer {
            Peer::Cidr(cidr) => rule.ip_ranges(
                IpRange::builder()
                    .cidr_ip(cidr)
                    .set_description(description)
                    .build(),
            ),
            Peer::CidrV6(cidr) => rule.ipv6_ranges(
                Ipv6Range::builder()
                    .cidr_ipv6(cidr)
                    .set_description(description)
                    .build(),
            ),
            Peer::PrefixList(id) => rule.prefix_list_ids(
                PrefixListId::builder()
                    .prefix_list_id(id)
                    .set_description(description)
                    .build(),
            ),
            Peer::Group { group_id, user_id } => rule.user_id_group_pairs(
                UserIdGroupPair::builder()
                    .group_id(group_id)
                    .set_user_id(user_id.clone())
                    .set_description(description)
                    .build(),
            ),
        }
        .build()
    }

    /// The rule as people read it: `inbound tcp port 22 from 0.0.0.0/0 (ssh)`.
    pub fn render(&self) -> String {
        render_permission(self.direction, &self.permission())
    }
}

/// The rules of a permission as EC2 returns it, one per peer. All-traffic rules carry no
/// ports, whatever EC2 returns for them.
pub fn flatten(direction: Direction, permission: &IpPermission) -> Vec<Rule> {
    let protocol = permission.ip_protocol().unwrap_or_default().to_string();
    let all_traffic = protocol == "-1";
    let rule = |peer: Peer, description: Option<&str>| Rule {
        direction,
        protocol: protocol.clone(),
        from: permission.from_port().filter(|_| !all_traffic),
        to: permission.to_port().filter(|_| !all_traffic),
        peer,
        description: description.filter(|d| !d.is_empty()).map(str::to_string),
    };
    let v4 = permission
        .ip_ranges()
        .iter()
        .filter_map(|r| Some(rule(Peer::Cidr(r.cidr_ip()?.to_string()), r.description())));
    let v6 = permission.ipv6_ranges().iter().filter_map(|r| {
        Some(rule(
            Peer::CidrV6(r.cidr_ipv6()?.to_string()),
            r.description(),
        ))
    });
    let lists = permission.prefix_list_ids().iter().filter_map(|p| {
        Some(rule(
            Peer::PrefixList(p.prefix_list_id()?.to_string()),
            p.description(),
        ))
    });
    let groups = permission.user_id_group_pairs().iter().filter_map(|g| {
        let peer = Peer::Group {
            group_id: g.group_id()?.to_string(),
            user_id: g.user_id().map(str::to_string),
        };
        Some(rule(peer, g.description()))
    });
    v4.chain(v6).chain(lists).chain(groups).collect()
}

/// Every rule of the group, inbound and outbound, in a stable order.
pub fn rules_of(group: &SecurityGroup) -> Vec<Rule> {
    let mut rules: Vec<Rule> = [Direction::Inbound, Direction::Outbound]
        .into_iter()
        .flat_map(|d| {
            permissions(group, d)
                .iter()
                .flat_map(move |p| flatten(d, p))
        })
        .collect();
    rules.sort();
    rules
}

/// The group's rules of one direction, as EC2 groups them.
pub fn permissions(group: &SecurityGroup, direction: Direction) -> &[IpPermission] {
    match direction {
        Direction::Inbound => group.ip_permissions(),
        Direction::Outbound => group.ip_permissions_egress(),
    }
}

/// The parameter's name for a direction.
pub fn direction_word(direction: Direction) -> &'static str {
    match direction {
        Direction::Inbound => "inbound",
        Direction::Outbound => "outbound",
    }
}

/// EC2's name for the rules of a direction.
pub fn rule_kind(direction: Direction) -> &'static str {
    match direction {
        Direction::Inbound => "ingress",
        Direction::Outbound => "egress",
    }
}

/// One rule as people read it, with every source (or destination) it opens, e.g.
/// `inbound tcp port 22 from 0.0.0.0/0 (ssh), ::/0, sg-0abc, pl-0def`.
pub fn render_permission(direction: Direction, permission: &IpPermission) -> String {
    let protocol = permission.ip_protocol().unwrap_or("?");
    let ports = match (protocol, permission.from_port(), permission.to_port()) {
        ("-1", _, _) => "all traffic".to_string(),
        (p @ ("icmp" | "icmpv6"), Some(kind), Some(code)) => format!("{p} type {kind} code {code}"),
        (p, Some(from), Some(to)) if from == to => format!("{p} port {from}"),
        (p, Some(from), Some(to)) => format!("{p} ports {from}-{to}"),
        (p, _, _) => format!("{p} all ports"),
    };
    let labelled = |text: &str, description: Option<&str>| match description {
        Some(d) if !d.is_empty() => format!("{text} ({d})"),
        _ => text.to_string(),
    };
    let peers: Vec<String> = permission
        .ip_ranges()
        .iter()
        .map(|r| labelled(r.cidr_ip().unwrap_or("?"), r.description()))
        .chain(
            permission
                .ipv6_ranges()
                .iter()
                .map(|r| labelled(r.cidr_ipv6().unwrap_or("?"), r.description())),
        )
        .chain(
            permission
                .prefix_list_ids()
                .iter()
                .map(|p| labelled(p.prefix_list_id().unwrap_or("?"), p.description())),
        )
        .chain(permission.user_id_group_pairs().iter().map(|g| {
            let group = g.group_id().or(g.group_name()).unwrap_or("?");
            labelled(group, g.description())
        }))
        .collect();
    let preposition = match direction {
        Direction::Inbound => "from",
        Direction::Outbound => "to",
    };
    format!(
        "{} {ports} {preposition} {}",
        direction_word(direction),
        peers.join(", ")
    )
}

/// The live security group, or None when EC2 says it does not exist.
pub async fn describe_security_group(
    ec2: &aws_sdk_ec2::Client,
    group_id: &str,
) -> Result<Option<SecurityGroup>, BotError> {
    match ec2
        .describe_security_groups()
        .group_ids(group_id)
        .send()
        .await
    {
        Ok(out) => Ok(out
            .security_groups()
            .iter()
            .find(|g| g.group_id() == Some(group_id))
            .cloned()),
        Err(e) if code(&e) == Some("InvalidGroup.NotFound") => Ok(None),
        Err(e) => Err(bot_error(
            &format!("describing security group {group_id}"),
            e,
        )),
    }
}

/// The live security group, which must exist (it is being verified or restored).
pub async fn existing_security_group(
    ec2: &aws_sdk_ec2::Client,
    group_id: &str,
) -> Result<SecurityGroup, BotError> {
    describe_security_group(ec2, group_id)
        .await?
        .ok_or_else(|| BotError::not_found(format!("security group {group_id} does not exist")))
}

/// The requests of `rules`, one list per direction (empty lists left out).
fn by_direction(rules: &[Rule]) -> Vec<(Direction, Vec<IpPermission>)> {
    [Direction::Inbound, Direction::Outbound]
        .into_iter()
        .map(|d| {
            let permissions = rules
                .iter()
                .filter(|r| r.direction == d)
                .map(Rule::permission)
                .collect::<Vec<_>>();
            (d, permissions)
        })
        .filter(|(_, permissions)| !permissions.is_empty())
        .collect()
}

/// Authorize the rules on the group.
pub async fn authorize(
    ec2: &aws_sdk_ec2::Client,
    group_id: &str,
    rules: &[Rule],
) -> Result<(), BotError> {
    for (direction, permissions) in by_direction(rules) {
        let doing = format!(
            "authorizing {} rules on security group {group_id}",
            rule_kind(direction)
        );
        match direction {
            Direction::Inbound => ec2
                .authorize_security_group_ingress()
                .group_id(group_id)
                .set_ip_permissions(Some(permissions))
                .send()
                .await
                .map(drop)
                .map_err(|e| bot_error(&doing, e))?,
            Direction::Outbound => ec2
                .authorize_security_group_egress()
                .group_id(group_id)
                .set_ip_permissions(Some(permissions))
                .send()
                .await
                .map(drop)
                .map_err(|e| bot_error(&doing, e))?,
        }
    }
    Ok(())
}

/// Revoke the rules, and fail if EC2 reports some of them unknown (the group changed since
/// it was read), so a partly applied change is never reported as done.
pub async fn revoke(
    ec2: &aws_sdk_ec2::Client,
    group_id: &str,
    rules: &[Rule],
) -> Result<(), BotError> {
    for (direction, permissions) in by_direction(rules) {
        let doing = format!(
            "revoking {} rules of security group {group_id}",
            rule_kind(direction)
        );
        let unknown = match direction {
            Direction::Inbound => ec2
                .revoke_security_group_ingress()
                .group_id(group_id)
                .set_ip_permissions(Some(permissions))
                .send()
                .await
                .map_err(|e| bot_error(&doing, e))?
                .unknown_ip_permissions()
                .to_vec(),
            Direction::Outbound => ec2
                .revoke_security_group_egress()
                .group_id(group_id)
                .set_ip_permissions(Some(permissions))
                .send()
                .await
                .map_err(|e| bot_error(&doing, e))?
                .unknown_ip_permissions()
                .to_vec(),
        };
        if !unknown.is_empty() {
            let unknown: Vec<String> = unknown
                .iter()
                .map(|p| render_permission(direction, p))
                .collect();
            return Err(BotError::new(
                ErrorName::Conflict,
                format!(
                    "{doing}: EC2 no longer knows {} (the group changed while the bot ran)",
                    unknown.join("; ")
                ),
            ));
        }
    }
    Ok(())
}

/// How `rules` (the group as read) falls short of having `present` and not having `absent`.
pub fn unmet(rules: &[Rule], present: &[Rule], absent: &[Rule]) -> Vec<String> {
    let has = |wanted: &Rule| rules.iter().any(|r| r.same_rule(wanted));
    let missing = present
        .iter()
        .filter(|r| !has(r))
        .map(|r| format!("{} is missing", r.render()));
    let still = absent
        .iter()
        .filter(|r| has(r))
        .map(|r| format!("{} is still there", r.render()));
    missing.chain(still).collect()
}

/// What a re-read found: each rule present and each rule gone, as people read them.
pub fn checked(present: &[Rule], absent: &[Rule]) -> Vec<String> {
    let present = present.iter().map(|r| format!("present: {}", r.render()));
    let absent = absent.iter().map(|r| format!("gone: {}", r.render()));
    present.chain(absent).collect()
}

/// The rules of `a` that `b` lacks (compared as EC2 does, without descriptions).
pub fn difference(a: &[Rule], b: &[Rule]) -> Vec<Rule> {
    a.iter()
        .filter(|r| !b.iter().any(|other| other.same_rule(r)))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_permission_flattens_to_one_rule_per_peer_and_back() {
        let permission = IpPermission::builder()
            .ip_protocol("tcp")
            .from_port(22)
            .to_port(22)
            .ip_ranges(
                IpRange::builder()
                    .cidr_ip("0.0.0.0/0")
                    .description("ssh")
                    .build(),
            )
            .ipv6_ranges(Ipv6Range::builder().cidr_ipv6("::/0").build())
            .user_id_group_pairs(
                UserIdGroupPair::builder()
                    .group_id("sg-1")
                    .group_name("web")
                    .user_id("123456789012")
                    .build(),
            )
            .build();
        let rules = flatten(Direction::Inbound, &permission);
        let rendered: Vec<String> = rules.iter().map(Rule::render).collect();
        assert_eq!(
            rendered,
            [
                "inbound tcp port 22 from 0.0.0.0/0 (ssh)",
                "inbound tcp port 22 from ::/0",
                "inbound tcp port 22 from sg-1",
            ]
        );
        assert_eq!(
            render_permission(Direction::Inbound, &permission),
            "inbound tcp port 22 from 0.0.0.0/0 (ssh), ::/0, sg-1"
        );
        // A group pair goes back with its id only (EC2 refuses id and name together).
        assert_eq!(
            rules[2].permission().user_id_group_pairs()[0].group_name(),
            None
        );
        let all = IpPermission::builder()
            .ip_protocol("-1")
            .from_port(-1)
            .to_port(-1)
            .ip_ranges(IpRange::builder().cidr_ip("10.0.0.0/8").build())
            .build();
        let all = flatten(Direction::Outbound, &all);
        assert_eq!((all[0].from, all[0].to), (None, None));
        assert_eq!(all[0].render(), "outbound all traffic to 10.0.0.0/8");
    }

    #[test]
    fn rules_compare_without_descriptions_and_unmet_names_each_difference() {
        let rule = |port: i32, description: Option<&str>| Rule {
            direction: Direction::Inbound,
            protocol: "tcp".to_string(),
            from: Some(port),
            to: Some(port),
            peer: Peer::Cidr("0.0.0.0/0".to_string()),
            description: description.map(str::to_string),
        };
        assert!(rule(22, Some("ssh")).same_rule(&rule(22, None)));
        assert!(!rule(22, None).same_rule(&rule(23, None)));
        let now = [rule(22, None), rule(80, None)];
        assert_eq!(
            unmet(&now, &[rule(443, None)], &[rule(22, Some("ssh"))]),
            [
                "inbound tcp port 443 from 0.0.0.0/0 is missing",
                "inbound tcp port 22 from 0.0.0.0/0 (ssh) is still there"
            ]
        );
        assert!(unmet(&now, &[rule(80, None)], &[rule(443, None)]).is_empty());
        assert_eq!(difference(&now, &[rule(80, Some("web"))]), [rule(22, None)]);
    }
}
