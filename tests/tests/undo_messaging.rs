//! Verify and undo of the SNS and SQS bots on the local stack, each bot and its restorer
//! (`restore_topic_attributes`, `restore_queue_attributes`) running as a user allowed exactly
//! its own role's actions (IAM enforced).
//!
//! For every bot: its change is verified, the restorer puts the topic or queue back (every
//! attribute it describes equals what it was before the bot ran), a second undo finds nothing
//! to restore, an undo after someone changed the attribute is refused with the difference, and
//! a change that does not show when read again (answered "done" on the wire, never made) fails
//! the step `NotVerified`.

use cloudbots_shared::outcome::OutcomeStatus;
use cloudbots_shared::plan::Mode;
use cloudbots_shared::restore::RestoreStatus;
use cloudbots_tests::resources::new_kms_key;
use cloudbots_tests::wire::{faulty_client, faulty_json_client};
use cloudbots_tests::{
    assert_not_verified, assert_undone, aws, entity_with, run_not_verified, run_ok, run_restorer,
    unique_name,
};
use serde_json::{json, Value};
use std::collections::BTreeMap;

async fn sns() -> aws_sdk_sns::Client {
    aws_sdk_sns::Client::new(&aws().await)
}

async fn sqs() -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::new(&aws().await)
}

/// A topic whose policy lets anyone publish: (name, ARN).
async fn open_topic(sns: &aws_sdk_sns::Client) -> (String, String) {
    let name = unique_name("undo-topic");
    let arn = sns
        .create_topic()
        .name(&name)
        .send()
        .await
        .unwrap()
        .topic_arn()
        .unwrap()
        .to_string();
    let policy = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Open", "Effect": "Allow", "Principal": "*", "Action": "SNS:Publish", "Resource": arn},
        {"Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
         "Action": "SNS:Subscribe", "Resource": arn}]});
    sns.set_topic_attributes()
        .topic_arn(&arn)
        .attribute_name("Policy")
        .attribute_value(policy.to_string())
        .send()
        .await
        .unwrap();
    (name, arn)
}

