//! Security-group bots.
//!
//! They act on the group's live rules as DescribeSecurityGroups returns them (the finding's
//! copy of the rules may be stale), and describe every rule they touch in the same words, so
//! the outcome doubles as a forensic record of what was open.
//!
//! Every rule bot reads the group the same way ([`live_group`]) and ends the same way
//! ([`change_rules`]): it authorizes what stays allowed first, revokes, reads the group again
//! until the rules it promised are gone (and the pieces it re-added are there), and records
//! the group's rules before and after, which [`restore`] puts back on undo. The scope-driven
//! bots' matching lives in [`scope`], the rule model in [`rules`].

pub mod restore;
pub mod rules;
pub mod scope;

use aws_config::SdkConfig;
use aws_sdk_ec2::types::{Filter, IpPermission, SecurityGroup};
use cloudbots_runtime::aws_error::{bot_error, code};
use cloudbots_runtime::bot::{dry_run, entity_id, params, Bot};
use cloudbots_runtime::verify::{gone, reread};
use cloudbots_runtime::{exclusion, proceed};
use cloudbots_shared::error::BotError;
use cloudbots_shared::outcome::{BotInput, BotOutcome, OutcomeStatus};
use cloudbots_shared::params::{
    Direction, NoParams, RuleProtocol, SgClearRulesForAnyScopeParams,
    SgDeleteNotMatchingCidrParams, SgModifyScopeByPortParams, SgRulesDeleteByScopeParams,
    SgSingleRuleDeleteParams,
};
use cloudbots_shared::restore::PriorState;
use rules::{
    authorize, checked, describe_security_group, direction_word, existing_security_group, flatten,
    permissions, render_permission, revoke, rule_kind, rules_of, unmet, Rule,
};
use scope::{
    by_scope_wanted, cidr_rules, covers, matches_by_scope, rules_for_scope, same_cidr, same_scope,
    single_rule_changes, ScopedRule, SingleRuleChanges,
};
use serde::de::DeserializeOwned;
use serde_json::json;

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
/// A security group the finding names, as EC2 describes it now.
struct LiveGroup {
    ec2: aws_sdk_ec2::Client,
    id: String,
    group: SecurityGroup,
}

/// The preamble of every group bot: the step's params and the live group the finding names,
/// or — when EC2 no longer knows the group — the outcome that says so.
async fn live_group<P: DeserializeOwned>(
    input: &BotInput,
    aws: &SdkConfig,
) -> Result<Result<(P, LiveGroup), BotOutcome>, BotError> {
    let params: P = params(input)?;
    let id = entity_id(input)?;
    let ec2 = aws_sdk_ec2::Client::new(aws);
    Ok(match describe_security_group(&ec2, id).await? {
        Some(group) => Ok((
            params,
            LiveGroup {
                ec2,
                id: id.to_string(),
                group,
            },
        )),
        None => Err(BotOutcome::gone(
            input,
            &format!("Security group {id}"),
            "nothing to do",
        )),
    })
}

/// What a rule bot decided to change, and how it says so.
struct RuleChange {
    /// Authorized first, so that what stays allowed is never cut off in between.
    authorize: Vec<Rule>,
    revoke: Vec<Rule>,
    /// One line per change.
    changes: Vec<String>,
    /// The outcome's message in dry-run, and once done.
    would: String,
    done: String,
}

/// The end of every rule bot: in dry-run, the changes it would make; otherwise authorize,
/// revoke, read the group again until the change shows (or fail `NotVerified`), and record
/// the rules before and after for undo.
async fn change_rules(
    input: &BotInput,
    live: &LiveGroup,
    change: RuleChange,
) -> Result<BotOutcome, BotError> {
    if dry_run(input) {
        return Ok(BotOutcome::would(input, change.would, change.changes));
    }
    authorize(&live.ec2, &live.id, &change.authorize).await?;
    revoke(&live.ec2, &live.id, &change.revoke).await?;
    let after = reread(
        &format!("security group {}", live.id),
        || existing_security_group(&live.ec2, &live.id),
        |group| unmet(&rules_of(group), &change.authorize, &change.revoke),
    )
    .await?;
    let prior = PriorState::of(
        input,
        restore::RESTORE_SECURITY_GROUP_RULES.name,
        &live.id,
        json!(rules_of(&live.group)),
        json!(rules_of(&after)),
    );
    Ok(BotOutcome::remediated(input, change.done, change.changes)
        .with_verified(checked(&change.authorize, &change.revoke))
        .with_prior(prior))
}

