//! Verify and undo of the Lambda function bots on the local stack, each bot and the
//! `restore_lambda_function` restorer running as a user allowed exactly its own role's actions
//! (IAM enforced): the function's reserved concurrency and tags equal what they were before the
//! bot ran, a second undo restores nothing, and a change answered "done" on the wire but never
//! made fails the step `NotVerified`.

use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{FunctionCode, Runtime};
use cloudbots_cli::local::LOCAL_ACCOUNT;
use cloudbots_shared::error::ErrorName;
use cloudbots_shared::outcome::OutcomeStatus;
use cloudbots_shared::plan::Mode;
use cloudbots_shared::restore::RestoreStatus;
use cloudbots_tests::iam::new_role;
use cloudbots_tests::wire::{faulty_rest_client, functions_config};
use cloudbots_tests::{
    assert_undone, aws, entity, run_ok, run_restorer, run_with_config, unique_name,
};

async fn lambda() -> aws_sdk_lambda::Client {
    aws_sdk_lambda::Client::new(&aws().await)
}

/// A new function, with `reserved` concurrency when given and the tag `owner=team-a`: its
/// name and ARN.
async fn new_function(lambda: &aws_sdk_lambda::Client, reserved: Option<i32>) -> (String, String) {
    let iam = aws_sdk_iam::Client::new(&aws().await);
    let role = new_role(&iam, "undo-fn-role").await;
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

/// What Lambda describes of the settings the bots change: reserved concurrency and every tag.
async fn described_function(lambda: &aws_sdk_lambda::Client, arn: &str) -> String {
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
    format!(
        "reserved concurrency {:?}, tags {tags:?}",
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
    assert_eq!(refused.status, RestoreStatus::Refused);
    assert_eq!(
        refused.changes,
        ["its reserved concurrency is 2, not 0 as the bot left it"]
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
        let (client, faults) = faulty_rest_client(method, path, &[answer; 2]).await;
        let error = run_with_config(
            functions_config(client).await,
            line,
            entity("Lambda", &arn, &name),
        )
        .await
        .unwrap_err();
        assert_eq!(faults.seen(), 1, "{line}");
        assert_eq!(error.name, ErrorName::NotVerified, "{line}: {error}");
        assert_eq!(
            error.message,
            format!("function {name} read back after the change is not as intended (3 reads): {mismatch}")
        );
    }
}
