//! Verify and undo of the IAM user and account bots on the local stack, each bot and its
//! restorer running as a user allowed exactly its own role's actions (IAM enforced):
//! quarantine (`restore_iam_principal_policies` detaches the deny-all policy again, the policy
//! itself stays), access keys and the password-reset requirement (`restore_iam_user_credentials`)
//! and the account password policy (`restore_account_password_policy`).
//!
//! For each bot: its change is verified, undo puts the user, role or account back (everything
//! IAM describes about it equals what it was before the bot ran), a second undo finds nothing
//! to restore, a change made since is refused with the difference unless forced, and a change
//! IAM answered "done" on the wire without making fails the step `NotVerified`.
//!
//! The local stack's UpdateLoginProfile drops the console password when none is passed (AWS
//! keeps it), so `iam_user_force_password_change` and its undo run on a mocked IAM that keeps
//! one login profile; its `NotVerified` case runs on the local stack. CloudTrail LookupEvents
//! is not served by the local stack either: `iam_revoke_access_key` finds its event in a mocked
//! CloudTrail, and acts on the local stack's IAM.

use aws_sdk_iam::operation::get_login_profile::{GetLoginProfileError, GetLoginProfileOutput};
use aws_sdk_iam::operation::get_user::GetUserOutput;
use aws_sdk_iam::operation::update_login_profile::{
    UpdateLoginProfileError, UpdateLoginProfileOutput,
};
use aws_sdk_iam::types::{LoginProfile, StatusType, User};
use aws_sdk_iam::Client;
use aws_smithy_mocks::{
    create_mock_http_client, mock, MockResponse, MockResponseInterceptor, RuleMode,
};
use aws_smithy_types::error::ErrorMetadata;
use cloudbots_cli::local::LOCAL_ACCOUNT;
use cloudbots_functions::bots::iam::{
    deactivate_unused_access_keys_at, force_password_change_with, quarantine_policy_arn,
    restore_user_credentials_with, revoke_access_key_with,
};
use cloudbots_shared::error::ErrorName;
use cloudbots_shared::outcome::{BotInput, BotOutcome, OutcomeStatus};
use cloudbots_shared::params::PasswordPolicyParams;
use cloudbots_shared::plan::Mode;
use cloudbots_shared::restore::RestoreStatus;
use cloudbots_tests::cloudtrail::{alert_input, cloudtrail_with_event};
use cloudbots_tests::iam::{new_role, new_user, role_entity, user_entity};
use cloudbots_tests::wire::{faulty_client, functions_config, query_no_op};
use cloudbots_tests::{
    assert_not_as_intended, assert_refused, assert_refused_then_forced, assert_remediated,
    assert_undone, aws, bot_aws, entity, restore_input, run_ok, run_restorer, run_with_config,
    step_input,
};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

async fn iam() -> Client {
    Client::new(&aws().await)
}

/// An IAM client whose `action` calls IAM answers "done" without making them.
async fn no_op_iam(action: &str) -> Client {
    let (client, _) = faulty_client(action, &[query_no_op(action); 4]).await;
    Client::new(&functions_config(client).await)
}

// ---- what IAM describes ----

/// The policies attached to a role or user, sorted.
fn sorted_arns(policies: &[aws_sdk_iam::types::AttachedPolicy]) -> Vec<String> {
    let mut arns: Vec<String> = policies
        .iter()
        .filter_map(|p| p.policy_arn().map(str::to_string))
        .collect();
    arns.sort();
    arns
}

/// Everything IAM describes about the role's permissions: attached managed policies, inline
/// policy names, permissions boundary.
async fn described_role(iam: &Client, role: &str) -> Value {
    let attached = iam
        .list_attached_role_policies()
        .role_name(role)
        .send()
        .await
        .unwrap();
    let inline = iam
        .list_role_policies()
        .role_name(role)
        .send()
        .await
        .unwrap();
    let got = iam.get_role().role_name(role).send().await.unwrap();
    json!({
        "attached": sorted_arns(attached.attached_policies()),
        "inline": inline.policy_names(),
        "boundary": format!("{:?}", got.role().unwrap().permissions_boundary()),
    })
}

