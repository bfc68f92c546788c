//! IAM user, credential and account bots on the local stack: the real attached policies,
//! login profiles, access-key statuses, password policy and credential report after each run.
//!
//! CloudTrail LookupEvents is not served by the local stack, so the Log.ic access-key bots
//! run through their inner functions with a mocked CloudTrail and the local stack's IAM.

use aws_sdk_cloudtrail::operation::lookup_events::LookupEventsOutput;
use aws_sdk_cloudtrail::primitives::{DateTime, DateTimeFormat};
use aws_sdk_cloudtrail::types::Event;
use aws_sdk_iam::types::StatusType;
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use cloudbots_cli::local::LOCAL_ACCOUNT;
use cloudbots_functions::bots::iam::{
    deactivate_unused_access_keys_at, delete_access_key_with, revoke_access_key_with,
};
use cloudbots_shared::error::ErrorName;
use cloudbots_shared::outcome::{BotInput, OutcomeStatus};
use cloudbots_shared::plan::Mode;
use cloudbots_tests::iam::{new_role, new_user, role_policies, user_entity};
use cloudbots_tests::{aws, bot_aws, entity, run_line, run_ok, step_input};
use serde_json::{json, Value};
use std::time::{Duration, SystemTime};

async fn iam() -> aws_sdk_iam::Client {
    aws_sdk_iam::Client::new(&aws().await)
}

/// An IAM client signed as the user `bot` runs as, with IAM enforced: the bot's own calls
/// are checked against its role's actions (CloudTrail, mocked, is not).
async fn as_bot(bot: &str) -> aws_sdk_iam::Client {
    aws_sdk_iam::Client::new(&bot_aws(bot).await)
}

async fn new_user_with_password(iam: &aws_sdk_iam::Client) -> String {
    let user = new_user(iam, "cloudbots-user").await;
    iam.create_login_profile()
        .user_name(&user)
        .password("Initial-Passw0rd!")
        .send()
        .await
        .expect("create_login_profile");
    user
}

async fn new_access_key(iam: &aws_sdk_iam::Client, user: &str) -> String {
    iam.create_access_key()
        .user_name(user)
        .send()
        .await
        .expect("create_access_key")
        .access_key()
        .unwrap()
        .access_key_id()
        .to_string()
}

/// The status of each of the user's access keys, by key id.
async fn key_statuses(iam: &aws_sdk_iam::Client, user: &str) -> Vec<(String, StatusType)> {
    let mut keys: Vec<_> = iam
        .list_access_keys()
        .user_name(user)
        .send()
        .await
        .expect("list_access_keys")
        .access_key_metadata()
        .iter()
        .map(|k| {
            (
                k.access_key_id().unwrap().to_string(),
                k.status().unwrap().clone(),
            )
        })
        .collect();
    keys.sort_by(|a, b| a.0.cmp(&b.0));
    keys
}

async fn has_login_profile(iam: &aws_sdk_iam::Client, user: &str) -> bool {
    iam.get_login_profile().user_name(user).send().await.is_ok()
}

// ---- iam_quarantine_role ----

fn quarantine_policy_arn() -> String {
    format!("arn:aws:iam::{LOCAL_ACCOUNT}:policy/quarantine_deny_all_policy")
}

