//! S3, KMS and IAM bots on the local stack: the bucket's public-access-block flags, the key's
//! rotation status and the user's attached policies after each run.

use aws_sdk_kms::types::{KeySpec, KeyUsageType};
use aws_sdk_s3::types::PublicAccessBlockConfiguration;
use cloudbots_cli::local::LOCAL_ACCOUNT;
use cloudbots_shared::outcome::{BotOutcome, OutcomeStatus};
use cloudbots_shared::plan::Mode;
use cloudbots_tests::iam::{new_user, user_entity, user_policies};
use cloudbots_tests::{aws, entity, run_line, unique_name};
use serde_json::{json, Value};

async fn run(line: &str, entity: Value, mode: Mode) -> BotOutcome {
    run_line(line, entity, mode)
        .await
        .unwrap_or_else(|e| panic!("{line}: {e}"))
}

// ---- s3_block_all_public_access ----

async fn new_bucket(s3: &aws_sdk_s3::Client) -> String {
    let bucket = unique_name("cloudbots-public");
    s3.create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("create_bucket");
    bucket
}

/// The bucket's four flags in API order (BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy,
/// RestrictPublicBuckets), or None when the bucket has no configuration at all.
async fn public_access_block(s3: &aws_sdk_s3::Client, bucket: &str) -> Option<[bool; 4]> {
    match s3.get_public_access_block().bucket(bucket).send().await {
        Ok(out) => {
            let c = out.public_access_block_configuration().unwrap();
            Some(
                [
                    c.block_public_acls(),
                    c.ignore_public_acls(),
                    c.block_public_policy(),
                    c.restrict_public_buckets(),
                ]
                .map(|flag| flag.unwrap_or(false)),
            )
        }
        Err(e) => {
            let code = aws_sdk_s3::error::ProvideErrorMetadata::code(&e).map(str::to_string);
            assert_eq!(
                code.as_deref(),
                Some("NoSuchPublicAccessBlockConfiguration"),
                "{e:?}"
            );
            None
        }
    }
}

fn bucket_entity(bucket: &str) -> Value {
    entity("S3Bucket", bucket, bucket)
}

#[tokio::test]
async fn block_all_public_access_turns_on_all_four_settings() {
    let s3 = aws_sdk_s3::Client::new(&aws().await);
    let bucket = new_bucket(&s3).await;
    assert_eq!(public_access_block(&s3, &bucket).await, None);

    let dry = run(
        "s3_block_all_public_access",
        bucket_entity(&bucket),
        Mode::DryRun,
    )
    .await;
    assert_eq!(dry.status, OutcomeStatus::DryRun);
    assert_eq!(
        dry.changes,
        [
            "BlockPublicAcls",
            "IgnorePublicAcls",
            "BlockPublicPolicy",
            "RestrictPublicBuckets"
        ]
        .map(|flag| format!("turn on {flag} for bucket {bucket}"))
    );
    assert_eq!(
        public_access_block(&s3, &bucket).await,
        None,
        "dry-run changes nothing"
    );

    let first = run(
        "s3_block_all_public_access",
        bucket_entity(&bucket),
        Mode::Enforce,
    )
    .await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert_eq!(first.changes, dry.changes);
    assert_eq!(public_access_block(&s3, &bucket).await, Some([true; 4]));

    let second = run(
        "s3_block_all_public_access",
        bucket_entity(&bucket),
        Mode::Enforce,
    )
    .await;
    assert_eq!(second.status, OutcomeStatus::AlreadyCompliant);
    assert_eq!(
        second.message,
        format!("Bucket {bucket} already blocks all public access")
    );
}

#[tokio::test]
async fn block_all_public_access_turns_on_only_the_settings_that_are_off() {
    let s3 = aws_sdk_s3::Client::new(&aws().await);
    let bucket = new_bucket(&s3).await;
    s3.put_public_access_block()
        .bucket(&bucket)
        .public_access_block_configuration(
            PublicAccessBlockConfiguration::builder()
                .block_public_acls(true)
                .ignore_public_acls(false)
                .block_public_policy(true)
                .restrict_public_buckets(false)
                .build(),
        )
        .send()
        .await
        .expect("put_public_access_block");

    let outcome = run(
        "s3_block_all_public_access",
        bucket_entity(&bucket),
        Mode::Enforce,
    )
    .await;
    assert_eq!(outcome.status, OutcomeStatus::Remediated);
    assert_eq!(
        outcome.changes,
        vec![
            format!("turn on IgnorePublicAcls for bucket {bucket}"),
            format!("turn on RestrictPublicBuckets for bucket {bucket}"),
        ]
    );
    assert_eq!(public_access_block(&s3, &bucket).await, Some([true; 4]));
}

