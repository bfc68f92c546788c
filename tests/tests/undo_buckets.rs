//! Verify and undo of the S3 bucket-setting bots on the local stack, each bot and the
//! `restore_bucket_settings` restorer running as a user allowed exactly its own role's actions
//! (IAM enforced).
//!
//! For every bot: its change is verified, the restorer puts the bucket back (every setting S3
//! describes equals what it was before the bot ran), a second undo finds nothing to restore, and
//! an undo after someone changed the bucket is refused with the difference unless forced. A
//! write that does not show when the bucket is read again (S3 answered "done" but nothing
//! changed, injected on the wire) fails the step `NotVerified`.
//!
//! `s3_enable_versioning` is verified and undone in the S3 functions' own tests, on a mocked
//! client: moto answers GetBucketVersioning with a root element the SDK does not accept.

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::types::{
    BucketCannedAcl, Condition, ErrorDocument, IndexDocument, PublicAccessBlockConfiguration,
    Redirect, RoutingRule, ServerSideEncryption, ServerSideEncryptionByDefault,
    ServerSideEncryptionConfiguration, ServerSideEncryptionRule, WebsiteConfiguration,
};
use aws_sdk_s3::Client;
use cloudbots_shared::error::ErrorName;
use cloudbots_shared::outcome::OutcomeStatus;
use cloudbots_shared::plan::Mode;
use cloudbots_shared::restore::RestoreStatus;
use cloudbots_tests::wire::{faulty_rest_client, functions_config};
use cloudbots_tests::{
    assert_refused_then_forced, assert_undone, aws, entity, run_ok, run_restorer, run_with_config,
    unique_name,
};
use serde_json::{json, Value};

async fn s3() -> Client {
    Client::new(&aws().await)
}

/// Everything S3 describes about the bucket's settings, one line per setting: the public access
/// block, policy, ACL (grantee and permission: S3 ignores the display names a request gives),
/// static website, default encryption and server access logging, or the error code of each that
/// the bucket does not have.
async fn described_bucket(s3: &Client, bucket: &str) -> Vec<String> {
    fn or_code<T: std::fmt::Debug, E: ProvideErrorMetadata>(result: Result<T, E>) -> String {
        match result {
            Ok(value) => format!("{value:?}"),
            Err(e) => format!("error {:?}", e.code()),
        }
    }
    let block = s3.get_public_access_block().bucket(bucket).send().await;
    let policy = s3.get_bucket_policy().bucket(bucket).send().await;
    let acl = s3.get_bucket_acl().bucket(bucket).send().await.unwrap();
    let mut grants: Vec<String> = acl
        .grants()
        .iter()
        .map(|g| {
            let who = g.grantee().unwrap();
            format!(
                "{:?} {:?} {:?} {:?} {:?}",
                who.r#type(),
                who.id(),
                who.uri(),
                who.email_address(),
                g.permission()
            )
        })
        .collect();
    grants.sort();
    let website = s3.get_bucket_website().bucket(bucket).send().await;
    let encryption = s3.get_bucket_encryption().bucket(bucket).send().await;
    let logging = s3.get_bucket_logging().bucket(bucket).send().await.unwrap();
    vec![
        format!(
            "public access block: {}",
            or_code(block.map(|b| b.public_access_block_configuration().cloned()))
        ),
        format!(
            "policy: {}",
            or_code(policy.map(|p| serde_json::from_str::<Value>(p.policy().unwrap()).unwrap()))
        ),
        format!(
            "acl: owner {:?}, {}",
            acl.owner().and_then(|o| o.id()),
            grants.join("; ")
        ),
        format!(
            "website: {}",
            or_code(website.map(|w| {
                (
                    w.index_document().cloned(),
                    w.error_document().cloned(),
                    w.redirect_all_requests_to().cloned(),
                    w.routing_rules().to_vec(),
                )
            }))
        ),
        format!(
            "encryption: {}",
            or_code(encryption.map(|e| e.server_side_encryption_configuration().cloned()))
        ),
        format!("logging: {:?}", logging.logging_enabled()),
    ]
}

/// How a case's bucket is set up before the bot runs.
#[derive(Debug, Clone, Copy)]
enum Setup {
    Nothing,
    /// One of the four public access blocks on.
    PartialBlock,
    /// The canned ACL `public-read-write`.
    PublicAcl,
    /// A policy granting the public s3:GetObject beside a named principal's statement.
    PublicPolicy,
    PublicPolicyAndAcl,
    /// A website with index and error documents and a routing rule.
    Website,
    /// Default encryption SSE-S3 with a bucket key.
    Aes256,
}

