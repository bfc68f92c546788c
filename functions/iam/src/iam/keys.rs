//! A user's access keys: deactivating the unused ones, and revoking or deleting the key a
//! Log.ic finding's CloudTrail `CreateAccessKey` event created. Deactivations are verified and
//! undone as [`UserCredential`]s; a deleted key cannot be restored (its secret is gone).
//!
//! The Log.ic bots take the key and its owner from the event's `responseElements`: the event's
//! own user name is the caller, who may have created the key for someone else. CloudTrail is
//! passed in separately so that tests can mock it (the local stack lacks it).

use super::credentials::{access_keys, change_user_credentials, UserCredential};
use aws_sdk_cloudtrail::types::LookupAttributeKey;
use aws_sdk_iam::types::{AccessKeyMetadata, StatusType};
use chrono::{DateTime, Utc};
use cloudbots_runtime::aws_error::bot_error;
use cloudbots_runtime::bot::{dry_run, entity_name, params};
use cloudbots_runtime::cloudtrail::{alert_time, closest_event, EventQuery, DEFAULT_WINDOW};
use cloudbots_runtime::verify::gone;
use cloudbots_shared::error::BotError;
use cloudbots_shared::outcome::{BotInput, BotOutcome, OutcomeStatus};
use cloudbots_shared::params::{DeactivateUnusedAccessKeyParams, NoParams};
use std::time::SystemTime;

fn to_chrono(time: &aws_smithy_types::DateTime) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(time.secs(), time.subsec_nanos())
}

/// When the key was last used, or created when it never was; None when IAM says neither.
async fn last_activity(
    iam: &aws_sdk_iam::Client,
    key: &AccessKeyMetadata,
) -> Result<Option<(DateTime<Utc>, &'static str)>, BotError> {
    let id = key.access_key_id().unwrap_or_default();
    let used = iam
        .get_access_key_last_used()
        .access_key_id(id)
        .send()
        .await
        .map_err(|e| bot_error(&format!("reading when access key {id} was last used"), e))?;
    let last_used = used
        .access_key_last_used()
        .and_then(|u| u.last_used_date())
        .and_then(to_chrono);
    Ok(match last_used {
        Some(time) => Some((time, "last used")),
        None => key
            .create_date()
            .and_then(to_chrono)
            .map(|t| (t, "never used, created")),
    })
}

/// The statuses of `keys`, active or not.
fn key_statuses(keys: &[String], active: bool) -> Vec<UserCredential> {
    keys.iter()
        .map(|key| UserCredential::AccessKey {
            key: key.clone(),
            active: Some(active),
        })
        .collect()
}

/// Deactivate the user's active keys unused for more than the params' days, as of `now`
/// (a parameter so that tests can look at fresh keys from the future).
pub async fn deactivate_unused_access_keys_at(
    input: &BotInput,
    iam: &aws_sdk_iam::Client,
    now: SystemTime,
) -> Result<BotOutcome, BotError> {
    let DeactivateUnusedAccessKeyParams { days } = params(input)?;
    let user = entity_name(input)?;
    let Some(keys) = access_keys(iam, user).await? else {
        return Ok(BotOutcome::new(
            input,
            OutcomeStatus::Skipped,
            format!("IAM user {user} does not exist (any more): nothing to deactivate"),
        ));
    };
    let cutoff = DateTime::<Utc>::from(now) - chrono::Duration::days(i64::from(days));
    let mut unused = Vec::new();
    let mut changes = Vec::new();
    for key in keys
        .iter()
        .filter(|k| k.status() == Some(&StatusType::Active))
    {
        if let Some((time, what)) = last_activity(iam, key).await? {
            if time < cutoff {
                let id = key.access_key_id().unwrap_or_default().to_string();
                let when = time.format("%Y-%m-%d");
                changes.push(format!(
                    "deactivate access key {id} of IAM user {user} ({what} {when})"
                ));
                unused.push(id);
            }
        }
    }
    if unused.is_empty() {
        return Ok(BotOutcome::compliant(
            input,
            format!("IAM user {user} has no active access key unused for more than {days} days"),
        ));
    }
    if dry_run(input) {
        return Ok(BotOutcome::would(input, format!("Would deactivate {} access key(s) of IAM user {user} unused for more than {days} days", unused.len()), changes));
    }
    change_user_credentials(
        input,
        iam,
        user,
        (key_statuses(&unused, true), key_statuses(&unused, false)),
        format!(
            "Deactivated {} access key(s) of IAM user {user} unused for more than {days} days",
            unused.len()
        ),
        changes,
    )
    .await
}

/// The key a Log.ic finding's CreateAccessKey event created, as it is now.
struct EventKey {
    user: String,
    key_id: String,
    /// None when the key no longer exists.
    status: Option<StatusType>,
}

