//! SNS bots on the local stack, run as their Lambdas run them (through `run_step`) with IAM
//! enforced and only their roles' actions allowed: the topic's real attributes after each run.

use cloudbots_shared::error::ErrorName;
use cloudbots_shared::outcome::OutcomeStatus;
use cloudbots_shared::plan::{Mode, DEFAULT_EXCLUDE_TAG_KEY};
use cloudbots_tests::resources::new_kms_key;
use cloudbots_tests::{
    assert_skipped_by_live_opt_out, aws, entity, entity_with, run_line, run_ok, unique_name,
};
use serde_json::{json, Value};

async fn sns() -> aws_sdk_sns::Client {
    aws_sdk_sns::Client::new(&aws().await)
}

/// A new topic: its ARN.
async fn new_topic(sns: &aws_sdk_sns::Client, name: &str) -> String {
    sns.create_topic()
        .name(name)
        .send()
        .await
        .expect("create_topic")
        .topic_arn
        .unwrap()
}

/// The CloudGuard entity of a topic, as its findings carry it.
fn topic_entity(name: &str, arn: &str) -> Value {
    entity_with("SnsTopic", name, "topicArn", arn)
}

async fn attribute(sns: &aws_sdk_sns::Client, arn: &str, name: &str) -> Option<String> {
    sns.get_topic_attributes()
        .topic_arn(arn)
        .send()
        .await
        .expect("get_topic_attributes")
        .attributes
        .and_then(|mut a| a.remove(name))
        .filter(|v| !v.is_empty())
}

async fn policy(sns: &aws_sdk_sns::Client, arn: &str) -> Value {
    serde_json::from_str(&attribute(sns, arn, "Policy").await.expect("a policy")).unwrap()
}

async fn set_policy(sns: &aws_sdk_sns::Client, arn: &str, policy: &Value) {
    sns.set_topic_attributes()
        .topic_arn(arn)
        .attribute_name("Policy")
        .attribute_value(policy.to_string())
        .send()
        .await
        .expect("set_topic_attributes");
}

#[tokio::test]
async fn enforce_sse_sets_the_keys_arn_once() {
    let sns = sns().await;
    let (key_arn, _) = new_kms_key("cloudbots-topics").await;
    let key_id = key_arn.rsplit('/').next().unwrap();
    let name = unique_name("cloudbots-alerts");
    let arn = new_topic(&sns, &name).await;
    let line = format!("sns_enforce_sse {key_id}");

    let dry = run_ok(&line, topic_entity(&name, &arn), Mode::DryRun).await;
    assert_eq!(dry.status, OutcomeStatus::DryRun);
    assert_eq!(
        dry.changes,
        vec![format!("encrypt topic {name} with KMS key {key_arn}")]
    );
    assert_eq!(attribute(&sns, &arn, "KmsMasterKeyId").await, None);

    let first = run_ok(&line, topic_entity(&name, &arn), Mode::Enforce).await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert_eq!(
        first.message,
        format!("Topic {name} encrypted with KMS key {key_arn}")
    );
    assert_eq!(
        attribute(&sns, &arn, "KmsMasterKeyId").await.as_deref(),
        Some(key_arn.as_str())
    );

    let second = run_ok(&line, topic_entity(&name, &arn), Mode::Enforce).await;
    assert_eq!(second.status, OutcomeStatus::AlreadyCompliant);
    assert_eq!(
        second.message,
        format!("Topic {name} is already encrypted with KMS key {key_arn}")
    );
}

#[tokio::test]
async fn enforce_sse_with_a_key_that_does_not_exist_fails_and_changes_nothing() {
    let sns = sns().await;
    let name = unique_name("cloudbots-nokey");
    let arn = new_topic(&sns, &name).await;

    let unknown = run_line(
        "sns_enforce_sse alias/cloudbots-no-such-key",
        topic_entity(&name, &arn),
        Mode::Enforce,
    )
    .await
    .unwrap_err();
    assert_eq!(unknown.name, ErrorName::InvalidInput);
    assert_eq!(
        unknown.message,
        "KMS key alias/cloudbots-no-such-key does not exist in us-east-1"
    );

    assert_eq!(attribute(&sns, &arn, "KmsMasterKeyId").await, None);
}

