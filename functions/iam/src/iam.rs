//! IAM bots: quarantine of users and roles, the users' credentials, and the account's
//! password policy and credential report.
//!
//! Quarantine attaches one customer-managed deny-all policy, `quarantine_deny_all_policy`,
//! the name the original uses, so existing CloudGuard exclusions and runbooks keep matching.
//! The policy is created once per account, the first time a quarantine needs it, and only
//! after the identity is known to exist. Users and roles share that logic.
//!
//! The access-key bots of Log.ic findings act on the key a CloudTrail `CreateAccessKey`
//! event created. They take the key and its owner from the event's `responseElements`: the
//! event's own user name is the caller, who may have created the key for someone else.
//! CloudTrail is passed in separately so that tests can mock it (the local stack lacks it).

use crate::principal::Principal;
use aws_config::SdkConfig;
use aws_sdk_cloudtrail::types::LookupAttributeKey;
use aws_sdk_iam::types::{
    AccessKeyMetadata, LoginProfile, PasswordPolicy, ReportStateType, StatusType,
};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use chrono::{DateTime, Utc};
use cloudbots_runtime::aws_error::{bot_error, code, none_if_code};
use cloudbots_runtime::bot::{dry_run, entity_name, params, Bot};
use cloudbots_runtime::cloudtrail::{alert_time, closest_event, EventQuery, DEFAULT_WINDOW};
use cloudbots_runtime::exclusion;
use cloudbots_shared::error::BotError;
use cloudbots_shared::outcome::{BotInput, BotOutcome, OutcomeStatus};
use cloudbots_shared::params::{
    DeactivateUnusedAccessKeyParams, IdentityKind, NoParams, PasswordPolicyParams,
};
use serde_json::json;
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

pub const QUARANTINE_USER: Bot = Bot {
    name: "iam_quarantine_user",
    tags: exclusion::IAM_TAGS,
    run: |input, aws| Box::pin(quarantine(input, aws, IdentityKind::User)),
};

pub const QUARANTINE_ROLE: Bot = Bot {
    name: "iam_quarantine_role",
    tags: exclusion::IAM_TAGS,
    run: |input, aws| Box::pin(quarantine(input, aws, IdentityKind::Role)),
};

pub const DISABLE_CONSOLE_PASSWORD: Bot = Bot {
    name: "iam_user_disable_console_password",
    tags: exclusion::IAM_TAGS,
    run: |input, aws| Box::pin(disable_console_password(input, aws)),
};

pub const FORCE_PASSWORD_CHANGE: Bot = Bot {
    name: "iam_user_force_password_change",
    tags: exclusion::IAM_TAGS,
    run: |input, aws| Box::pin(force_password_change(input, aws)),
};

pub const DEACTIVATE_UNUSED_ACCESS_KEY: Bot = Bot {
    name: "iam_user_deactivate_unused_access_key",
    tags: exclusion::IAM_TAGS,
    run: |input, aws| {
        Box::pin(async move {
            let iam = aws_sdk_iam::Client::new(aws);
            deactivate_unused_access_keys_at(input, &iam, SystemTime::now()).await
        })
    },
};

pub const REVOKE_ACCESS_KEY: Bot = Bot {
    name: "iam_revoke_access_key",
    tags: exclusion::IAM_TAGS,
    run: |input, aws| {
        Box::pin(async move {
            let cloudtrail = aws_sdk_cloudtrail::Client::new(aws);
            let iam = aws_sdk_iam::Client::new(aws);
            revoke_access_key_with(input, &cloudtrail, &iam).await
        })
    },
};

pub const DELETE_ACCESS_KEY: Bot = Bot {
    name: "iam_delete_access_key",
    tags: exclusion::IAM_TAGS,
    run: |input, aws| {
        Box::pin(async move {
            let cloudtrail = aws_sdk_cloudtrail::Client::new(aws);
            let iam = aws_sdk_iam::Client::new(aws);
            delete_access_key_with(input, &cloudtrail, &iam).await
        })
    },
};

pub const TURN_ON_PASSWORD_POLICY: Bot = Bot {
    name: "iam_turn_on_password_policy",
    tags: exclusion::IAM_TAGS,
    run: |input, aws| Box::pin(turn_on_password_policy(input, aws)),
};

