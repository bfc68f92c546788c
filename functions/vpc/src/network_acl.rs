//! Network ACL bots, for Log.ic findings: `acl_delete` and `acl_revert_modification`.
//!
//! They act on the live ACL, read first, so that an ACL already gone or already fixed is
//! reported as such rather than as an error. They learn what to undo from the CloudTrail event
//! closest to the finding's alert time; reverting a deleted or replaced ACL entry also needs the
//! entry's earlier definition, which only the ACL's older CloudTrail history holds. Both are
//! split into a thin wrapper and an inner function taking the clients, so they can run against
//! any CloudTrail client.
//!
//! `acl_revert_modification` records the ACL's whole entry list as it found it and as it left
//! it, reads the entries back after the revert, and `restore_network_acl_entries` puts the
//! list back exactly as it was when the ACL still has the entries the bot left.

use aws_config::SdkConfig;
use aws_sdk_cloudtrail::types::{LookupAttribute, LookupAttributeKey};
use aws_sdk_ec2::types::{IcmpTypeCode, NetworkAcl, NetworkAclEntry, PortRange, RuleAction};
use cloudbots_runtime::aws_error::{bot_error, code};
use cloudbots_runtime::bot::{dry_run, entity_id, params, Bot};
use cloudbots_runtime::cloudtrail::{alert_time, closest_event, EventQuery, DEFAULT_WINDOW};
use cloudbots_runtime::exclusion;
use cloudbots_runtime::restorer::Restorer;
use cloudbots_runtime::setting::{self, restore_settings, Resource, Setting};
use cloudbots_runtime::verify::gone;
use cloudbots_shared::error::{BotError, ErrorName};
use cloudbots_shared::outcome::{BotInput, BotOutcome, OutcomeStatus};
use cloudbots_shared::params::NoParams;
use cloudbots_shared::restore::{RestoreInput, RestoreOutcome};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The bots of this module.
pub const BOTS: &[Bot] = &[ACL_DELETE, ACL_REVERT_MODIFICATION];

pub const ACL_DELETE: Bot = Bot {
    name: "acl_delete",
    tags: exclusion::EC2_TAGS,
    run: |input, aws| Box::pin(acl_delete(input, aws)),
};
pub const ACL_REVERT_MODIFICATION: Bot = Bot {
    name: "acl_revert_modification",
    tags: exclusion::EC2_TAGS,
    run: |input, aws| Box::pin(acl_revert_modification(input, aws)),
};

pub const RESTORE_NETWORK_ACL_ENTRIES: Restorer = Restorer {
    name: "restore_network_acl_entries",
    run: |input, aws| Box::pin(restore_entries(input, aws)),
};

/// The live network ACL, or None when EC2 says it does not exist (the local stack reports
/// a missing ACL under the route-table code).
async fn describe_network_acl(
    ec2: &aws_sdk_ec2::Client,
    acl_id: &str,
) -> Result<Option<NetworkAcl>, BotError> {
    match ec2
        .describe_network_acls()
        .network_acl_ids(acl_id)
        .send()
        .await
    {
        Ok(out) => Ok(out
            .network_acls()
            .iter()
            .find(|a| a.network_acl_id() == Some(acl_id))
            .cloned()),
        Err(e)
            if matches!(
                code(&e),
                Some("InvalidNetworkAclID.NotFound" | "InvalidRouteTableID.NotFound")
            ) =>
        {
            Ok(None)
        }
        Err(e) => Err(bot_error(&format!("describing network ACL {acl_id}"), e)),
    }
}

// ---- acl_delete ----

/// The finding's alert time, which Log.ic bots need to find their CloudTrail event.
fn log_ic_alert(input: &BotInput) -> Result<chrono::DateTime<chrono::Utc>, BotError> {
    let text = input.finding.event_time.as_deref().ok_or_else(|| {
        BotError::invalid_input(format!(
            "{} undoes the CloudTrail event behind a Log.ic finding, and this finding has no alert time (additionalFields logic_data alertWindowStartTime)",
            input.step.bot
        ))
    })?;
    alert_time(text)
}

