//! Security-group bots.
//!
//! They act on the group's live rules as DescribeSecurityGroups returns them (the finding's
//! copy of the rules may be stale), and describe every rule they touch in the same words, so
//! the outcome doubles as a forensic record of what was open.

use super::{dry_run, entity_id, params, Bot};
use crate::aws_error::{bot_error, code};
use aws_config::SdkConfig;
use aws_sdk_ec2::types::{IpPermission, IpRange, Ipv6Range, SecurityGroup};
use cloudbots_shared::error::{BotError, ErrorName};
use cloudbots_shared::outcome::{BotInput, BotOutcome, OutcomeStatus};
use cloudbots_shared::params::{Direction, NoParams, RuleProtocol, SgSingleRuleDeleteParams};
use std::net::IpAddr;

/// The bots of this module.
pub const BOTS: &[Bot] = &[SG_RULES_DELETE, SG_SINGLE_RULE_DELETE];

pub const SG_RULES_DELETE: Bot = Bot {
    name: "sg_rules_delete",
    run: |input, aws| Box::pin(sg_rules_delete(input, aws)),
};
pub const SG_SINGLE_RULE_DELETE: Bot = Bot {
    name: "sg_single_rule_delete",
    run: |input, aws| Box::pin(sg_single_rule_delete(input, aws)),
};

/// The live security group, or None when EC2 says it does not exist.
async fn describe_security_group(
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

fn group_gone(input: &BotInput, group_id: &str) -> BotOutcome {
    BotOutcome::new(
        input,
        OutcomeStatus::Skipped,
        format!("Security group {group_id} does not exist (any more): nothing to do"),
    )
}

/// The group's rules of one direction.
fn permissions(group: &SecurityGroup, direction: Direction) -> &[IpPermission] {
    match direction {
        Direction::Inbound => group.ip_permissions(),
        Direction::Outbound => group.ip_permissions_egress(),
    }
}

/// The parameter's name for a direction.
fn direction_word(direction: Direction) -> &'static str {
    match direction {
        Direction::Inbound => "inbound",
        Direction::Outbound => "outbound",
    }
}

/// EC2's name for the rules of a direction.
fn rule_kind(direction: Direction) -> &'static str {
    match direction {
        Direction::Inbound => "ingress",
        Direction::Outbound => "egress",
    }
}

/// One rule as people read it, with every source (or destination) it opens, e.g.
/// `inbound tcp port 22 from 0.0.0.0/0 (ssh), ::/0, sg-0abc, pl-0def`.
fn render_permission(direction: Direction, permission: &IpPermission) -> String {
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

async fn authorize(
    ec2: &aws_sdk_ec2::Client,
    group_id: &str,
    direction: Direction,
    permissions: Vec<IpPermission>,
) -> Result<(), BotError> {
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
            .map_err(|e| bot_error(&doing, e)),
        Direction::Outbound => ec2
            .authorize_security_group_egress()
            .group_id(group_id)
            .set_ip_permissions(Some(permissions))
            .send()
            .await
            .map(drop)
            .map_err(|e| bot_error(&doing, e)),
    }
}

/// Revoke the rules, and fail if EC2 reports some of them unknown (the group changed since
/// it was read), so a partly applied change is never reported as done.
async fn revoke(
    ec2: &aws_sdk_ec2::Client,
    group_id: &str,
    direction: Direction,
    permissions: Vec<IpPermission>,
) -> Result<(), BotError> {
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
    if unknown.is_empty() {
        return Ok(());
    }
    let unknown: Vec<String> = unknown
        .iter()
        .map(|p| render_permission(direction, p))
        .collect();
    Err(BotError::new(
        ErrorName::Conflict,
        format!(
            "{doing}: EC2 no longer knows {} (the group changed while the bot ran)",
            unknown.join("; ")
        ),
    ))
}

/// A rule as DescribeSecurityGroups returns it, made fit to send back in a revoke: EC2
/// rejects a group pair that names both the group id and the group name, so the name goes.
fn revocable(permission: &IpPermission) -> IpPermission {
    let mut permission = permission.clone();
    for pair in permission.user_id_group_pairs.iter_mut().flatten() {
        if pair.group_id.is_some() {
            pair.group_name = None;
        }
    }
    permission
}

