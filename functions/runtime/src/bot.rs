//! What a bot is to the runtime: its catalogue name, the function that runs it, the reader of
//! its resources' opt-out tag, and the helpers every bot uses to read its step (typed params,
//! the finding's entity, dry-run).
//!
//! A bot is a plain function over the step and the AWS configuration of the step's target,
//! so the same code runs in its Lambda binary, behind the local gateway and in the tests.

use crate::exclusion::TagReader;
use aws_config::SdkConfig;
use cloudbots_shared::error::BotError;
use cloudbots_shared::outcome::{BotInput, BotOutcome};
use cloudbots_shared::plan::Mode;
use cloudbots_shared::region::partition;
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

/// A string field of the finding's entity that the bot's resource is known by (`topicArn`,
/// `queueUrl`, `certificateArn`, …), or a clear error when it is missing or empty.
pub fn entity_field<'a>(input: &'a BotInput, field: &str) -> Result<&'a str, BotError> {
    let value = input
        .finding
        .entity
        .get(field)
        .and_then(serde_json::Value::as_str)
        .unwrap_or("");
    required_entity_field(input, value, field)
}

/// The ARN of the finding's resource: its entity id when that is an ARN (as CloudGuard and
/// Security Hub send it), else `<resource_prefix><name>` of `service` in the step's account
/// and region (`entity_arn(input, "rds", "db:")`); None when the entity has neither.
pub fn entity_arn(input: &BotInput, service: &str, resource_prefix: &str) -> Option<String> {
    let id = &input.finding.entity_id;
    if id.starts_with("arn:") {
        return Some(id.clone());
    }
    let name = &input.finding.entity_name;
    (!name.is_empty()).then(|| step_arn(input, service, &format!("{resource_prefix}{name}")))
}

/// The ARN of the Lambda function the finding names ([`entity_arn`]), or a clear error.
pub fn lambda_function_arn(input: &BotInput) -> Result<String, BotError> {
    match entity_arn(input, "lambda", "function:") {
        Some(arn) => Ok(arn),
        // No ARN and no name: the error says the entity has no name.
        None => entity_name(input).map(str::to_string),
    }
}

/// The ARN of a resource of `service` in the step's account and region, e.g.
/// `step_arn(input, "rds", "db:orders")`.
pub fn step_arn(input: &BotInput, service: &str, resource: &str) -> String {
    let region = &input.target.region;
    format!(
        "arn:{}:{service}:{region}:{}:{resource}",
        partition(region),
        input.target.account_id
    )
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

/// The end of a bot that has decided its `changes`: in dry-run, the outcome `would` lists
/// them and nothing is done; otherwise `apply` makes them (it is not run in dry-run) and the
/// outcome says what was `done`.
pub async fn make_changes(
    input: &BotInput,
    changes: Vec<String>,
    would: String,
    apply: impl Future<Output = Result<(), BotError>>,
    done: String,
) -> Result<BotOutcome, BotError> {
    if dry_run(input) {
        return Ok(BotOutcome::would(input, would, changes));
    }
    apply.await?;
    Ok(BotOutcome::remediated(input, done, changes))
}

/// The value a bot's preamble found to act on, or — when the preamble already decided the
/// outcome (the resource is gone, there is nothing to do) — return that outcome:
/// `let instance = proceed!(changeable_instance(input, &ec2, id).await?);`
#[macro_export]
macro_rules! proceed {
    ($preamble:expr) => {
        match $preamble {
            Ok(value) => value,
            Err(outcome) => return Ok(outcome),
        }
    };
}

/// Whether the step only reports what it would change.
pub fn dry_run(input: &BotInput) -> bool {
    input.mode == Mode::DryRun
}