/// Everything IAM describes about the user's permissions and credentials: attached managed
/// policies, inline policy names, groups, every access key (id, status, creation), and the
/// console password (whether it exists and must be changed at the next sign-in).
async fn described_user(iam: &Client, user: &str) -> Value {
    let attached = iam
        .list_attached_user_policies()
        .user_name(user)
        .send()
        .await
        .unwrap();
    let inline = iam
        .list_user_policies()
        .user_name(user)
        .send()
        .await
        .unwrap();
    let groups = iam
        .list_groups_for_user()
        .user_name(user)
        .send()
        .await
        .unwrap();
    let mut keys: Vec<Value> = iam
        .list_access_keys()
        .user_name(user)
        .send()
        .await
        .unwrap()
        .access_key_metadata()
        .iter()
        .map(|k| {
            json!([
                k.access_key_id(),
                k.status().map(StatusType::as_str),
                k.create_date().map(|d| d.secs()),
            ])
        })
        .collect();
    keys.sort_by_key(|k| k[0].to_string());
    let profile = iam
        .get_login_profile()
        .user_name(user)
        .send()
        .await
        .ok()
        .and_then(|out| out.login_profile)
        .map(|p| p.password_reset_required());
    json!({
        "attached": sorted_arns(attached.attached_policies()),
        "inline": inline.policy_names(),
        "groups": groups.groups().iter().map(|g| g.group_name()).collect::<Vec<_>>(),
        "access_keys": keys,
        "console_password_reset_required": profile,
    })
}

// ---- quarantine ----

const READ_ONLY: &str = "arn:aws:iam::aws:policy/ReadOnlyAccess";

#[tokio::test]
async fn quarantine_is_verified_and_undone_and_the_policy_stays() {
    let iam = iam().await;
    let policy = quarantine_policy_arn(LOCAL_ACCOUNT);
    let role = new_role(&iam, "undo-quarantine").await;
    iam.attach_role_policy()
        .role_name(&role)
        .policy_arn(READ_ONLY)
        .send()
        .await
        .unwrap();
    let before = described_role(&iam, &role).await;
    let outcome = run_ok("iam_quarantine_role", role_entity(&role), Mode::Enforce).await;
    assert_remediated(
        &outcome,
        &[format!("policy {policy} on IAM role {role} is attached")],
    );
    let undone = assert_undone(&outcome, "iam_quarantine_role", &before, || {
        described_role(&iam, &role)
    })
    .await;
    assert_eq!(
        undone.changes,
        [format!("detach policy {policy} from IAM role {role}")]
    );

    let user = new_user(&iam, "undo-quarantine").await;
    let before = described_user(&iam, &user).await;
    let outcome = run_ok("iam_quarantine_user", user_entity(&user), Mode::Enforce).await;
    assert_remediated(
        &outcome,
        &[format!("policy {policy} on IAM user {user} is attached")],
    );
    assert_undone(&outcome, "iam_quarantine_user", &before, || {
        described_user(&iam, &user)
    })
    .await;
    assert!(
        iam.get_policy().policy_arn(&policy).send().await.is_ok(),
        "the quarantine policy stays"
    );

    // Detached by hand since: the user already is as before, nothing to restore.
    let outcome = run_ok("iam_quarantine_user", user_entity(&user), Mode::Enforce).await;
    iam.detach_user_policy()
        .user_name(&user)
        .policy_arn(&policy)
        .send()
        .await
        .unwrap();
    let again = run_restorer(&outcome, Mode::Enforce, false).await.unwrap();
    assert_eq!(
        again.status,
        RestoreStatus::NothingToRestore,
        "{}",
        again.message
    );
}

