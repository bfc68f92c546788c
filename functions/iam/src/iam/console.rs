//! A user's console password: deleting it (irreversible, its password is not known), and
//! requiring a new one at the next sign-in, verified and undone as a [`UserCredential`].

use super::credentials::{change_user_credentials, UserCredential};
use super::none_if_missing;
use aws_config::SdkConfig;
use aws_sdk_iam::types::LoginProfile;
use cloudbots_runtime::aws_error::bot_error;
use cloudbots_runtime::bot::{dry_run, entity_name, params};
use cloudbots_runtime::verify::gone;
use cloudbots_shared::error::BotError;
use cloudbots_shared::outcome::{BotInput, BotOutcome, OutcomeStatus};
use cloudbots_shared::params::NoParams;

/// Whether a user can sign in to the console.
enum ConsoleAccess {
    NoSuchUser,
    NoPassword,
    Password(LoginProfile),
}

/// The user's login profile; None when it (or the user) does not exist.
async fn login_profile(
    iam: &aws_sdk_iam::Client,
    user: &str,
) -> Result<Option<LoginProfile>, BotError> {
    let profile = iam.get_login_profile().user_name(user).send().await;
    Ok(none_if_missing(
        &format!("reading the login profile of IAM user {user}"),
        profile,
    )?
    .and_then(|out| out.login_profile))
}

async fn console_access(iam: &aws_sdk_iam::Client, user: &str) -> Result<ConsoleAccess, BotError> {
    let found = iam.get_user().user_name(user).send().await;
    if none_if_missing(&format!("reading IAM user {user}"), found)?.is_none() {
        return Ok(ConsoleAccess::NoSuchUser);
    }
    Ok(match login_profile(iam, user).await? {
        Some(profile) => ConsoleAccess::Password(profile),
        None => ConsoleAccess::NoPassword,
    })
}

pub(super) async fn disable_console_password(
    input: &BotInput,
    aws: &SdkConfig,
) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let user = entity_name(input)?;
    let iam = aws_sdk_iam::Client::new(aws);
    match console_access(&iam, user).await? {
        ConsoleAccess::NoSuchUser => {
            return Ok(BotOutcome::new(
                input,
                OutcomeStatus::Skipped,
                format!("IAM user {user} does not exist (any more): nothing to disable"),
            ))
        }
        ConsoleAccess::NoPassword => {
            return Ok(BotOutcome::compliant(
                input,
                format!("IAM user {user} has no console password"),
            ))
        }
        ConsoleAccess::Password(_) => {}
    }
    let changes = vec![format!(
        "delete the console password (login profile) of IAM user {user}"
    )];
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!("Would disable the console password of IAM user {user}"),
            changes,
        ));
    }
    iam.delete_login_profile()
        .user_name(user)
        .send()
        .await
        .map_err(|e| bot_error(&format!("deleting the login profile of IAM user {user}"), e))?;
    let verified = gone(
        &format!("console password (login profile) of IAM user {user}"),
        || login_profile(&iam, user),
    )
    .await?;
    Ok(BotOutcome::new(
        input,
        OutcomeStatus::Remediated,
        format!("Console password of IAM user {user} disabled"),
    )
    .with_changes(changes)
    .with_verified(vec![verified]))
}

/// Require the finding's user to set a new console password at the next sign-in, with this
/// IAM client.
pub async fn force_password_change_with(
    input: &BotInput,
    iam: &aws_sdk_iam::Client,
) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let user = entity_name(input)?;
    let skipped = |reason: String| Ok(BotOutcome::new(input, OutcomeStatus::Skipped, reason));
    match console_access(iam, user).await? {
        ConsoleAccess::NoSuchUser => {
            return skipped(format!(
                "IAM user {user} does not exist (any more): nothing to reset"
            ))
        }
        ConsoleAccess::NoPassword => {
            return skipped(format!(
                "IAM user {user} has no console password: nothing to reset"
            ))
        }
        ConsoleAccess::Password(profile) if profile.password_reset_required() => {
            return Ok(BotOutcome::compliant(
                input,
                format!("IAM user {user} must already set a new password at the next sign-in"),
            ))
        }
        ConsoleAccess::Password(_) => {}
    }
    let changes = vec![format!(
        "require IAM user {user} to set a new password at the next sign-in"
    )];
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!("Would force IAM user {user} to change password"),
            changes,
        ));
    }
    let reset = |required| UserCredential::PasswordReset {
        required: Some(required),
    };
    change_user_credentials(
        input,
        iam,
        user,
        (vec![reset(false)], vec![reset(true)]),
        format!("IAM user {user} must set a new password at the next sign-in"),
        changes,
    )
    .await
}