pub const GENERATE_CREDENTIAL_REPORT: Bot = Bot {
    name: "iam_generate_credential_report",
    tags: exclusion::IAM_TAGS,
    run: |input, aws| Box::pin(generate_credential_report(input, aws)),
};

/// NoSuchEntity (the named user, role, key or policy does not exist) as None, other errors
/// as errors.
pub(super) fn none_if_missing<T, E>(
    doing: &str,
    result: Result<T, SdkError<E, HttpResponse>>,
) -> Result<Option<T>, BotError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    none_if_code("NoSuchEntity", doing, result)
}

// ---- quarantine ----

/// The name of the deny-all policy, as in the original.
pub const QUARANTINE_POLICY_NAME: &str = "quarantine_deny_all_policy";

/// The quarantine policy's ARN in the account the step acts in.
pub fn quarantine_policy_arn(account_id: &str) -> String {
    format!("arn:aws:iam::{account_id}:policy/{QUARANTINE_POLICY_NAME}")
}

/// Deny every action on every resource.
pub fn quarantine_policy_document() -> String {
    json!({
        "Version": "2012-10-17",
        "Statement": [{"Sid": "QuarantineDenyAll", "Effect": "Deny", "Action": "*", "Resource": "*"}]
    })
    .to_string()
}

/// Whether the policy exists (GetPolicy answers NoSuchEntity when it does not).
pub(super) async fn policy_exists(
    iam: &aws_sdk_iam::Client,
    policy_arn: &str,
) -> Result<bool, BotError> {
    let found = iam.get_policy().policy_arn(policy_arn).send().await;
    Ok(none_if_missing(&format!("reading policy {policy_arn}"), found)?.is_some())
}

/// Create the quarantine policy; one created meanwhile by another run is just as good.
async fn create_quarantine_policy(iam: &aws_sdk_iam::Client) -> Result<(), BotError> {
    match iam
        .create_policy()
        .policy_name(QUARANTINE_POLICY_NAME)
        .policy_document(quarantine_policy_document())
        .description("Denies every action. Attached by cloudbots to quarantine an IAM identity.")
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if code(&e) == Some("EntityAlreadyExists") => Ok(()),
        Err(e) => Err(bot_error(
            &format!("creating policy {QUARANTINE_POLICY_NAME}"),
            e,
        )),
    }
}

/// Attach the deny-all policy to the user or role the finding names.
async fn quarantine(
    input: &BotInput,
    aws: &SdkConfig,
    kind: IdentityKind,
) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let who = Principal::new(kind, entity_name(input)?);
    let policy_arn = quarantine_policy_arn(&input.target.account_id);
    let iam = aws_sdk_iam::Client::new(aws);

    let Some(attached) = who.attached_policies(&iam).await? else {
        return Ok(BotOutcome::new(
            input,
            OutcomeStatus::Skipped,
            format!("{who} does not exist (any more): nothing to quarantine"),
        ));
    };
    if attached.contains(&policy_arn) {
        return Ok(BotOutcome::compliant(
            input,
            format!("{who} is already quarantined with {policy_arn}"),
        ));
    }

    let create = !policy_exists(&iam, &policy_arn).await?;
    let mut changes = Vec::new();
    if create {
        changes.push(format!("create policy {policy_arn} (deny every action)"));
    }
    changes.push(format!("attach policy {policy_arn} to {who}"));
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!("Would quarantine {who} with {policy_arn}"),
            changes,
        ));
    }

    if create {
        create_quarantine_policy(&iam).await?;
    }
    who.attach(&iam, &policy_arn).await?;
    let artifacts = if create {
        vec![policy_arn.clone()]
    } else {
        Vec::new()
    };
    Ok(BotOutcome::new(
        input,
        OutcomeStatus::Remediated,
        format!("{who} quarantined: attached {policy_arn}"),
    )
    .with_changes(changes)
    .with_artifacts(artifacts))
}

// ---- console passwords ----

/// Whether a user can sign in to the console.
enum ConsoleAccess {
    NoSuchUser,
    NoPassword,
    Password(LoginProfile),
}