#[tokio::test]
async fn a_quarantine_that_does_not_show_fails_not_verified() {
    let iam = iam().await;
    let policy = quarantine_policy_arn(LOCAL_ACCOUNT);
    let role = new_role(&iam, "nv-quarantine").await;
    let user = new_user(&iam, "nv-quarantine").await;
    for (line, entity, action, who) in [
        (
            "iam_quarantine_role",
            role_entity(&role),
            "AttachRolePolicy",
            format!("IAM role {role}"),
        ),
        (
            "iam_quarantine_user",
            user_entity(&user),
            "AttachUserPolicy",
            format!("IAM user {user}"),
        ),
    ] {
        let (client, faults) = faulty_client(action, &[query_no_op(action); 4]).await;
        let error = run_with_config(functions_config(client).await, line, entity)
            .await
            .unwrap_err();
        assert_eq!(faults.seen(), 1, "{line}");
        assert_not_as_intended(
            &error,
            &who,
            &format!("policy {policy} on {who} is detached, not attached"),
        );
    }
}

// ---- access keys ----

async fn new_access_key(iam: &Client, user: &str) -> String {
    iam.create_access_key()
        .user_name(user)
        .send()
        .await
        .unwrap()
        .access_key()
        .unwrap()
        .access_key_id()
        .to_string()
}

async fn set_key_status(iam: &Client, user: &str, key: &str, status: StatusType) {
    iam.update_access_key()
        .user_name(user)
        .access_key_id(key)
        .status(status)
        .send()
        .await
        .unwrap();
}

/// A user with a console password and an access key of each status given (IAM allows two):
/// the user and the keys, in that order.
async fn user_with_keys(iam: &Client, statuses: &[StatusType]) -> (String, Vec<String>) {
    let user = new_user(iam, "undo-keys").await;
    iam.create_login_profile()
        .user_name(&user)
        .password("Initial-Passw0rd!")
        .send()
        .await
        .unwrap();
    let mut keys = Vec::new();
    for status in statuses {
        let key = new_access_key(iam, &user).await;
        set_key_status(iam, &user, &key, status.clone()).await;
        keys.push(key);
    }
    (user, keys)
}

/// A CloudTrail whose only CreateAccessKey event, 3 s after the alert, created `key` for `user`.
fn cloudtrail_with_key(user: &str, key: &str) -> aws_sdk_cloudtrail::Client {
    let record = json!({
        "eventName": "CreateAccessKey",
        "responseElements": {"accessKey": {"userName": user, "accessKeyId": key, "status": "Active"}}
    });
    cloudtrail_with_event("CreateAccessKey", record, None)
}

const REVOKE: &str = "iam_revoke_access_key";

/// Revoke `key` of `user` as the Log.ic finding's step does, with this IAM client.
async fn revoke(
    user: &str,
    key: &str,
    iam: &Client,
) -> Result<BotOutcome, cloudbots_shared::error::BotError> {
    let input = alert_input(REVOKE, user_entity(user), Mode::Enforce);
    revoke_access_key_with(&input, &cloudtrail_with_key(user, key), iam).await
}

#[tokio::test]
async fn a_revoked_key_is_active_again_and_a_key_deleted_since_cannot_be() {
    let iam = iam().await;
    let (user, keys) = user_with_keys(&iam, &[StatusType::Active, StatusType::Inactive]).await;
    let key = &keys[0];
    let as_bot = Client::new(&bot_aws(REVOKE).await);
    let before = described_user(&iam, &user).await;
    let outcome = revoke(&user, key, &as_bot).await.unwrap();
    assert_remediated(
        &outcome,
        &[format!(
            "the access key of IAM user {user} is {key} inactive"
        )],
    );
    let undone = assert_undone(&outcome, REVOKE, &before, || described_user(&iam, &user)).await;
    assert_eq!(
        undone.changes,
        [format!(
            "set the access key of IAM user {user} back to {key} active"
        )]
    );

    let outcome = revoke(&user, key, &as_bot).await.unwrap();
    iam.delete_access_key()
        .user_name(&user)
        .access_key_id(key)
        .send()
        .await
        .unwrap();
    let refused = run_restorer(&outcome, Mode::Enforce, false).await.unwrap();
    assert_refused(
        &refused,
        &[format!(
            "its access key is {key} deleted, not {key} inactive as the bot left it"
        )],
    );
    let forced = run_restorer(&outcome, Mode::Enforce, true)
        .await
        .unwrap_err();
    assert_eq!(forced.name, ErrorName::NotFound, "{forced}");
    assert_eq!(
        forced.message,
        format!("access key {key} of IAM user {user} does not exist (any more): a deleted key cannot be restored")
    );
}

