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

mod ec2_resources;
mod iam;
mod iam_policies;
mod instance;
mod kms;
mod network;
mod s3;
mod security_group;

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

/// The catalogue's areas; a new area's `BOTS` is added here.
const AREAS: &[&[BotSpec]] = &[
    instance::BOTS,
    ec2_resources::BOTS,
    security_group::BOTS,
    network::BOTS,
    s3::BOTS,
    kms::BOTS,
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
    use crate::grammar::{entries, ParsedEntry};
    use std::collections::BTreeSet;

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
