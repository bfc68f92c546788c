//! The KMS key an encryption bot is given, described before it is used: a key that does not
//! exist is a clear error before anything changes, an AWS-managed key is refused where the
//! bot needs a customer-managed one, and the resource is set to the key's ARN, whichever way
//! the rule named it.

use crate::aws_error::{bot_error, code};
use aws_config::SdkConfig;
use aws_sdk_kms::types::{KeyManagerType, KeyMetadata};
use cloudbots_shared::error::BotError;
use cloudbots_shared::params::KmsKeyParam;

/// A described key.
pub struct DescribedKey {
    pub arn: String,
    /// Whether AWS manages the key (`alias/aws/...`): its key policy cannot be changed.
    aws_managed: bool,
    key_id: String,
    given: String,
}

impl DescribedKey {
    /// The key, or an error naming `reason` when AWS manages it.
    pub fn customer_managed(self, reason: &str) -> Result<Self, BotError> {
        if self.aws_managed {
            Err(BotError::invalid_input(format!(
                "KMS key {} is AWS-managed: {reason}",
                self.arn
            )))
        } else {
            Ok(self)
        }
    }

    /// Whether a topic's or queue's current key setting names this key (by ARN, key id or the
    /// name the rule gave).
    pub fn names(&self, current: &str) -> bool {
        [&self.arn, &self.key_id, &self.given]
            .iter()
            .any(|name| name.as_str() == current)
    }
}

/// Describe the key in its region (the step's when the rule names none).
pub async fn describe(aws: &SdkConfig, key: &KmsKeyParam) -> Result<DescribedKey, BotError> {
    let kms = match &key.key_region {
        Some(region) => aws_sdk_kms::Client::new(&crate::session::in_region(aws, region)),
        None => aws_sdk_kms::Client::new(aws),
    };
    let region = key
        .key_region
        .clone()
        .or_else(|| aws.region().map(|r| r.to_string()))
        .unwrap_or_default();
    let described = kms.describe_key().key_id(&key.key_id).send().await;
    let metadata = match described {
        Ok(out) => out.key_metadata,
        Err(e) if code(&e) == Some("NotFoundException") => None,
        Err(e) => {
            return Err(bot_error(
                &format!("describing KMS key {} in {region}", key.key_id),
                e,
            ))
        }
    };
    let metadata = metadata.ok_or_else(|| {
        BotError::invalid_input(format!("KMS key {} does not exist in {region}", key.key_id))
    })?;
    Ok(DescribedKey::new(&metadata, key))
}

impl DescribedKey {
    fn new(metadata: &KeyMetadata, key: &KmsKeyParam) -> Self {
        DescribedKey {
            arn: metadata.arn().unwrap_or_default().to_string(),
            aws_managed: metadata.key_manager() == Some(&KeyManagerType::Aws),
            key_id: metadata.key_id().to_string(),
            given: key.key_id.clone(),
        }
    }
}

/// The local stack reports every key as customer-managed, AWS-managed aliases included, so
/// the key manager is read here from metadata as KMS reports it.
#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    fn described(manager: KeyManagerType) -> DescribedKey {
        let metadata = KeyMetadata::builder()
            .key_id("1234abcd-12ab-34cd-56ef-1234567890ab")
            .arn(ARN)
            .key_manager(manager)
            .build()
            .unwrap();
        let key = KmsKeyParam {
            key_id: "alias/given".into(),
            key_region: None,
        };
        DescribedKey::new(&metadata, &key)
    }

    #[test]
    fn a_key_is_known_by_its_arn_id_and_given_name_and_refused_when_aws_managed() {
        let customer = described(KeyManagerType::Customer)
            .customer_managed("why")
            .unwrap();
        assert!(customer.names(ARN) && customer.names("1234abcd-12ab-34cd-56ef-1234567890ab"));
        assert!(customer.names("alias/given") && !customer.names("alias/other"));
        let refused = described(KeyManagerType::Aws)
            .customer_managed("why")
            .err()
            .unwrap();
        assert_eq!(
            refused.message,
            format!("KMS key {ARN} is AWS-managed: why")
        );
    }
}