/// Revoke `rules` (rendered for people as `removed`): already compliant when there are none.
async fn revoke_rules(
    input: &BotInput,
    live: &LiveGroup,
    wanted: &str,
    rules: Vec<Rule>,
    removed: Vec<String>,
) -> Result<BotOutcome, BotError> {
    let group_id = &live.id;
    if rules.is_empty() {
        return Ok(BotOutcome::compliant(
            input,
            format!("Security group {group_id} has no {wanted}"),
        ));
    }
    let listed = removed.join("; ");
    change_rules(
        input,
        live,
        RuleChange {
            authorize: Vec::new(),
            revoke: rules,
            changes: removed.iter().map(|r| format!("revoke {r}")).collect(),
            would: format!(
                "Would revoke {} rule(s) of security group {group_id}: {listed}",
                removed.len()
            ),
            done: format!(
                "Revoked {} rule(s) of security group {group_id}: {listed}",
                removed.len()
            ),
        },
    )
    .await
}

/// Revoke these permissions of one direction, each rendered as EC2 groups it.
async fn revoke_permissions(
    input: &BotInput,
    live: &LiveGroup,
    direction: Direction,
    matched: &[IpPermission],
    wanted: &str,
) -> Result<BotOutcome, BotError> {
    let removed = matched
        .iter()
        .map(|p| render_permission(direction, p))
        .collect();
    let rules = matched.iter().flat_map(|p| flatten(direction, p)).collect();
    revoke_rules(input, live, wanted, rules, removed).await
}

/// Revoke these entries of the scope-driven view, one line each.
async fn revoke_scoped(
    input: &BotInput,
    live: &LiveGroup,
    direction: Direction,
    matched: &[ScopedRule],
    wanted: &str,
) -> Result<BotOutcome, BotError> {
    let rules: Vec<Rule> = matched.iter().map(|r| r.rule(direction)).collect();
    let removed = rules.iter().map(Rule::render).collect();
    revoke_rules(input, live, wanted, rules, removed).await
}

async fn sg_rules_delete(input: &BotInput, aws: &SdkConfig) -> Result<BotOutcome, BotError> {
    let (NoParams {}, live) = proceed!(live_group(input, aws).await?);
    let group_id = &live.id;
    let all = [Direction::Inbound, Direction::Outbound];
    let removed: Vec<String> = all
        .iter()
        .flat_map(|d| {
            permissions(&live.group, *d)
                .iter()
                .map(|p| render_permission(*d, p))
        })
        .collect();
    if removed.is_empty() {
        return Ok(BotOutcome::compliant(
            input,
            format!("Security group {group_id} has no inbound or outbound rules"),
        ));
    }
    let change = RuleChange {
        authorize: Vec::new(),
        revoke: rules_of(&live.group),
        changes: removed.iter().map(|r| format!("revoke {r}")).collect(),
        would: format!(
            "Would revoke {} rule(s) of security group {group_id}",
            removed.len()
        ),
        done: format!(
            "Deleted {} rule(s) of security group {group_id}: {}",
            removed.len(),
            removed.join("; ")
        ),
    };
    change_rules(input, &live, change).await
}

async fn sg_single_rule_delete(input: &BotInput, aws: &SdkConfig) -> Result<BotOutcome, BotError> {
    let (params, live): (SgSingleRuleDeleteParams, _) = proceed!(live_group(input, aws).await?);
    let group_id = &live.id;
    let direction = params.direction;
    let live_rules = rules_for_scope(&live.group, direction, &params.scope);
    let SingleRuleChanges {
        add,
        revoke: remove,
        kept,
    } = single_rule_changes(&params, &live_rules);
    let render = |rule: &ScopedRule| rule.rule(direction).render();
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
    message.extend(add.iter().map(|r| {
        format!(
            "Security Group {kind} rule {} successfully added",
            r.ports_text()
        )
    }));
    message.extend(remove.iter().map(|r| {
        format!(
            "Security Group {kind} rule {} successfully removed",
            r.ports_text()
        )
    }));
    if !kept_note.is_empty() {
        message.push(kept_note);
    }
    let change = RuleChange {
        changes: add
            .iter()
            .map(|r| format!("authorize {}", render(r)))
            .chain(remove.iter().map(|r| format!("revoke {}", render(r))))
            .collect(),
        would: format!(
            "Would remove the {wanted} from security group {group_id}, re-adding {} remaining range(s)",
            add.len()
        ),
        done: message.join(". "),
        authorize: add.iter().map(|r| r.rule(direction)).collect(),
        revoke: remove.iter().map(|r| r.rule(direction)).collect(),
    };
    change_rules(input, &live, change).await
}

async fn sg_rules_delete_by_scope(
    input: &BotInput,
    aws: &SdkConfig,
) -> Result<BotOutcome, BotError> {
    let (params, live): (SgRulesDeleteByScopeParams, _) = proceed!(live_group(input, aws).await?);
    let matched: Vec<ScopedRule> = cidr_rules(&live.group, params.direction)
        .into_iter()
        .filter(|r| matches_by_scope(&params, r))
        .collect();
    let wanted = by_scope_wanted(&params);
    revoke_scoped(input, &live, params.direction, &matched, &wanted).await
}

