//! The bot catalogue: the one list of what may run.
//!
//! Each entry carries what every other part needs to know about a bot without running it:
//! its name (exactly the original's), phase, whether it guards the steps after it, the
//! entity it acts on, its parameter grammar and parser, and the IAM actions it calls. The
//! planner, the `cloudbots bots` listing, the SAM template's per-bot roles and the docs are
//! all derived from this table, and tests walk it to keep them in agreement.

use crate::params::BotParams;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::LazyLock;

mod containers;
mod domains;
mod ec2_resources;
mod iam;
mod iam_policies;
mod instance;
mod kms;
mod lambda;
mod logging;
mod messaging;
mod network;
mod s3;
mod secrets;
mod security_group;
mod undo;

pub use undo::{
    lookup_restorer, restorer_of, undo_of, RestorerSpec, Undo, NOT_REVERSIBLE, RESTORERS,
};

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
    /// Every IAM action the bot calls, and no other, except those [`BotSpec::role_actions`]
    /// adds for every bot of a kind (reading tags, making the log bucket ready).
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

    /// The kinds of resource the bot acts on whose tags can be read (`IamRole or IamUser` →
    /// both); empty for bots on untaggable or account-wide entities.
    pub fn tag_sources(&self) -> Vec<TagSource> {
        self.entity_type
            .split(" or ")
            .filter_map(TagSource::of_entity_type)
            .collect()
    }

    /// Every IAM action the bot's role needs: the declared ones, plus reading the tags of the
    /// resource it acts on (the opt-out tag is re-checked just before it acts), plus making the
    /// account's log bucket ready when the bot writes logs to one. Sorted.
    pub fn role_actions(&self) -> Vec<&'static str> {
        let mut actions = self.iam_actions.to_vec();
        actions.extend(self.tag_sources().into_iter().map(TagSource::read_action));
        if LOG_BUCKET_BOTS.contains(&self.name) {
            actions.extend(LOG_BUCKET_ACTIONS);
        }
        actions.sort_unstable();
        actions.dedup();
        actions
    }

    /// What undo can do for this bot ([`undo`]).
    pub fn undo(&self) -> Undo {
        undo_of(self.name)
    }

    /// The scope of the bot's `iam:PassRole`, when it passes roles.
    pub fn pass_role(&self) -> Option<PassRole> {
        pass_role_of(self.name)
    }
}

/// The scope of the `iam:PassRole` of the bot or restorer `function`, when it passes roles.
pub fn pass_role_of(function: &str) -> Option<PassRole> {
    PASS_ROLES
        .iter()
        .find(|(name, _)| *name == function)
        .map(|(_, scope)| *scope)
}

/// The bots that deliver logs into the account's log bucket of the region, which they make
/// ready through the runtime's `s3_bucket::LogBucket` (created, public access blocked, the
/// delivery service's statements added to its policy).
const LOG_BUCKET_BOTS: &[&str] = &[
    "cloudtrail_enable",
    "config_enable",
    "load_balancer_enable_access_logs",
    "network_firewall_enable_logging",
    "s3_enable_logging",
];

/// The actions `LogBucket` calls, which each of [`LOG_BUCKET_BOTS`] needs.
const LOG_BUCKET_ACTIONS: &[&str] = &[
    "s3:CreateBucket",
    "s3:GetBucketPolicy",
    "s3:ListBucket",
    "s3:PutBucketPolicy",
    "s3:PutBucketPublicAccessBlock",
];

/// The roles a bot passes to a service (`iam:PassRole`): the deployed role may pass these
/// roles of its account, by name (`*` for bots that pass whatever role the rule or the
/// resource names), to that one service only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PassRole {
    pub roles: &'static [&'static str],
    pub service: &'static str,
}

/// Every bot or restorer whose actions include `iam:PassRole`, with the scope of that action.
const PASS_ROLES: &[(&str, PassRole)] = &[
    (
        "cloudtrail_send_to_cloudwatch",
        PassRole {
            roles: &["CloudTrail_CloudWatchLogs_Role"],
            service: "cloudtrail.amazonaws.com",
        },
    ),
    (
        "config_enable",
        // Its own AWSConfigRole, or the role an existing recorder already has.
        PassRole {
            roles: &["*"],
            service: "config.amazonaws.com",
        },
    ),
    (
        "ec2_attach_instance_role",
        PassRole {
            roles: &["*"],
            service: "ec2.amazonaws.com",
        },
    ),
    (
        "restore_config_recorder",
        // The role the recorder had before the bot changed it.
        PassRole {
            roles: &["*"],
            service: "config.amazonaws.com",
        },
    ),
    (
        "restore_instance_profile",
        // Putting back into an instance profile the role a bot removed from it.
        PassRole {
            roles: &["*"],
            service: "ec2.amazonaws.com",
        },
    ),
    (
        "vpc_turn_on_flow_logs",
        PassRole {
            roles: &["vpcFlowLogDelivery"],
            service: "vpc-flow-logs.amazonaws.com",
        },
    ),
];