async fn acl_delete(input: &BotInput, aws: &SdkConfig) -> Result<BotOutcome, BotError> {
    acl_delete_with(
        input,
        &aws_sdk_ec2::Client::new(aws),
        &aws_sdk_cloudtrail::Client::new(aws),
    )
    .await
}

/// `acl_delete` with the clients given.
pub async fn acl_delete_with(
    input: &BotInput,
    ec2: &aws_sdk_ec2::Client,
    cloudtrail: &aws_sdk_cloudtrail::Client,
) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let alert = log_ic_alert(input)?;
    let query = EventQuery {
        attribute: LookupAttributeKey::EventName,
        value: "CreateNetworkAcl",
        resource_name: None,
        window: DEFAULT_WINDOW,
    };
    let Some(event) = closest_event(cloudtrail, alert, &query).await? else {
        return Ok(BotOutcome::new(
            input,
            OutcomeStatus::Skipped,
            format!(
                "CloudTrail has no CreateNetworkAcl event within {} s of the alert time {alert}: nothing to delete",
                DEFAULT_WINDOW.as_secs()
            ),
        ));
    };
    let Some(acl_id) = event.record["responseElements"]["networkAcl"]["networkAclId"].as_str()
    else {
        return Ok(BotOutcome::new(
            input,
            OutcomeStatus::Skipped,
            format!(
                "The CreateNetworkAcl event of {} created no network ACL (error: {}): nothing to delete",
                event.time,
                event.record["errorCode"].as_str().unwrap_or("none recorded")
            ),
        ));
    };
    let entity = input.finding.entity_id.as_str();
    if entity.starts_with("acl-") && entity != acl_id {
        return Ok(BotOutcome::new(
            input,
            OutcomeStatus::Skipped,
            format!(
                "The CreateNetworkAcl event closest to the alert created {acl_id}, not the finding's {entity}: not deleting either"
            ),
        ));
    }
    let Some(acl) = describe_network_acl(ec2, acl_id).await? else {
        return Ok(BotOutcome::compliant(
            input,
            format!("Network ACL {acl_id} does not exist (any more): nothing to delete"),
        ));
    };
    let vpc = acl.vpc_id().unwrap_or("?");
    if acl.is_default() == Some(true) {
        return Ok(BotOutcome::new(
            input,
            OutcomeStatus::Skipped,
            format!("Network ACL {acl_id} is the default ACL of VPC {vpc}: not deleting it"),
        ));
    }
    let subnets: Vec<&str> = acl
        .associations()
        .iter()
        .filter_map(|a| a.subnet_id())
        .collect();
    if !subnets.is_empty() {
        return Err(BotError::new(
            ErrorName::Conflict,
            format!(
                "Network ACL {acl_id} is associated with subnet(s) {}: EC2 deletes only unassociated ACLs",
                subnets.join(", ")
            ),
        ));
    }
    let change = format!("delete network ACL {acl_id} of VPC {vpc}");
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!("Would {change}"),
            vec![change],
        ));
    }
    ec2.delete_network_acl()
        .network_acl_id(acl_id)
        .send()
        .await
        .map_err(|e| bot_error(&format!("deleting network ACL {acl_id}"), e))?;
    let verified = gone(&format!("network ACL {acl_id}"), || {
        describe_network_acl(ec2, acl_id)
    })
    .await?;
    Ok(BotOutcome::new(
        input,
        OutcomeStatus::Remediated,
        format!("Network acl {acl_id} of VPC {vpc} deleted successfully"),
    )
    .with_changes(vec![change])
    .with_verified(vec![verified]))
}

// ---- acl_revert_modification ----