async fn console_access(iam: &aws_sdk_iam::Client, user: &str) -> Result<ConsoleAccess, BotError> {
    let found = iam.get_user().user_name(user).send().await;
    if none_if_missing(&format!("reading IAM user {user}"), found)?.is_none() {
        return Ok(ConsoleAccess::NoSuchUser);
    }
    let profile = iam.get_login_profile().user_name(user).send().await;
    Ok(
        match none_if_missing(
            &format!("reading the login profile of IAM user {user}"),
            profile,
        )?
        .and_then(|out| out.login_profile)
        {
            Some(profile) => ConsoleAccess::Password(profile),
            None => ConsoleAccess::NoPassword,
        },
    )
}

async fn disable_console_password(
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
    Ok(BotOutcome::new(
        input,
        OutcomeStatus::Remediated,
        format!("Console password of IAM user {user} disabled"),
    )
    .with_changes(changes))
}

async fn force_password_change(input: &BotInput, aws: &SdkConfig) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let user = entity_name(input)?;
    let iam = aws_sdk_iam::Client::new(aws);
    let skipped = |reason: String| Ok(BotOutcome::new(input, OutcomeStatus::Skipped, reason));
    match console_access(&iam, user).await? {
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
    iam.update_login_profile()
        .user_name(user)
        .password_reset_required(true)
        .send()
        .await
        .map_err(|e| bot_error(&format!("updating the login profile of IAM user {user}"), e))?;
    Ok(BotOutcome::new(
        input,
        OutcomeStatus::Remediated,
        format!("IAM user {user} must set a new password at the next sign-in"),
    )
    .with_changes(changes))
}

// ---- access keys ----

/// The user's access keys (every page), or None when the user does not exist.
async fn access_keys(
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
    for key in keys
        .iter()
        .filter(|k| k.status() == Some(&StatusType::Active))
    {
        if let Some((time, what)) = last_activity(iam, key).await? {
            if time < cutoff {
                let id = key.access_key_id().unwrap_or_default().to_string();
                let when = time.format("%Y-%m-%d");
                unused.push((
                    id.clone(),
                    format!("deactivate access key {id} of IAM user {user} ({what} {when})"),
                ));
            }
        }
    }
    if unused.is_empty() {
        return Ok(BotOutcome::compliant(
            input,
            format!("IAM user {user} has no active access key unused for more than {days} days"),
        ));
    }
    let changes: Vec<String> = unused.iter().map(|(_, change)| change.clone()).collect();
    if dry_run(input) {
        return Ok(BotOutcome::would(input, format!("Would deactivate {} access key(s) of IAM user {user} unused for more than {days} days", unused.len()), changes));
    }
    for (id, _) in &unused {
        deactivate_key(iam, user, id).await?;
    }
    Ok(BotOutcome::new(
        input,
        OutcomeStatus::Remediated,
        format!(
            "Deactivated {} access key(s) of IAM user {user} unused for more than {days} days",
            unused.len()
        ),
    )
    .with_changes(changes))
}

async fn deactivate_key(
    iam: &aws_sdk_iam::Client,
    user: &str,
    key_id: &str,
) -> Result<(), BotError> {
    iam.update_access_key()
        .user_name(user)
        .access_key_id(key_id)
        .status(StatusType::Inactive)
        .send()
        .await
        .map(drop)
        .map_err(|e| {
            bot_error(
                &format!("deactivating access key {key_id} of IAM user {user}"),
                e,
            )
        })
}

/// The key a Log.ic finding's CreateAccessKey event created, as it is now.
struct EventKey {
    user: String,
    key_id: String,
    /// None when the key no longer exists.
    status: Option<StatusType>,
}

/// Find the CreateAccessKey event closest to the finding's alert time and the key's live
/// status; `Err(outcome)` is the skipped outcome when there is nothing to act on.
async fn event_key(
    input: &BotInput,
    cloudtrail: &aws_sdk_cloudtrail::Client,
    iam: &aws_sdk_iam::Client,
    purpose: &str,
) -> Result<Result<EventKey, BotOutcome>, BotError> {
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
    params::<NoParams>(input)?;
    let EventKey {
        user,
        key_id,
        status,
    } = match event_key(input, cloudtrail, iam, "revoke").await? {
        Ok(key) => key,
        Err(outcome) => return Ok(outcome),
    };
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
    deactivate_key(iam, &user, &key_id).await?;
    Ok(BotOutcome::new(
        input,
        OutcomeStatus::Remediated,
        format!("Access key {key_id} of IAM user {user} revoked (inactive)"),
    )
    .with_changes(changes))
}

