//! Security-group bots.
//!
//! They act on the group's live rules as DescribeSecurityGroups returns them (the finding's
//! copy of the rules may be stale), and describe every rule they touch in the same words, so
//! the outcome doubles as a forensic record of what was open.
//!
//! The scope-driven bots (`sg_rules_delete_by_scope`, `sg_delete_not_matching_cidr`,
//! `sg_modify_scope_by_port`, ...) compare CIDR blocks as networks, IPv4 and IPv6 alike, and
//! treat `::/0` as exactly as open as `0.0.0.0/0`: a rule open to the whole IPv6 internet is
//! no safer than one open to the whole IPv4 internet.

use aws_config::SdkConfig;
use aws_sdk_ec2::types::{Filter, IpPermission, IpRange, Ipv6Range, SecurityGroup};
use cloudbots_runtime::aws_error::{bot_error, code};
use cloudbots_runtime::bot::{dry_run, entity_id, params, Bot};
use cloudbots_runtime::exclusion;
use cloudbots_shared::error::{BotError, ErrorName};
use cloudbots_shared::outcome::{BotInput, BotOutcome, OutcomeStatus};
use cloudbots_shared::params::{
    Direction, NoParams, RuleProtocol, SgClearRulesForAnyScopeParams,
    SgDeleteNotMatchingCidrParams, SgModifyScopeByPortParams, SgRulesDeleteByScopeParams,
    SgSingleRuleDeleteParams,
};
use std::net::IpAddr;

/// The bots of this module.
pub const BOTS: &[Bot] = &[
    SG_RULES_DELETE,
    SG_SINGLE_RULE_DELETE,
    SG_RULES_DELETE_BY_SCOPE,
    INTELLIGENCE_SG_RULES_DELETE_BY_SCOPE,
    SG_DELETE_NOT_MATCHING_CIDR,
    SG_CLEAR_RULES_FOR_ANY_SCOPE,
    SG_MODIFY_SCOPE_BY_PORT,
    SG_DELETE,
];

pub const SG_RULES_DELETE: Bot = Bot {
    name: "sg_rules_delete",
    tags: exclusion::EC2_TAGS,
    run: |input, aws| Box::pin(sg_rules_delete(input, aws)),
};
pub const SG_SINGLE_RULE_DELETE: Bot = Bot {
    name: "sg_single_rule_delete",
    tags: exclusion::EC2_TAGS,
    run: |input, aws| Box::pin(sg_single_rule_delete(input, aws)),
};