/// One network ACL entry, as CloudTrail records it in the `requestParameters` of
/// CreateNetworkAclEntry and ReplaceNetworkAclEntry or as EC2 describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct AclEntry {
    rule_number: i32,
    egress: bool,
    protocol: String,
    rule_action: String,
    cidr: Option<String>,
    ipv6_cidr: Option<String>,
    ports: Option<(i32, i32)>,
    icmp: Option<(i32, i32)>,
}

impl AclEntry {
    /// The entry a CloudTrail request describes, or None when the record lacks a field.
    fn from_request(request: &Value) -> Option<AclEntry> {
        let number = |v: &Value| v.as_i64().and_then(|n| i32::try_from(n).ok());
        let pair = |v: &Value, a: &str, b: &str| Some((number(&v[a])?, number(&v[b])?));
        Some(AclEntry {
            rule_number: number(&request["ruleNumber"])?,
            egress: request["egress"].as_bool()?,
            protocol: request["aclProtocol"].as_str()?.to_string(),
            rule_action: request["ruleAction"].as_str()?.to_string(),
            cidr: request["cidrBlock"].as_str().map(str::to_string),
            ipv6_cidr: request["ipv6CidrBlock"].as_str().map(str::to_string),
            ports: pair(&request["portRange"], "from", "to"),
            icmp: pair(&request["icmpTypeCode"], "type", "code"),
        })
    }

