//! IAM bots: quarantine of users and roles, the users' credentials, and the account's
//! password policy and credential report.
//!
//! The bots live by what they change: [`quarantine`] (the deny-all policy on a user or role),
//! [`console`] (a user's console password), [`keys`] (a user's access keys) and [`account`]
//! (the account's password policy and credential report). [`credentials`] describes a user's
//! key statuses and password-reset requirement once, as settings that the key and password
//! bots verify and record and that `restore_iam_user_credentials` puts back.

mod account;
mod console;
mod credentials;
mod keys;
mod quarantine;

pub use account::RESTORE_ACCOUNT_PASSWORD_POLICY;
pub use console::force_password_change_with;
pub use credentials::{restore_user_credentials_with, RESTORE_IAM_USER_CREDENTIALS};
pub use keys::{deactivate_unused_access_keys_at, delete_access_key_with, revoke_access_key_with};
pub(crate) use quarantine::policy_exists;
pub use quarantine::{quarantine_policy_arn, QUARANTINE_POLICY_NAME};

use aws_config::SdkConfig;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use cloudbots_runtime::aws_error::none_if_code;
use cloudbots_runtime::bot::{Bot, BotFuture};
use cloudbots_runtime::exclusion;
use cloudbots_shared::error::BotError;
use cloudbots_shared::outcome::BotInput;
use cloudbots_shared::params::IdentityKind;
use std::time::SystemTime;

/// The bots of this module.
pub const BOTS: &[Bot] = &[
    QUARANTINE_USER,
    QUARANTINE_ROLE,
    DISABLE_CONSOLE_PASSWORD,
    FORCE_PASSWORD_CHANGE,
    DEACTIVATE_UNUSED_ACCESS_KEY,
    REVOKE_ACCESS_KEY,
    DELETE_ACCESS_KEY,
    TURN_ON_PASSWORD_POLICY,
    GENERATE_CREDENTIAL_REPORT,
];

pub const QUARANTINE_USER: Bot = iam_bot("iam_quarantine_user", |input, aws| {
    Box::pin(quarantine::quarantine(input, aws, IdentityKind::User))
});

pub const QUARANTINE_ROLE: Bot = iam_bot("iam_quarantine_role", |input, aws| {
    Box::pin(quarantine::quarantine(input, aws, IdentityKind::Role))
});

pub const DISABLE_CONSOLE_PASSWORD: Bot =
    iam_bot("iam_user_disable_console_password", |input, aws| {
        Box::pin(console::disable_console_password(input, aws))
    });

pub const FORCE_PASSWORD_CHANGE: Bot = iam_bot("iam_user_force_password_change", |input, aws| {
    Box::pin(async move { force_password_change_with(input, &aws_sdk_iam::Client::new(aws)).await })
});

pub const DEACTIVATE_UNUSED_ACCESS_KEY: Bot =
    iam_bot("iam_user_deactivate_unused_access_key", |input, aws| {
        Box::pin(async move {
            let iam = aws_sdk_iam::Client::new(aws);
            deactivate_unused_access_keys_at(input, &iam, SystemTime::now()).await
        })
    });

pub const REVOKE_ACCESS_KEY: Bot = iam_bot("iam_revoke_access_key", |input, aws| {
    Box::pin(async move {
        let cloudtrail = aws_sdk_cloudtrail::Client::new(aws);
        let iam = aws_sdk_iam::Client::new(aws);
        revoke_access_key_with(input, &cloudtrail, &iam).await
    })
});

pub const DELETE_ACCESS_KEY: Bot = iam_bot("iam_delete_access_key", |input, aws| {
    Box::pin(async move {
        let cloudtrail = aws_sdk_cloudtrail::Client::new(aws);
        let iam = aws_sdk_iam::Client::new(aws);
        delete_access_key_with(input, &cloudtrail, &iam).await
    })
});

pub const TURN_ON_PASSWORD_POLICY: Bot = iam_bot("iam_turn_on_password_policy", |input, aws| {
    Box::pin(account::turn_on_password_policy(input, aws))
});

pub const GENERATE_CREDENTIAL_REPORT: Bot =
    iam_bot("iam_generate_credential_report", |input, aws| {
        Box::pin(account::generate_credential_report(input, aws))
    });

/// A bot of IAM principals, skipped for a principal that opts out by tag (IAM's tags).
pub(crate) const fn iam_bot(
    name: &'static str,
    run: for<'a> fn(&'a BotInput, &'a SdkConfig) -> BotFuture<'a>,
) -> Bot {
    Bot {
        name,
        tags: exclusion::IAM_TAGS,
        run,
    }
}

/// NoSuchEntity (the named user, role, key or policy does not exist) as None, other errors
/// as errors.
pub(crate) fn none_if_missing<T, E>(
    doing: &str,
    result: Result<T, SdkError<E, HttpResponse>>,
) -> Result<Option<T>, BotError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    none_if_code("NoSuchEntity", doing, result)
}