async fn sg_rules_delete(input: &BotInput, aws: &SdkConfig) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let group_id = entity_id(input)?;
    let ec2 = aws_sdk_ec2::Client::new(aws);
    let Some(group) = describe_security_group(&ec2, group_id).await? else {
        return Ok(group_gone(input, group_id));
    };
    let rules: Vec<(Direction, Vec<IpPermission>)> = [Direction::Inbound, Direction::Outbound]
        .into_iter()
        .map(|d| (d, permissions(&group, d).iter().map(revocable).collect()))
        .collect();
    let removed: Vec<String> = rules
        .iter()
        .flat_map(|(d, perms)| perms.iter().map(|p| render_permission(*d, p)))
        .collect();
    if removed.is_empty() {
        return Ok(BotOutcome::new(
            input,
            OutcomeStatus::AlreadyCompliant,
            format!("Security group {group_id} has no inbound or outbound rules"),
        ));
    }
    let changes: Vec<String> = removed.iter().map(|r| format!("revoke {r}")).collect();
    if dry_run(input) {
        return Ok(BotOutcome::new(
            input,
            OutcomeStatus::DryRun,
            format!(
                "Would revoke {} rule(s) of security group {group_id}",
                removed.len()
            ),
        )
        .with_changes(changes));
    }
    for (direction, perms) in rules {
        if !perms.is_empty() {
            revoke(&ec2, group_id, direction, perms).await?;
        }
    }
    Ok(BotOutcome::new(
        input,
        OutcomeStatus::Remediated,
        format!(
            "Deleted {} rule(s) of security group {group_id}: {}",
            removed.len(),
            removed.join("; ")
        ),
    )
    .with_changes(changes))
}

/// One protocol and port range open to the bot's scope, as `sg_single_rule_delete` sees the
/// group: a rule opening several CIDRs is, for the scope, just this one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ScopedRule {
    /// EC2's `IpProtocol`: `tcp`, `udp`, `-1` (all traffic)...
    protocol: String,
    /// The port range; ignored for protocol `-1`.
    from: i32,
    to: i32,
    /// The CIDR exactly as EC2 spells it.
    cidr: String,
    /// The description of the scope's entry, carried over to the pieces of a split.
    description: Option<String>,
}

impl ScopedRule {
    fn same_ports(&self, other: &ScopedRule) -> bool {
        self.protocol == other.protocol && self.from == other.from && self.to == other.to
    }

    /// This rule as one revoke or authorize request entry.
    fn permission(&self) -> IpPermission {
        let mut rule = IpPermission::builder().ip_protocol(&self.protocol);
        if self.protocol != "-1" {
            rule = rule.from_port(self.from).to_port(self.to);
        }
        if self.cidr.contains(':') {
            rule.ipv6_ranges(
                Ipv6Range::builder()
                    .cidr_ipv6(&self.cidr)
                    .set_description(self.description.clone())
                    .build(),
            )
        } else {
            rule.ip_ranges(
                IpRange::builder()
                    .cidr_ip(&self.cidr)
                    .set_description(self.description.clone())
                    .build(),
            )
        }
        .build()
    }