const DEACTIVATE: &str = "iam_user_deactivate_unused_access_key";

/// Deactivate the user's keys unused for 30 days, seen from 31 days ahead (the keys are new).
async fn deactivate_unused(
    user: &str,
    iam: &Client,
) -> Result<BotOutcome, cloudbots_shared::error::BotError> {
    let line = format!("{DEACTIVATE} 30");
    let input: BotInput = step_input(&line, user_entity(user), DEACTIVATE, Mode::Enforce);
    let later = SystemTime::now() + Duration::from_secs(31 * 24 * 60 * 60);
    deactivate_unused_access_keys_at(&input, iam, later).await
}

#[tokio::test]
async fn deactivated_keys_are_active_again_and_a_key_reactivated_since_is_refused() {
    let iam = iam().await;
    let (user, keys) = user_with_keys(&iam, &[StatusType::Active, StatusType::Active]).await;
    let as_bot = Client::new(&bot_aws(DEACTIVATE).await);
    let before = described_user(&iam, &user).await;
    let outcome = deactivate_unused(&user, &as_bot).await.unwrap();
    let mut verified = outcome.verified.clone();
    verified.sort();
    let mut expected: Vec<String> = keys
        .iter()
        .map(|key| format!("the access key of IAM user {user} is {key} inactive"))
        .collect();
    expected.sort();
    assert_eq!(verified, expected, "{}", outcome.message);
    assert_eq!(outcome.status, OutcomeStatus::Remediated);
    assert_undone(&outcome, DEACTIVATE, &before, || {
        described_user(&iam, &user)
    })
    .await;

    let outcome = deactivate_unused(&user, &as_bot).await.unwrap();
    let reactivated = &keys[0];
    set_key_status(&iam, &user, reactivated, StatusType::Active).await;
    assert_refused_then_forced(
        &outcome,
        &[&format!(
            "its access key is {reactivated} active, not {reactivated} inactive as the bot left it"
        )],
        &before,
        || described_user(&iam, &user),
    )
    .await;
}

#[tokio::test]
async fn a_key_deactivation_that_does_not_show_fails_not_verified() {
    let iam = iam().await;
    let faulty = no_op_iam("UpdateAccessKey").await;
    let (user, keys) = user_with_keys(&iam, &[StatusType::Active]).await;
    let key = &keys[0];
    let not_inactive = format!("its access key is {key} active, not {key} inactive");
    let error = revoke(&user, key, &faulty).await.unwrap_err();
    assert_not_as_intended(&error, &format!("IAM user {user}"), &not_inactive);
    let error = deactivate_unused(&user, &faulty).await.unwrap_err();
    assert_not_as_intended(&error, &format!("IAM user {user}"), &not_inactive);
}

// ---- the password-reset requirement ----

const FORCE: &str = "iam_user_force_password_change";