/// Every attribute SNS describes of the topic (the policy as a JSON document).
async fn described_topic(sns: &aws_sdk_sns::Client, arn: &str) -> BTreeMap<String, Value> {
    let attributes = sns
        .get_topic_attributes()
        .topic_arn(arn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap_or_default();
    attributes
        .into_iter()
        .map(|(name, value)| {
            let value = serde_json::from_str::<Value>(&value)
                .ok()
                .filter(Value::is_object)
                .unwrap_or(Value::String(value));
            (name, value)
        })
        .collect()
}

/// A new queue without encryption (SQS encrypts new queues with SSE-SQS unless told not to):
/// (name, URL).
async fn new_queue(sqs: &aws_sdk_sqs::Client) -> (String, String) {
    let name = unique_name("undo-queue");
    let url = sqs
        .create_queue()
        .queue_name(&name)
        .attributes(
            aws_sdk_sqs::types::QueueAttributeName::SqsManagedSseEnabled,
            "false",
        )
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_string();
    (name, url)
}

/// Every attribute SQS describes of the queue, but the time of its last change (any change
/// moves it, an undo too).
async fn described_queue(sqs: &aws_sdk_sqs::Client, url: &str) -> BTreeMap<String, String> {
    sqs.get_queue_attributes()
        .queue_url(url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::All)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap_or_default()
        .into_iter()
        .filter(|(name, _)| name.as_str() != "LastModifiedTimestamp")
        .map(|(name, value)| (name.as_str().to_string(), value))
        .collect()
}

#[tokio::test]
async fn topic_bots_are_verified_and_undone_to_the_topic_they_found() {
    let sns = sns().await;
    let (key_arn, _) = new_kms_key("undo-topic-key").await;
    for line in [
        "sns_set_topic_private".to_string(),
        format!("sns_enforce_sse {key_arn}"),
    ] {
        let (name, arn) = open_topic(&sns).await;
        let before = described_topic(&sns, &arn).await;
        let topic = entity_with("SnsTopic", &name, "topicArn", &arn);
        let outcome = run_ok(&line, topic, Mode::Enforce).await;
        assert_eq!(outcome.status, OutcomeStatus::Remediated, "{line}");
        assert_eq!(outcome.verified.len(), 1, "{line}");
        assert!(
            outcome.verified[0].contains(&format!(" of topic {name} is ")),
            "{line}: {:?}",
            outcome.verified
        );
        assert_ne!(described_topic(&sns, &arn).await, before, "{line}");

        assert_undone(&outcome, &line, &before, || described_topic(&sns, &arn)).await;
    }
}

#[tokio::test]
async fn queue_bots_are_verified_and_undone_to_the_queue_they_found() {
    let sqs = sqs().await;
    let (key_arn, _) = new_kms_key("undo-queue-key").await;
    for line in [
        "sqs_enforce_sse".to_string(),
        format!("sqs_enforce_sse {key_arn}"),
        "sqs_configure_dlq".to_string(),
    ] {
        let (name, url) = new_queue(&sqs).await;
        let before = described_queue(&sqs, &url).await;
        let queue = entity_with("Sqs", &name, "queueUrl", &url);
        let outcome = run_ok(&line, queue, Mode::Enforce).await;
        assert_eq!(outcome.status, OutcomeStatus::Remediated, "{line}");
        assert!(!outcome.verified.is_empty(), "{line}");
        assert_ne!(described_queue(&sqs, &url).await, before, "{line}");

        assert_undone(&outcome, &line, &before, || described_queue(&sqs, &url)).await;
    }
}

#[tokio::test]
async fn a_topic_policy_changed_since_is_refused() {
    let sns = sns().await;
    let (name, arn) = open_topic(&sns).await;
    let topic = entity_with("SnsTopic", &name, "topicArn", &arn);
    let outcome = run_ok("sns_set_topic_private", topic, Mode::Enforce).await;
    let theirs = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Audit", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
         "Action": "SNS:GetTopicAttributes", "Resource": arn}]})
    .to_string();
    sns.set_topic_attributes()
        .topic_arn(&arn)
        .attribute_name("Policy")
        .attribute_value(&theirs)
        .send()
        .await
        .unwrap();
    let refused = run_restorer(&outcome, Mode::Enforce, false).await.unwrap();
    assert_eq!(refused.status, RestoreStatus::Refused);
    assert_eq!(refused.changes.len(), 1);
    assert!(
        refused.changes[0].starts_with(&format!("its policy is {theirs}, not ")),
        "{:?}",
        refused.changes
    );
    assert!(refused.changes[0].ends_with(" as the bot left it"));
}

#[tokio::test]
async fn a_topic_or_queue_change_that_does_not_show_fails_not_verified() {
    let (sns, sqs) = (sns().await, sqs().await);
    let (name, arn) = open_topic(&sns).await;
    let faulty = faulty_client(
        "SetTopicAttributes",
        &[(200, "<SetTopicAttributesResponse><ResponseMetadata><RequestId>nv</RequestId></ResponseMetadata></SetTopicAttributesResponse>"); 2],
    )
    .await;
    let topic = entity_with("SnsTopic", &name, "topicArn", &arn);
    let error = run_not_verified(faulty, "sns_set_topic_private", topic).await;
    assert!(
        error.message.starts_with(&format!(
            "topic {name} read back after the change is not as intended (3 reads): its policy is "
        )),
        "{error}"
    );

    let (name, url) = new_queue(&sqs).await;
    let faulty = faulty_json_client("SetQueueAttributes", &[(200, "{}"); 2]).await;
    let queue = entity_with("Sqs", &name, "queueUrl", &url);
    assert_not_verified(
        faulty,
        "sqs_enforce_sse",
        queue,
        format!("queue {name} read back after the change is not as intended (3 reads): its SSE-SQS encryption is false, not true"),
    )
    .await;
}