fn public_policy(bucket: &str) -> String {
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "Public", "Effect": "Allow", "Principal": "*",
             "Action": ["s3:GetObject", "s3:AbortMultipartUpload"], "Resource": format!("arn:aws:s3:::{bucket}/*")},
            {"Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
             "Action": "s3:ListBucket", "Resource": format!("arn:aws:s3:::{bucket}")}
        ]
    })
    .to_string()
}

async fn set_up(s3: &Client, setup: Setup) -> String {
    let bucket = unique_name("undo-bucket");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let put_policy = || async {
        s3.put_bucket_policy()
            .bucket(&bucket)
            .policy(public_policy(&bucket))
            .send()
            .await
            .unwrap();
    };
    let put_acl = || async {
        s3.put_bucket_acl()
            .bucket(&bucket)
            .acl(BucketCannedAcl::PublicReadWrite)
            .send()
            .await
            .unwrap();
    };
    match setup {
        Setup::Nothing => {}
        Setup::PartialBlock => {
            s3.put_public_access_block()
                .bucket(&bucket)
                .public_access_block_configuration(
                    PublicAccessBlockConfiguration::builder()
                        .block_public_acls(true)
                        .build(),
                )
                .send()
                .await
                .unwrap();
        }
        Setup::PublicAcl => put_acl().await,
        Setup::PublicPolicy => put_policy().await,
        Setup::PublicPolicyAndAcl => {
            put_policy().await;
            put_acl().await;
        }
        Setup::Website => {
            let website = WebsiteConfiguration::builder()
                .index_document(
                    IndexDocument::builder()
                        .suffix("index.html")
                        .build()
                        .unwrap(),
                )
                .error_document(ErrorDocument::builder().key("error.html").build().unwrap())
                .routing_rules(
                    RoutingRule::builder()
                        .condition(Condition::builder().key_prefix_equals("docs/").build())
                        .redirect(
                            Redirect::builder()
                                .replace_key_prefix_with("documents/")
                                .build(),
                        )
                        .build(),
                )
                .build();
            s3.put_bucket_website()
                .bucket(&bucket)
                .website_configuration(website)
                .send()
                .await
                .unwrap();
        }
        Setup::Aes256 => {
            let default = ServerSideEncryptionByDefault::builder()
                .sse_algorithm(ServerSideEncryption::Aes256)
                .build()
                .unwrap();
            s3.put_bucket_encryption()
                .bucket(&bucket)
                .server_side_encryption_configuration(
                    ServerSideEncryptionConfiguration::builder()
                        .rules(
                            ServerSideEncryptionRule::builder()
                                .apply_server_side_encryption_by_default(default)
                                .bucket_key_enabled(true)
                                .build(),
                        )
                        .build()
                        .unwrap(),
                )
                .send()
                .await
                .unwrap();
        }
    }
    bucket
}

const KMS_LINE: &str =
    "s3_enable_encryption kms arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

/// Each bot, on a bucket set up so that it has something to change.
const CASES: &[(&str, Setup)] = &[
    ("s3_block_all_public_access", Setup::Nothing),
    ("s3_block_all_public_access", Setup::PartialBlock),
    ("s3_delete_acls", Setup::PublicAcl),
    ("s3_delete_permissions", Setup::PublicPolicyAndAcl),
    ("s3_delete_permissions", Setup::PublicPolicy),
    ("s3_disable_static_website_hosting", Setup::Website),
    (KMS_LINE, Setup::Aes256),
    (KMS_LINE, Setup::Nothing),
    ("s3_enable_logging", Setup::Nothing),
    ("s3_limit_access", Setup::PublicPolicy),
    ("s3_only_allow_ssl", Setup::Nothing),
    ("s3_only_allow_ssl", Setup::PublicPolicy),
];

#[tokio::test]
async fn every_bucket_setting_bot_is_verified_and_undone_to_the_bucket_it_found() {
    let s3 = s3().await;
    for (line, setup) in CASES {
        let case = format!("{line} on {setup:?}");
        let bucket = set_up(&s3, *setup).await;
        let before = described_bucket(&s3, &bucket).await;
        let outcome = run_ok(line, entity("S3Bucket", &bucket, &bucket), Mode::Enforce).await;
        assert_eq!(
            outcome.status,
            OutcomeStatus::Remediated,
            "{case}: {}",
            outcome.message
        );
        assert!(!outcome.verified.is_empty(), "{case}");
        for checked in &outcome.verified {
            assert!(
                checked.starts_with("the ")
                    && checked.contains(&format!(" of bucket {bucket} is ")),
                "{case}: {checked}"
            );
        }
        assert_ne!(described_bucket(&s3, &bucket).await, before, "{case}");

        assert_undone(&outcome, &case, &before, || described_bucket(&s3, &bucket)).await;
    }
}

