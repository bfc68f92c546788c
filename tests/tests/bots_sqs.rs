//! SQS bots on the local stack, run as their Lambdas run them (through `run_step`) with IAM
//! enforced and only their roles' actions allowed: the queue's real attributes after each run.

use aws_sdk_sqs::types::QueueAttributeName;
use cloudbots_shared::error::ErrorName;
use cloudbots_shared::outcome::OutcomeStatus;
use cloudbots_shared::plan::{Mode, DEFAULT_EXCLUDE_TAG_KEY};
use cloudbots_tests::resources::new_kms_key;
use cloudbots_tests::{
    assert_skipped_by_live_opt_out, aws, entity, entity_with, run_line, run_ok, unique_name,
};
use serde_json::{json, Value};

async fn sqs() -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::new(&aws().await)
}

/// A new unencrypted queue (FIFO when the name ends in `.fifo`): its URL. SQS encrypts new
/// queues with SSE-SQS unless told not to; the queues findings name have it off.
async fn new_queue(sqs: &aws_sdk_sqs::Client, name: &str) -> String {
    let mut create = sqs
        .create_queue()
        .queue_name(name)
        .attributes(QueueAttributeName::SqsManagedSseEnabled, "false");
    if name.ends_with(".fifo") {
        create = create.attributes(QueueAttributeName::FifoQueue, "true");
    }
    create
        .send()
        .await
        .expect("create_queue")
        .queue_url
        .unwrap()
}

/// The CloudGuard entity of a queue, as its findings carry it.
fn queue_entity(name: &str, url: &str) -> Value {
    entity_with("Sqs", name, "queueUrl", url)
}

async fn attribute(
    sqs: &aws_sdk_sqs::Client,
    url: &str,
    name: QueueAttributeName,
) -> Option<String> {
    sqs.get_queue_attributes()
        .queue_url(url)
        .attribute_names(name.clone())
        .send()
        .await
        .expect("get_queue_attributes")
        .attributes
        .and_then(|mut a| a.remove(&name))
        .filter(|v| !v.is_empty())
}

#[tokio::test]
async fn enforce_sse_without_params_turns_on_sse_sqs_once() {
    let sqs = sqs().await;
    let name = unique_name("cloudbots-plain");
    let url = new_queue(&sqs, &name).await;
    let sse = || attribute(&sqs, &url, QueueAttributeName::SqsManagedSseEnabled);

    let dry = run_ok("sqs_enforce_sse", queue_entity(&name, &url), Mode::DryRun).await;
    assert_eq!(dry.status, OutcomeStatus::DryRun);
    assert_eq!(
        dry.changes,
        vec![format!("encrypt queue {name} with SSE-SQS")]
    );
    assert_ne!(
        sse().await.as_deref(),
        Some("true"),
        "dry-run changes nothing"
    );

    let first = run_ok("sqs_enforce_sse", queue_entity(&name, &url), Mode::Enforce).await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert_eq!(
        first.message,
        format!("Queue {name} encrypted with SSE-SQS")
    );
    assert_eq!(first.changes, dry.changes);
    assert_eq!(sse().await.as_deref(), Some("true"));

    let second = run_ok("sqs_enforce_sse", queue_entity(&name, &url), Mode::Enforce).await;
    assert_eq!(second.status, OutcomeStatus::AlreadyCompliant);
    assert_eq!(
        second.message,
        format!("Queue {name} is already encrypted with SSE-SQS")
    );
}

#[tokio::test]
async fn enforce_sse_with_a_key_alias_in_the_documented_kms_form_sets_the_keys_arn() {
    let sqs = sqs().await;
    let (key_arn, alias) = new_kms_key("cloudbots-queues").await;
    let name = unique_name("cloudbots-kms");
    let url = new_queue(&sqs, &name).await;
    let line = format!("sqs_enforce_sse kms {alias}");

    let first = run_ok(&line, queue_entity(&name, &url), Mode::Enforce).await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert_eq!(
        first.message,
        format!("Queue {name} encrypted with KMS key {key_arn}")
    );
    assert_eq!(
        attribute(&sqs, &url, QueueAttributeName::KmsMasterKeyId)
            .await
            .as_deref(),
        Some(key_arn.as_str())
    );

    let second = run_ok(&line, queue_entity(&name, &url), Mode::Enforce).await;
    assert_eq!(second.status, OutcomeStatus::AlreadyCompliant);

    // SSE-SQS never replaces the stronger KMS encryption.
    let plain = run_ok("sqs_enforce_sse", queue_entity(&name, &url), Mode::Enforce).await;
    assert_eq!(plain.status, OutcomeStatus::AlreadyCompliant);
    assert_eq!(
        plain.message,
        format!("Queue {name} is already encrypted with KMS key {key_arn}")
    );
}

#[tokio::test]
async fn enforce_sse_with_a_key_that_does_not_exist_fails_and_changes_nothing() {
    let sqs = sqs().await;
    let name = unique_name("cloudbots-nokey");
    let url = new_queue(&sqs, &name).await;
    let error = run_line(
        "sqs_enforce_sse alias/cloudbots-no-such-key",
        queue_entity(&name, &url),
        Mode::Enforce,
    )
    .await
    .unwrap_err();
    assert_eq!(error.name, ErrorName::InvalidInput);
    assert_eq!(
        error.message,
        "KMS key alias/cloudbots-no-such-key does not exist in us-east-1"
    );
    assert_eq!(
        attribute(&sqs, &url, QueueAttributeName::KmsMasterKeyId).await,
        None
    );
}