#[tokio::test]
async fn set_topic_private_removes_only_the_statements_open_to_anyone() {
    let sns = sns().await;
    let name = unique_name("cloudbots-public");
    let arn = new_topic(&sns, &name).await;
    let owner = json!({
        "Sid": "Owner", "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
        "Action": "sns:Publish", "Resource": arn,
    });
    let narrowed = json!({
        "Sid": "Events", "Effect": "Allow", "Principal": {"AWS": "*"},
        "Action": "sns:Publish", "Resource": arn,
        "Condition": {"StringEquals": {"AWS:SourceOwner": "123456789012"}},
    });
    let open = json!({
        "Sid": "Anyone", "Effect": "Allow", "Principal": "*",
        "Action": ["sns:Publish", "sns:Subscribe"], "Resource": arn,
    });
    set_policy(
        &sns,
        &arn,
        &json!({"Version": "2012-10-17", "Statement": [owner, open, narrowed]}),
    )
    .await;

    let dry = run_ok(
        "sns_set_topic_private",
        topic_entity(&name, &arn),
        Mode::DryRun,
    )
    .await;
    assert_eq!(dry.status, OutcomeStatus::DryRun);
    assert_eq!(
        dry.changes,
        vec![format!(
            "remove statement Anyone (anyone may sns:Publish, sns:Subscribe) from topic {name}'s policy"
        )]
    );
    assert_eq!(
        policy(&sns, &arn).await["Statement"]
            .as_array()
            .unwrap()
            .len(),
        3
    );

    let first = run_ok(
        "sns_set_topic_private",
        topic_entity(&name, &arn),
        Mode::Enforce,
    )
    .await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert_eq!(first.message, format!("Topic {name} is now private"));
    assert_eq!(
        policy(&sns, &arn).await,
        json!({"Version": "2012-10-17", "Statement": [owner, narrowed]})
    );

    let second = run_ok(
        "sns_set_topic_private",
        topic_entity(&name, &arn),
        Mode::Enforce,
    )
    .await;
    assert_eq!(second.status, OutcomeStatus::AlreadyCompliant);
    assert_eq!(
        second.message,
        format!("Topic {name}'s policy lets no one act without a condition")
    );
}

#[tokio::test]
async fn set_topic_private_leaves_the_owner_only_policy_when_nothing_else_is_left() {
    let sns = sns().await;
    let name = unique_name("cloudbots-allopen");
    let arn = new_topic(&sns, &name).await;
    set_policy(
        &sns,
        &arn,
        &json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sns:*", "Resource": arn}]}),
    )
    .await;

    let outcome = run_ok(
        "sns_set_topic_private",
        topic_entity(&name, &arn),
        Mode::Enforce,
    )
    .await;
    assert_eq!(
        outcome.status,
        OutcomeStatus::Remediated,
        "{}",
        outcome.message
    );
    assert_eq!(
        outcome.changes,
        vec![
            format!("remove statement #1 (anyone may sns:*) from topic {name}'s policy"),
            format!("give topic {name} SNS's default policy (its owner account only), as no statement is left"),
        ]
    );
    let statements = policy(&sns, &arn).await["Statement"].clone();
    assert_eq!(statements.as_array().unwrap().len(), 1);
    assert_eq!(
        statements[0]["Condition"],
        json!({"StringEquals": {"AWS:SourceOwner": "123456789012"}})
    );
}