#[tokio::test]
async fn the_restorer_says_what_it_puts_back() {
    let s3 = s3().await;
    let bucket = set_up(&s3, Setup::Nothing).await;
    let outcome = run_ok(
        "s3_only_allow_ssl",
        entity("S3Bucket", &bucket, &bucket),
        Mode::Enforce,
    )
    .await;
    let dry = run_restorer(&outcome, Mode::DryRun, false).await.unwrap();
    assert_eq!(dry.status, RestoreStatus::DryRun);
    assert_eq!(
        dry.message,
        format!(
            "Would restore the policy of bucket {bucket}: remove the policy of bucket {bucket} (it had none)"
        )
    );
    assert!(s3.get_bucket_policy().bucket(&bucket).send().await.is_ok());
    let undone = run_restorer(&outcome, Mode::Enforce, false).await.unwrap();
    assert_eq!(
        undone.message,
        format!(
            "Restored the policy of bucket {bucket}: remove the policy of bucket {bucket} (it had none)"
        )
    );
    assert_eq!(
        undone.verified,
        [format!("the policy of bucket {bucket} is none")]
    );
}

#[tokio::test]
async fn a_bucket_changed_since_is_refused_unless_forced() {
    let s3 = s3().await;
    let bucket = set_up(&s3, Setup::PublicPolicy).await;
    let before = described_bucket(&s3, &bucket).await;
    let outcome = run_ok(
        "s3_limit_access",
        entity("S3Bucket", &bucket, &bucket),
        Mode::Enforce,
    )
    .await;
    let left = s3
        .get_bucket_policy()
        .bucket(&bucket)
        .send()
        .await
        .unwrap()
        .policy()
        .unwrap()
        .to_string();
    let someone_elses = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Audit", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
         "Action": "s3:GetBucketPolicy", "Resource": format!("arn:aws:s3:::{bucket}")}]});
    s3.put_bucket_policy()
        .bucket(&bucket)
        .policy(someone_elses.to_string())
        .send()
        .await
        .unwrap();
    let left: Value = serde_json::from_str(&left).unwrap();
    assert_refused_then_forced(
        &outcome,
        &[&format!(
            "its policy is {someone_elses}, not {left} as the bot left it"
        )],
        &before,
        || described_bucket(&s3, &bucket),
    )
    .await;
}

/// Each bot, the write that is answered "done" without reaching S3, and the setting that then
/// reads back otherwise.
const UNSEEN_WRITES: &[(&str, Setup, &str, &str, &str)] = &[
    (
        "s3_block_all_public_access",
        Setup::Nothing,
        "PUT",
        "publicAccessBlock",
        "public access block",
    ),
    ("s3_delete_acls", Setup::PublicAcl, "PUT", "?acl", "ACL"),
    (
        "s3_delete_permissions",
        Setup::PublicPolicyAndAcl,
        "DELETE",
        "?policy",
        "policy",
    ),
    (
        "s3_disable_static_website_hosting",
        Setup::Website,
        "DELETE",
        "?website",
        "static website configuration",
    ),
    (
        KMS_LINE,
        Setup::Nothing,
        "PUT",
        "?encryption",
        "default encryption",
    ),
    (
        "s3_enable_logging",
        Setup::Nothing,
        "PUT",
        "?logging",
        "server access logging",
    ),
    (
        "s3_limit_access",
        Setup::PublicPolicy,
        "PUT",
        "?policy",
        "policy",
    ),
    (
        "s3_only_allow_ssl",
        Setup::Nothing,
        "PUT",
        "?policy",
        "policy",
    ),
];

#[tokio::test]
async fn a_bucket_setting_that_does_not_show_fails_not_verified() {
    let s3 = s3().await;
    for (line, setup, method, path, setting) in UNSEEN_WRITES {
        let bucket = set_up(&s3, *setup).await;
        let (client, faults) = faulty_rest_client(method, path, &[(200, ""); 2]).await;
        let entity = entity("S3Bucket", &bucket, &bucket);
        let error = run_with_config(functions_config(client).await, line, entity)
            .await
            .unwrap_err();
        assert_eq!(faults.seen(), 1, "{line}");
        assert_eq!(error.name, ErrorName::NotVerified, "{line}: {error}");
        let expected = format!(
            "bucket {bucket} read back after the change is not as intended (3 reads): its {setting} is "
        );
        assert!(error.message.starts_with(&expected), "{line}: {error}");
    }
}