/// One test, so the account-wide policy's life is seen in order: absent, created once, reused.
#[tokio::test]
async fn quarantine_role_creates_the_deny_all_policy_once_and_attaches_it() {
    let iam = iam().await;
    let policy_arn = quarantine_policy_arn();
    let role = new_role(&iam, "cloudbots-role").await;
    let role_entity = || entity("IamRole", &role, &role);
    let policy_exists = || async {
        iam.get_policy()
            .policy_arn(&policy_arn)
            .send()
            .await
            .is_ok()
    };
    assert!(!policy_exists().await);

    let dry = run_ok("iam_quarantine_role", role_entity(), Mode::DryRun).await;
    assert_eq!(dry.status, OutcomeStatus::DryRun);
    assert_eq!(
        dry.changes,
        vec![
            format!("create policy {policy_arn} (deny every action)"),
            format!("attach policy {policy_arn} to IAM role {role}"),
        ]
    );
    assert!(!policy_exists().await, "dry-run creates nothing");
    assert!(role_policies(&iam, &role).await.is_empty());

    let first = run_ok("iam_quarantine_role", role_entity(), Mode::Enforce).await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert_eq!(first.changes, dry.changes);
    assert_eq!(first.artifacts, vec![policy_arn.clone()]);
    assert_eq!(role_policies(&iam, &role).await, vec![policy_arn.clone()]);

    let second = run_ok("iam_quarantine_role", role_entity(), Mode::Enforce).await;
    assert_eq!(second.status, OutcomeStatus::AlreadyCompliant);
    assert_eq!(
        second.message,
        format!("IAM role {role} is already quarantined with {policy_arn}")
    );

    let other = new_role(&iam, "cloudbots-role").await;
    let reused = run_ok(
        "iam_quarantine_role",
        entity("IamRole", &other, &other),
        Mode::Enforce,
    )
    .await;
    assert_eq!(reused.status, OutcomeStatus::Remediated);
    assert_eq!(
        reused.changes,
        vec![format!("attach policy {policy_arn} to IAM role {other}")],
        "the policy exists: only the attachment is new"
    );
    assert!(reused.artifacts.is_empty());
    assert_eq!(role_policies(&iam, &other).await, vec![policy_arn.clone()]);

    // The user bot shares the policy: it attaches the same one without creating it.
    let user = new_user(&iam, "cloudbots-user").await;
    let quarantined = run_ok("iam_quarantine_user", user_entity(&user), Mode::Enforce).await;
    assert_eq!(
        quarantined.changes,
        vec![format!("attach policy {policy_arn} to IAM user {user}")]
    );
}

#[tokio::test]
async fn quarantine_role_skips_a_missing_role() {
    let outcome = run_ok(
        "iam_quarantine_role",
        entity("IamRole", "cloudbots-no-role", "cloudbots-no-role"),
        Mode::Enforce,
    )
    .await;
    assert_eq!(outcome.status, OutcomeStatus::Skipped);
    assert_eq!(
        outcome.message,
        "IAM role cloudbots-no-role does not exist (any more): nothing to quarantine"
    );
}

// ---- iam_user_disable_console_password ----

#[tokio::test]
async fn disable_console_password_deletes_the_login_profile() {
    let iam = iam().await;
    let user = new_user_with_password(&iam).await;
    let line = "iam_user_disable_console_password";

    let dry = run_ok(line, user_entity(&user), Mode::DryRun).await;
    assert_eq!(dry.status, OutcomeStatus::DryRun);
    assert_eq!(
        dry.changes,
        vec![format!(
            "delete the console password (login profile) of IAM user {user}"
        )]
    );
    assert!(
        has_login_profile(&iam, &user).await,
        "dry-run changes nothing"
    );

    let first = run_ok(line, user_entity(&user), Mode::Enforce).await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert_eq!(first.changes, dry.changes);
    assert!(!has_login_profile(&iam, &user).await);

    let second = run_ok(line, user_entity(&user), Mode::Enforce).await;
    assert_eq!(second.status, OutcomeStatus::AlreadyCompliant);
    assert_eq!(
        second.message,
        format!("IAM user {user} has no console password")
    );

    let missing = run_ok(line, user_entity("cloudbots-nobody"), Mode::Enforce).await;
    assert_eq!(missing.status, OutcomeStatus::Skipped);
    assert_eq!(
        missing.message,
        "IAM user cloudbots-nobody does not exist (any more): nothing to disable"
    );
}

// ---- iam_user_force_password_change ----

async fn password_reset_required(iam: &aws_sdk_iam::Client, user: &str) -> bool {
    iam.get_login_profile()
        .user_name(user)
        .send()
        .await
        .expect("get_login_profile")
        .login_profile()
        .unwrap()
        .password_reset_required()
}