    /// The entry EC2 describes, with ports and ICMP fields only where EC2 uses them
    /// (TCP/UDP and ICMP).
    fn from_live(live: &NetworkAclEntry) -> AclEntry {
        AclEntry {
            rule_number: live.rule_number().unwrap_or_default(),
            egress: live.egress().unwrap_or_default(),
            protocol: live.protocol().unwrap_or_default().to_string(),
            rule_action: live.rule_action().map_or("", |a| a.as_str()).to_string(),
            cidr: live.cidr_block().map(str::to_string),
            ipv6_cidr: live.ipv6_cidr_block().map(str::to_string),
            ports: live.port_range().and_then(|r| Some((r.from()?, r.to()?))),
            icmp: live
                .icmp_type_code()
                .and_then(|c| Some((c.r#type()?, c.code()?))),
        }
        .significant()
    }

    /// The entry without the ports or ICMP fields its protocol ignores.
    fn significant(mut self) -> AclEntry {
        if !matches!(self.protocol.as_str(), "6" | "17") {
            self.ports = None;
        }
        if !matches!(self.protocol.as_str(), "1" | "58") {
            self.icmp = None;
        }
        self
    }

    /// Whether the live entry is this one.
    fn matches(&self, live: &NetworkAclEntry) -> bool {
        self.clone().significant() == AclEntry::from_live(live)
    }

    /// Which entry of the ACL it is: its direction and number.
    fn key(&self) -> (bool, i32) {
        (self.egress, self.rule_number)
    }

    fn render(&self) -> String {
        let direction = if self.egress { "outbound" } else { "inbound" };
        let peer = self
            .cidr
            .as_deref()
            .or(self.ipv6_cidr.as_deref())
            .unwrap_or("?");
        let ports = match self.ports {
            Some((from, to)) if matches!(self.protocol.as_str(), "6" | "17") => {
                format!(" ports {from}-{to}")
            }
            _ => String::new(),
        };
        format!(
            "{direction} rule {} {} protocol {}{ports} {} {peer}",
            self.rule_number,
            self.rule_action,
            self.protocol,
            if self.egress { "to" } else { "from" },
        )
    }
}

/// The live entry with this number in this direction, if any.
fn live_entry(acl: &NetworkAcl, rule_number: i32, egress: bool) -> Option<&NetworkAclEntry> {
    acl.entries()
        .iter()
        .find(|e| e.rule_number() == Some(rule_number) && e.egress() == Some(egress))
}

/// The first rule number of the final deny-all entries (32767, and 32768 for IPv6), which EC2
/// adds to every ACL and which cannot be changed or deleted.
const FINAL_RULE: i32 = 32767;

/// Every entry of a network ACL, in both directions, ordered by direction and number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct AclEntries {
    entries: Vec<AclEntry>,
}

impl AclEntries {
    fn of(acl: &NetworkAcl) -> AclEntries {
        AclEntries::sorted(acl.entries().iter().map(AclEntry::from_live).collect())
    }

    fn sorted(mut entries: Vec<AclEntry>) -> AclEntries {
        entries.sort_by_key(AclEntry::key);
        AclEntries { entries }
    }

    /// The entries once `revert` is done.
    fn reverted(&self, revert: &Revert) -> AclEntries {
        let (key, replacement) = match revert {
            Revert::Delete(entry) => (entry.key(), None),
            Revert::Create(entry) | Revert::Replace(entry) => (entry.key(), Some(entry)),
        };
        let kept = self.entries.iter().filter(|e| e.key() != key).cloned();
        let replacement = replacement.map(|e| e.clone().significant());
        AclEntries::sorted(kept.chain(replacement).collect())
    }

    fn entry(&self, key: (bool, i32)) -> Option<&AclEntry> {
        self.entries.iter().find(|e| e.key() == key)
    }
}

/// How people name a network ACL.
fn acl_label(acl_id: &str) -> String {
    format!("network ACL {acl_id}")
}

impl Setting for AclEntries {
    type Client = aws_sdk_ec2::Client;

    fn name(&self) -> &'static str {
        "entry list"
    }

    /// The entries but the final deny-all ones, which every ACL has.
    fn words(&self) -> String {
        let rendered: Vec<String> = self
            .entries
            .iter()
            .filter(|e| e.rule_number < FINAL_RULE)
            .map(AclEntry::render)
            .collect();
        match rendered.is_empty() {
            true => "only the final deny-all rules".to_string(),
            false => rendered.join(", "),
        }
    }

    async fn read(&self, ec2: &aws_sdk_ec2::Client, acl_id: &str) -> Result<Self, BotError> {
        describe_network_acl(ec2, acl_id)
            .await?
            .map(|acl| AclEntries::of(&acl))
            .ok_or_else(|| {
                BotError::not_found(format!("{} does not exist (any more)", acl_label(acl_id)))
            })
    }

    /// Delete the entries it lacks, then replace those that differ and create those missing.
    async fn write(&self, ec2: &aws_sdk_ec2::Client, acl_id: &str) -> Result<(), BotError> {
        let now = self.read(ec2, acl_id).await?;
        for extra in now.entries.iter().filter(|e| self.entry(e.key()).is_none()) {
            ec2.delete_network_acl_entry()
                .network_acl_id(acl_id)
                .rule_number(extra.rule_number)
                .egress(extra.egress)
                .send()
                .await
                .map_err(|e| {
                    bot_error(
                        &format!("deleting {} of {}", extra.render(), acl_label(acl_id)),
                        e,
                    )
                })?;
        }
        for wanted in &self.entries {
            match now.entry(wanted.key()) {
                Some(live) if live == wanted => {}
                live => put_entry(ec2, acl_id, wanted, live.is_some()).await?,
            }
        }
        Ok(())
    }
}

async fn restore_entries(
    input: &RestoreInput,
    aws: &SdkConfig,
) -> Result<RestoreOutcome, BotError> {
    restore_settings::<AclEntries>(input, &aws_sdk_ec2::Client::new(aws), acl_label).await
}

/// The definition the entry had before `before`: the newest CreateNetworkAclEntry or
/// ReplaceNetworkAclEntry of this ACL for the same rule number and direction, over the
/// whole CloudTrail history (newest events first).
async fn entry_before(
    cloudtrail: &aws_sdk_cloudtrail::Client,
    acl_id: &str,
    rule_number: i32,
    egress: bool,
    before: chrono::DateTime<chrono::Utc>,
) -> Result<Option<AclEntry>, BotError> {
    let attribute = LookupAttribute::builder()
        .attribute_key(LookupAttributeKey::ResourceName)
        .attribute_value(acl_id)
        .build()
        .map_err(|e| BotError::invalid_input(format!("CloudTrail lookup: {e}")))?;
    let mut pages = cloudtrail
        .lookup_events()
        .lookup_attributes(attribute)
        .end_time(aws_sdk_cloudtrail::primitives::DateTime::from_secs(
            before.timestamp() - 1,
        ))
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page
            .map_err(|e| bot_error(&format!("looking up the CloudTrail history of {acl_id}"), e))?;
        for event in page.events() {
            if !matches!(
                event.event_name(),
                Some("CreateNetworkAclEntry" | "ReplaceNetworkAclEntry")
            ) {
                continue;
            }
            let record: Value = event
                .cloud_trail_event()
                .and_then(|r| serde_json::from_str(r).ok())
                .unwrap_or(Value::Null);
            if record["errorCode"].is_string() {
                continue;
            }
            if let Some(entry) = AclEntry::from_request(&record["requestParameters"]) {
                if entry.rule_number == rule_number && entry.egress == egress {
                    return Ok(Some(entry));
                }
            }
        }
    }
    Ok(None)
}

