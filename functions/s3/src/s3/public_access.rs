//! `s3_block_all_public_access`: the four Block Public Access settings of a bucket turned on,
//! read back, and recorded as they were, so that undo can put them back.

use super::*;
use cloudbots_runtime::restorer::{recorded, restore, Restorer};
use cloudbots_runtime::verify::reread;
use cloudbots_shared::restore::{PriorState, RestoreInput, RestoreOutcome};
use serde::{Deserialize, Serialize};

pub const RESTORE_BUCKET_PUBLIC_ACCESS_BLOCK: Restorer = Restorer {
    name: "restore_bucket_public_access_block",
    run: |input, aws| Box::pin(restore_public_access_block(input, aws)),
};

/// A bucket's Block Public Access settings as S3 returns them; `configured` is false for a
/// bucket that never had them written (all four off, and nothing to read back).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockSettings {
    pub configured: bool,
    pub block_public_acls: bool,
    pub ignore_public_acls: bool,
    pub block_public_policy: bool,
    pub restrict_public_buckets: bool,
}

impl BlockSettings {
    const ALL_ON: BlockSettings = BlockSettings {
        configured: true,
        block_public_acls: true,
        ignore_public_acls: true,
        block_public_policy: true,
        restrict_public_buckets: true,
    };

    /// The four settings, named as in the S3 API, and whether each is on.
    fn named(self) -> [(&'static str, bool); 4] {
        [
            ("BlockPublicAcls", self.block_public_acls),
            ("IgnorePublicAcls", self.ignore_public_acls),
            ("BlockPublicPolicy", self.block_public_policy),
            ("RestrictPublicBuckets", self.restrict_public_buckets),
        ]
    }

    /// The settings that are off.
    fn off(self) -> Vec<&'static str> {
        self.named()
            .into_iter()
            .filter(|(_, on)| !on)
            .map(|(name, _)| name)
            .collect()
    }

    /// The settings as people read them: `BlockPublicAcls=true, …` or `none configured`.
    fn words(self) -> String {
        if !self.configured {
            return "none configured".to_string();
        }
        let named: Vec<String> = self
            .named()
            .iter()
            .map(|(name, on)| format!("{name}={on}"))
            .collect();
        named.join(", ")
    }

    fn configuration(self) -> PublicAccessBlockConfiguration {
        PublicAccessBlockConfiguration::builder()
            .block_public_acls(self.block_public_acls)
            .ignore_public_acls(self.ignore_public_acls)
            .block_public_policy(self.block_public_policy)
            .restrict_public_buckets(self.restrict_public_buckets)
            .build()
    }

    /// The bucket's settings now.
    async fn read(s3: &Client, bucket: &str) -> Result<BlockSettings, Halt> {
        match s3.get_public_access_block().bucket(bucket).send().await {
            Ok(out) => {
                let config = out.public_access_block_configuration();
                let on = |value: Option<bool>| value.unwrap_or(false);
                Ok(BlockSettings {
                    configured: true,
                    block_public_acls: on(config.and_then(|c| c.block_public_acls())),
                    ignore_public_acls: on(config.and_then(|c| c.ignore_public_acls())),
                    block_public_policy: on(config.and_then(|c| c.block_public_policy())),
                    restrict_public_buckets: on(config.and_then(|c| c.restrict_public_buckets())),
                })
            }
            Err(e) if code(&e) == Some("NoSuchPublicAccessBlockConfiguration") => {
                Ok(BlockSettings {
                    configured: false,
                    block_public_acls: false,
                    ignore_public_acls: false,
                    block_public_policy: false,
                    restrict_public_buckets: false,
                })
            }
            Err(e) => Err(halt(
                &format!("reading the public access block of bucket {bucket}"),
                e,
            )),
        }
    }

    /// Write these settings (or, for `configured: false`, remove the bucket's configuration).
    async fn write(self, s3: &Client, bucket: &str) -> Result<(), Halt> {
        let doing = format!("writing the public access block of bucket {bucket}");
        if self.configured {
            s3.put_public_access_block()
                .bucket(bucket)
                .public_access_block_configuration(self.configuration())
                .send()
                .await
                .map(drop)
                .map_err(|e| halt(&doing, e))
        } else {
            s3.delete_public_access_block()
                .bucket(bucket)
                .send()
                .await
                .map(drop)
                .map_err(|e| halt(&doing, e))
        }
    }

    /// Read the bucket until it has these settings (or fail `NotVerified`).
    async fn reread(self, s3: &Client, bucket: &str) -> Result<(), Halt> {
        reread(
            &format!("bucket {bucket}"),
            || async { BlockSettings::read(s3, bucket).await.map_err(halt_error) },
            |now| {
                if *now == self {
                    Vec::new()
                } else {
                    vec![format!(
                        "its public access block is {}, not {}",
                        now.words(),
                        self.words()
                    )]
                }
            },
        )
        .await?;
        Ok(())
    }
}

/// A halt as an error: a bucket gone while verifying or restoring is `NotFound`.
fn halt_error(halt: Halt) -> BotError {
    match halt {
        Halt::BucketGone => BotError::not_found("the bucket does not exist (any more)"),
        Halt::Failed(error) => error,
    }
}

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
    BlockSettings::ALL_ON.write(s3, bucket).await?;
    BlockSettings::ALL_ON.reread(s3, bucket).await?;
    let prior = PriorState::of(
        input,
        RESTORE_BUCKET_PUBLIC_ACCESS_BLOCK.name,
        bucket,
        json!(current),
        json!(BlockSettings::ALL_ON),
    );
    Ok(BotOutcome::new(
        input,
        OutcomeStatus::Remediated,
        format!(
            "Bucket {bucket} now blocks all public access (turned on {})",
            off.join(", ")
        ),
    )
    .with_changes(changes)
    .with_verified(vec![format!(
        "bucket {bucket} has all four public access blocks on"
    )])
    .with_prior(prior))
}

async fn restore_public_access_block(
    input: &RestoreInput,
    aws: &SdkConfig,
) -> Result<RestoreOutcome, BotError> {
    let prior = &input.step.prior;
    let before: BlockSettings = recorded(input, &prior.before)?;
    let left: BlockSettings = recorded(input, &prior.after)?;
    let bucket = prior.resource.as_str();
    let s3 = Client::new(aws);
    let now = BlockSettings::read(&s3, bucket).await.map_err(halt_error)?;
    let what = format!("the public access block of bucket {bucket}");
    let drift = if now == left {
        Vec::new()
    } else {
        vec![format!(
            "it is {}, not {} as the bot left it",
            now.words(),
            left.words()
        )]
    };
    let changes = if now == before {
        Vec::new()
    } else if before.configured {
        vec![format!("set {what} back to {}", before.words())]
    } else {
        vec![format!("remove {what} (the bucket had none)")]
    };
    let apply = async {
        before.write(&s3, bucket).await.map_err(halt_error)?;
        before.reread(&s3, bucket).await.map_err(halt_error)?;
        Ok(vec![format!("{what} is {}", before.words())])
    };
    restore(input, &what, drift, changes, apply).await
}
