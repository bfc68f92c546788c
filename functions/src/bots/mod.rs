//! The bots, grouped by service. Each reads like: parse params → read the live state →
//! decide → act (or, in dry-run, say what it would do) → return an outcome.
//!
//! A bot is a plain function over the step and the AWS configuration of the step's target,
//! so the same code runs in its Lambda binary, behind the local gateway and in the tests.

pub mod ec2_resources;
pub mod iam;
pub mod iam_policies;
pub mod instance;
pub mod internet_gateway;
pub mod kms;
pub mod network;
pub mod s3;
pub mod security_group;

use crate::exclusion::TagReader;
use aws_config::SdkConfig;
use cloudbots_shared::error::BotError;
use cloudbots_shared::outcome::{BotInput, BotOutcome};
use cloudbots_shared::plan::Mode;
use serde::de::DeserializeOwned;
use std::future::Future;
use std::pin::Pin;

/// What a bot returns.
pub type BotFuture<'a> = Pin<Box<dyn Future<Output = Result<BotOutcome, BotError>> + Send + 'a>>;

/// A bot: its catalogue name, the function that runs it, and how the opt-out tag of the
/// resources it acts on is read (the reader of its own service, so its binary links no other).
#[derive(Clone, Copy)]
pub struct Bot {
    pub name: &'static str,
    pub tags: TagReader,
    pub run: for<'a> fn(&'a BotInput, &'a SdkConfig) -> BotFuture<'a>,
}

/// The implemented bots, by area; a new area's `BOTS` is added here.
const AREAS: &[&[Bot]] = &[
    instance::BOTS,
    ec2_resources::BOTS,
    security_group::BOTS,
    network::BOTS,
    internet_gateway::BOTS,
    s3::BOTS,
    kms::BOTS,
    iam::BOTS,
    iam_policies::BOTS,
];

/// Every implemented bot (the local gateway serves these; each also has its own binary).
pub fn all() -> impl Iterator<Item = Bot> {
    AREAS.iter().flat_map(|area| area.iter().copied())
}

/// The implementation of a catalogued bot.
pub fn find(name: &str) -> Option<Bot> {
    all().find(|b| b.name == name)
}

/// The step's typed params (validated at plan time; checked again here).
pub fn params<P: DeserializeOwned>(input: &BotInput) -> Result<P, BotError> {
    serde_json::from_value(input.step.params.clone()).map_err(|e| {
        BotError::invalid_input(format!(
            "params of {} do not match the bot: {e}",
            input.step.bot
        ))
    })
}

/// The entity id the finding names, or a clear error when it is empty.
pub fn entity_id(input: &BotInput) -> Result<&str, BotError> {
    required_entity_field(input, &input.finding.entity_id, "id")
}

/// The entity name the finding names, or a clear error when it is empty. IAM entities are
/// known by name: CloudGuard sends an IamUser with its name set and its id often empty.
pub fn entity_name(input: &BotInput) -> Result<&str, BotError> {
    required_entity_field(input, &input.finding.entity_name, "name")
}

fn required_entity_field<'a>(
    input: &BotInput,
    value: &'a str,
    field: &str,
) -> Result<&'a str, BotError> {
    if value.is_empty() {
        Err(BotError::invalid_input(format!(
            "the finding's entity has no {field} for {} to act on",
            input.step.bot
        )))
    } else {
        Ok(value)
    }
}

/// Whether the step only reports what it would change.
pub fn dry_run(input: &BotInput) -> bool {
    input.mode == Mode::DryRun
}

#[cfg(test)]
mod tests {
    use super::*;
    use cloudbots_shared::catalogue::CATALOGUE;

    #[test]
    fn every_bot_reads_the_opt_out_tag_of_each_kind_it_acts_on() {
        for bot in all() {
            let spec = cloudbots_shared::catalogue::lookup(bot.name).expect("catalogued");
            for source in spec.tag_sources() {
                assert!(
                    bot.tags.sources.contains(&source),
                    "{} acts on {source:?} resources but its tag reader does not read them",
                    bot.name
                );
            }
        }
    }

    #[test]
    fn every_catalogued_bot_is_implemented_and_has_a_binary() {
        for spec in CATALOGUE.iter() {
            assert!(
                find(spec.name).is_some(),
                "{} has no implementation",
                spec.name
            );
            let bin = format!("{}/src/bin/{}.rs", env!("CARGO_MANIFEST_DIR"), spec.name);
            let text = std::fs::read_to_string(&bin).unwrap_or_else(|_| panic!("{bin} missing"));
            assert!(text.contains("serve_bot("), "{bin} must serve its bot");
        }
        assert_eq!(
            all().count(),
            CATALOGUE.len(),
            "no bot outside the catalogue"
        );
    }
}
