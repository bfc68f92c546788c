//! `s3_block_all_public_access`: the four Block Public Access settings of a bucket turned on.

use super::settings::{change_settings, BlockSettings, BucketSetting};
use super::*;

pub(super) async fn block_all_public_access(
    input: &BotInput,
    aws: &SdkConfig,
) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let bucket = entity_id(input)?;
    let s3 = Client::new(aws);
    finish(
        input,
        bucket,
        block_all_public_access_on(input, &s3, bucket).await,
    )
}

async fn block_all_public_access_on(input: &BotInput, s3: &Client, bucket: &str) -> BucketResult {
    let current = BlockSettings::read(s3, bucket).await?;
    let off = current.off();
    if off.is_empty() {
        return Ok(BotOutcome::compliant(
            input,
            format!("Bucket {bucket} already blocks all public access"),
        ));
    }
    let changes: Vec<String> = off
        .iter()
        .map(|name| format!("turn on {name} for bucket {bucket}"))
        .collect();
    if dry_run(input) {
        return would(
            input,
            format!(
                "Would block all public access to bucket {bucket} (turning on {})",
                off.join(", ")
            ),
            changes,
        );
    }
    change_settings(
        input,
        s3,
        bucket,
        (
            vec![BucketSetting::PublicAccessBlock(current)],
            vec![BucketSetting::PublicAccessBlock(BlockSettings::ALL_ON)],
        ),
        format!(
            "Bucket {bucket} now blocks all public access (turned on {})",
            off.join(", ")
        ),
        changes,
    )
    .await
}
