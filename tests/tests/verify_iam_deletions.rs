//! The IAM bots that delete or create something read it back afterwards: on the local stack
//! each outcome's `verified` lists exactly what was read back, and when the change call is
//! answered "done" on the wire without reaching IAM the step fails `NotVerified`, naming what
//! did not show.
//!
//! CloudTrail LookupEvents is not served by the local stack, so `iam_delete_access_key` runs
//! through its inner function with a mocked CloudTrail and the local stack's IAM.

use cloudbots_functions::bots::iam::delete_access_key_with;
use cloudbots_shared::outcome::BotInput;
use cloudbots_shared::plan::Mode;
use cloudbots_tests::cloudtrail::{alert_input, cloudtrail_with_event};
use cloudbots_tests::iam::{
    document, new_policy, new_user, policy_entity, role_entity, user_entity, TRUST_EC2,
};
use cloudbots_tests::wire::{faulty_client, functions_config, query_no_op};
use cloudbots_tests::{
    assert_not_as_intended, assert_not_verified, assert_remediated, assert_still_exists, aws,
    bot_aws, not_as_intended, run_not_verified, run_ok, still_exists, unique_name,
};
use serde_json::json;

async fn iam() -> aws_sdk_iam::Client {
    aws_sdk_iam::Client::new(&aws().await)
}

// ---- iam_delete_access_key (Log.ic) ----

/// A CloudTrail whose only CreateAccessKey event, 3 s after the alert, created `key` for `user`.
fn cloudtrail_with_key(user: &str, key: &str) -> aws_sdk_cloudtrail::Client {
    let record = json!({
        "eventName": "CreateAccessKey",
        "responseElements": {"accessKey": {"userName": user, "accessKeyId": key, "status": "Active"}}
    });
    cloudtrail_with_event("CreateAccessKey", record, None)
}

/// The enforce step of `iam_delete_access_key` for a Log.ic finding on `user`, alerted at
/// `ALERT`.
fn delete_key_input(user: &str) -> BotInput {
    let bot = "iam_delete_access_key";
    alert_input(bot, user_entity(user), Mode::Enforce)
}

/// A new user with one access key: the user and the key's id.
async fn user_with_key(iam: &aws_sdk_iam::Client) -> (String, String) {
    let user = new_user(iam, "cloudbots-keyed").await;
    let key = iam
        .create_access_key()
        .user_name(&user)
        .send()
        .await
        .expect("create_access_key")
        .access_key()
        .expect("a key")
        .access_key_id()
        .to_string();
    (user, key)
}

#[tokio::test]
async fn a_deleted_access_key_is_read_back_gone() {
    let iam = iam().await;
    let (user, key) = user_with_key(&iam).await;
    let as_bot = aws_sdk_iam::Client::new(&bot_aws("iam_delete_access_key").await);
    let outcome = delete_access_key_with(
        &delete_key_input(&user),
        &cloudtrail_with_key(&user, &key),
        &as_bot,
    )
    .await
    .unwrap();
    assert_remediated(
        &outcome,
        &[format!(
            "access key {key} of IAM user {user} no longer exists"
        )],
    );

    let (user, key) = user_with_key(&iam).await;
    let (client, faults) =
        faulty_client("DeleteAccessKey", &[query_no_op("DeleteAccessKey")]).await;
    let faulty = aws_sdk_iam::Client::new(&functions_config(client).await);
    let error = delete_access_key_with(
        &delete_key_input(&user),
        &cloudtrail_with_key(&user, &key),
        &faulty,
    )
    .await
    .unwrap_err();
    assert_eq!(faults.seen(), 1);
    assert_still_exists(&error, &format!("access key {key} of IAM user {user}"));
}

// ---- iam_user_disable_console_password ----

/// A new user with a console password.
async fn user_with_password(iam: &aws_sdk_iam::Client) -> String {
    let user = new_user(iam, "cloudbots-console").await;
    iam.create_login_profile()
        .user_name(&user)
        .password("Initial-Passw0rd!")
        .send()
        .await
        .expect("create_login_profile");
    user
}

