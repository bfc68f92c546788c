//! The bot catalogue: the one list of what may run.
//!
//! Each entry carries what every other part needs to know about a bot without running it:
//! its name (exactly the original's), phase, whether it guards the steps after it, the
//! entity it acts on, its parameter grammar and parser, and the IAM actions it calls. The
//! planner, the `cloudbots bots` listing, the SAM template's per-bot roles and the docs are
//! all derived from this table, and tests walk it to keep them in agreement.

use crate::params::{BotParams, NoParams, SgSingleRuleDeleteParams};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// When a step runs relative to the others of its plan: evidence first, destruction last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// Keep evidence (snapshots) before anything changes.
    Preserve,
    /// Cut exposure: stop, quarantine, revoke, block.
    Contain,
    /// Harden configuration: rotation, encryption, logging.
    Modify,
    /// Delete resources.
    Destroy,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Preserve => "preserve",
            Phase::Contain => "contain",
            Phase::Modify => "modify",
            Phase::Destroy => "destroy",
        }
    }
}

/// One documented parameter of a bot.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ParamSpec {
    pub name: &'static str,
    pub description: &'static str,
    pub required: bool,
}

/// What the catalogue knows about one bot.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct BotSpec {
    pub name: &'static str,
    pub summary: &'static str,
    pub phase: Phase,
    /// A failed guard step stops every later step of the plan.
    pub guard: bool,
    /// The CloudGuard entity type the bot acts on.
    pub entity_type: &'static str,
    /// Stops, terminates or quarantines an instance: the planner snapshots it first.
    pub changes_instance: bool,
    /// Every IAM action the bot calls, and no other.
    pub iam_actions: &'static [&'static str],
    pub params: &'static [ParamSpec],
    /// An `AUTO:` line that plans cleanly.
    pub example: &'static str,
    /// How the bot differs from the original, on purpose.
    pub differences: &'static str,
    #[serde(skip)]
    parse: fn(&[String]) -> Result<Value, String>,
}

impl BotSpec {
    /// Parse and validate the tokens the user wrote into the bot's typed params (as JSON).
    pub fn parse_params(&self, tokens: &[String]) -> Result<Value, String> {
        (self.parse)(tokens)
    }
}

fn parse_as<P: BotParams>(tokens: &[String]) -> Result<Value, String> {
    let params = P::parse(tokens)?;
    Ok(serde_json::to_value(params).expect("typed params serialise"))
}

/// The name of the bot the planner inserts before instance changes.
pub const SNAPSHOT_BOT: &str = "ec2_create_snapshot";