/// An IAM whose user `bob` has one login profile, kept in `profile` (whether a new password is
/// required; none when bob has no console password): GetUser, GetLoginProfile and
/// UpdateLoginProfile answered as IAM would, without the local stack's lost password.
fn iam_keeping(profile: Arc<Mutex<Option<bool>>>) -> Client {
    let user = mock!(Client::get_user).then_output(|| {
        let bob = User::builder()
            .path("/")
            .user_name("bob")
            .user_id("AIDAEXAMPLE")
            .arn(format!("arn:aws:iam::{LOCAL_ACCOUNT}:user/bob"))
            .create_date(aws_smithy_types::DateTime::from_secs(0))
            .build()
            .unwrap();
        GetUserOutput::builder().user(bob).build()
    });
    let no_profile = || ErrorMetadata::builder().code("NoSuchEntity").build();
    let kept = profile.clone();
    let get = mock!(Client::get_login_profile).then_compute_response(move |_| {
        match *kept.lock().unwrap() {
            Some(required) => MockResponse::Output(
                GetLoginProfileOutput::builder()
                    .login_profile(
                        LoginProfile::builder()
                            .user_name("bob")
                            .create_date(aws_smithy_types::DateTime::from_secs(0))
                            .password_reset_required(required)
                            .build()
                            .unwrap(),
                    )
                    .build(),
            ),
            None => MockResponse::Error(GetLoginProfileError::generic(no_profile())),
        }
    });
    let update = mock!(Client::update_login_profile).then_compute_response(move |request| {
        let mut kept = profile.lock().unwrap();
        match *kept {
            Some(_) => {
                *kept = request.password_reset_required();
                MockResponse::Output(UpdateLoginProfileOutput::builder().build())
            }
            None => MockResponse::Error(UpdateLoginProfileError::generic(no_profile())),
        }
    });
    let interceptor = MockResponseInterceptor::new()
        .rule_mode(RuleMode::MatchAny)
        .with_rule(&user)
        .with_rule(&get)
        .with_rule(&update);
    Client::from_conf(
        aws_sdk_iam::Config::builder()
            .behavior_version(aws_sdk_iam::config::BehaviorVersion::latest())
            .region(aws_sdk_iam::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_iam::config::Credentials::new(
                "test", "test", None, None, "test",
            ))
            .http_client(create_mock_http_client())
            .interceptor(interceptor)
            .build(),
    )
}

#[tokio::test]
async fn a_forced_password_change_is_undone_and_a_password_deleted_since_cannot_be() {
    let profile = Arc::new(Mutex::new(Some(false)));
    let iam = iam_keeping(profile.clone());
    let input = step_input(FORCE, user_entity("bob"), FORCE, Mode::Enforce);
    let undo = |outcome: &BotOutcome, force| {
        let input = restore_input(outcome, Mode::Enforce, force);
        let iam = iam.clone();
        async move { restore_user_credentials_with(&input, &iam).await }
    };

    let outcome = force_password_change_with(&input, &iam).await.unwrap();
    assert_remediated(
        &outcome,
        &["the password reset requirement of IAM user bob is on".to_string()],
    );
    assert_eq!(*profile.lock().unwrap(), Some(true));
    let undone = undo(&outcome, false).await.unwrap();
    assert_eq!(undone.status, RestoreStatus::Restored, "{}", undone.message);
    assert_eq!(
        undone.changes,
        ["set the password reset requirement of IAM user bob back to off"]
    );
    assert_eq!(
        undone.verified,
        ["the password reset requirement of IAM user bob is off"]
    );
    assert_eq!(*profile.lock().unwrap(), Some(false));
    let again = undo(&outcome, false).await.unwrap();
    assert_eq!(again.status, RestoreStatus::NothingToRestore);

    let outcome = force_password_change_with(&input, &iam).await.unwrap();
    *profile.lock().unwrap() = None;
    let refused = undo(&outcome, false).await.unwrap();
    assert_refused(&refused, &["its password reset requirement is none (no console password), not on as the bot left it"]);
    let forced = undo(&outcome, true).await.unwrap_err();
    assert_eq!(forced.name, ErrorName::NotFound, "{forced}");
    assert_eq!(
        forced.message,
        "IAM user bob has no console password (any more): a deleted password cannot be restored"
    );
    assert_eq!(*profile.lock().unwrap(), None, "nothing recreated");
}

#[tokio::test]
async fn a_password_change_requirement_that_does_not_show_fails_not_verified() {
    let iam = iam().await;
    let (user, _) = user_with_keys(&iam, &[]).await;
    let (client, faults) = faulty_client(
        "UpdateLoginProfile",
        &[query_no_op("UpdateLoginProfile"); 4],
    )
    .await;
    let error = run_with_config(functions_config(client).await, FORCE, user_entity(&user))
        .await
        .unwrap_err();
    assert_eq!(faults.seen(), 1);
    assert_not_as_intended(
        &error,
        &format!("IAM user {user}"),
        "its password reset requirement is off, not on",
    );
}

// ---- the account password policy ----