#[tokio::test]
async fn a_disabled_console_password_is_read_back_gone() {
    let iam = iam().await;
    let line = "iam_user_disable_console_password";
    let user = user_with_password(&iam).await;
    let outcome = run_ok(line, user_entity(&user), Mode::Enforce).await;
    assert_remediated(
        &outcome,
        &[format!(
            "console password (login profile) of IAM user {user} no longer exists"
        )],
    );

    let user = user_with_password(&iam).await;
    assert_not_verified(
        faulty_client("DeleteLoginProfile", &[query_no_op("DeleteLoginProfile")]).await,
        line,
        user_entity(&user),
        still_exists(&format!(
            "console password (login profile) of IAM user {user}"
        )),
    )
    .await;
}

// ---- iam_delete_default_policy_version ----

/// A new policy with versions v1, v2 and v3, v3 the default.
async fn policy_with_three_versions(iam: &aws_sdk_iam::Client) -> String {
    let arn = new_policy(iam, "cloudbots-versions", "s3:GetObject").await;
    for action in ["s3:PutObject", "*"] {
        iam.create_policy_version()
            .policy_arn(&arn)
            .policy_document(document(action))
            .set_as_default(true)
            .send()
            .await
            .expect("create_policy_version");
    }
    arn
}

#[tokio::test]
async fn a_deleted_default_version_is_read_back_gone_and_replaced() {
    let iam = iam().await;
    let line = "iam_delete_default_policy_version";
    let arn = policy_with_three_versions(&iam).await;
    let outcome = run_ok(line, policy_entity(&arn), Mode::Enforce).await;
    assert_remediated(
        &outcome,
        &[
            format!("version v3 of policy {arn} no longer exists"),
            format!("version v2 is the default of policy {arn}"),
        ],
    );

    let arn = policy_with_three_versions(&iam).await;
    assert_not_verified(
        faulty_client("DeletePolicyVersion", &[query_no_op("DeletePolicyVersion")]).await,
        line,
        policy_entity(&arn),
        format!(
            "{}version v3 of policy {arn} still exists",
            not_as_intended(&format!("policy {arn}"))
        ),
    )
    .await;
}

// ---- iam_role_clone_with_non_enumerable_name ----

const READ_ONLY: &str = "arn:aws:iam::aws:policy/ReadOnlyAccess";

/// A new role with the inline policy `read-buckets` and, when `attached`, ReadOnlyAccess.
async fn role_to_clone(iam: &aws_sdk_iam::Client, attached: bool) -> String {
    let role = unique_name("cloudbots-cloned");
    iam.create_role()
        .role_name(&role)
        .assume_role_policy_document(TRUST_EC2)
        .send()
        .await
        .expect("create_role");
    iam.put_role_policy()
        .role_name(&role)
        .policy_name("read-buckets")
        .policy_document(document("s3:GetObject"))
        .send()
        .await
        .expect("put_role_policy");
    if attached {
        iam.attach_role_policy()
            .role_name(&role)
            .policy_arn(READ_ONLY)
            .send()
            .await
            .expect("attach_role_policy");
    }
    role
}

#[tokio::test]
async fn a_role_clone_is_read_back_with_its_trust_policy_and_policies() {
    let iam = iam().await;
    let line = "iam_role_clone_with_non_enumerable_name";
    let role = role_to_clone(&iam, true).await;
    let outcome = run_ok(line, role_entity(&role), Mode::Enforce).await;
    let clone = &outcome.artifacts[0];
    assert_remediated(
        &outcome,
        &[
            format!("IAM role {clone} exists with the trust policy of IAM role {role}"),
            format!("IAM role {clone} has inline policy read-buckets of IAM role {role}"),
            format!("policy {READ_ONLY} is attached to IAM role {clone}"),
        ],
    );

    let role = role_to_clone(&iam, false).await;
    let error = run_not_verified(
        faulty_client("PutRolePolicy", &[query_no_op("PutRolePolicy")]).await,
        line,
        role_entity(&role),
    )
    .await;
    let roles = iam
        .list_roles()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("list_roles");
    let clone = roles
        .iter()
        .map(|r| r.role_name())
        .find(|name| {
            name.strip_prefix(&format!("{role}-"))
                .is_some_and(|suffix| suffix.len() == 20)
        })
        .expect("the clone was created");
    assert_not_as_intended(
        &error,
        &format!("clone {clone} of IAM role {role}"),
        &format!("IAM role {clone} has no inline policy read-buckets"),
    );
}