    /// `from port X to port Y`, as the original's messages say it.
    fn ports_text(&self) -> String {
        if self.protocol == "-1" {
            "for all traffic".to_string()
        } else {
            format!("from port {} to port {}", self.from, self.to)
        }
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

/// Whether two CIDR blocks are the same network, whatever their spelling (`::/0`, `0::/0`).
fn same_cidr(a: &str, b: &str) -> bool {
    let parse = |text: &str| {
        let (addr, prefix) = text.split_once('/')?;
        Some((addr.parse::<IpAddr>().ok()?, prefix.parse::<u8>().ok()?))
    };
    match (parse(a), parse(b)) {
        (Some(network_a), Some(network_b)) => network_a == network_b,
        _ => a == b,
    }
}

/// The group's rules of one direction that open exactly `scope` (IPv4 or IPv6).
fn rules_for_scope(group: &SecurityGroup, direction: Direction, scope: &str) -> Vec<ScopedRule> {
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
                    let cidr = cidr.filter(|c| same_cidr(c, scope))?;
                    Some(ScopedRule {
                        protocol: p.ip_protocol().unwrap_or_default().to_string(),
                        from: p.from_port().unwrap_or(-1),
                        to: p.to_port().unwrap_or(-1),
                        cidr: cidr.to_string(),
                        description: description.map(str::to_string),
                    })
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// What `sg_single_rule_delete` does to the rules open to its scope.
#[derive(Debug, Default, PartialEq, Eq)]
struct SingleRuleChanges {
    /// The rest of each split range: authorized first, so that the ports that should stay
    /// open never close.
    add: Vec<ScopedRule>,
    /// The matching rules, revoked once their remaining pieces exist.
    revoke: Vec<ScopedRule>,
    /// Wider ranges holding the port, left in place because split=false.
    kept: Vec<ScopedRule>,
}

/// The original's split semantics (reference §1.5), applied to the live rules open to the
/// scope. Protocol ALL matches the all-traffic (`-1`) rule; with split=true and a port other
/// than 0, the rest of the port space is re-opened as TCP. Pieces that the group already has
/// are not added twice.
fn single_rule_changes(
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

async fn sg_single_rule_delete(input: &BotInput, aws: &SdkConfig) -> Result<BotOutcome, BotError> {
    let params: SgSingleRuleDeleteParams = params(input)?;
    let group_id = entity_id(input)?;
    let ec2 = aws_sdk_ec2::Client::new(aws);
    let Some(group) = describe_security_group(&ec2, group_id).await? else {
        return Ok(group_gone(input, group_id));
    };
    let direction = params.direction;
    let live = rules_for_scope(&group, direction, &params.scope);
    let SingleRuleChanges {
        add,
        revoke: remove,
        kept,
    } = single_rule_changes(&params, &live);
    let render = |rule: &ScopedRule| render_permission(direction, &rule.permission());
    let kept_note = if kept.is_empty() {
        String::new()
    } else {
        let kept: Vec<String> = kept.iter().map(render).collect();
        format!(
            "split=false keeps wider ranges, so {} stays open (use split=true to cut port {} out of it)",
            kept.join("; "),
            params.port
        )
    };
    let wanted = match params.protocol {
        RuleProtocol::All => format!(
            "{} all-traffic rule for {}",
            direction_word(direction),
            params.scope
        ),
        protocol => format!(
            "{} {} rule for port {} and {}",
            direction_word(direction),
            protocol.ip_protocol(),
            params.port,
            params.scope
        ),
    };
    if remove.is_empty() {
        return Ok(if kept.is_empty() {
            BotOutcome::new(
                input,
                OutcomeStatus::AlreadyCompliant,
                format!("Security group {group_id} has no {wanted}: nothing to remove"),
            )
        } else {
            BotOutcome::new(
                input,
                OutcomeStatus::Skipped,
                format!("No SG rule of security group {group_id} matches the {wanted} exactly: {kept_note}"),
            )
        });
    }

    let changes: Vec<String> = add
        .iter()
        .map(|r| format!("authorize {}", render(r)))
        .chain(remove.iter().map(|r| format!("revoke {}", render(r))))
        .collect();
    if dry_run(input) {
        return Ok(BotOutcome::new(
            input,
            OutcomeStatus::DryRun,
            format!(
                "Would remove the {wanted} from security group {group_id}, re-adding {} remaining range(s)",
                add.len()
            ),
        )
        .with_changes(changes));
    }

    let kind = rule_kind(direction);
    let mut message: Vec<String> = remove
        .iter()
        .map(|r| {
            format!(
                "Matching rule found that is going to be deleted: {}",
                render(r)
            )
        })
        .collect();
    if !add.is_empty() {
        authorize(
            &ec2,
            group_id,
            direction,
            add.iter().map(ScopedRule::permission).collect(),
        )
        .await?;
        message.extend(add.iter().map(|r| {
            format!(
                "Security Group {kind} rule {} successfully added",
                r.ports_text()
            )
        }));
    }
    revoke(
        &ec2,
        group_id,
        direction,
        remove.iter().map(ScopedRule::permission).collect(),
    )
    .await?;
    message.extend(remove.iter().map(|r| {
        format!(
            "Security Group {kind} rule {} successfully removed",
            r.ports_text()
        )
    }));
    if !kept_note.is_empty() {
        message.push(kept_note);
    }
    Ok(BotOutcome::new(input, OutcomeStatus::Remediated, message.join(". ")).with_changes(changes))
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
    fn rules_render_with_protocol_ports_and_every_peer() {
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
            .build();
        assert_eq!(
            render_permission(Direction::Inbound, &permission),
            "inbound tcp port 22 from 0.0.0.0/0 (ssh), ::/0"
        );
        let ranged = rule("udp", 0, 1024).permission();
        assert_eq!(
            render_permission(Direction::Outbound, &ranged),
            "outbound udp ports 0-1024 to 0.0.0.0/0"
        );
        assert_eq!(
            render_permission(Direction::Outbound, &rule("-1", -1, -1).permission()),
            "outbound all traffic to 0.0.0.0/0"
        );
    }

    #[test]
    fn cidrs_compare_as_networks() {
        assert!(same_cidr("::/0", "0::/0"));
        assert!(same_cidr("10.0.0.0/8", "10.0.0.0/8"));
        assert!(!same_cidr("10.0.0.0/8", "10.0.0.0/16"));
        assert!(!same_cidr("0.0.0.0/0", "::/0"));
    }
}