/// Where the tags of a kind of resource are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagSource {
    /// Instances, security groups, VPCs, network ACLs, AMIs, key pairs and other EC2 resources.
    Ec2,
    S3Bucket,
    IamUser,
    IamRole,
    IamPolicy,
    Kms,
    SqsQueue,
    SnsTopic,
    Secret,
    SsmDocument,
    AcmCertificate,
    Trail,
    LambdaFunction,
    RdsInstance,
    EcrRepository,
    Route53Domain,
    LoadBalancer,
    NetworkFirewall,
}

impl TagSource {
    /// The tag source of a CloudGuard entity type, as findings and the catalogue name them;
    /// None for kinds without tags here (IAM groups cannot be tagged; account-wide entities).
    pub fn of_entity_type(entity_type: &str) -> Option<TagSource> {
        match entity_type {
            "Instance" | "SecurityGroup" | "VPC" | "Vpc" | "NACL" | "NetworkAcl" | "AMI"
            | "Ami" | "KeyPair" | "Volume" | "Subnet" | "InternetGateway" | "RouteTable"
            | "NetworkInterface" | "any EC2 resource" => Some(TagSource::Ec2),
            "S3Bucket" => Some(TagSource::S3Bucket),
            "IamUser" => Some(TagSource::IamUser),
            // An ECS service's bots change its role: the role's tags are read.
            "IamRole" | "EcsService" => Some(TagSource::IamRole),
            "IamPolicy" => Some(TagSource::IamPolicy),
            "KMS" | "KmsKey" => Some(TagSource::Kms),
            "Sqs" | "SqsQueue" => Some(TagSource::SqsQueue),
            "SnsTopic" | "Sns" => Some(TagSource::SnsTopic),
            "SecretsManager" | "Secret" => Some(TagSource::Secret),
            "SsmDocument" => Some(TagSource::SsmDocument),
            "AcmCertificate" => Some(TagSource::AcmCertificate),
            "CloudTrail" | "Trail" => Some(TagSource::Trail),
            "Lambda" | "LambdaFunction" => Some(TagSource::LambdaFunction),
            "RDS" | "RdsInstance" | "DBInstance" => Some(TagSource::RdsInstance),
            "EcrRepository" | "ECRRepository" => Some(TagSource::EcrRepository),
            "Route53Domain" => Some(TagSource::Route53Domain),
            "ELB" | "ApplicationLoadBalancer" => Some(TagSource::LoadBalancer),
            "NetworkFirewall" => Some(TagSource::NetworkFirewall),
            _ => None,
        }
    }

    /// The IAM action that reads the tags.
    pub fn read_action(self) -> &'static str {
        match self {
            TagSource::Ec2 => "ec2:DescribeTags",
            TagSource::S3Bucket => "s3:GetBucketTagging",
            TagSource::IamUser => "iam:ListUserTags",
            TagSource::IamRole => "iam:ListRoleTags",
            TagSource::IamPolicy => "iam:ListPolicyTags",
            TagSource::Kms => "kms:ListResourceTags",
            TagSource::SqsQueue => "sqs:ListQueueTags",
            TagSource::SnsTopic => "sns:ListTagsForResource",
            TagSource::Secret => "secretsmanager:DescribeSecret",
            TagSource::SsmDocument => "ssm:ListTagsForResource",
            TagSource::AcmCertificate => "acm:ListTagsForCertificate",
            TagSource::Trail => "cloudtrail:ListTags",
            TagSource::LambdaFunction => "lambda:ListTags",
            TagSource::RdsInstance => "rds:ListTagsForResource",
            TagSource::EcrRepository => "ecr:ListTagsForResource",
            TagSource::Route53Domain => "route53domains:ListTagsForDomain",
            TagSource::LoadBalancer => "elasticloadbalancing:DescribeTags",
            TagSource::NetworkFirewall => "network-firewall:DescribeFirewall",
        }
    }
}