/// Check the bot takes no params, then find the CreateAccessKey event closest to the finding's
/// alert time and the key's live status; `Err(outcome)` is the skipped outcome when there is
/// nothing to act on.
async fn event_key(
    input: &BotInput,
    cloudtrail: &aws_sdk_cloudtrail::Client,
    iam: &aws_sdk_iam::Client,
    purpose: &str,
) -> Result<Result<EventKey, BotOutcome>, BotError> {
    params::<NoParams>(input)?;
    let skipped = |reason: String| Ok(Err(BotOutcome::new(input, OutcomeStatus::Skipped, reason)));
    let Some(time) = input.finding.event_time.as_deref() else {
        return Err(BotError::invalid_input(format!(
            "the finding has no alert time (alertWindowStartTime of a Log.ic finding): {} needs it to find the CreateAccessKey event",
            input.step.bot
        )));
    };
    let query = EventQuery {
        attribute: LookupAttributeKey::EventName,
        value: "CreateAccessKey",
        resource_name: None,
        window: DEFAULT_WINDOW,
    };
    let Some(event) = closest_event(cloudtrail, alert_time(time)?, &query).await? else {
        return skipped(format!(
            "No CreateAccessKey event in CloudTrail within {} s of {time}: nothing to {purpose}",
            DEFAULT_WINDOW.as_secs()
        ));
    };
    let created = &event.record["responseElements"]["accessKey"];
    let (Some(user), Some(key_id)) = (
        created["userName"].as_str(),
        created["accessKeyId"].as_str(),
    ) else {
        return Err(BotError::invalid_input(format!(
            "the CreateAccessKey event of {} names no access key and user in its responseElements",
            event.time.to_rfc3339()
        )));
    };
    let Some(keys) = access_keys(iam, user).await? else {
        return skipped(format!(
            "IAM user {user} does not exist (any more): nothing to {purpose}"
        ));
    };
    let status = keys
        .iter()
        .find(|k| k.access_key_id() == Some(key_id))
        .map(|k| k.status().cloned().unwrap_or(StatusType::Active));
    Ok(Ok(EventKey {
        user: user.to_string(),
        key_id: key_id.to_string(),
        status,
    }))
}

/// Deactivate the key created by the finding's CreateAccessKey event.
pub async fn revoke_access_key_with(
    input: &BotInput,
    cloudtrail: &aws_sdk_cloudtrail::Client,
    iam: &aws_sdk_iam::Client,
) -> Result<BotOutcome, BotError> {
    let key = match event_key(input, cloudtrail, iam, "revoke").await? {
        Ok(key) => key,
        Err(outcome) => return Ok(outcome),
    };
    let (user, key_id, status) = (key.user, key.key_id, key.status);
    match status {
        None => {
            return Ok(BotOutcome::new(
                input,
                OutcomeStatus::Skipped,
                format!("Access key {key_id} of IAM user {user} does not exist (any more): nothing to revoke"),
            ))
        }
        Some(StatusType::Inactive) => {
            return Ok(BotOutcome::compliant(input, format!("Access key {key_id} of IAM user {user} is already inactive")))
        }
        Some(_) => {}
    }
    let changes = vec![format!("deactivate access key {key_id} of IAM user {user}")];
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!("Would revoke access key {key_id} of IAM user {user}"),
            changes,
        ));
    }
    let key = [key_id.clone()];
    change_user_credentials(
        input,
        iam,
        &user,
        (key_statuses(&key, true), key_statuses(&key, false)),
        format!("Access key {key_id} of IAM user {user} revoked (inactive)"),
        changes,
    )
    .await
}

/// Delete the key created by the finding's CreateAccessKey event.
pub async fn delete_access_key_with(
    input: &BotInput,
    cloudtrail: &aws_sdk_cloudtrail::Client,
    iam: &aws_sdk_iam::Client,
) -> Result<BotOutcome, BotError> {
    let key = match event_key(input, cloudtrail, iam, "delete").await? {
        Ok(key) => key,
        Err(outcome) => return Ok(outcome),
    };
    let (user, key_id, status) = (key.user, key.key_id, key.status);
    if status.is_none() {
        return Ok(BotOutcome::compliant(
            input,
            format!("Access key {key_id} of IAM user {user} is already deleted"),
        ));
    }
    let changes = vec![format!("delete access key {key_id} of IAM user {user}")];
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!("Would delete access key {key_id} of IAM user {user}"),
            changes,
        ));
    }
    iam.delete_access_key()
        .user_name(&user)
        .access_key_id(&key_id)
        .send()
        .await
        .map_err(|e| {
            bot_error(
                &format!("deleting access key {key_id} of IAM user {user}"),
                e,
            )
        })?;
    let verified = gone(
        &format!("access key {key_id} of IAM user {user}"),
        || async {
            let keys = access_keys(iam, &user).await?.unwrap_or_default();
            Ok(keys
                .into_iter()
                .find(|k| k.access_key_id() == Some(key_id.as_str())))
        },
    )
    .await?;
    Ok(BotOutcome::new(
        input,
        OutcomeStatus::Remediated,
        format!("Access key {key_id} of IAM user {user} deleted"),
    )
    .with_changes(changes)
    .with_verified(vec![verified]))
}
