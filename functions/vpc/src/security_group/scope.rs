//! The scope-driven bots' view of a group: its CIDR rules, one per protocol, port range and
//! block, and how a scope (a CIDR block, a port, a protocol) matches them.
//!
//! CIDR blocks compare as networks, IPv4 and IPv6 alike, and `::/0` is exactly as open as
//! `0.0.0.0/0`: a rule open to the whole IPv6 internet is no safer than one open to the whole
//! IPv4 internet.

use super::rules::{direction_word, permissions, Peer, Rule};
use aws_sdk_ec2::types::SecurityGroup;
use cloudbots_shared::params::{
    Direction, RuleProtocol, SgRulesDeleteByScopeParams, SgSingleRuleDeleteParams,
};
use std::net::IpAddr;

/// One protocol and port range open to the bot's scope, as `sg_single_rule_delete` sees the
/// group: a rule opening several CIDRs is, for the scope, just this one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopedRule {
    /// EC2's `IpProtocol`: `tcp`, `udp`, `-1` (all traffic)...
    pub protocol: String,
    /// The port range; ignored for protocol `-1`.
    pub from: i32,
    pub to: i32,
    /// The CIDR exactly as EC2 spells it.
    pub cidr: String,
    /// The description of the scope's entry, carried over to the pieces of a split.
    pub description: Option<String>,
}

impl ScopedRule {
    pub fn same_ports(&self, other: &ScopedRule) -> bool {
        self.protocol == other.protocol && self.from == other.from && self.to == other.to
    }

    /// This entry as a rule of the group, in `direction`.
    pub fn rule(&self, direction: Direction) -> Rule {
        let all_traffic = self.protocol == "-1";
        Rule {
            direction,
            protocol: self.protocol.clone(),
            from: (!all_traffic).then_some(self.from),
            to: (!all_traffic).then_some(self.to),
            peer: if self.cidr.contains(':') {
                Peer::CidrV6(self.cidr.clone())
            } else {
                Peer::Cidr(self.cidr.clone())
            },
            description: self.description.clone(),
        }
    }

    /// `from port X to port Y`, as the original's messages say it.
    pub fn ports_text(&self) -> String {
        if self.protocol == "-1" {
            "for all traffic".to_string()
        } else {
            format!("from port {} to port {}", self.from, self.to)
        }
    }

    /// Whether the rule lets traffic to `port` through: TCP and UDP rules by their port
    /// range, all-traffic rules always; other protocols (ICMP...) have no ports.
    pub fn opens_port(&self, port: u16) -> bool {
        let port = i32::from(port);
        match self.protocol.as_str() {
            "-1" => true,
            "tcp" | "udp" => self.from <= port && port <= self.to,
            _ => false,
        }
    }

    /// Whether the rule opens exactly this one TCP or UDP port.
    pub fn opens_only_port(&self, port: u16) -> bool {
        let port = i32::from(port);
        matches!(self.protocol.as_str(), "tcp" | "udp") && self.from == port && self.to == port
    }

    /// The pieces of this rule's port range left when `port` is cut out of it.
    fn without_port(&self, port: i32) -> Vec<ScopedRule> {
        [(self.from, port - 1), (port + 1, self.to)]
            .into_iter()
            .filter(|(from, to)| from <= to)
            .map(|(from, to)| ScopedRule {
                from,
                to,
                ..self.clone()
            })
            .collect()
    }
}

/// A CIDR block as its address and prefix length, or None when the text is not one.
fn network(text: &str) -> Option<(IpAddr, u8)> {
    let (addr, prefix) = text.split_once('/')?;
    Some((addr.parse().ok()?, prefix.parse().ok()?))
}

/// Whether two CIDR blocks are the same network, whatever their spelling (`::/0`, `0::/0`).
pub fn same_cidr(a: &str, b: &str) -> bool {
    match (network(a), network(b)) {
        (Some(network_a), Some(network_b)) => network_a == network_b,
        _ => a == b,
    }
}