#[tokio::test]
async fn set_topic_private_with_a_policy_on_the_auto_line_replaces_the_policy_once() {
    let sns = sns().await;
    let name = unique_name("cloudbots-given");
    let arn = new_topic(&sns, &name).await;
    let given = json!({
        "Version": "2012-10-17",
        "Statement": [{"Sid": "OwnerOnly", "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
            "Action": "sns:Publish", "Resource": arn}],
    });
    // As the rule writes it: one line, split on spaces by the AUTO: grammar.
    let line = format!(
        "sns_set_topic_private policy={}",
        serde_json::to_string_pretty(&given)
            .unwrap()
            .replace('\n', " ")
    );

    let first = run_ok(&line, topic_entity(&name, &arn), Mode::Enforce).await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert_eq!(
        first.changes,
        vec![format!(
            "replace topic {name}'s policy with the given one (1 statements)"
        )]
    );
    assert_eq!(policy(&sns, &arn).await, given);

    let second = run_ok(&line, topic_entity(&name, &arn), Mode::Enforce).await;
    assert_eq!(second.status, OutcomeStatus::AlreadyCompliant);
    assert_eq!(
        second.message,
        format!("Topic {name} already has the given policy")
    );
}

#[tokio::test]
async fn topic_delete_names_the_subscriptions_it_deletes_with_the_topic() {
    let sns = sns().await;
    let name = unique_name("cloudbots-doomed");
    let arn = new_topic(&sns, &name).await;
    sns.subscribe()
        .topic_arn(&arn)
        .protocol("email")
        .endpoint("secops@example.com")
        .send()
        .await
        .expect("subscribe");
    let exists = || async {
        sns.get_topic_attributes()
            .topic_arn(&arn)
            .send()
            .await
            .is_ok()
    };
    let change =
        format!("delete topic {name} with its 1 subscription(s): email:secops@example.com");

    let dry = run_ok("sns_topic_delete", topic_entity(&name, &arn), Mode::DryRun).await;
    assert_eq!(dry.status, OutcomeStatus::DryRun);
    assert_eq!(dry.changes, vec![change.clone()]);
    assert!(exists().await, "dry-run deletes nothing");

    let first = run_ok("sns_topic_delete", topic_entity(&name, &arn), Mode::Enforce).await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert_eq!(
        first.message,
        format!("Deleted topic {name} with its 1 subscription(s): email:secops@example.com")
    );
    assert!(!exists().await, "the topic is gone");

    let second = run_ok("sns_topic_delete", topic_entity(&name, &arn), Mode::Enforce).await;
    assert_eq!(second.status, OutcomeStatus::AlreadyCompliant);
    assert_eq!(
        second.message,
        format!("Topic {name} does not exist (any more): nothing to delete")
    );
}

#[tokio::test]
async fn a_missing_topic_is_skipped_and_an_entity_without_an_arn_is_rejected() {
    let name = unique_name("cloudbots-never");
    let arn = format!("arn:aws:sns:us-east-1:123456789012:{name}");
    for line in ["sns_set_topic_private", "sns_enforce_sse alias/whatever"] {
        let gone = run_ok(line, topic_entity(&name, &arn), Mode::Enforce).await;
        assert_eq!(gone.status, OutcomeStatus::Skipped, "{line}");
        assert_eq!(
            gone.message,
            format!("Topic {name} does not exist (any more): nothing to do")
        );
    }

    let error = run_line(
        "sns_topic_delete",
        entity("SnsTopic", &name, &name),
        Mode::Enforce,
    )
    .await
    .unwrap_err();
    assert_eq!(error.name, ErrorName::InvalidInput);
    assert_eq!(
        error.message,
        "the finding's entity has no topicArn for sns_topic_delete to act on"
    );
}

#[tokio::test]
async fn a_topic_tagged_after_the_finding_is_not_touched() {
    let sns = sns().await;
    let name = unique_name("cloudbots-optout");
    let arn = new_topic(&sns, &name).await;
    sns.tag_resource()
        .resource_arn(&arn)
        .tags(
            aws_sdk_sns::types::Tag::builder()
                .key(DEFAULT_EXCLUDE_TAG_KEY)
                .value("sns_topic_delete")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("tag_resource");

    assert_skipped_by_live_opt_out("sns_topic_delete", topic_entity(&name, &arn)).await;
    assert!(sns
        .get_topic_attributes()
        .topic_arn(&arn)
        .send()
        .await
        .is_ok());
}
