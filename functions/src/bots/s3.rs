//! S3 bots.
//!
//! Block Public Access is read before it is written: a bucket that already blocks everything
//! is reported as compliant, and otherwise the outcome names exactly the settings turned on,
//! so the audit trail shows what the bucket allowed before.

use super::{dry_run, entity_id, params, Bot};
use crate::aws_error::{bot_error, code};
use aws_config::SdkConfig;
use aws_sdk_s3::types::PublicAccessBlockConfiguration;
use cloudbots_shared::error::BotError;
use cloudbots_shared::outcome::{BotInput, BotOutcome, OutcomeStatus};
use cloudbots_shared::params::NoParams;

/// The bots of this module.
pub const BOTS: &[Bot] = &[BLOCK_ALL_PUBLIC_ACCESS];

pub const BLOCK_ALL_PUBLIC_ACCESS: Bot = Bot {
    name: "s3_block_all_public_access",
    run: |input, aws| Box::pin(block_all_public_access(input, aws)),
};

/// The four Block Public Access settings, named as in the S3 API, and whether each is on.
fn settings(config: &PublicAccessBlockConfiguration) -> [(&'static str, bool); 4] {
    [
        ("BlockPublicAcls", config.block_public_acls()),
        ("IgnorePublicAcls", config.ignore_public_acls()),
        ("BlockPublicPolicy", config.block_public_policy()),
        ("RestrictPublicBuckets", config.restrict_public_buckets()),
    ]
    .map(|(name, on)| (name, on.unwrap_or(false)))
}

async fn block_all_public_access(
    input: &BotInput,
    aws: &SdkConfig,
) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let bucket = entity_id(input)?;
    let s3 = aws_sdk_s3::Client::new(aws);
    let current = match s3.get_public_access_block().bucket(bucket).send().await {
        Ok(out) => out
            .public_access_block_configuration()
            .cloned()
            .unwrap_or_else(|| PublicAccessBlockConfiguration::builder().build()),
        // A bucket that never had the settings written has all four off.
        Err(e) if code(&e) == Some("NoSuchPublicAccessBlockConfiguration") => {
            PublicAccessBlockConfiguration::builder().build()
        }
        Err(e) if code(&e) == Some("NoSuchBucket") => {
            return Ok(BotOutcome::new(
                input,
                OutcomeStatus::Skipped,
                format!("Bucket {bucket} does not exist (any more): nothing to do"),
            ))
        }
        Err(e) => {
            return Err(bot_error(
                &format!("reading the public access block of bucket {bucket}"),
                e,
            ))
        }
    };
    let off: Vec<&str> = settings(&current)
        .into_iter()
        .filter(|(_, on)| !on)
        .map(|(name, _)| name)
        .collect();
    if off.is_empty() {
        return Ok(BotOutcome::new(
            input,
            OutcomeStatus::AlreadyCompliant,
            format!("Bucket {bucket} already blocks all public access"),
        ));
    }
    let changes: Vec<String> = off
        .iter()
        .map(|name| format!("turn on {name} for bucket {bucket}"))
        .collect();
    if dry_run(input) {
        return Ok(BotOutcome::new(
            input,
            OutcomeStatus::DryRun,
            format!(
                "Would block all public access to bucket {bucket} (turning on {})",
                off.join(", ")
            ),
        )
        .with_changes(changes));
    }
    let all_on = PublicAccessBlockConfiguration::builder()
        .block_public_acls(true)
        .ignore_public_acls(true)
        .block_public_policy(true)
        .restrict_public_buckets(true)
        .build();
    s3.put_public_access_block()
        .bucket(bucket)
        .public_access_block_configuration(all_on)
        .send()
        .await
        .map_err(|e| {
            bot_error(
                &format!("writing the public access block of bucket {bucket}"),
                e,
            )
        })?;
    Ok(BotOutcome::new(
        input,
        OutcomeStatus::Remediated,
        format!(
            "Bucket {bucket} now blocks all public access (turned on {})",
            off.join(", ")
        ),
    )
    .with_changes(changes))
}