/// Whether a rule open to `rule_cidr` opens every address of `scope`: a block of the same
/// address family holding the scope. `0.0.0.0/0` and `::/0` are both "anywhere": a rule open
/// to the whole IPv6 internet is as open as one open to the whole IPv4 internet.
pub fn covers(rule_cidr: &str, scope: &str) -> bool {
    let (Some((rule_addr, rule_prefix)), Some((scope_addr, scope_prefix))) =
        (network(rule_cidr), network(scope))
    else {
        return rule_cidr == scope;
    };
    if rule_prefix == 0 && scope_prefix == 0 {
        return true;
    }
    let bits = |addr: IpAddr| match addr {
        IpAddr::V4(a) => (u128::from(u32::from(a)), 32u8),
        IpAddr::V6(a) => (u128::from(a), 128u8),
    };
    let ((rule_bits, width), (scope_bits, scope_width)) = (bits(rule_addr), bits(scope_addr));
    if width != scope_width || rule_prefix > scope_prefix || scope_prefix > width {
        return false;
    }
    let host_bits = u32::from(width - rule_prefix);
    let network_mask = u128::MAX.checked_shl(host_bits).unwrap_or(0);
    rule_bits & network_mask == scope_bits & network_mask
}

/// Whether two scopes are the same, `0.0.0.0/0` and `::/0` both meaning anywhere.
pub fn same_scope(a: &str, b: &str) -> bool {
    covers(a, b) && covers(b, a)
}