#[tokio::test]
async fn force_password_change_requires_a_new_password() {
    let iam = iam().await;
    let user = new_user_with_password(&iam).await;
    let line = "iam_user_force_password_change";
    assert!(!password_reset_required(&iam, &user).await);

    let dry = run_ok(line, user_entity(&user), Mode::DryRun).await;
    assert_eq!(dry.status, OutcomeStatus::DryRun);
    assert_eq!(
        dry.changes,
        vec![format!(
            "require IAM user {user} to set a new password at the next sign-in"
        )]
    );
    assert!(
        !password_reset_required(&iam, &user).await,
        "dry-run changes nothing"
    );

    // The local stack's UpdateLoginProfile drops the password when none is passed (AWS keeps
    // it), so the bot's read-back finds no console password and the step fails NotVerified,
    // as it would on AWS for a change that did not show. The remediated path and its undo run
    // on a mocked IAM in undo_iam_users.rs.
    let first = run_line(line, user_entity(&user), Mode::Enforce)
        .await
        .unwrap_err();
    assert_eq!(first.name, ErrorName::NotVerified, "{first}");
    assert_eq!(
        first.message,
        format!("IAM user {user} read back after the change is not as intended (3 reads): its password reset requirement is none (no console password), not on")
    );

    let reset = new_user_with_password(&iam).await;
    iam.update_login_profile()
        .user_name(&reset)
        .password("Initial-Passw0rd!")
        .password_reset_required(true)
        .send()
        .await
        .expect("update_login_profile");
    let compliant = run_ok(line, user_entity(&reset), Mode::Enforce).await;
    assert_eq!(compliant.status, OutcomeStatus::AlreadyCompliant);
    assert_eq!(
        compliant.message,
        format!("IAM user {reset} must already set a new password at the next sign-in")
    );
    assert!(password_reset_required(&iam, &reset).await);
}

#[tokio::test]
async fn force_password_change_skips_users_without_a_password_and_missing_users() {
    let iam = iam().await;
    let no_password = new_user(&iam, "cloudbots-user").await;
    let line = "iam_user_force_password_change";
    let cases = [
        (
            no_password.clone(),
            format!("IAM user {no_password} has no console password: nothing to reset"),
        ),
        (
            "cloudbots-nobody".to_string(),
            "IAM user cloudbots-nobody does not exist (any more): nothing to reset".to_string(),
        ),
    ];
    for (user, reason) in cases {
        let outcome = run_ok(line, user_entity(&user), Mode::Enforce).await;
        assert_eq!(outcome.status, OutcomeStatus::Skipped, "{user}");
        assert_eq!(outcome.message, reason);
    }
    assert!(!has_login_profile(&iam, &no_password).await);
}

// ---- iam_user_deactivate_unused_access_key ----

const DAY: Duration = Duration::from_secs(24 * 60 * 60);

#[tokio::test]
async fn deactivate_unused_access_key_deactivates_only_active_keys_unused_for_too_long() {
    let iam = iam().await;
    let user = new_user(&iam, "cloudbots-user").await;
    let active = new_access_key(&iam, &user).await;
    let inactive = new_access_key(&iam, &user).await;
    iam.update_access_key()
        .user_name(&user)
        .access_key_id(&inactive)
        .status(StatusType::Inactive)
        .send()
        .await
        .expect("update_access_key");
    let line = "iam_user_deactivate_unused_access_key 30";
    let bot = "iam_user_deactivate_unused_access_key";
    let mut before = vec![
        (active.clone(), StatusType::Active),
        (inactive.clone(), StatusType::Inactive),
    ];
    before.sort_by(|a, b| a.0.cmp(&b.0));

    // Today the keys are fresh: nothing to do.
    let today = run_ok(line, user_entity(&user), Mode::Enforce).await;
    assert_eq!(today.status, OutcomeStatus::AlreadyCompliant);
    assert_eq!(
        today.message,
        format!("IAM user {user} has no active access key unused for more than 30 days")
    );
    assert_eq!(key_statuses(&iam, &user).await, before);

    // Seen from 31 days ahead, the never-used active key is stale (counted from its creation).
    let later = SystemTime::now() + 31 * DAY;
    let at = |mode| step_input(line, user_entity(&user), bot, mode);
    let dry = deactivate_unused_access_keys_at(&at(Mode::DryRun), &iam, later)
        .await
        .unwrap();
    assert_eq!(dry.status, OutcomeStatus::DryRun);
    assert_eq!(dry.changes.len(), 1);
    assert!(
        dry.changes[0].starts_with(&format!(
            "deactivate access key {active} of IAM user {user} (never used, created "
        )),
        "{:?}",
        dry.changes
    );
    assert_eq!(
        key_statuses(&iam, &user).await,
        before,
        "dry-run changes nothing"
    );

    let first = deactivate_unused_access_keys_at(&at(Mode::Enforce), &iam, later)
        .await
        .unwrap();
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert_eq!(first.changes, dry.changes);
    assert!(key_statuses(&iam, &user)
        .await
        .iter()
        .all(|(_, status)| *status == StatusType::Inactive));

    let second = deactivate_unused_access_keys_at(&at(Mode::Enforce), &iam, later)
        .await
        .unwrap();
    assert_eq!(second.status, OutcomeStatus::AlreadyCompliant);

    let missing = run_ok(line, user_entity("cloudbots-nobody"), Mode::Enforce).await;
    assert_eq!(missing.status, OutcomeStatus::Skipped);
    assert_eq!(
        missing.message,
        "IAM user cloudbots-nobody does not exist (any more): nothing to deactivate"
    );
}

