//! KMS key bots on the local stack: the key's real state after each run.

use aws_sdk_kms::types::KeyState;
use cloudbots_shared::outcome::OutcomeStatus;
use cloudbots_shared::plan::Mode;
use cloudbots_tests::{aws, entity, run_ok};
use serde_json::Value;

fn key_entity(id: &str) -> Value {
    entity("KMS", id, "cloudbots-test-key")
}

/// A new customer-managed key: (key id, key ARN).
async fn new_key(kms: &aws_sdk_kms::Client) -> (String, String) {
    let out = kms.create_key().send().await.expect("create_key");
    let metadata = out.key_metadata().unwrap();
    (
        metadata.key_id().to_string(),
        metadata.arn().unwrap().to_string(),
    )
}

async fn state(kms: &aws_sdk_kms::Client, key_id: &str) -> KeyState {
    kms.describe_key()
        .key_id(key_id)
        .send()
        .await
        .expect("describe_key")
        .key_metadata()
        .unwrap()
        .key_state()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn cmk_enable_key_enables_a_disabled_key() {
    let kms = aws_sdk_kms::Client::new(&aws().await);
    let (key_id, _) = new_key(&kms).await;
    kms.disable_key()
        .key_id(&key_id)
        .send()
        .await
        .expect("disable_key");

    let dry = run_ok("kms_cmk_enable_key", key_entity(&key_id), Mode::DryRun).await;
    assert_eq!(dry.status, OutcomeStatus::DryRun);
    assert_eq!(dry.changes, vec![format!("enable key {key_id}")]);
    assert_eq!(
        state(&kms, &key_id).await,
        KeyState::Disabled,
        "dry-run changes nothing"
    );

    let first = run_ok("kms_cmk_enable_key", key_entity(&key_id), Mode::Enforce).await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert_eq!(first.message, format!("Key {key_id} enabled"));
    assert_eq!(first.changes, dry.changes);
    assert_eq!(state(&kms, &key_id).await, KeyState::Enabled);

    let second = run_ok("kms_cmk_enable_key", key_entity(&key_id), Mode::Enforce).await;
    assert_eq!(second.status, OutcomeStatus::AlreadyCompliant);
    assert_eq!(second.message, format!("Key {key_id} is already enabled"));
}

#[tokio::test]
async fn cmk_enable_key_cancels_a_scheduled_deletion_of_a_key_named_by_arn() {
    let kms = aws_sdk_kms::Client::new(&aws().await);
    let (key_id, arn) = new_key(&kms).await;
    kms.schedule_key_deletion()
        .key_id(&key_id)
        .pending_window_in_days(7)
        .send()
        .await
        .expect("schedule_key_deletion");

    let dry = run_ok("kms_cmk_enable_key", key_entity(&arn), Mode::DryRun).await;
    assert_eq!(
        dry.changes,
        vec![
            format!("cancel the scheduled deletion of key {key_id}"),
            format!("enable key {key_id}"),
        ]
    );
    assert_eq!(state(&kms, &key_id).await, KeyState::PendingDeletion);

    let first = run_ok("kms_cmk_enable_key", key_entity(&arn), Mode::Enforce).await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert_eq!(first.changes, dry.changes);
    let metadata = kms
        .describe_key()
        .key_id(&key_id)
        .send()
        .await
        .expect("describe_key")
        .key_metadata
        .unwrap();
    assert_eq!(metadata.key_state(), Some(&KeyState::Enabled));
    assert_eq!(metadata.deletion_date(), None, "the deletion is cancelled");

    let second = run_ok("kms_cmk_enable_key", key_entity(&arn), Mode::Enforce).await;
    assert_eq!(second.status, OutcomeStatus::AlreadyCompliant);
}

// The local stack has no PendingImport or Unavailable keys (an EXTERNAL key comes out
// enabled there): those skips are unit-tested with the bot.
#[tokio::test]
async fn cmk_enable_key_skips_a_missing_key() {
    let key = "0d3e4f5a-1b2c-4d5e-8f90-123456789abc";
    let outcome = run_ok("kms_cmk_enable_key", key_entity(key), Mode::Enforce).await;
    assert_eq!(outcome.status, OutcomeStatus::Skipped);
    assert_eq!(
        outcome.message,
        format!("Key {key} does not exist (any more): nothing to enable")
    );
}