pub const SG_RULES_DELETE_BY_SCOPE: Bot = Bot {
    name: "sg_rules_delete_by_scope",
    tags: exclusion::EC2_TAGS,
    run: |input, aws| Box::pin(sg_rules_delete_by_scope(input, aws)),
};
pub const INTELLIGENCE_SG_RULES_DELETE_BY_SCOPE: Bot = Bot {
    name: "intelligence_sg_rules_delete_by_scope",
    tags: exclusion::EC2_TAGS,
    run: |input, aws| Box::pin(intelligence_sg_rules_delete_by_scope(input, aws)),
};
pub const SG_DELETE_NOT_MATCHING_CIDR: Bot = Bot {
    name: "sg_delete_not_matching_cidr",
    tags: exclusion::EC2_TAGS,
    run: |input, aws| Box::pin(sg_delete_not_matching_cidr(input, aws)),
};
pub const SG_CLEAR_RULES_FOR_ANY_SCOPE: Bot = Bot {
    name: "sg_clear_rules_for_any_scope",
    tags: exclusion::EC2_TAGS,
    run: |input, aws| Box::pin(sg_clear_rules_for_any_scope(input, aws)),
};
pub const SG_MODIFY_SCOPE_BY_PORT: Bot = Bot {
    name: "sg_modify_scope_by_port",
    tags: exclusion::EC2_TAGS,
    run: |input, aws| Box::pin(sg_modify_scope_by_port(input, aws)),
};
pub const SG_DELETE: Bot = Bot {
    name: "sg_delete",
    tags: exclusion::EC2_TAGS,
    run: |input, aws| Box::pin(sg_delete(input, aws)),
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
    BotOutcome::gone(
        input,
        &format!("Security group {group_id}"),
        "nothing to do",
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
        return Ok(BotOutcome::compliant(
            input,
            format!("Security group {group_id} has no inbound or outbound rules"),
        ));
    }
    let changes: Vec<String> = removed.iter().map(|r| format!("revoke {r}")).collect();
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!(
                "Would revoke {} rule(s) of security group {group_id}",
                removed.len()
            ),
            changes,
        ));
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

    /// Whether the rule lets traffic to `port` through: TCP and UDP rules by their port
    /// range, all-traffic rules always; other protocols (ICMP...) have no ports.
    fn opens_port(&self, port: u16) -> bool {
        let port = i32::from(port);
        match self.protocol.as_str() {
            "-1" => true,
            "tcp" | "udp" => self.from <= port && port <= self.to,
            _ => false,
        }
    }

    /// Whether the rule opens exactly this one TCP or UDP port.
    fn opens_only_port(&self, port: u16) -> bool {
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
fn same_cidr(a: &str, b: &str) -> bool {
    match (network(a), network(b)) {
        (Some(network_a), Some(network_b)) => network_a == network_b,
        _ => a == b,
    }
}

/// Whether a rule open to `rule_cidr` opens every address of `scope`: a block of the same
/// address family holding the scope. `0.0.0.0/0` and `::/0` are both "anywhere": a rule open
/// to the whole IPv6 internet is as open as one open to the whole IPv4 internet.
fn covers(rule_cidr: &str, scope: &str) -> bool {
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
fn same_scope(a: &str, b: &str) -> bool {
    covers(a, b) && covers(b, a)
}

/// Every CIDR entry (IPv4 and IPv6) of the group's rules of one direction, one per CIDR.
/// Rules whose peer is another group or a prefix list have no CIDR and are not listed.
fn cidr_rules(group: &SecurityGroup, direction: Direction) -> Vec<ScopedRule> {
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
fn rules_for_scope(group: &SecurityGroup, direction: Direction, scope: &str) -> Vec<ScopedRule> {
    cidr_rules(group, direction)
        .into_iter()
        .filter(|r| same_cidr(&r.cidr, scope))
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
            BotOutcome::compliant(
                input,
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
        return Ok(BotOutcome::would(input, format!(
                "Would remove the {wanted} from security group {group_id}, re-adding {} remaining range(s)",
                add.len()
            ), changes));
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

/// Before revoking the `removed` rules (as rendered): already compliant when there are none,
/// the list of revokes in dry-run, or None to go ahead.
fn before_revoking(
    input: &BotInput,
    group_id: &str,
    wanted: &str,
    removed: &[String],
) -> Option<BotOutcome> {
    if removed.is_empty() {
        return Some(BotOutcome::compliant(
            input,
            format!("Security group {group_id} has no {wanted}"),
        ));
    }
    dry_run(input).then(|| {
        BotOutcome::would(
            input,
            format!(
                "Would revoke {} rule(s) of security group {group_id}: {}",
                removed.len(),
                removed.join("; ")
            ),
            revoke_lines(removed),
        )
    })
}

fn revoke_lines(removed: &[String]) -> Vec<String> {
    removed.iter().map(|r| format!("revoke {r}")).collect()
}

/// The outcome once the `removed` rules are revoked.
fn revoked(input: &BotInput, group_id: &str, removed: &[String]) -> BotOutcome {
    BotOutcome::new(
        input,
        OutcomeStatus::Remediated,
        format!(
            "Revoked {} rule(s) of security group {group_id}: {}",
            removed.len(),
            removed.join("; ")
        ),
    )
    .with_changes(revoke_lines(removed))
}

/// Revoke these rules of one direction (or list them in dry-run) and report.
async fn revoke_permissions(
    input: &BotInput,
    ec2: &aws_sdk_ec2::Client,
    group_id: &str,
    direction: Direction,
    matched: Vec<IpPermission>,
    wanted: &str,
) -> Result<BotOutcome, BotError> {
    let removed: Vec<String> = matched
        .iter()
        .map(|p| render_permission(direction, p))
        .collect();
    if let Some(outcome) = before_revoking(input, group_id, wanted, &removed) {
        return Ok(outcome);
    }
    revoke(ec2, group_id, direction, matched).await?;
    Ok(revoked(input, group_id, &removed))
}

/// The rules `sg_rules_delete_by_scope` and `intelligence_sg_rules_delete_by_scope` remove:
/// open to a block holding the scope, on exactly the port (any port for `*`), of the protocol
/// (any for `*`).
fn matches_by_scope(params: &SgRulesDeleteByScopeParams, rule: &ScopedRule) -> bool {
    covers(&rule.cidr, &params.scope)
        && params.port.is_none_or(|port| rule.opens_only_port(port))
        && params
            .protocol
            .is_none_or(|protocol| rule.protocol == protocol.ip_protocol())
}

/// How the by-scope bots name the rules they look for.
fn by_scope_wanted(params: &SgRulesDeleteByScopeParams) -> String {
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

async fn sg_rules_delete_by_scope(
    input: &BotInput,
    aws: &SdkConfig,
) -> Result<BotOutcome, BotError> {
    let params: SgRulesDeleteByScopeParams = params(input)?;
    let group_id = entity_id(input)?;
    let ec2 = aws_sdk_ec2::Client::new(aws);
    let Some(group) = describe_security_group(&ec2, group_id).await? else {
        return Ok(group_gone(input, group_id));
    };
    let matched = cidr_rules(&group, params.direction)
        .iter()
        .filter(|r| matches_by_scope(&params, r))
        .map(ScopedRule::permission)
        .collect();
    let wanted = by_scope_wanted(&params);
    revoke_permissions(input, &ec2, group_id, params.direction, matched, &wanted).await
}

async fn intelligence_sg_rules_delete_by_scope(
    input: &BotInput,
    aws: &SdkConfig,
) -> Result<BotOutcome, BotError> {
    let params: SgRulesDeleteByScopeParams = params(input)?;
    let group_id = entity_id(input)?;
    let ec2 = aws_sdk_ec2::Client::new(aws);
    if describe_security_group(&ec2, group_id).await?.is_none() {
        return Ok(group_gone(input, group_id));
    }
    let rules = ec2
        .describe_security_group_rules()
        .filters(Filter::builder().name("group-id").values(group_id).build())
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| {
            bot_error(
                &format!("listing the rules of security group {group_id}"),
                e,
            )
        })?;
    let egress = params.direction == Direction::Outbound;
    let matched: Vec<(String, ScopedRule)> = rules
        .iter()
        .filter(|r| r.is_egress() == Some(egress))
        .filter_map(|r| {
            let rule = ScopedRule {
                protocol: r.ip_protocol().unwrap_or_default().to_string(),
                from: r.from_port().unwrap_or(-1),
                to: r.to_port().unwrap_or(-1),
                cidr: r.cidr_ipv4().or(r.cidr_ipv6())?.to_string(),
                description: r.description().map(str::to_string),
            };
            Some((r.security_group_rule_id()?.to_string(), rule))
        })
        .filter(|(_, rule)| matches_by_scope(&params, rule))
        .collect();
    let removed: Vec<String> = matched
        .iter()
        .map(|(_, rule)| render_permission(params.direction, &rule.permission()))
        .collect();
    if let Some(outcome) = before_revoking(input, group_id, &by_scope_wanted(&params), &removed) {
        return Ok(outcome);
    }
    let ids: Vec<String> = matched.into_iter().map(|(id, _)| id).collect();
    let doing = format!(
        "revoking {} rules {} of security group {group_id}",
        rule_kind(params.direction),
        ids.join(", ")
    );
    match params.direction {
        Direction::Inbound => ec2
            .revoke_security_group_ingress()
            .group_id(group_id)
            .set_security_group_rule_ids(Some(ids.clone()))
            .send()
            .await
            .map(drop)
            .map_err(|e| bot_error(&doing, e)),
        Direction::Outbound => ec2
            .revoke_security_group_egress()
            .group_id(group_id)
            .set_security_group_rule_ids(Some(ids.clone()))
            .send()
            .await
            .map(drop)
            .map_err(|e| bot_error(&doing, e)),
    }?;
    let mut outcome = revoked(input, group_id, &removed);
    outcome.message = format!("{} (rule ids {})", outcome.message, ids.join(", "));
    Ok(outcome)
}

async fn sg_delete_not_matching_cidr(
    input: &BotInput,
    aws: &SdkConfig,
) -> Result<BotOutcome, BotError> {
    let params: SgDeleteNotMatchingCidrParams = params(input)?;
    let group_id = entity_id(input)?;
    let ec2 = aws_sdk_ec2::Client::new(aws);
    let Some(group) = describe_security_group(&ec2, group_id).await? else {
        return Ok(group_gone(input, group_id));
    };
    let matched = cidr_rules(&group, params.direction)
        .iter()
        .filter(|r| r.opens_port(params.port) && !covers(&params.cidr, &r.cidr))
        .map(ScopedRule::permission)
        .collect();
    let wanted = format!(
        "{} rule opening port {} to a scope outside {}",
        direction_word(params.direction),
        params.port,
        params.cidr
    );
    revoke_permissions(input, &ec2, group_id, params.direction, matched, &wanted).await
}

/// The rule without its whitelisted CIDRs, ready to revoke; None when nothing is left.
fn without_whitelisted(permission: &IpPermission, whitelist: &[String]) -> Option<IpPermission> {
    let listed =
        |cidr: Option<&str>| cidr.is_some_and(|c| whitelist.iter().any(|w| same_cidr(w, c)));
    let mut permission = revocable(permission);
    if let Some(ranges) = permission.ip_ranges.as_mut() {
        ranges.retain(|r| !listed(r.cidr_ip()));
    }
    if let Some(ranges) = permission.ipv6_ranges.as_mut() {
        ranges.retain(|r| !listed(r.cidr_ipv6()));
    }
    let peers = permission.ip_ranges().len()
        + permission.ipv6_ranges().len()
        + permission.prefix_list_ids().len()
        + permission.user_id_group_pairs().len();
    (peers > 0).then_some(permission)
}

async fn sg_clear_rules_for_any_scope(
    input: &BotInput,
    aws: &SdkConfig,
) -> Result<BotOutcome, BotError> {
    let params: SgClearRulesForAnyScopeParams = params(input)?;
    let group_id = entity_id(input)?;
    let ec2 = aws_sdk_ec2::Client::new(aws);
    let Some(group) = describe_security_group(&ec2, group_id).await? else {
        return Ok(group_gone(input, group_id));
    };
    let protocol = params.protocol.ip_protocol();
    let port = i32::from(params.port);
    let matched = permissions(&group, params.direction)
        .iter()
        .filter(|p| {
            p.ip_protocol() == Some(protocol)
                && (params.protocol == RuleProtocol::All
                    || (p.from_port() == Some(port) && p.to_port() == Some(port)))
        })
        .filter_map(|p| without_whitelisted(p, &params.whitelist))
        .collect();
    let rule = match params.protocol {
        RuleProtocol::All => "all-traffic rule".to_string(),
        _ => format!("{protocol} port {port} rule"),
    };
    let wanted = if params.whitelist.is_empty() {
        format!("{} {rule}", direction_word(params.direction))
    } else {
        format!(
            "{} {rule} open to a scope outside the whitelist {}",
            direction_word(params.direction),
            params.whitelist.join(",")
        )
    };
    revoke_permissions(input, &ec2, group_id, params.direction, matched, &wanted).await
}

async fn sg_modify_scope_by_port(
    input: &BotInput,
    aws: &SdkConfig,
) -> Result<BotOutcome, BotError> {
    let params: SgModifyScopeByPortParams = params(input)?;
    let group_id = entity_id(input)?;
    let ec2 = aws_sdk_ec2::Client::new(aws);
    let Some(group) = describe_security_group(&ec2, group_id).await? else {
        return Ok(group_gone(input, group_id));
    };
    let direction = params.direction;
    let new_scope = &params.change_scope_to;
    let live = cidr_rules(&group, direction);
    let old: Vec<ScopedRule> = live
        .iter()
        .filter(|r| {
            r.opens_port(params.port)
                && params
                    .change_scope_from
                    .as_deref()
                    .is_none_or(|from| same_scope(&r.cidr, from))
                && !same_cidr(&r.cidr, new_scope)
        })
        .cloned()
        .collect();
    let mut add: Vec<ScopedRule> = Vec::new();
    for rule in &old {
        let moved = ScopedRule {
            cidr: new_scope.clone(),
            ..rule.clone()
        };
        if !live
            .iter()
            .chain(&add)
            .any(|r| r.same_ports(&moved) && same_cidr(&r.cidr, new_scope))
        {
            add.push(moved);
        }
    }
    let from = params.change_scope_from.as_deref().unwrap_or("any scope");
    if old.is_empty() {
        return Ok(BotOutcome::compliant(input, format!(
                "Security group {group_id} has no {} rule on port {} open to {from} other than {new_scope}",
                direction_word(direction),
                params.port
            )));
    }
    let render = |rule: &ScopedRule| render_permission(direction, &rule.permission());
    let changes: Vec<String> = add
        .iter()
        .map(|r| format!("authorize {}", render(r)))
        .chain(old.iter().map(|r| format!("revoke {}", render(r))))
        .collect();
    let summary = format!(
        "{} rule(s) of security group {group_id} on port {} from {from} to {new_scope}",
        old.len(),
        params.port
    );
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!("Would move {summary}"),
            changes,
        ));
    }
    // The new scope first, so that what stays allowed is never cut off in between.
    if !add.is_empty() {
        authorize(
            &ec2,
            group_id,
            direction,
            add.iter().map(ScopedRule::permission).collect(),
        )
        .await?;
    }
    revoke(
        &ec2,
        group_id,
        direction,
        old.iter().map(ScopedRule::permission).collect(),
    )
    .await?;
    Ok(BotOutcome::new(
        input,
        OutcomeStatus::Remediated,
        format!("Moved {summary}: {}", changes.join("; ")),
    )
    .with_changes(changes))
}

async fn sg_delete(input: &BotInput, aws: &SdkConfig) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let group_id = entity_id(input)?;
    let ec2 = aws_sdk_ec2::Client::new(aws);
    let already_gone = || {
        BotOutcome::compliant(
            input,
            format!("Security group {group_id} does not exist (any more): nothing to delete"),
        )
    };
    let Some(group) = describe_security_group(&ec2, group_id).await? else {
        return Ok(already_gone());
    };
    let name = group.group_name().unwrap_or_default();
    if name == "default" {
        return Ok(BotOutcome::new(
            input,
            OutcomeStatus::Skipped,
            format!("Security group {group_id} is the default group of its VPC, which EC2 never deletes"),
        ));
    }
    let change = format!("delete security group {group_id} ({name})");
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!("Would delete security group {group_id} ({name})"),
            vec![change],
        ));
    }
    match ec2.delete_security_group().group_id(group_id).send().await {
        Ok(_) => Ok(BotOutcome::new(
            input,
            OutcomeStatus::Remediated,
            format!("Security group {group_id} ({name}) successfully deleted"),
        )
        .with_changes(vec![change])),
        Err(e) if code(&e) == Some("InvalidGroup.NotFound") => Ok(already_gone()),
        Err(e) => Err(bot_error(
            &format!("deleting security group {group_id} ({name})"),
            e,
        )),
    }
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