/// As `sg_rules_delete_by_scope`, reading the rules with DescribeSecurityGroupRules as the
/// original does, so the outcome names the rule ids it removed.
async fn intelligence_sg_rules_delete_by_scope(
    input: &BotInput,
    aws: &SdkConfig,
) -> Result<BotOutcome, BotError> {
    let (params, live): (SgRulesDeleteByScopeParams, _) = proceed!(live_group(input, aws).await?);
    let group_id = &live.id;
    let rules = live
        .ec2
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
    let (ids, matched): (Vec<String>, Vec<ScopedRule>) = rules
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
        .unzip();
    let mut outcome = revoke_scoped(
        input,
        &live,
        params.direction,
        &matched,
        &by_scope_wanted(&params),
    )
    .await?;
    if outcome.status == OutcomeStatus::Remediated {
        outcome.message = format!("{} (rule ids {})", outcome.message, ids.join(", "));
    }
    Ok(outcome)
}

async fn sg_delete_not_matching_cidr(
    input: &BotInput,
    aws: &SdkConfig,
) -> Result<BotOutcome, BotError> {
    let (params, live): (SgDeleteNotMatchingCidrParams, _) =
        proceed!(live_group(input, aws).await?);
    let matched: Vec<ScopedRule> = cidr_rules(&live.group, params.direction)
        .into_iter()
        .filter(|r| r.opens_port(params.port) && !covers(&params.cidr, &r.cidr))
        .collect();
    let wanted = format!(
        "{} rule opening port {} to a scope outside {}",
        direction_word(params.direction),
        params.port,
        params.cidr
    );
    revoke_scoped(input, &live, params.direction, &matched, &wanted).await
}

/// The rule without its whitelisted CIDRs, ready to revoke; None when nothing is left.
fn without_whitelisted(permission: &IpPermission, whitelist: &[String]) -> Option<IpPermission> {
    let listed =
        |cidr: Option<&str>| cidr.is_some_and(|c| whitelist.iter().any(|w| same_cidr(w, c)));
    let mut permission = permission.clone();
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
    let (params, live): (SgClearRulesForAnyScopeParams, _) =
        proceed!(live_group(input, aws).await?);
    let protocol = params.protocol.ip_protocol();
    let port = i32::from(params.port);
    let matched: Vec<IpPermission> = permissions(&live.group, params.direction)
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
    revoke_permissions(input, &live, params.direction, &matched, &wanted).await
}

async fn sg_modify_scope_by_port(
    input: &BotInput,
    aws: &SdkConfig,
) -> Result<BotOutcome, BotError> {
    let (params, live): (SgModifyScopeByPortParams, _) = proceed!(live_group(input, aws).await?);
    let group_id = &live.id;
    let direction = params.direction;
    let new_scope = &params.change_scope_to;
    let live_rules = cidr_rules(&live.group, direction);
    let old: Vec<ScopedRule> = live_rules
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
        if !live_rules
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
    let render = |rule: &ScopedRule| rule.rule(direction).render();
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
    let change = RuleChange {
        authorize: add.iter().map(|r| r.rule(direction)).collect(),
        revoke: old.iter().map(|r| r.rule(direction)).collect(),
        would: format!("Would move {summary}"),
        done: format!("Moved {summary}: {}", changes.join("; ")),
        changes,
    };
    change_rules(input, &live, change).await
}

async fn sg_delete(input: &BotInput, aws: &SdkConfig) -> Result<BotOutcome, BotError> {
    let group_id = entity_id(input)?;
    let already_gone = || {
        BotOutcome::compliant(
            input,
            format!("Security group {group_id} does not exist (any more): nothing to delete"),
        )
    };
    let Ok((NoParams {}, live)) = live_group(input, aws).await? else {
        return Ok(already_gone());
    };
    let name = live.group.group_name().unwrap_or_default();
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
    match live
        .ec2
        .delete_security_group()
        .group_id(group_id)
        .send()
        .await
    {
        Ok(_) => {}
        Err(e) if code(&e) == Some("InvalidGroup.NotFound") => return Ok(already_gone()),
        Err(e) => {
            return Err(bot_error(
                &format!("deleting security group {group_id} ({name})"),
                e,
            ))
        }
    }
    let verified = gone(&format!("security group {group_id}"), || {
        describe_security_group(&live.ec2, group_id)
    })
    .await?;
    Ok(BotOutcome::new(
        input,
        OutcomeStatus::Remediated,
        format!("Security group {group_id} ({name}) successfully deleted"),
    )
    .with_changes(vec![change])
    .with_verified(vec![verified]))
}
