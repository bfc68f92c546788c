//! KMS bots.
//!
//! Automatic rotation exists only for enabled, symmetric, customer-managed keys whose key
//! material KMS generated itself; every other key is skipped with the reason, because
//! EnableKeyRotation would fail on it and that failure is not something a retry can fix.
//!
//! Enabling a key reads its live state first: a key pending deletion must have the deletion
//! cancelled (which leaves it disabled) before it can be enabled, and keys in the other
//! non-enabled states cannot be enabled at all.
//!
//! Both bots read the key again after their change and record what they replaced, so that
//! `restore_kms_key` can turn rotation off again or disable the key again. A deletion the
//! enabling bot cancelled is never scheduled again by undo: destroying key material destroys
//! every piece of data encrypted with it, and only a person should decide that.

use aws_config::SdkConfig;
use aws_sdk_kms::types::{KeyManagerType, KeyMetadata, KeySpec, KeyState, OriginType};
use cloudbots_runtime::aws_error::{bot_error, code};
use cloudbots_runtime::bot::{dry_run, entity_id, params, Bot};
use cloudbots_runtime::exclusion;
use cloudbots_runtime::restorer::Restorer;
use cloudbots_runtime::setting::{self, restore_settings, Resource, Setting};
use cloudbots_shared::error::{BotError, ErrorName};
use cloudbots_shared::outcome::{BotInput, BotOutcome, OutcomeStatus};
use cloudbots_shared::params::NoParams;
use cloudbots_shared::restore::{RestoreInput, RestoreOutcome};
use serde::{Deserialize, Serialize};

/// The bots of this module.
pub const BOTS: &[Bot] = &[ENABLE_ROTATION, CMK_ENABLE_KEY];

pub const ENABLE_ROTATION: Bot = Bot {
    name: "kms_enable_rotation",
    tags: exclusion::KMS_TAGS,
    run: |input, aws| Box::pin(enable_rotation(input, aws)),
};

pub const CMK_ENABLE_KEY: Bot = Bot {
    name: "kms_cmk_enable_key",
    tags: exclusion::KMS_TAGS,
    run: |input, aws| Box::pin(cmk_enable_key(input, aws)),
};

pub const RESTORE_KMS_KEY: Restorer = Restorer {
    name: "restore_kms_key",
    run: |input, aws| Box::pin(restore_key(input, aws)),
};

/// What the KMS bots change on a key, as they found it and left it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "setting", rename_all = "snake_case")]
pub enum KeySetting {
    /// Whether KMS rotates the key's material automatically.
    Rotation { enabled: bool },
    /// The key state: `Enabled`, `Disabled`, `PendingDeletion`, …
    State { state: String },
}

impl Setting for KeySetting {
    type Client = aws_sdk_kms::Client;

    fn name(&self) -> &'static str {
        match self {
            KeySetting::Rotation { .. } => "automatic rotation",
            KeySetting::State { .. } => "state",
        }
    }

    fn words(&self) -> String {
        match self {
            KeySetting::Rotation { enabled: true } => "on".to_string(),
            KeySetting::Rotation { enabled: false } => "off".to_string(),
            KeySetting::State { state } => state.clone(),
        }
    }

    async fn read(&self, kms: &aws_sdk_kms::Client, key_id: &str) -> Result<KeySetting, BotError> {
        match self {
            KeySetting::Rotation { .. } => Ok(KeySetting::Rotation {
                enabled: kms
                    .get_key_rotation_status()
                    .key_id(key_id)
                    .send()
                    .await
                    .map_err(|e| {
                        bot_error(&format!("reading the rotation status of key {key_id}"), e)
                    })?
                    .key_rotation_enabled(),
            }),
            KeySetting::State { .. } => {
                let metadata = describe_key(kms, key_id)
                    .await?
                    .ok_or_else(|| BotError::not_found(format!("key {key_id} does not exist")))?;
                Ok(KeySetting::State {
                    state: metadata
                        .key_state()
                        .map_or("unknown", |s| s.as_str())
                        .to_string(),
                })
            }
        }
    }

    async fn write(&self, kms: &aws_sdk_kms::Client, key_id: &str) -> Result<(), BotError> {
        let doing = format!(
            "setting the {} of key {key_id} to {}",
            self.name(),
            self.words()
        );
        // Every call takes the key and ends alike: its answer dropped, its error the step's.
        macro_rules! send {
            ($request:expr) => {
                $request
                    .key_id(key_id)
                    .send()
                    .await
                    .map(drop)
                    .map_err(|e| bot_error(&doing, e))
            };
        }
        match self.reachable() {
            KeySetting::Rotation { enabled: true } => send!(kms.enable_key_rotation()),
            KeySetting::Rotation { enabled: false } => send!(kms.disable_key_rotation()),
            KeySetting::State { state } if state == KeyState::Enabled.as_str() => {
                send!(kms.enable_key())
            }
            KeySetting::State { state } if state == KeyState::Disabled.as_str() => {
                send!(kms.disable_key())
            }
            KeySetting::State { state } => Err(BotError::invalid_input(format!(
                "a key cannot be put in state {state}"
            ))),
        }
    }

    /// A key that was pending deletion is given back disabled (the state a cancelled deletion
    /// leaves), never scheduled for deletion again.
    fn reachable(&self) -> KeySetting {
        match self {
            KeySetting::State { state } if state == KeyState::PendingDeletion.as_str() => {
                KeySetting::State {
                    state: KeyState::Disabled.as_str().to_string(),
                }
            }
            other => other.clone(),
        }
    }

    fn restoring_words(&self, key: &str) -> String {
        if self.reachable() == *self {
            return format!("set the {} of {key} back to {}", self.name(), self.words());
        }
        format!(
            "disable {key} (the deletion it was pending is not scheduled again: schedule it yourself if the key is still to be deleted)"
        )
    }
}