// ---- iam_revoke_access_key and iam_delete_access_key (Log.ic) ----

const ALERT: &str = "2026-11-30T10:00:00Z";

fn alert_secs() -> i64 {
    DateTime::from_str(ALERT, DateTimeFormat::DateTime)
        .expect("an RFC 3339 time")
        .secs()
}

/// A CloudTrail whose only CreateAccessKey event, 3 s after the alert, created `key` for
/// `user` (the caller is an administrator, as when one user creates keys for another).
fn cloudtrail_with_key(user: &str, key: &str) -> aws_sdk_cloudtrail::Client {
    let record = json!({
        "eventName": "CreateAccessKey",
        "userIdentity": {"userName": "admin"},
        "requestParameters": {"userName": user},
        "responseElements": {"accessKey": {"userName": user, "accessKeyId": key, "status": "Active"}}
    })
    .to_string();
    let rule = mock!(aws_sdk_cloudtrail::Client::lookup_events).then_output(move || {
        LookupEventsOutput::builder()
            .events(
                Event::builder()
                    .event_name("CreateAccessKey")
                    .username("admin")
                    .event_time(DateTime::from_secs(alert_secs() + 3))
                    .cloud_trail_event(record.clone())
                    .build(),
            )
            .build()
    });
    mock_client!(aws_sdk_cloudtrail, RuleMode::MatchAny, [&rule])
}

fn empty_cloudtrail() -> aws_sdk_cloudtrail::Client {
    let rule = mock!(aws_sdk_cloudtrail::Client::lookup_events)
        .then_output(|| LookupEventsOutput::builder().build());
    mock_client!(aws_sdk_cloudtrail, RuleMode::MatchAny, [&rule])
}

/// The step of a Log.ic finding for the key's user, alerted at `ALERT`.
fn log_ic_input(bot: &str, user: &str, mode: Mode) -> BotInput {
    let mut input = step_input(bot, user_entity(user), bot, mode);
    input.finding.event_time = Some(ALERT.to_string());
    input
}

#[tokio::test]
async fn revoke_access_key_deactivates_the_key_of_the_event() {
    let iam = iam().await;
    let user = new_user(&iam, "cloudbots-user").await;
    let key = new_access_key(&iam, &user).await;
    let other = new_access_key(&iam, &user).await;
    let cloudtrail = cloudtrail_with_key(&user, &key);
    let bot = "iam_revoke_access_key";
    let status_of = |id: String| {
        let iam = iam.clone();
        let user = user.clone();
        async move {
            key_statuses(&iam, &user)
                .await
                .into_iter()
                .find(|(k, _)| *k == id)
                .map(|(_, s)| s)
        }
    };

    let dry = revoke_access_key_with(
        &log_ic_input(bot, &user, Mode::DryRun),
        &cloudtrail,
        &as_bot("iam_revoke_access_key").await,
    )
    .await
    .unwrap();
    assert_eq!(dry.status, OutcomeStatus::DryRun);
    assert_eq!(
        dry.changes,
        vec![format!("deactivate access key {key} of IAM user {user}")]
    );
    assert_eq!(status_of(key.clone()).await, Some(StatusType::Active));

    let first = revoke_access_key_with(
        &log_ic_input(bot, &user, Mode::Enforce),
        &cloudtrail,
        &as_bot("iam_revoke_access_key").await,
    )
    .await
    .unwrap();
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert_eq!(status_of(key.clone()).await, Some(StatusType::Inactive));
    assert_eq!(
        status_of(other).await,
        Some(StatusType::Active),
        "only the event's key"
    );

    let second = revoke_access_key_with(
        &log_ic_input(bot, &user, Mode::Enforce),
        &cloudtrail,
        &as_bot("iam_revoke_access_key").await,
    )
    .await
    .unwrap();
    assert_eq!(second.status, OutcomeStatus::AlreadyCompliant);
    assert_eq!(
        second.message,
        format!("Access key {key} of IAM user {user} is already inactive")
    );
}

