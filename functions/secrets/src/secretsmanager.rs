//! `secretsmanager_enable_encryption`: a secret encrypted with a key its owners control.
//!
//! The secret is described first (a secret already on the key is compliant, one that no longer
//! exists is skipped), then the key, which must exist and be customer-managed.

use aws_config::SdkConfig;
use cloudbots_runtime::aws_error::{bot_error, code};
use cloudbots_runtime::bot::{dry_run, entity_field, params, Bot};
use cloudbots_runtime::exclusion::{tag_in_listing, TagReader};
use cloudbots_runtime::kms_key;
use cloudbots_shared::catalogue::TagSource;
use cloudbots_shared::error::BotError;
use cloudbots_shared::outcome::{BotInput, BotOutcome, OutcomeStatus};
use cloudbots_shared::params::{
    KmsKeyParam, SecretsManagerEnableEncryptionParams, SECRET_AWS_MANAGED_KEY_REASON,
};

/// The bots of this module.
pub const BOTS: &[Bot] = &[ENABLE_ENCRYPTION];

pub const ENABLE_ENCRYPTION: Bot = Bot {
    name: "secretsmanager_enable_encryption",
    tags: SECRET_TAGS,
    run: |input, aws| Box::pin(enable_encryption(input, aws)),
};

/// Secrets, by ARN (their tags come with their description).
pub const SECRET_TAGS: TagReader = TagReader::new(&[TagSource::Secret], |aws, _, arn, key| {
    Box::pin(read_secret_tag(aws, arn, key))
});

const NOT_FOUND: &str = "ResourceNotFoundException";

async fn read_secret_tag(
    aws: &SdkConfig,
    arn: &str,
    key: &str,
) -> Result<Option<String>, BotError> {
    let described = aws_sdk_secretsmanager::Client::new(aws)
        .describe_secret()
        .secret_id(arn)
        .send()
        .await;
    tag_in_listing(described, &[NOT_FOUND], arn, key, |out| {
        let tags = out.tags.unwrap_or_default().into_iter();
        tags.map(|t| (t.key.unwrap_or_default(), t.value))
    })
}

async fn enable_encryption(input: &BotInput, aws: &SdkConfig) -> Result<BotOutcome, BotError> {
    let SecretsManagerEnableEncryptionParams { key_id } =
        params::<SecretsManagerEnableEncryptionParams>(input)?;
    let arn = entity_field(input, "arn")?;
    let secrets = aws_sdk_secretsmanager::Client::new(aws);
    let described = secrets.describe_secret().secret_id(arn).send().await;
    let secret = match described {
        Ok(out) => out,
        Err(e) if code(&e) == Some(NOT_FOUND) => {
            return Ok(BotOutcome::gone(
                input,
                &format!("Secret {arn}"),
                "nothing to do",
            ))
        }
        Err(e) => return Err(bot_error(&format!("describing secret {arn}"), e)),
    };
    let name = secret.name().unwrap_or(arn);
    let key = kms_key::describe(
        aws,
        &KmsKeyParam {
            key_id,
            key_region: None,
        },
    )
    .await?
    .customer_managed(SECRET_AWS_MANAGED_KEY_REASON)?;
    if secret
        .kms_key_id()
        .is_some_and(|current| key.names(current))
    {
        return Ok(BotOutcome::compliant(
            input,
            format!(
                "Secret {name} is already encrypted with KMS key {}",
                key.arn
            ),
        ));
    }
    let change = format!("encrypt secret {name} with KMS key {}", key.arn);
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!("Would {change}"),
            vec![change],
        ));
    }
    secrets
        .update_secret()
        .secret_id(arn)
        .kms_key_id(&key.arn)
        .send()
        .await
        .map_err(|e| bot_error(&change, e))?;
    Ok(BotOutcome::new(
        input,
        OutcomeStatus::Remediated,
        format!("Secret {name} encrypted with KMS key {}", key.arn),
    )
    .with_changes(vec![change]))
}