#[tokio::test]
async fn block_all_public_access_skips_a_missing_bucket() {
    let outcome = run(
        "s3_block_all_public_access",
        bucket_entity("cloudbots-no-such-bucket"),
        Mode::Enforce,
    )
    .await;
    assert_eq!(outcome.status, OutcomeStatus::Skipped);
    assert_eq!(
        outcome.message,
        "Bucket cloudbots-no-such-bucket does not exist (any more): nothing to do"
    );
}

// ---- kms_enable_rotation ----

/// A new customer-managed key: (key id, key ARN).
async fn new_key(kms: &aws_sdk_kms::Client) -> (String, String) {
    let out = kms.create_key().send().await.expect("create_key");
    let metadata = out.key_metadata().unwrap();
    (
        metadata.key_id().to_string(),
        metadata.arn().unwrap().to_string(),
    )
}

async fn rotates(kms: &aws_sdk_kms::Client, key_id: &str) -> bool {
    kms.get_key_rotation_status()
        .key_id(key_id)
        .send()
        .await
        .expect("get_key_rotation_status")
        .key_rotation_enabled()
}

fn key_entity(id: &str) -> Value {
    entity("KMS", id, "cloudbots-test-key")
}

#[tokio::test]
async fn enable_rotation_turns_rotation_on_for_a_key_named_by_arn() {
    let kms = aws_sdk_kms::Client::new(&aws().await);
    let (key_id, arn) = new_key(&kms).await;
    assert!(!rotates(&kms, &key_id).await);

    let dry = run("kms_enable_rotation", key_entity(&arn), Mode::DryRun).await;
    assert_eq!(dry.status, OutcomeStatus::DryRun);
    assert_eq!(
        dry.changes,
        vec![format!("enable automatic rotation of key {key_id}")]
    );
    assert!(!rotates(&kms, &key_id).await, "dry-run changes nothing");

    let first = run("kms_enable_rotation", key_entity(&arn), Mode::Enforce).await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert_eq!(
        first.message,
        format!("Automatic rotation enabled for key {key_id}")
    );
    assert!(rotates(&kms, &key_id).await);

    let second = run("kms_enable_rotation", key_entity(&key_id), Mode::Enforce).await;
    assert_eq!(second.status, OutcomeStatus::AlreadyCompliant);
    assert_eq!(
        second.message,
        format!("Key {key_id} already rotates automatically")
    );
}

#[tokio::test]
async fn enable_rotation_skips_keys_that_cannot_rotate_with_the_reason() {
    let kms = aws_sdk_kms::Client::new(&aws().await);
    let asymmetric = kms
        .create_key()
        .key_spec(KeySpec::Rsa2048)
        .key_usage(KeyUsageType::SignVerify)
        .send()
        .await
        .expect("create_key RSA_2048")
        .key_metadata()
        .unwrap()
        .key_id()
        .to_string();
    let (disabled, _) = new_key(&kms).await;
    kms.disable_key()
        .key_id(&disabled)
        .send()
        .await
        .expect("disable_key");

    let cases = [
        (
            asymmetric.clone(),
            format!("Key {asymmetric} is RSA_2048: automatic rotation exists only for SYMMETRIC_DEFAULT keys"),
        ),
        (
            disabled.clone(),
            format!("Key {disabled} is Disabled: rotation can only be turned on for an enabled key"),
        ),
        (
            "0d3e4f5a-1b2c-4d5e-8f90-123456789abc".to_string(),
            "Key 0d3e4f5a-1b2c-4d5e-8f90-123456789abc does not exist (any more): nothing to do"
                .to_string(),
        ),
    ];
    for (key, reason) in cases {
        let outcome = run("kms_enable_rotation", key_entity(&key), Mode::Enforce).await;
        assert_eq!(outcome.status, OutcomeStatus::Skipped, "{key}");
        assert_eq!(outcome.message, reason);
    }
    assert!(!rotates(&kms, &disabled).await);
}