/// Every bot that may run.
pub const CATALOGUE: &[BotSpec] = &[
    BotSpec {
        name: "ec2_create_snapshot",
        summary: "Snapshot every EBS volume attached to the instance, tagged with the instance id and the execution.",
        phase: Phase::Preserve,
        guard: true,
        entity_type: "Instance",
        changes_instance: false,
        iam_actions: &["ec2:CreateSnapshot", "ec2:CreateTags", "ec2:DescribeInstances", "ec2:DescribeSnapshots"],
        params: &[],
        example: "AUTO: ec2_create_snapshot",
        differences: "Reads the attached volumes from EC2, not from the finding's copy; a second run of the same execution finds its snapshots and creates none; a guard step: if it fails, no later step of the plan runs.",
        parse: parse_as::<NoParams>,
    },
    BotSpec {
        name: "ec2_stop_instance",
        summary: "Stop the instance.",
        phase: Phase::Contain,
        guard: false,
        entity_type: "Instance",
        changes_instance: true,
        iam_actions: &["ec2:DescribeInstances", "ec2:StopInstances"],
        params: &[],
        example: "AUTO: ec2_stop_instance",
        differences: "Checks the instance state first: a stopped or stopping instance is already compliant, a terminated or missing one is skipped with a reason. The planner snapshots the instance first.",
        parse: parse_as::<NoParams>,
    },
    BotSpec {
        name: "sg_rules_delete",
        summary: "Revoke every inbound and outbound rule of the security group, listing each removed rule for forensics.",
        phase: Phase::Contain,
        guard: false,
        entity_type: "SecurityGroup",
        changes_instance: false,
        iam_actions: &["ec2:DescribeSecurityGroups", "ec2:RevokeSecurityGroupEgress", "ec2:RevokeSecurityGroupIngress"],
        params: &[],
        example: "AUTO: sg_rules_delete",
        differences: "Strips the group name from every group pair, not only the first; a group with no rules left is already compliant; a missing group is skipped with a reason.",
        parse: parse_as::<NoParams>,
    },
    BotSpec {
        name: "sg_single_rule_delete",
        summary: "Remove one rule (protocol, scope, direction, port) from the security group; with split=true, cut one port out of a range and keep the rest.",
        phase: Phase::Contain,
        guard: false,
        entity_type: "SecurityGroup",
        changes_instance: false,
        iam_actions: &[
            "ec2:AuthorizeSecurityGroupEgress",
            "ec2:AuthorizeSecurityGroupIngress",
            "ec2:DescribeSecurityGroups",
            "ec2:RevokeSecurityGroupEgress",
            "ec2:RevokeSecurityGroupIngress",
        ],
        params: &[
            ParamSpec { name: "split", description: "true: when the port lies inside a wider range, re-add the rest of the range; false: only remove an exact match", required: true },
            ParamSpec { name: "protocol", description: "TCP, UDP or ALL", required: true },
            ParamSpec { name: "scope", description: "CIDR block of the rule, IPv4 or IPv6 (0.0.0.0/0, ::/0)", required: true },
            ParamSpec { name: "direction", description: "inbound or outbound", required: true },
            ParamSpec { name: "port", description: "port number; 0 with split=true means all ports; optional for ALL", required: true },
        ],
        example: "AUTO: sg_single_rule_delete split=false protocol=TCP scope=0.0.0.0/0 direction=inbound port=22",
        differences: "Matches against the group's live rules, not the finding's copy; accepts IPv6 scopes; rejects invalid split/protocol/scope values at plan time instead of guessing; the remaining ranges are added before the original range is revoked, in one call each, and a remaining range the group already has is not added twice; a port only inside a wider range with split=false is skipped with that reason; a missing group is skipped.",
        parse: parse_as::<SgSingleRuleDeleteParams>,
    },
    BotSpec {
        name: "s3_block_all_public_access",
        summary: "Turn on all four S3 Block Public Access settings of the bucket.",
        phase: Phase::Contain,
        guard: false,
        entity_type: "S3Bucket",
        changes_instance: false,
        iam_actions: &["s3:GetBucketPublicAccessBlock", "s3:PutBucketPublicAccessBlock"],
        params: &[],
        example: "AUTO: s3_block_all_public_access",
        differences: "Uses the correct IAM action (s3:PutBucketPublicAccessBlock); a bucket already fully blocked is already compliant; a missing bucket is skipped.",
        parse: parse_as::<NoParams>,
    },
    BotSpec {
        name: "kms_enable_rotation",
        summary: "Enable automatic rotation of the customer-managed KMS key.",
        phase: Phase::Modify,
        guard: false,
        entity_type: "KMS",
        changes_instance: false,
        iam_actions: &["kms:DescribeKey", "kms:EnableKeyRotation", "kms:GetKeyRotationStatus"],
        params: &[],
        example: "AUTO: kms_enable_rotation",
        differences: "Skips AWS-managed, asymmetric, imported-material, missing and not-enabled keys with a reason instead of failing; a key already rotating is already compliant.",
        parse: parse_as::<NoParams>,
    },
    BotSpec {
        name: "iam_quarantine_user",
        summary: "Attach the deny-all policy quarantine_deny_all_policy to the IAM user (creating the policy once per account).",
        phase: Phase::Contain,
        guard: false,
        entity_type: "IamUser",
        changes_instance: false,
        iam_actions: &["iam:AttachUserPolicy", "iam:CreatePolicy", "iam:GetPolicy", "iam:ListAttachedUserPolicies"],
        params: &[],
        example: "AUTO: iam_quarantine_user",
        differences: "Builds the policy ARN from the finding's account (the account the step acts in), not entity.accountNumber; a user that already has the policy is already compliant; a missing user is skipped before any policy is created.",
        parse: parse_as::<NoParams>,
    },
];

/// The catalogue entry for a bot name (case-sensitive, as in the original).
pub fn lookup(name: &str) -> Option<&'static BotSpec> {
    CATALOGUE.iter().find(|b| b.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grammar::{entries, ParsedEntry};
    use std::collections::BTreeSet;

    #[test]
    fn names_are_unique_and_actions_sorted_and_well_formed() {
        let names: BTreeSet<_> = CATALOGUE.iter().map(|b| b.name).collect();
        assert_eq!(names.len(), CATALOGUE.len());
        for bot in CATALOGUE {
            assert!(
                !bot.iam_actions.is_empty(),
                "{} declares no IAM action",
                bot.name
            );
            let mut sorted = bot.iam_actions.to_vec();
            sorted.sort();
            sorted.dedup();
            assert_eq!(
                sorted, bot.iam_actions,
                "{}: actions sorted, no repeats",
                bot.name
            );
            for action in bot.iam_actions {
                let (service, op) = action.split_once(':').expect("service:Action");
                assert!(
                    !service.is_empty() && op.chars().next().unwrap().is_ascii_uppercase(),
                    "{action}"
                );
            }
        }
    }

    #[test]
    fn every_example_plans_cleanly() {
        for bot in CATALOGUE {
            let parsed = entries(Some(bot.example), &[]);
            let [ParsedEntry::Action(entry)] = parsed.as_slice() else {
                panic!("{}: example is not one entry", bot.name)
            };
            assert_eq!(entry.bot, bot.name);
            bot.parse_params(&entry.params)
                .unwrap_or_else(|e| panic!("{}: {e}", bot.name));
        }
    }

    #[test]
    fn only_the_snapshot_is_a_guard_and_it_preserves() {
        let snapshot = lookup(SNAPSHOT_BOT).unwrap();
        assert!(snapshot.guard);
        assert_eq!(snapshot.phase, Phase::Preserve);
        assert!(lookup("ec2_stop_instance").unwrap().changes_instance);
        assert!(
            lookup("EC2_STOP_INSTANCE").is_none(),
            "names are case-sensitive"
        );
    }
}