/// Delete the key created by the finding's CreateAccessKey event.
pub async fn delete_access_key_with(
    input: &BotInput,
    cloudtrail: &aws_sdk_cloudtrail::Client,
    iam: &aws_sdk_iam::Client,
) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let EventKey {
        user,
        key_id,
        status,
    } = match event_key(input, cloudtrail, iam, "delete").await? {
        Ok(key) => key,
        Err(outcome) => return Ok(outcome),
    };
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
    Ok(BotOutcome::new(
        input,
        OutcomeStatus::Remediated,
        format!("Access key {key_id} of IAM user {user} deleted"),
    )
    .with_changes(changes))
}

// ---- account settings ----

/// The current policy's values by API name, in the params' order ("not set" when absent).
fn current_values(policy: Option<&PasswordPolicy>) -> Vec<String> {
    let Some(p) = policy else {
        return vec!["not set".to_string(); PasswordPolicyParams::NAMES.len()];
    };
    let number = |n: Option<i32>| n.map_or("not set".to_string(), |n| n.to_string());
    vec![
        number(p.minimum_password_length()),
        p.require_symbols().to_string(),
        p.require_numbers().to_string(),
        p.require_uppercase_characters().to_string(),
        p.require_lowercase_characters().to_string(),
        p.allow_users_to_change_password().to_string(),
        number(p.max_password_age()),
        number(p.password_reuse_prevention()),
        p.hard_expiry().unwrap_or(false).to_string(),
    ]
}

async fn turn_on_password_policy(
    input: &BotInput,
    aws: &SdkConfig,
) -> Result<BotOutcome, BotError> {
    let wanted: PasswordPolicyParams = params(input)?;
    let iam = aws_sdk_iam::Client::new(aws);
    let current = iam.get_account_password_policy().send().await;
    let current = none_if_missing("reading the account password policy", current)?
        .and_then(|out| out.password_policy);
    let changes: Vec<String> = wanted
        .named_values()
        .into_iter()
        .zip(current_values(current.as_ref()))
        .filter(|((_, want), have)| want != have)
        .map(|((name, want), have)| format!("set {name} to {want} (was {have})"))
        .collect();
    if changes.is_empty() {
        return Ok(BotOutcome::compliant(
            input,
            "The account password policy already has the requested values",
        ));
    }
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            "Would update the account password policy",
            changes,
        ));
    }
    iam.update_account_password_policy()
        .minimum_password_length(wanted.minimum_password_length)
        .require_symbols(wanted.require_symbols)
        .require_numbers(wanted.require_numbers)
        .require_uppercase_characters(wanted.require_uppercase_characters)
        .require_lowercase_characters(wanted.require_lowercase_characters)
        .allow_users_to_change_password(wanted.allow_users_to_change_password)
        .max_password_age(wanted.max_password_age)
        .password_reuse_prevention(wanted.password_reuse_prevention)
        .hard_expiry(wanted.hard_expiry)
        .send()
        .await
        .map_err(|e| bot_error("updating the account password policy", e))?;
    Ok(BotOutcome::new(
        input,
        OutcomeStatus::Remediated,
        "Account password policy updated",
    )
    .with_changes(changes))
}

async fn generate_credential_report(
    input: &BotInput,
    aws: &SdkConfig,
) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let changes = vec!["generate the account's credential report".to_string()];
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            "Would ask IAM to generate the account's credential report",
            changes,
        ));
    }
    let iam = aws_sdk_iam::Client::new(aws);
    let generated = iam
        .generate_credential_report()
        .send()
        .await
        .map_err(|e| bot_error("generating the credential report", e))?;
    match generated.state() {
        Some(ReportStateType::Complete) => Ok(BotOutcome::compliant(input, "The account's credential report is already fresh (state COMPLETE; IAM makes a new one at most every four hours)")),
        state => Ok(BotOutcome::new(
            input,
            OutcomeStatus::Remediated,
            format!(
                "Credential report generation requested (state {}); read it with GetCredentialReport once COMPLETE",
                state.map_or("unknown", |s| s.as_str())
            ),
        )
        .with_changes(changes)),
    }
}
