//! Verify and undo of the Lambda function bots on the local stack, each bot and the
//! `restore_lambda_function` restorer running as a user allowed exactly its own role's actions
//! (IAM enforced): the function (its configuration, reserved concurrency, tags and the policies
//! attached to its role) equals what it was before the bot ran, a second undo restores nothing,
//! and a change answered "done" on the wire but never made fails the step `NotVerified`.
//!
//! The tracing and layer bots are verified and undone in `bots_lambda.rs`, on a mocked Lambda:
//! the stack keeps neither the tracing mode nor layers of another account.

use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{FunctionCode, Runtime};
use cloudbots_cli::local::LOCAL_ACCOUNT;
use cloudbots_shared::outcome::OutcomeStatus;
use cloudbots_shared::plan::Mode;
use cloudbots_shared::restore::RestoreStatus;
use cloudbots_tests::iam::{new_policy, new_role, role_policies};
use cloudbots_tests::wire::{faulty_client, faulty_rest_client};
use cloudbots_tests::{
    assert_not_verified, assert_refused, assert_refused_then_forced, assert_undone, aws, entity,
    run_ok, run_restorer, unique_name,
};
use serde_json::json;

async fn lambda() -> aws_sdk_lambda::Client {
    aws_sdk_lambda::Client::new(&aws().await)
}

async fn iam() -> aws_sdk_iam::Client {
    aws_sdk_iam::Client::new(&aws().await)
}

/// A new function, with `reserved` concurrency when given and the tag `owner=team-a`: its
/// name and ARN.
async fn new_function(lambda: &aws_sdk_lambda::Client, reserved: Option<i32>) -> (String, String) {
    let role = new_role(&iam().await, "undo-fn-role").await;
    new_function_with_role(lambda, reserved, &role).await
}

/// A new function as [`new_function`] makes them, with the execution role `role`.
async fn new_function_with_role(
    lambda: &aws_sdk_lambda::Client,
    reserved: Option<i32>,
    role: &str,
) -> (String, String) {
    let name = unique_name("undo-fn");
    let arn = lambda
        .create_function()
        .function_name(&name)
        .runtime(Runtime::Python312)
        .handler("index.handler")
        .role(format!("arn:aws:iam::{LOCAL_ACCOUNT}:role/{role}"))
        .code(
            FunctionCode::builder()
                .zip_file(Blob::new(b"not a zip".to_vec()))
                .build(),
        )
        .tags("owner", "team-a")
        .send()
        .await
        .unwrap()
        .function_arn
        .unwrap();
    if let Some(reserved) = reserved {
        lambda
            .put_function_concurrency()
            .function_name(&name)
            .reserved_concurrent_executions(reserved)
            .send()
            .await
            .unwrap();
    }
    (name, arn)
}

/// What Lambda and IAM describe of the function: its configuration (role, runtime, handler,
/// layers, tracing mode, …), reserved concurrency, every tag, and the policies attached to its
/// role, sorted.
async fn described_function(lambda: &aws_sdk_lambda::Client, arn: &str) -> String {
    let configuration = lambda
        .get_function_configuration()
        .function_name(arn)
        .send()
        .await
        .unwrap();
    let settings = format!(
        "role {:?}, runtime {:?}, handler {:?}, memory {:?}, timeout {:?}, environment {:?}, layers {:?}, tracing {:?}, state {:?}",
        configuration.role(),
        configuration.runtime(),
        configuration.handler(),
        configuration.memory_size(),
        configuration.timeout(),
        configuration.environment().map(|e| e.variables()),
        configuration.layers().iter().map(|l| l.arn()).collect::<Vec<_>>(),
        configuration.tracing_config().map(|t| t.mode()),
        configuration.state(),
    );
    let concurrency = lambda
        .get_function_concurrency()
        .function_name(arn)
        .send()
        .await
        .unwrap();
    let mut tags: Vec<_> = lambda
        .list_tags()
        .resource(arn)
        .send()
        .await
        .unwrap()
        .tags
        .unwrap_or_default()
        .into_iter()
        .collect();
    tags.sort();
    let role = configuration.role().unwrap().rsplit('/').next().unwrap();
    let mut role_policies = role_policies(&iam().await, role).await;
    role_policies.sort();
    format!(
        "{settings}, reserved concurrency {:?}, tags {tags:?}, role policies {role_policies:?}",
        concurrency.reserved_concurrent_executions()
    )
}

#[tokio::test]
async fn function_bots_are_verified_and_undone_to_the_function_they_found() {
    let lambda = lambda().await;
    for (line, reserved, verified) in [
        (
            "lambda_disable",
            Some(5),
            "the reserved concurrency of function {} is 0",
        ),
        (
            "lambda_disable",
            None,
            "the reserved concurrency of function {} is 0",
        ),
        (
            "lambda_tag owner team-b",
            None,
            "the tag of function {} is owner=team-b",
        ),
        (
            "lambda_tag reviewed yes",
            None,
            "the tag of function {} is reviewed=yes",
        ),
    ] {
        let (name, arn) = new_function(&lambda, reserved).await;
        let before = described_function(&lambda, &arn).await;
        let outcome = run_ok(line, entity("Lambda", &arn, &name), Mode::Enforce).await;
        assert_eq!(outcome.status, OutcomeStatus::Remediated, "{line}");
        assert_eq!(outcome.verified, [verified.replace("{}", &name)], "{line}");
        assert_ne!(described_function(&lambda, &arn).await, before, "{line}");

        assert_undone(&outcome, line, &before, || {
            described_function(&lambda, &arn)
        })
        .await;
    }
}

