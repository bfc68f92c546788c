//! A user's credentials as settings: whether each access key is active, and whether the user
//! must set a new console password at the next sign-in. The access-key and password bots end
//! in [`change_user_credentials`], which writes, reads back (else `NotVerified`) and records
//! them; `restore_iam_user_credentials` puts back what they replaced.
//!
//! A key or console password deleted since the bot ran reads as none: undo refuses it as a
//! change, and a forced undo fails `NotFound`, since neither can be recreated (their secrets
//! are not known).

use super::none_if_missing;
use crate::principal::Principal;
use aws_sdk_iam::types::{AccessKeyMetadata, StatusType};
use cloudbots_runtime::restorer::Restorer;
use cloudbots_runtime::setting::{self, restore_settings, Resource, Setting};
use cloudbots_shared::error::BotError;
use cloudbots_shared::outcome::{BotInput, BotOutcome};
use cloudbots_shared::restore::{RestoreInput, RestoreOutcome};
use serde::{Deserialize, Serialize};

pub const RESTORE_IAM_USER_CREDENTIALS: Restorer = Restorer {
    name: "restore_iam_user_credentials",
    run: |input, aws| {
        Box::pin(async move {
            restore_user_credentials_with(input, &aws_sdk_iam::Client::new(aws)).await
        })
    },
};

/// One credential setting of an IAM user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "setting", rename_all = "snake_case")]
pub enum UserCredential {
    /// Whether access key `key` is active; none when the key (or its user) no longer exists.
    AccessKey { key: String, active: Option<bool> },
    /// Whether the user must set a new console password at the next sign-in; none when the
    /// user has no console password (any more).
    PasswordReset { required: Option<bool> },
}

/// The user's access keys (every page), or None when the user does not exist.
pub(super) async fn access_keys(
    iam: &aws_sdk_iam::Client,
    user: &str,
) -> Result<Option<Vec<AccessKeyMetadata>>, BotError> {
    let listed = iam
        .list_access_keys()
        .user_name(user)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await;
    none_if_missing(
        &format!("listing the access keys of IAM user {user}"),
        listed,
    )
}

/// How people name the user `user`.
fn user_label(user: &str) -> String {
    Principal::user(user).to_string()
}

impl Setting for UserCredential {
    type Client = aws_sdk_iam::Client;

    fn name(&self) -> &'static str {
        match self {
            UserCredential::AccessKey { .. } => "access key",
            UserCredential::PasswordReset { .. } => "password reset requirement",
        }
    }

    fn words(&self) -> String {
        match self {
            UserCredential::AccessKey { key, active } => {
                let status = match active {
                    Some(true) => "active",
                    Some(false) => "inactive",
                    None => "deleted",
                };
                format!("{key} {status}")
            }
            UserCredential::PasswordReset {
                required: Some(true),
            } => "on".to_string(),
            UserCredential::PasswordReset {
                required: Some(false),
            } => "off".to_string(),
            UserCredential::PasswordReset { required: None } => {
                "none (no console password)".to_string()
            }
        }
    }

    async fn read(&self, iam: &aws_sdk_iam::Client, user: &str) -> Result<Self, BotError> {
        Ok(match self {
            UserCredential::AccessKey { key, .. } => {
                let keys = access_keys(iam, user).await?.unwrap_or_default();
                let active = keys
                    .iter()
                    .find(|k| k.access_key_id() == Some(key.as_str()))
                    .map(|k| k.status() != Some(&StatusType::Inactive));
                UserCredential::AccessKey {
                    key: key.clone(),
                    active,
                }
            }
            UserCredential::PasswordReset { .. } => {
                let read = iam.get_login_profile().user_name(user).send().await;
                let doing = format!("reading the login profile of {}", user_label(user));
                UserCredential::PasswordReset {
                    required: none_if_missing(&doing, read)?
                        .and_then(|out| out.login_profile)
                        .map(|profile| profile.password_reset_required()),
                }
            }
        })
    }

    async fn write(&self, iam: &aws_sdk_iam::Client, user: &str) -> Result<(), BotError> {
        let who = user_label(user);
        match self {
            UserCredential::AccessKey {
                key,
                active: Some(active),
            } => {
                let (status, doing) = if *active {
                    (StatusType::Active, "activating")
                } else {
                    (StatusType::Inactive, "deactivating")
                };
                let updated = iam
                    .update_access_key()
                    .user_name(user)
                    .access_key_id(key)
                    .status(status)
                    .send()
                    .await;
                none_if_missing(&format!("{doing} access key {key} of {who}"), updated)?
                    .map(drop)
                    .ok_or_else(|| {
                        BotError::not_found(format!(
                            "access key {key} of {who} does not exist (any more): a deleted key cannot be restored"
                        ))
                    })
            }
            UserCredential::PasswordReset {
                required: Some(required),
            } => {
                let updated = iam
                    .update_login_profile()
                    .user_name(user)
                    .password_reset_required(*required)
                    .send()
                    .await;
                none_if_missing(&format!("updating the login profile of {who}"), updated)?
                    .map(drop)
                    .ok_or_else(|| {
                        BotError::not_found(format!(
                            "{who} has no console password (any more): a deleted password cannot be restored"
                        ))
                    })
            }
            UserCredential::AccessKey { active: None, .. }
            | UserCredential::PasswordReset { required: None } => Err(BotError::invalid_input(
                format!(
                    "the {} of {who} cannot be set to {}: undo never deletes an access key or a console password",
                    self.name(),
                    self.words()
                ),
            )),
        }
    }
}

/// The end of the access-key and password bots: give `user` the credential settings `after`,
/// read them back until they show (else `NotVerified`) and record `before` for undo.
pub(super) async fn change_user_credentials(
    input: &BotInput,
    iam: &aws_sdk_iam::Client,
    user: &str,
    settings: (Vec<UserCredential>, Vec<UserCredential>),
    message: String,
    changes: Vec<String>,
) -> Result<BotOutcome, BotError> {
    let resource = Resource {
        client: iam,
        id: user,
        label: user_label(user),
    };
    setting::change(
        input,
        &resource,
        RESTORE_IAM_USER_CREDENTIALS.name,
        settings,
        message,
        changes,
    )
    .await
}

/// Undo one recorded change of a user's credentials, with this IAM client.
pub async fn restore_user_credentials_with(
    input: &RestoreInput,
    iam: &aws_sdk_iam::Client,
) -> Result<RestoreOutcome, BotError> {
    restore_settings::<UserCredential>(input, iam, user_label).await
}