fn parse_as<P: BotParams>(tokens: &[String]) -> Result<Value, String> {
    let params = P::parse(tokens)?;
    Ok(serde_json::to_value(params).expect("typed params serialise"))
}

/// The name of the bot the planner inserts before instance changes.
pub const SNAPSHOT_BOT: &str = "ec2_create_snapshot";

/// The catalogue's areas; a new area's `BOTS` is added here.
const AREAS: &[&[BotSpec]] = &[
    instance::BOTS,
    ec2_resources::BOTS,
    security_group::BOTS,
    network::BOTS,
    s3::BOTS,
    kms::BOTS,
    messaging::BOTS,
    logging::BOTS,
    secrets::BOTS,
    lambda::BOTS,
    containers::BOTS,
    domains::BOTS,
    iam::BOTS,
    iam_policies::BOTS,
];

/// Every bot that may run.
pub static CATALOGUE: LazyLock<Vec<&'static BotSpec>> =
    LazyLock::new(|| AREAS.iter().flat_map(|area| area.iter()).collect());

/// The catalogue entry for a bot name (case-sensitive, as in the original).
pub fn lookup(name: &str) -> Option<&'static BotSpec> {
    CATALOGUE.iter().copied().find(|b| b.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exactly_the_bots_and_restorers_that_pass_roles_say_which_and_to_what() {
        for bot in CATALOGUE.iter() {
            assert_eq!(
                bot.iam_actions.contains(&"iam:PassRole"),
                bot.pass_role().is_some(),
                "{}",
                bot.name
            );
        }
        for restorer in RESTORERS {
            assert_eq!(
                restorer.iam_actions.contains(&"iam:PassRole"),
                restorer.pass_role().is_some(),
                "{}",
                restorer.name
            );
        }
        assert!(PASS_ROLES
            .iter()
            .all(|(name, _)| lookup(name).is_some() || lookup_restorer(name).is_some()));
    }
    use crate::grammar::{entries, ParsedEntry};
    use std::collections::BTreeSet;

    #[test]
    fn log_bucket_bots_are_catalogued_and_get_the_log_bucket_actions() {
        for name in LOG_BUCKET_BOTS {
            let bot = lookup(name).unwrap_or_else(|| panic!("{name} is not a bot"));
            let actions = bot.role_actions();
            assert!(
                LOG_BUCKET_ACTIONS.iter().all(|a| actions.contains(a)),
                "{name}: {actions:?}"
            );
            assert!(
                LOG_BUCKET_ACTIONS
                    .iter()
                    .all(|a| !bot.iam_actions.contains(a)),
                "{name} declares a log-bucket action itself"
            );
        }
    }

    #[test]
    fn names_are_unique_and_actions_sorted_and_well_formed() {
        let names: BTreeSet<_> = CATALOGUE.iter().map(|b| b.name).collect();
        assert_eq!(names.len(), CATALOGUE.len());
        for bot in CATALOGUE.iter() {
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
        for bot in CATALOGUE.iter() {
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
    fn role_actions_add_the_tag_read_of_the_bots_entity() {
        let actions = |name: &str| lookup(name).unwrap().role_actions();
        assert_eq!(
            actions("ec2_stop_instance"),
            [
                "ec2:DescribeInstances",
                "ec2:DescribeTags",
                "ec2:StopInstances"
            ]
        );
        assert!(actions("s3_delete_acls").contains(&"s3:GetBucketTagging"));
        assert!(actions("kms_enable_rotation").contains(&"kms:ListResourceTags"));
        assert!(actions("iam_quarantine_user").contains(&"iam:ListUserTags"));
        let boundary = actions("iam_entity_create_and_attach_permission_boundary");
        assert!(boundary.contains(&"iam:ListRoleTags") && boundary.contains(&"iam:ListUserTags"));
        assert_eq!(
            actions("tag_ec2_resource"),
            ["ec2:CreateTags", "ec2:DescribeTags"],
            "an action already declared is not repeated"
        );
        assert_eq!(
            actions("iam_group_delete_inline_policy"),
            lookup("iam_group_delete_inline_policy")
                .unwrap()
                .iam_actions,
            "IAM groups have no tags to read"
        );
        for bot in CATALOGUE.iter() {
            let all = bot.role_actions();
            assert!(
                bot.iam_actions.iter().all(|a| all.contains(a)),
                "{}",
                bot.name
            );
            assert!(all.windows(2).all(|w| w[0] < w[1]), "{}: sorted", bot.name);
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