// ---- iam_quarantine_user ----

const QUARANTINE_POLICY: &str = "quarantine_deny_all_policy";

fn quarantine_policy_arn() -> String {
    format!("arn:aws:iam::{LOCAL_ACCOUNT}:policy/{QUARANTINE_POLICY}")
}

/// The default version's document of a policy, as JSON (AWS percent-encodes it).
async fn policy_document(iam: &aws_sdk_iam::Client, arn: &str) -> Value {
    let policy = iam
        .get_policy()
        .policy_arn(arn)
        .send()
        .await
        .expect("get_policy");
    let version = policy.policy().unwrap().default_version_id().unwrap();
    let out = iam
        .get_policy_version()
        .policy_arn(arn)
        .version_id(version)
        .send()
        .await
        .expect("get_policy_version");
    let raw = out.policy_version().unwrap().document().unwrap();
    serde_json::from_str(&percent_decode(raw)).expect("a JSON policy document")
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).expect("UTF-8")
}

async fn quarantine_policy_exists(iam: &aws_sdk_iam::Client) -> bool {
    iam.get_policy()
        .policy_arn(quarantine_policy_arn())
        .send()
        .await
        .is_ok()
}

/// One test, so the account-wide policy's life is seen in order: absent, created once, reused.
#[tokio::test]
async fn quarantine_user_creates_the_deny_all_policy_once_and_attaches_it() {
    let iam = aws_sdk_iam::Client::new(&aws().await);
    let policy_arn = quarantine_policy_arn();
    let user = new_user(&iam, "cloudbots-suspect").await;
    assert!(!quarantine_policy_exists(&iam).await);

    let dry = run("iam_quarantine_user", user_entity(&user), Mode::DryRun).await;
    assert_eq!(dry.status, OutcomeStatus::DryRun);
    assert_eq!(
        dry.changes,
        vec![
            format!("create policy {policy_arn} (deny every action)"),
            format!("attach policy {policy_arn} to IAM user {user}"),
        ]
    );
    assert!(
        !quarantine_policy_exists(&iam).await,
        "dry-run creates nothing"
    );
    assert!(user_policies(&iam, &user).await.is_empty());

    let first = run("iam_quarantine_user", user_entity(&user), Mode::Enforce).await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert_eq!(first.changes, dry.changes);
    assert_eq!(first.artifacts, vec![policy_arn.clone()]);
    assert_eq!(user_policies(&iam, &user).await, vec![policy_arn.clone()]);
    assert_eq!(
        policy_document(&iam, &policy_arn).await,
        json!({
            "Version": "2012-10-17",
            "Statement": [{"Sid": "QuarantineDenyAll", "Effect": "Deny", "Action": "*", "Resource": "*"}]
        })
    );

    let second = run("iam_quarantine_user", user_entity(&user), Mode::Enforce).await;
    assert_eq!(second.status, OutcomeStatus::AlreadyCompliant);
    assert_eq!(
        second.message,
        format!("IAM user {user} is already quarantined with {policy_arn}")
    );

    let other = new_user(&iam, "cloudbots-suspect").await;
    let reused = run("iam_quarantine_user", user_entity(&other), Mode::Enforce).await;
    assert_eq!(
        reused.status,
        OutcomeStatus::Remediated,
        "{}",
        reused.message
    );
    assert_eq!(
        reused.changes,
        vec![format!("attach policy {policy_arn} to IAM user {other}")],
        "the policy exists: only the attachment is new"
    );
    assert!(reused.artifacts.is_empty());
    assert_eq!(user_policies(&iam, &other).await, vec![policy_arn]);
}

#[tokio::test]
async fn quarantine_user_skips_a_missing_user() {
    let outcome = run(
        "iam_quarantine_user",
        user_entity("cloudbots-nobody"),
        Mode::Enforce,
    )
    .await;
    assert_eq!(outcome.status, OutcomeStatus::Skipped);
    assert_eq!(
        outcome.message,
        "IAM user cloudbots-nobody does not exist (any more): nothing to quarantine"
    );
}