/// How people name a key.
fn key_label(key_id: &str) -> String {
    format!("key {key_id}")
}

/// The key whose settings a bot changes.
fn changed_key<'a>(
    kms: &'a aws_sdk_kms::Client,
    key_id: &'a str,
) -> Resource<'a, aws_sdk_kms::Client> {
    Resource {
        client: kms,
        id: key_id,
        label: key_label(key_id),
    }
}

async fn restore_key(input: &RestoreInput, aws: &SdkConfig) -> Result<RestoreOutcome, BotError> {
    restore_settings::<KeySetting>(input, &aws_sdk_kms::Client::new(aws), key_label).await
}

/// The key's metadata, or None when the key does not exist.
async fn describe_key(
    kms: &aws_sdk_kms::Client,
    key: &str,
) -> Result<Option<KeyMetadata>, BotError> {
    match kms.describe_key().key_id(key).send().await {
        Ok(out) => out.key_metadata.map(Some).ok_or_else(|| {
            BotError::new(
                ErrorName::Internal,
                format!("KMS described key {key} without its metadata"),
            )
        }),
        Err(e) if code(&e) == Some("NotFoundException") => Ok(None),
        Err(e) => Err(bot_error(&format!("describing key {key}"), e)),
    }
}

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

    let Some(metadata) = describe_key(&kms, key).await? else {
        return skipped(format!(
            "Key {key} does not exist (any more): nothing to do"
        ));
    };
    // The key's own id: the finding may name it by ARN or alias, and later calls want the key.
    let key_id = metadata.key_id();
    if let Some(reason) = why_rotation_is_impossible(&metadata) {
        return skipped(format!("Key {key_id} {reason}"));
    }

    let status = kms
        .get_key_rotation_status()
        .key_id(key_id)
        .send()
        .await
        .map_err(|e| bot_error(&format!("reading the rotation status of key {key_id}"), e))?;
    if status.key_rotation_enabled() {
        return Ok(BotOutcome::compliant(
            input,
            format!("Key {key_id} already rotates automatically"),
        ));
    }
    let change = format!("enable automatic rotation of key {key_id}");
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!("Would enable automatic rotation of key {key_id}"),
            vec![change],
        ));
    }
    setting::change(
        input,
        &changed_key(&kms, key_id),
        RESTORE_KMS_KEY.name,
        (
            vec![KeySetting::Rotation { enabled: false }],
            vec![KeySetting::Rotation { enabled: true }],
        ),
        format!("Automatic rotation enabled for key {key_id}"),
        vec![change],
    )
    .await
}

/// Why a key in this state (neither enabled, disabled nor pending deletion) cannot be enabled.
fn why_enabling_is_impossible(state: Option<&KeyState>) -> String {
    format!(
        "is {}: only a disabled key, or one pending deletion, can be enabled",
        state.map_or("in an unknown state", |s| s.as_str())
    )
}

async fn cmk_enable_key(input: &BotInput, aws: &SdkConfig) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let key = entity_id(input)?;
    let kms = aws_sdk_kms::Client::new(aws);
    let outcome = |status, message: String| Ok(BotOutcome::new(input, status, message));

    let Some(metadata) = describe_key(&kms, key).await? else {
        return outcome(
            OutcomeStatus::Skipped,
            format!("Key {key} does not exist (any more): nothing to enable"),
        );
    };
    let key_id = metadata.key_id();
    let cancel_deletion = match metadata.key_state() {
        Some(KeyState::Enabled) => {
            return outcome(
                OutcomeStatus::AlreadyCompliant,
                format!("Key {key_id} is already enabled"),
            )
        }
        Some(KeyState::PendingDeletion) => true,
        Some(KeyState::Disabled) => false,
        other => {
            return outcome(
                OutcomeStatus::Skipped,
                format!("Key {key_id} {}", why_enabling_is_impossible(other)),
            )
        }
    };
    let mut changes = Vec::new();
    if cancel_deletion {
        changes.push(format!("cancel the scheduled deletion of key {key_id}"));
    }
    changes.push(format!("enable key {key_id}"));
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!("Would enable key {key_id}"),
            changes,
        ));
    }

    if cancel_deletion {
        kms.cancel_key_deletion()
            .key_id(key_id)
            .send()
            .await
            .map_err(|e| bot_error(&format!("cancelling the deletion of key {key_id}"), e))?;
    }
    let state = |state: &KeyState| KeySetting::State {
        state: state.as_str().to_string(),
    };
    let was = if cancel_deletion {
        KeyState::PendingDeletion
    } else {
        KeyState::Disabled
    };
    setting::change(
        input,
        &changed_key(&kms, key_id),
        RESTORE_KMS_KEY.name,
        (vec![state(&was)], vec![state(&KeyState::Enabled)]),
        format!("Key {key_id} enabled"),
        changes,
    )
    .await
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

    #[test]
    fn keys_awaiting_material_or_unavailable_cannot_be_enabled() {
        assert_eq!(
            why_enabling_is_impossible(Some(&KeyState::PendingImport)),
            "is PendingImport: only a disabled key, or one pending deletion, can be enabled"
        );
        assert_eq!(
            why_enabling_is_impossible(Some(&KeyState::Unavailable)),
            "is Unavailable: only a disabled key, or one pending deletion, can be enabled"
        );
        assert_eq!(
            why_enabling_is_impossible(None),
            "is in an unknown state: only a disabled key, or one pending deletion, can be enabled"
        );
    }
}
