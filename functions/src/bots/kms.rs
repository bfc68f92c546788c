//! KMS bots.
//!
//! Automatic rotation exists only for enabled, symmetric, customer-managed keys whose key
//! material KMS generated itself; every other key is skipped with the reason, because
//! EnableKeyRotation would fail on it and that failure is not something a retry can fix.

use super::{dry_run, entity_id, params, Bot};
use crate::aws_error::{bot_error, code};
use aws_config::SdkConfig;
use aws_sdk_kms::types::{KeyManagerType, KeyMetadata, KeySpec, KeyState, OriginType};
use cloudbots_shared::error::{BotError, ErrorName};
use cloudbots_shared::outcome::{BotInput, BotOutcome, OutcomeStatus};
use cloudbots_shared::params::NoParams;

/// The bots of this module.
pub const BOTS: &[Bot] = &[ENABLE_ROTATION];

pub const ENABLE_ROTATION: Bot = Bot {
    name: "kms_enable_rotation",
    run: |input, aws| Box::pin(enable_rotation(input, aws)),
};

/// Why KMS cannot rotate this key automatically, or None when it can.
fn why_rotation_is_impossible(metadata: &KeyMetadata) -> Option<String> {
    if metadata.key_manager() == Some(&KeyManagerType::Aws) {
        return Some("is AWS-managed: AWS rotates AWS-managed keys itself".to_string());
    }
    let spec = metadata.key_spec();
    if spec != Some(&KeySpec::SymmetricDefault) {
        return Some(format!(
            "is {}: automatic rotation exists only for SYMMETRIC_DEFAULT keys",
            spec.map_or("of an unknown key spec", |s| s.as_str())
        ));
    }
    if let Some(origin) = metadata.origin().filter(|o| **o != OriginType::AwsKms) {
        return Some(format!(
            "has key material from {}: automatic rotation exists only for key material KMS generates",
            origin.as_str()
        ));
    }
    let state = metadata.key_state();
    if state != Some(&KeyState::Enabled) {
        return Some(format!(
            "is {}: rotation can only be turned on for an enabled key",
            state.map_or("in an unknown state", |s| s.as_str())
        ));
    }
    None
}

async fn enable_rotation(input: &BotInput, aws: &SdkConfig) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let key = entity_id(input)?;
    let kms = aws_sdk_kms::Client::new(aws);
    let skipped = |reason: String| Ok(BotOutcome::new(input, OutcomeStatus::Skipped, reason));

    let described = match kms.describe_key().key_id(key).send().await {
        Ok(out) => out,
        Err(e) if code(&e) == Some("NotFoundException") => {
            return skipped(format!(
                "Key {key} does not exist (any more): nothing to do"
            ))
        }
        Err(e) => return Err(bot_error(&format!("describing key {key}"), e)),
    };
    let Some(metadata) = described.key_metadata() else {
        return Err(BotError::new(
            ErrorName::Internal,
            format!("KMS described key {key} without its metadata"),
        ));
    };
    // The key's own id: the finding may name it by ARN or alias, and later calls want the key.
    let key_id = metadata.key_id();
    if let Some(reason) = why_rotation_is_impossible(metadata) {
        return skipped(format!("Key {key_id} {reason}"));
    }

    let status = kms
        .get_key_rotation_status()
        .key_id(key_id)
        .send()
        .await
        .map_err(|e| bot_error(&format!("reading the rotation status of key {key_id}"), e))?;
    if status.key_rotation_enabled() {
        return Ok(BotOutcome::new(
            input,
            OutcomeStatus::AlreadyCompliant,
            format!("Key {key_id} already rotates automatically"),
        ));
    }
    let change = format!("enable automatic rotation of key {key_id}");
    if dry_run(input) {
        return Ok(BotOutcome::new(
            input,
            OutcomeStatus::DryRun,
            format!("Would enable automatic rotation of key {key_id}"),
        )
        .with_changes(vec![change]));
    }
    kms.enable_key_rotation()
        .key_id(key_id)
        .send()
        .await
        .map_err(|e| bot_error(&format!("enabling rotation of key {key_id}"), e))?;
    Ok(BotOutcome::new(
        input,
        OutcomeStatus::Remediated,
        format!("Automatic rotation enabled for key {key_id}"),
    )
    .with_changes(vec![change]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> aws_sdk_kms::types::builders::KeyMetadataBuilder {
        KeyMetadata::builder()
            .key_id("1234abcd-12ab-34cd-56ef-1234567890ab")
            .key_manager(KeyManagerType::Customer)
            .key_spec(KeySpec::SymmetricDefault)
            .origin(OriginType::AwsKms)
            .key_state(KeyState::Enabled)
    }

    #[test]
    fn only_enabled_symmetric_customer_keys_with_kms_material_rotate() {
        assert_eq!(why_rotation_is_impossible(&key().build().unwrap()), None);
        let cases = [
            (key().key_manager(KeyManagerType::Aws), "is AWS-managed: AWS rotates AWS-managed keys itself"),
            (key().key_spec(KeySpec::Rsa2048), "is RSA_2048: automatic rotation exists only for SYMMETRIC_DEFAULT keys"),
            (key().origin(OriginType::External), "has key material from EXTERNAL: automatic rotation exists only for key material KMS generates"),
            (key().key_state(KeyState::PendingDeletion), "is PendingDeletion: rotation can only be turned on for an enabled key"),
        ];
        for (metadata, reason) in cases {
            assert_eq!(
                why_rotation_is_impossible(&metadata.build().unwrap()).as_deref(),
                Some(reason)
            );
        }
    }
}