#[tokio::test]
async fn configure_dlq_creates_dlq_for_the_queue_and_sets_the_redrive_policy_once() {
    let sqs = sqs().await;
    let name = unique_name("cloudbots-orders");
    let url = new_queue(&sqs, &name).await;
    let dlq_name = format!("dlq-for-{name}");
    let dlq_exists = || async {
        sqs.get_queue_url()
            .queue_name(&dlq_name)
            .send()
            .await
            .is_ok()
    };

    let dry = run_ok("sqs_configure_dlq", queue_entity(&name, &url), Mode::DryRun).await;
    assert_eq!(dry.status, OutcomeStatus::DryRun);
    assert_eq!(
        dry.changes,
        vec![
            format!("create queue {dlq_name} (or reuse it)"),
            format!("send messages of queue {name} received 50 times to {dlq_name}"),
        ]
    );
    assert!(!dlq_exists().await, "dry-run creates nothing");

    let first = run_ok(
        "sqs_configure_dlq",
        queue_entity(&name, &url),
        Mode::Enforce,
    )
    .await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert_eq!(
        first.message,
        format!(
            "Queue {name} now sends messages received 50 times to dead-letter queue {dlq_name}"
        )
    );
    let dlq_url = sqs
        .get_queue_url()
        .queue_name(&dlq_name)
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let dlq_arn = attribute(&sqs, &dlq_url, QueueAttributeName::QueueArn)
        .await
        .unwrap();
    let policy: Value = serde_json::from_str(
        &attribute(&sqs, &url, QueueAttributeName::RedrivePolicy)
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(policy["deadLetterTargetArn"], json!(dlq_arn));
    assert_eq!(policy["maxReceiveCount"].as_u64(), Some(50));

    let second = run_ok(
        "sqs_configure_dlq",
        queue_entity(&name, &url),
        Mode::Enforce,
    )
    .await;
    assert_eq!(second.status, OutcomeStatus::AlreadyCompliant);
    assert_eq!(
        second.message,
        format!("Queue {name} already has a dead-letter queue ({dlq_arn})")
    );

    // The dead-letter queue itself gets none of its own.
    let dlq = run_ok(
        "sqs_configure_dlq",
        queue_entity(&dlq_name, &dlq_url),
        Mode::Enforce,
    )
    .await;
    assert_eq!(dlq.status, OutcomeStatus::Skipped);
    assert_eq!(
        dlq.message,
        format!("Queue {dlq_name} is the dead-letter queue of {name}: it gets no dead-letter queue of its own")
    );
}

#[tokio::test]
async fn configure_dlq_gives_a_fifo_queue_a_fifo_dead_letter_queue() {
    let sqs = sqs().await;
    let name = format!("{}.fifo", unique_name("cloudbots-fifo"));
    let url = new_queue(&sqs, &name).await;

    let outcome = run_ok(
        "sqs_configure_dlq",
        queue_entity(&name, &url),
        Mode::Enforce,
    )
    .await;
    assert_eq!(
        outcome.status,
        OutcomeStatus::Remediated,
        "{}",
        outcome.message
    );
    let dlq_url = sqs
        .get_queue_url()
        .queue_name(format!("dlq-for-{name}"))
        .send()
        .await
        .expect("dlq-for-<name>.fifo exists")
        .queue_url
        .unwrap();
    assert_eq!(
        attribute(&sqs, &dlq_url, QueueAttributeName::FifoQueue)
            .await
            .as_deref(),
        Some("true")
    );
}

#[tokio::test]
async fn a_missing_queue_is_skipped_and_an_entity_without_a_url_is_rejected() {
    let sqs = sqs().await;
    let name = unique_name("cloudbots-gone");
    let url = new_queue(&sqs, &name).await;
    sqs.delete_queue()
        .queue_url(&url)
        .send()
        .await
        .expect("delete_queue");
    for bot in ["sqs_enforce_sse", "sqs_configure_dlq"] {
        let gone = run_ok(bot, queue_entity(&name, &url), Mode::Enforce).await;
        assert_eq!(gone.status, OutcomeStatus::Skipped, "{bot}");
        assert_eq!(
            gone.message,
            format!("Queue {name} does not exist (any more): nothing to do")
        );
    }

    let error = run_line(
        "sqs_configure_dlq",
        entity("Sqs", &name, &name),
        Mode::Enforce,
    )
    .await
    .unwrap_err();
    assert_eq!(error.name, ErrorName::InvalidInput);
    assert_eq!(
        error.message,
        "the finding's entity has no queueUrl for sqs_configure_dlq to act on"
    );
}

#[tokio::test]
async fn a_queue_tagged_after_the_finding_is_not_touched() {
    let sqs = sqs().await;
    let name = unique_name("cloudbots-optout");
    let url = new_queue(&sqs, &name).await;
    sqs.tag_queue()
        .queue_url(&url)
        .tags(DEFAULT_EXCLUDE_TAG_KEY, "sqs_enforce_sse")
        .send()
        .await
        .expect("tag_queue");

    assert_skipped_by_live_opt_out("sqs_enforce_sse", queue_entity(&name, &url)).await;
    assert_eq!(
        attribute(&sqs, &url, QueueAttributeName::SqsManagedSseEnabled)
            .await
            .as_deref()
            .filter(|v| *v == "true"),
        None
    );
}
