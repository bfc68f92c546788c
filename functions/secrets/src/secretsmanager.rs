//! `secretsmanager_enable_encryption`: a secret encrypted with a key its owners control.
//!
//! The secret is described first (a secret already on the key is compliant, one that no longer
//! exists is skipped), then the key, which must exist and be customer-managed. The key the
//! secret had is recorded, and `restore_secret_encryption` puts it back: a secret that had no
//! key of its own goes back to the AWS-managed key `aws/secretsmanager`, which Secrets Manager
//! takes by its alias and then no longer names.

use aws_config::SdkConfig;
use cloudbots_runtime::aws_error::{bot_error, code, none_if_code};
use cloudbots_runtime::bot::{dry_run, entity_field, params, Bot};
use cloudbots_runtime::exclusion::{tag_in_listing, TagReader};
use cloudbots_runtime::kms_key;
use cloudbots_runtime::restorer::Restorer;
use cloudbots_runtime::setting::{self, restore_settings, Resource, Setting};
use cloudbots_shared::catalogue::TagSource;
use cloudbots_shared::error::BotError;
use cloudbots_shared::outcome::{BotInput, BotOutcome};
use cloudbots_shared::params::{
    KmsKeyParam, SecretsManagerEnableEncryptionParams, SECRET_AWS_MANAGED_KEY_REASON,
};
use serde::{Deserialize, Serialize};

/// The bots of this module.
pub const BOTS: &[Bot] = &[ENABLE_ENCRYPTION];

pub const ENABLE_ENCRYPTION: Bot = Bot {
    name: "secretsmanager_enable_encryption",
    tags: SECRET_TAGS,
    run: |input, aws| Box::pin(enable_encryption(input, aws)),
};

pub const RESTORE_SECRET_ENCRYPTION: Restorer = Restorer {
    name: "restore_secret_encryption",
    run: |input, aws| {
        Box::pin(async move {
            let secrets = aws_sdk_secretsmanager::Client::new(aws);
            restore_settings::<SecretKey>(input, &secrets, secret_label).await
        })
    },
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

/// The alias of the key Secrets Manager encrypts with when a secret names none.
const AWS_MANAGED_KEY: &str = "alias/aws/secretsmanager";

/// The KMS key a secret is encrypted with; none for the AWS-managed key `aws/secretsmanager`
/// (DescribeSecret names no key then).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretKey {
    pub key: Option<String>,
}

impl Setting for SecretKey {
    type Client = aws_sdk_secretsmanager::Client;

    fn name(&self) -> &'static str {
        "KMS key"
    }

    fn words(&self) -> String {
        match &self.key {
            Some(key) => key.clone(),
            None => format!("the AWS-managed key {AWS_MANAGED_KEY}"),
        }
    }

    async fn read(
        &self,
        secrets: &aws_sdk_secretsmanager::Client,
        arn: &str,
    ) -> Result<Self, BotError> {
        let read = secrets.describe_secret().secret_id(arn).send().await;
        let doing = format!("describing {}", secret_label(arn));
        let secret = none_if_code(NOT_FOUND, &doing, read)?.ok_or_else(|| {
            BotError::not_found(format!("{} does not exist (any more)", secret_label(arn)))
        })?;
        let named = secret.kms_key_id().filter(|key| !is_aws_managed(key));
        Ok(SecretKey {
            key: named.map(str::to_string),
        })
    }

    async fn write(
        &self,
        secrets: &aws_sdk_secretsmanager::Client,
        arn: &str,
    ) -> Result<(), BotError> {
        secrets
            .update_secret()
            .secret_id(arn)
            .kms_key_id(self.key.as_deref().unwrap_or(AWS_MANAGED_KEY))
            .send()
            .await
            .map(drop)
            .map_err(|e| {
                let doing = format!("encrypting {} with {}", secret_label(arn), self.words());
                bot_error(&doing, e)
            })
    }
}

/// The AWS-managed key of Secrets Manager, by alias or alias ARN.
fn is_aws_managed(key: &str) -> bool {
    key == AWS_MANAGED_KEY || key.ends_with(&format!(":{AWS_MANAGED_KEY}"))
}

/// How people name the secret of an ARN (`arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters>`):
/// `secret <name>`.
fn secret_label(arn: &str) -> String {
    let named = arn.split_once(":secret:").map_or(arn, |(_, name)| name);
    let name = match named.rsplit_once('-') {
        Some((name, suffix)) if suffix.len() == 6 && named.len() != arn.len() => name,
        _ => named,
    };
    format!("secret {name}")
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
    let was = SecretKey {
        key: secret
            .kms_key_id()
            .filter(|key| !is_aws_managed(key))
            .map(str::to_string),
    };
    let resource = Resource {
        client: &secrets,
        id: arn,
        label: secret_label(arn),
    };
    let now = SecretKey {
        key: Some(key.arn.clone()),
    };
    setting::change(
        input,
        &resource,
        RESTORE_SECRET_ENCRYPTION.name,
        (vec![was], vec![now]),
        format!("Secret {name} encrypted with KMS key {}", key.arn),
        vec![change],
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_named_without_the_suffix_secrets_manager_adds() {
        let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-password-a1B2c3";
        assert_eq!(secret_label(arn), "secret db-password");
        assert_eq!(secret_label("db"), "secret db");
        assert!(is_aws_managed("alias/aws/secretsmanager"));
        assert!(is_aws_managed(
            "arn:aws:kms:us-east-1:123456789012:alias/aws/secretsmanager"
        ));
        assert!(!is_aws_managed("alias/secrets"));
    }
}