#[tokio::test]
async fn a_function_changed_since_is_refused_unless_forced() {
    let lambda = lambda().await;
    let (name, arn) = new_function(&lambda, Some(5)).await;
    let before = described_function(&lambda, &arn).await;
    let outcome = run_ok(
        "lambda_disable",
        entity("Lambda", &arn, &name),
        Mode::Enforce,
    )
    .await;
    lambda
        .put_function_concurrency()
        .function_name(&name)
        .reserved_concurrent_executions(2)
        .send()
        .await
        .unwrap();
    let refused = run_restorer(&outcome, Mode::Enforce, false).await.unwrap();
    assert_refused(
        &refused,
        &["its reserved concurrency is 2, not 0 as the bot left it"],
    );
    let forced = run_restorer(&outcome, Mode::Enforce, true).await.unwrap();
    assert_eq!(forced.status, RestoreStatus::Restored, "{}", forced.message);
    assert_eq!(described_function(&lambda, &arn).await, before);
}

#[tokio::test]
async fn a_function_change_that_does_not_show_fails_not_verified() {
    let lambda = lambda().await;
    for (line, method, path, answer, mismatch) in [
        (
            "lambda_disable",
            "PUT",
            "/concurrency",
            (200, r#"{"ReservedConcurrentExecutions":0}"#),
            "its reserved concurrency is none, not 0",
        ),
        (
            "lambda_tag owner team-b",
            "POST",
            "/tags/",
            (204, ""),
            "its tag is owner=team-a, not owner=team-b",
        ),
    ] {
        let (name, arn) = new_function(&lambda, None).await;
        let faulty = faulty_rest_client(method, path, &[answer; 2]).await;
        assert_not_verified(
            faulty,
            line,
            entity("Lambda", &arn, &name),
            format!("function {name} read back after the change is not as intended (3 reads): {mismatch}"),
        )
        .await;
    }
}

/// A new function whose new role has two policies allowing an action on every resource and
/// a narrow one: the function's name, ARN and role, and the two blanket policies.
async fn function_with_blanket_role() -> (String, String, String, [String; 2]) {
    let iam = iam().await;
    let role = new_role(&iam, "undo-fn-blanket-role").await;
    let blanket = [
        new_policy(&iam, "undo-fn-s3-all", "s3:*").await,
        new_policy(&iam, "undo-fn-sqs-all", "sqs:*").await,
    ];
    let narrow = iam
        .create_policy()
        .policy_name(unique_name("undo-fn-narrow"))
        .policy_document(
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*"}]})
                .to_string(),
        )
        .send()
        .await
        .unwrap()
        .policy
        .unwrap()
        .arn
        .unwrap();
    for policy in blanket.iter().chain([&narrow]) {
        attach(&role, policy).await;
    }
    let (name, arn) = new_function_with_role(&lambda().await, None, &role).await;
    (name, arn, role, blanket)
}

async fn attach(role: &str, policy: &str) {
    iam()
        .await
        .attach_role_policy()
        .role_name(role)
        .policy_arn(policy)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn blanket_policies_detached_are_verified_and_attached_again() {
    let lambda = lambda().await;
    let (name, arn, role, blanket) = function_with_blanket_role().await;
    let before = described_function(&lambda, &arn).await;
    let line = "lambda_detach_blanket_permissions";
    let outcome = run_ok(line, entity("Lambda", &arn, &name), Mode::Enforce).await;
    assert_eq!(
        outcome.status,
        OutcomeStatus::Remediated,
        "{}",
        outcome.message
    );
    let mut verified = outcome.verified.clone();
    verified.sort();
    let mut expected: Vec<String> = blanket
        .iter()
        .map(|policy| format!("policy {policy} on IAM role {role} is detached"))
        .collect();
    expected.sort();
    assert_eq!(verified, expected);
    assert_ne!(described_function(&lambda, &arn).await, before);

    assert_undone(&outcome, line, &before, || {
        described_function(&lambda, &arn)
    })
    .await;
}

#[tokio::test]
async fn a_blanket_policy_attached_again_since_is_refused_unless_forced() {
    let lambda = lambda().await;
    let (name, arn, role, [s3_all, sqs_all]) = function_with_blanket_role().await;
    let before = described_function(&lambda, &arn).await;
    let outcome = run_ok(
        "lambda_detach_blanket_permissions",
        entity("Lambda", &arn, &name),
        Mode::Enforce,
    )
    .await;
    attach(&role, &s3_all).await;
    let drift =
        format!("policy {s3_all} on IAM role {role} is attached, not detached as the bot left it");
    assert_refused_then_forced(&outcome, &[drift.as_str()], &before, || {
        described_function(&lambda, &arn)
    })
    .await;
    assert!(role_policies(&iam().await, &role).await.contains(&sqs_all));
}

#[tokio::test]
async fn a_blanket_policy_detach_that_does_not_show_fails_not_verified() {
    let iam = iam().await;
    let role = new_role(&iam, "undo-fn-blanket-role").await;
    let policy = new_policy(&iam, "undo-fn-s3-all", "s3:*").await;
    attach(&role, &policy).await;
    let (name, arn) = new_function_with_role(&lambda().await, None, &role).await;
    let detached = r#"<DetachRolePolicyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></DetachRolePolicyResponse>"#;
    let faulty = faulty_client("DetachRolePolicy", &[(200, detached); 2]).await;
    assert_not_verified(
        faulty,
        "lambda_detach_blanket_permissions",
        entity("Lambda", &arn, &name),
        format!("IAM role {role} read back after the change is not as intended (3 reads): policy {policy} on IAM role {role} is attached, not detached"),
    )
    .await;
}