/// Everything IAM describes of the account password policy; none when there is none.
async fn described_policy(iam: &Client) -> Option<String> {
    let read = iam.get_account_password_policy().send().await;
    read.ok()
        .and_then(|out| out.password_policy)
        .map(|policy| format!("{policy:?}"))
}

/// A password policy in words, as the restorer gives it: its nine values by API name.
fn policy_words(values: [&str; 9]) -> String {
    PasswordPolicyParams::NAMES
        .iter()
        .zip(values)
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join(", ")
}

const STRICT: &str = "iam_turn_on_password_policy MinimumPasswordLength:15 RequireSymbols:true RequireNumbers:true RequireUppercaseCharacters:false RequireLowercaseCharacters:true AllowUsersToChangePassword:true MaxPasswordAge:90 PasswordReusePrevention:24 HardExpiry:false";

const STRICT_VALUES: [&str; 9] = [
    "15", "true", "true", "false", "true", "true", "90", "24", "false",
];

/// One test: the password policy is account-wide.
#[tokio::test]
async fn the_password_policy_is_put_back_exactly_or_deleted_when_there_was_none() {
    let iam = iam().await;
    let account = || entity("IamPolicy", "", "account");
    let strict = format!(
        "the password policy of account {LOCAL_ACCOUNT} is {}",
        policy_words(STRICT_VALUES)
    );

    // None before: undo deletes the policy the bot set.
    let before = described_policy(&iam).await;
    assert_eq!(before, None);
    let outcome = run_ok(STRICT, account(), Mode::Enforce).await;
    assert_remediated(&outcome, std::slice::from_ref(&strict));
    let undone = assert_undone(&outcome, "no policy before", &before, || {
        described_policy(&iam)
    })
    .await;
    assert_eq!(
        undone.changes,
        [format!(
            "delete the password policy of account {LOCAL_ACCOUNT} (it had none)"
        )]
    );

    // A policy with values the bot does not set (no expiry, reuse allowed): back exactly.
    iam.update_account_password_policy()
        .minimum_password_length(10)
        .require_numbers(true)
        .allow_users_to_change_password(true)
        .send()
        .await
        .unwrap();
    let own = policy_words([
        "10", "false", "true", "false", "false", "true", "not set", "not set", "false",
    ]);
    let before = described_policy(&iam).await;
    let outcome = run_ok(STRICT, account(), Mode::Enforce).await;
    assert_remediated(&outcome, std::slice::from_ref(&strict));
    let undone = assert_undone(&outcome, "a policy before", &before, || {
        described_policy(&iam)
    })
    .await;
    assert_eq!(
        undone.changes,
        [format!(
            "set the password policy of account {LOCAL_ACCOUNT} back to {own}"
        )]
    );

    // Changed since the bot: refused with the difference, unless forced.
    let outcome = run_ok(STRICT, account(), Mode::Enforce).await;
    iam.update_account_password_policy()
        .minimum_password_length(20)
        .require_symbols(true)
        .require_numbers(true)
        .require_lowercase_characters(true)
        .allow_users_to_change_password(true)
        .max_password_age(90)
        .password_reuse_prevention(24)
        .send()
        .await
        .unwrap();
    let mut theirs = STRICT_VALUES;
    theirs[0] = "20";
    assert_refused_then_forced(
        &outcome,
        &[&format!(
            "its password policy is {}, not {} as the bot left it",
            policy_words(theirs),
            policy_words(STRICT_VALUES)
        )],
        &before,
        || described_policy(&iam),
    )
    .await;

    // An update IAM answered "done" without making.
    let (client, faults) = faulty_client(
        "UpdateAccountPasswordPolicy",
        &[query_no_op("UpdateAccountPasswordPolicy"); 4],
    )
    .await;
    let error = run_with_config(functions_config(client).await, STRICT, account())
        .await
        .unwrap_err();
    assert_eq!(faults.seen(), 1);
    assert_not_as_intended(
        &error,
        &format!("account {LOCAL_ACCOUNT}"),
        &format!(
            "its password policy is {own}, not {}",
            policy_words(STRICT_VALUES)
        ),
    );
    assert_eq!(described_policy(&iam).await, before);
}