#[tokio::test]
async fn delete_access_key_deletes_the_key_of_the_event() {
    let iam = iam().await;
    let user = new_user(&iam, "cloudbots-user").await;
    let key = new_access_key(&iam, &user).await;
    let other = new_access_key(&iam, &user).await;
    let cloudtrail = cloudtrail_with_key(&user, &key);
    let bot = "iam_delete_access_key";
    let key_ids = || async {
        key_statuses(&iam, &user)
            .await
            .into_iter()
            .map(|(k, _)| k)
            .collect::<Vec<_>>()
    };
    let mut both = vec![key.clone(), other.clone()];
    both.sort();

    let dry = delete_access_key_with(
        &log_ic_input(bot, &user, Mode::DryRun),
        &cloudtrail,
        &as_bot("iam_delete_access_key").await,
    )
    .await
    .unwrap();
    assert_eq!(dry.status, OutcomeStatus::DryRun);
    assert_eq!(
        dry.changes,
        vec![format!("delete access key {key} of IAM user {user}")]
    );
    assert_eq!(key_ids().await, both, "dry-run changes nothing");

    let first = delete_access_key_with(
        &log_ic_input(bot, &user, Mode::Enforce),
        &cloudtrail,
        &as_bot("iam_delete_access_key").await,
    )
    .await
    .unwrap();
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert_eq!(key_ids().await, vec![other], "only the event's key is gone");

    let second = delete_access_key_with(
        &log_ic_input(bot, &user, Mode::Enforce),
        &cloudtrail,
        &as_bot("iam_delete_access_key").await,
    )
    .await
    .unwrap();
    assert_eq!(second.status, OutcomeStatus::AlreadyCompliant);
    assert_eq!(
        second.message,
        format!("Access key {key} of IAM user {user} is already deleted")
    );
}

#[tokio::test]
async fn access_key_bots_skip_without_event_or_user_and_need_an_alert_time() {
    let iam = iam().await;
    let bot = "iam_revoke_access_key";

    let no_event = revoke_access_key_with(
        &log_ic_input(bot, "cloudbots-x", Mode::Enforce),
        &empty_cloudtrail(),
        &as_bot("iam_revoke_access_key").await,
    )
    .await
    .unwrap();
    assert_eq!(no_event.status, OutcomeStatus::Skipped);
    assert_eq!(
        no_event.message,
        format!("No CreateAccessKey event in CloudTrail within 30 s of {ALERT}: nothing to revoke")
    );

    let gone_user = delete_access_key_with(
        &log_ic_input("iam_delete_access_key", "cloudbots-gone", Mode::Enforce),
        &cloudtrail_with_key("cloudbots-gone", "AKIAGONE0000000000"),
        &as_bot("iam_delete_access_key").await,
    )
    .await
    .unwrap();
    assert_eq!(gone_user.status, OutcomeStatus::Skipped);
    assert_eq!(
        gone_user.message,
        "IAM user cloudbots-gone does not exist (any more): nothing to delete"
    );

    let user = new_user(&iam, "cloudbots-user").await;
    let gone_key = revoke_access_key_with(
        &log_ic_input(bot, &user, Mode::Enforce),
        &cloudtrail_with_key(&user, "AKIAGONE0000000000"),
        &as_bot("iam_revoke_access_key").await,
    )
    .await
    .unwrap();
    assert_eq!(gone_key.status, OutcomeStatus::Skipped);
    assert_eq!(
        gone_key.message,
        format!("Access key AKIAGONE0000000000 of IAM user {user} does not exist (any more): nothing to revoke")
    );

    let mut no_time = log_ic_input(bot, &user, Mode::Enforce);
    no_time.finding.event_time = None;
    let error = revoke_access_key_with(
        &no_time,
        &empty_cloudtrail(),
        &as_bot("iam_revoke_access_key").await,
    )
    .await
    .unwrap_err();
    assert_eq!(error.name, ErrorName::InvalidInput);
    assert_eq!(
        error.message,
        "the finding has no alert time (alertWindowStartTime of a Log.ic finding): iam_revoke_access_key needs it to find the CreateAccessKey event"
    );
}

// ---- iam_turn_on_password_policy ----