async fn put_entry(
    ec2: &aws_sdk_ec2::Client,
    acl_id: &str,
    entry: &AclEntry,
    replace: bool,
) -> Result<(), BotError> {
    let ports = entry
        .ports
        .map(|(from, to)| PortRange::builder().from(from).to(to).build());
    let icmp = entry
        .icmp
        .map(|(kind, code)| IcmpTypeCode::builder().r#type(kind).code(code).build());
    let action = RuleAction::from(entry.rule_action.as_str());
    let doing = format!("setting {} of network ACL {acl_id}", entry.render());
    if replace {
        ec2.replace_network_acl_entry()
            .network_acl_id(acl_id)
            .rule_number(entry.rule_number)
            .egress(entry.egress)
            .protocol(&entry.protocol)
            .rule_action(action)
            .set_cidr_block(entry.cidr.clone())
            .set_ipv6_cidr_block(entry.ipv6_cidr.clone())
            .set_port_range(ports)
            .set_icmp_type_code(icmp)
            .send()
            .await
            .map(drop)
            .map_err(|e| bot_error(&doing, e))
    } else {
        ec2.create_network_acl_entry()
            .network_acl_id(acl_id)
            .rule_number(entry.rule_number)
            .egress(entry.egress)
            .protocol(&entry.protocol)
            .rule_action(action)
            .set_cidr_block(entry.cidr.clone())
            .set_ipv6_cidr_block(entry.ipv6_cidr.clone())
            .set_port_range(ports)
            .set_icmp_type_code(icmp)
            .send()
            .await
            .map(drop)
            .map_err(|e| bot_error(&doing, e))
    }
}

/// What undoing the event takes.
enum Revert {
    Delete(AclEntry),
    Create(AclEntry),
    Replace(AclEntry),
}

async fn acl_revert_modification(
    input: &BotInput,
    aws: &SdkConfig,
) -> Result<BotOutcome, BotError> {
    acl_revert_modification_with(
        input,
        &aws_sdk_ec2::Client::new(aws),
        &aws_sdk_cloudtrail::Client::new(aws),
    )
    .await
}

/// `acl_revert_modification` with the clients given.
pub async fn acl_revert_modification_with(
    input: &BotInput,
    ec2: &aws_sdk_ec2::Client,
    cloudtrail: &aws_sdk_cloudtrail::Client,
) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let alert = log_ic_alert(input)?;
    let acl_id = entity_id(input)?;
    let skip = |message: String| Ok(BotOutcome::new(input, OutcomeStatus::Skipped, message));
    let compliant = |message: String| Ok(BotOutcome::compliant(input, message));
    let query = EventQuery {
        attribute: LookupAttributeKey::ResourceName,
        value: acl_id,
        resource_name: None,
        window: DEFAULT_WINDOW,
    };
    let Some(event) = closest_event(cloudtrail, alert, &query).await? else {
        return skip(format!(
            "CloudTrail has no event about network ACL {acl_id} within {} s of the alert time {alert}: nothing to revert",
            DEFAULT_WINDOW.as_secs()
        ));
    };
    let request = &event.record["requestParameters"];
    let name = event.event_name.as_str();
    let (Some(rule_number), Some(egress)) = (
        request["ruleNumber"]
            .as_i64()
            .and_then(|n| i32::try_from(n).ok()),
        request["egress"].as_bool(),
    ) else {
        return skip(format!(
            "The event closest to the alert, {name} at {}, changed no entry of network ACL {acl_id}: nothing to revert",
            event.time
        ));
    };
    let Some(acl) = describe_network_acl(ec2, acl_id).await? else {
        return skip(format!(
            "Network ACL {acl_id} does not exist (any more): nothing to revert"
        ));
    };
    let live = live_entry(&acl, rule_number, egress);
    let direction = if egress { "outbound" } else { "inbound" };
    let revert = match name {
        "CreateNetworkAclEntry" => {
            let Some(created) = AclEntry::from_request(request) else {
                return skip(format!("The CreateNetworkAclEntry record of {acl_id} is incomplete: nothing to revert"));
            };
            match live {
                None => {
                    return compliant(format!(
                        "Network ACL {acl_id} has no {direction} rule {rule_number} (any more): nothing to revert"
                    ))
                }
                Some(entry) if !created.matches(entry) => {
                    return skip(format!(
                        "The {direction} rule {rule_number} of network ACL {acl_id} changed since {} created it: not deleting it",
                        event.time
                    ))
                }
                Some(_) => Revert::Delete(created),
            }
        }
        "DeleteNetworkAclEntry" | "ReplaceNetworkAclEntry" => {
            let Some(prior) = entry_before(cloudtrail, acl_id, rule_number, egress, event.time).await?
            else {
                return skip(format!(
                    "CloudTrail holds no earlier definition of the {direction} rule {rule_number} of network ACL {acl_id}: cannot restore it"
                ));
            };
            match (name, live) {
                (_, Some(entry)) if prior.matches(entry) => {
                    return compliant(format!(
                        "The {direction} rule {rule_number} of network ACL {acl_id} is already as before the {name}"
                    ))
                }
                ("DeleteNetworkAclEntry", None) => Revert::Create(prior),
                ("DeleteNetworkAclEntry", Some(_)) => {
                    return skip(format!(
                        "Network ACL {acl_id} has a new {direction} rule {rule_number} since the DeleteNetworkAclEntry: not overwriting it"
                    ))
                }
                (_, Some(entry))
                    if AclEntry::from_request(request).is_some_and(|r| r.matches(entry)) =>
                {
                    Revert::Replace(prior)
                }
                _ => {
                    return skip(format!(
                        "The {direction} rule {rule_number} of network ACL {acl_id} changed since the ReplaceNetworkAclEntry: not overwriting it"
                    ))
                }
            }
        }
        other => {
            return skip(format!(
                "The event closest to the alert, {other} at {}, is not an entry change of network ACL {acl_id}: nothing to revert",
                event.time
            ))
        }
    };
    let change = match &revert {
        Revert::Delete(entry) => format!("delete {} of network ACL {acl_id}", entry.render()),
        Revert::Create(entry) => format!("recreate {} of network ACL {acl_id}", entry.render()),
        Revert::Replace(entry) => format!("restore {} of network ACL {acl_id}", entry.render()),
    };
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!("Would revert the {name} of {}: {change}", event.time),
            vec![change],
        ));
    }
    let before = AclEntries::of(&acl);
    let after = before.reverted(&revert);
    let resource = Resource {
        client: ec2,
        id: acl_id,
        label: acl_label(acl_id),
    };
    setting::change(
        input,
        &resource,
        RESTORE_NETWORK_ACL_ENTRIES.name,
        (vec![before], vec![after]),
        format!("Reverted the {name} of {}: {change}", event.time),
        vec![change],
    )
    .await
}