/// Every CIDR entry (IPv4 and IPv6) of the group's rules of one direction, one per CIDR.
/// Rules whose peer is another group or a prefix list have no CIDR and are not listed.
pub fn cidr_rules(group: &SecurityGroup, direction: Direction) -> Vec<ScopedRule> {
    permissions(group, direction)
        .iter()
        .flat_map(|p| {
            let v4 = p.ip_ranges().iter().map(|r| (r.cidr_ip(), r.description()));
            let v6 = p
                .ipv6_ranges()
                .iter()
                .map(|r| (r.cidr_ipv6(), r.description()));
            v4.chain(v6)
                .filter_map(|(cidr, description)| {
                    Some(ScopedRule {
                        protocol: p.ip_protocol().unwrap_or_default().to_string(),
                        from: p.from_port().unwrap_or(-1),
                        to: p.to_port().unwrap_or(-1),
                        cidr: cidr?.to_string(),
                        description: description.map(str::to_string),
                    })
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The group's rules of one direction that open exactly `scope` (IPv4 or IPv6).
pub fn rules_for_scope(
    group: &SecurityGroup,
    direction: Direction,
    scope: &str,
) -> Vec<ScopedRule> {
    cidr_rules(group, direction)
        .into_iter()
        .filter(|r| same_cidr(&r.cidr, scope))
        .collect()
}

/// What `sg_single_rule_delete` does to the rules open to its scope.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SingleRuleChanges {
    /// The rest of each split range: authorized first, so that the ports that should stay
    /// open never close.
    pub add: Vec<ScopedRule>,
    /// The matching rules, revoked once their remaining pieces exist.
    pub revoke: Vec<ScopedRule>,
    /// Wider ranges holding the port, left in place because split=false.
    pub kept: Vec<ScopedRule>,
}

/// The original's split semantics (reference §1.5), applied to the live rules open to the
/// scope. Protocol ALL matches the all-traffic (`-1`) rule; with split=true and a port other
/// than 0, the rest of the port space is re-opened as TCP. Pieces that the group already has
/// are not added twice.
pub fn single_rule_changes(
    params: &SgSingleRuleDeleteParams,
    live: &[ScopedRule],
) -> SingleRuleChanges {
    let mut changes = SingleRuleChanges::default();
    let port = i32::from(params.port);
    for rule in live
        .iter()
        .filter(|r| r.protocol == params.protocol.ip_protocol())
    {
        let pieces = if params.protocol == RuleProtocol::All {
            if params.split && port != 0 {
                // As the original: all traffic is treated as TCP 0-65535 for the split.
                let all_tcp = ScopedRule {
                    protocol: RuleProtocol::Tcp.ip_protocol().to_string(),
                    from: 0,
                    to: 65535,
                    ..rule.clone()
                };
                all_tcp.without_port(port)
            } else {
                Vec::new()
            }
        } else if (rule.from == port && rule.to == port) || (params.split && port == 0) {
            Vec::new()
        } else if rule.from <= port && port <= rule.to {
            if !params.split {
                changes.kept.push(rule.clone());
                continue;
            }
            rule.without_port(port)
        } else {
            continue;
        };
        for piece in pieces {
            if !live
                .iter()
                .chain(&changes.add)
                .any(|r| r.same_ports(&piece))
            {
                changes.add.push(piece);
            }
        }
        changes.revoke.push(rule.clone());
    }
    changes
}

/// The rules `sg_rules_delete_by_scope` and `intelligence_sg_rules_delete_by_scope` remove:
/// open to a block holding the scope, on exactly the port (any port for `*`), of the protocol
/// (any for `*`).
pub fn matches_by_scope(params: &SgRulesDeleteByScopeParams, rule: &ScopedRule) -> bool {
    covers(&rule.cidr, &params.scope)
        && params.port.is_none_or(|port| rule.opens_only_port(port))
        && params
            .protocol
            .is_none_or(|protocol| rule.protocol == protocol.ip_protocol())
}

/// How the by-scope bots name the rules they look for.
pub fn by_scope_wanted(params: &SgRulesDeleteByScopeParams) -> String {
    let port = params
        .port
        .map_or("any port".to_string(), |p| format!("port {p}"));
    let protocol = match params.protocol {
        None => "any protocol",
        Some(RuleProtocol::All) => "all traffic",
        Some(protocol) => protocol.ip_protocol(),
    };
    format!(
        "{} rule open to {} on {port} ({protocol})",
        direction_word(params.direction),
        params.scope
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(protocol: &str, from: i32, to: i32) -> ScopedRule {
        ScopedRule {
            protocol: protocol.to_string(),
            from,
            to,
            cidr: "0.0.0.0/0".to_string(),
            description: None,
        }
    }

    fn changes(line: &str, live: &[ScopedRule]) -> SingleRuleChanges {
        let tokens: Vec<String> = line.split(' ').map(str::to_string).collect();
        let params =
            <SgSingleRuleDeleteParams as cloudbots_shared::params::BotParams>::parse(&tokens)
                .unwrap();
        single_rule_changes(&params, live)
    }

    fn expect(
        add: Vec<ScopedRule>,
        revoke: Vec<ScopedRule>,
        kept: Vec<ScopedRule>,
    ) -> SingleRuleChanges {
        SingleRuleChanges { add, revoke, kept }
    }

    #[test]
    fn split_semantics_follow_the_original() {
        let all = || rule("-1", -1, -1);
        let wide = || rule("tcp", 0, 1024);
        #[rustfmt::skip]
        let cases = [
            // An exact match is revoked; split=false leaves a wider range alone.
            ("false tcp 0.0.0.0/0 inbound 22", vec![rule("tcp", 22, 22)], expect(vec![], vec![rule("tcp", 22, 22)], vec![])),
            ("false tcp 0.0.0.0/0 inbound 22", vec![wide()], expect(vec![], vec![], vec![wide()])),
            // split=true cuts the port out, at either end too; port 0 means the whole range.
            ("true tcp 0.0.0.0/0 inbound 22", vec![wide()], expect(vec![rule("tcp", 0, 21), rule("tcp", 23, 1024)], vec![wide()], vec![])),
            ("true tcp 0.0.0.0/0 inbound 20", vec![rule("tcp", 20, 25)], expect(vec![rule("tcp", 21, 25)], vec![rule("tcp", 20, 25)], vec![])),
            ("true tcp 0.0.0.0/0 inbound 25", vec![rule("tcp", 20, 25)], expect(vec![rule("tcp", 20, 24)], vec![rule("tcp", 20, 25)], vec![])),
            ("true udp 0.0.0.0/0 inbound 0", vec![rule("udp", 53, 60)], expect(vec![], vec![rule("udp", 53, 60)], vec![])),
            // Another port or another protocol does not match.
            ("true tcp 0.0.0.0/0 inbound 2000", vec![wide()], expect(vec![], vec![], vec![])),
            ("true udp 0.0.0.0/0 inbound 22", vec![wide()], expect(vec![], vec![], vec![])),
            // ALL is the all-traffic rule; with split and a port, the other TCP ports reopen.
            ("false all 0.0.0.0/0 outbound", vec![all()], expect(vec![], vec![all()], vec![])),
            ("true all 0.0.0.0/0 outbound 0", vec![all()], expect(vec![], vec![all()], vec![])),
            ("true all 0.0.0.0/0 outbound 22", vec![all()], expect(vec![rule("tcp", 0, 21), rule("tcp", 23, 65535)], vec![all()], vec![])),
            // A piece the group already has is not added again.
            ("true tcp 0.0.0.0/0 inbound 22", vec![wide(), rule("tcp", 0, 21)], expect(vec![rule("tcp", 23, 1024)], vec![wide()], vec![])),
        ];
        for (line, live, expected) in cases {
            assert_eq!(changes(line, &live), expected, "{line} on {live:?}");
        }
    }

    #[test]
    fn scope_entries_become_rules_of_their_direction() {
        assert_eq!(
            rule("udp", 0, 1024).rule(Direction::Outbound).render(),
            "outbound udp ports 0-1024 to 0.0.0.0/0"
        );
        assert_eq!(
            rule("-1", -1, -1).rule(Direction::Inbound).render(),
            "inbound all traffic from 0.0.0.0/0"
        );
        let v6 = ScopedRule {
            cidr: "::/0".to_string(),
            description: Some("any".to_string()),
            ..rule("tcp", 22, 22)
        };
        assert_eq!(
            v6.rule(Direction::Inbound).render(),
            "inbound tcp port 22 from ::/0 (any)"
        );
    }

    #[test]
    fn a_rule_covers_the_blocks_inside_its_own_and_anywhere_is_anywhere() {
        assert!(covers("0.0.0.0/0", "10.0.0.0/8"));
        assert!(covers("10.0.0.0/8", "10.1.0.0/16"));
        assert!(covers("10.0.0.0/8", "10.0.0.0/8"));
        assert!(!covers("10.1.0.0/16", "10.0.0.0/8"));
        assert!(!covers("192.168.0.0/16", "10.0.0.0/8"));
        assert!(
            covers("::/0", "0.0.0.0/0"),
            "the IPv6 world is as open as the IPv4 world"
        );
        assert!(covers("0.0.0.0/0", "::/0"));
        assert!(
            !covers("::/0", "10.0.0.0/8"),
            "families differ below anywhere"
        );
        assert!(covers("2001:db8::/32", "2001:db8:1::/48"));
        assert!(!covers("2001:db8::/32", "2001:db9::/32"));
        assert!(same_scope("::/0", "0.0.0.0/0"));
        assert!(!same_scope("10.0.0.0/8", "10.0.0.0/16"));
    }

    #[test]
    fn cidrs_compare_as_networks() {
        assert!(same_cidr("::/0", "0::/0"));
        assert!(same_cidr("10.0.0.0/8", "10.0.0.0/8"));
        assert!(!same_cidr("10.0.0.0/8", "10.0.0.0/16"));
        assert!(!same_cidr("0.0.0.0/0", "::/0"));
    }
}