/// The account's password policy, as the nine values the bot sets.
async fn password_policy(iam: &aws_sdk_iam::Client) -> Option<Value> {
    let out = iam.get_account_password_policy().send().await.ok()?;
    let p = out.password_policy()?;
    Some(json!([
        p.minimum_password_length(),
        p.require_symbols(),
        p.require_numbers(),
        p.require_uppercase_characters(),
        p.require_lowercase_characters(),
        p.allow_users_to_change_password(),
        p.max_password_age(),
        p.password_reuse_prevention(),
        p.hard_expiry(),
    ]))
}

/// One test: the password policy is account-wide.
#[tokio::test]
async fn turn_on_password_policy_sets_the_nine_values_with_real_booleans() {
    let iam = iam().await;
    let entity = entity("IamPolicy", "", "account");
    assert_eq!(password_policy(&iam).await, None);
    let line = "iam_turn_on_password_policy MinimumPasswordLength:15 RequireSymbols:True RequireNumbers:true RequireUppercaseCharacters:False RequireLowercaseCharacters:true AllowUsersToChangePassword:true MaxPasswordAge:90 PasswordReusePrevention:24 HardExpiry:false";

    let dry = run_ok(line, entity.clone(), Mode::DryRun).await;
    assert_eq!(dry.status, OutcomeStatus::DryRun);
    assert_eq!(
        dry.changes,
        [
            "MinimumPasswordLength to 15",
            "RequireSymbols to true",
            "RequireNumbers to true",
            "RequireUppercaseCharacters to false",
            "RequireLowercaseCharacters to true",
            "AllowUsersToChangePassword to true",
            "MaxPasswordAge to 90",
            "PasswordReusePrevention to 24",
            "HardExpiry to false",
        ]
        .map(|change| format!("set {change} (was not set)"))
    );
    assert_eq!(password_policy(&iam).await, None, "dry-run changes nothing");

    let first = run_ok(line, entity.clone(), Mode::Enforce).await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert_eq!(first.changes, dry.changes);
    assert_eq!(
        password_policy(&iam).await,
        Some(json!([15, true, true, false, true, true, 90, 24, false])),
        "the booleans given as false stay off"
    );

    let second = run_ok(line, entity.clone(), Mode::Enforce).await;
    assert_eq!(second.status, OutcomeStatus::AlreadyCompliant);
    assert_eq!(
        second.message,
        "The account password policy already has the requested values"
    );

    // Positional values, and only what differs is reported.
    let stricter = run_ok(
        "iam_turn_on_password_policy 15 true true true true true 90 24 false",
        entity,
        Mode::Enforce,
    )
    .await;
    assert_eq!(stricter.status, OutcomeStatus::Remediated);
    assert_eq!(
        stricter.changes,
        vec!["set RequireUppercaseCharacters to true (was false)".to_string()]
    );
    assert_eq!(
        password_policy(&iam).await,
        Some(json!([15, true, true, true, true, true, 90, 24, false]))
    );
}

// ---- iam_generate_credential_report ----

async fn credential_report(iam: &aws_sdk_iam::Client) -> Option<String> {
    let out = iam.get_credential_report().send().await.ok()?;
    let content = out.content()?;
    Some(String::from_utf8(content.as_ref().to_vec()).expect("a CSV report"))
}

/// One test: the credential report is account-wide.
#[tokio::test]
async fn generate_credential_report_asks_once_and_reports_the_state() {
    let iam = iam().await;
    let entity = entity("IamUser", "", "any");
    let line = "iam_generate_credential_report";
    assert_eq!(credential_report(&iam).await, None);

    let dry = run_ok(line, entity.clone(), Mode::DryRun).await;
    assert_eq!(dry.status, OutcomeStatus::DryRun);
    assert_eq!(
        dry.changes,
        vec!["generate the account's credential report".to_string()]
    );
    assert_eq!(
        credential_report(&iam).await,
        None,
        "dry-run changes nothing"
    );

    let first = run_ok(line, entity.clone(), Mode::Enforce).await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert_eq!(
        first.message,
        "Credential report generation requested (state STARTED); read it with GetCredentialReport once COMPLETE"
    );
    let report = credential_report(&iam).await.expect("a report exists");
    assert!(report.starts_with("user,arn,"), "{report}");

    let second = run_ok(line, entity, Mode::Enforce).await;
    assert_eq!(second.status, OutcomeStatus::AlreadyCompliant);
}
