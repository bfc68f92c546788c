//! The S3 bots on the local stack: after each run, the bucket's real ACL grants, policy
//! statements, default encryption, logging target and website configuration, and that nothing
//! is deleted from a non-empty bucket.
//!
//! `s3_enable_versioning` is tested with a mocked S3 client next to its code (functions crate):
//! moto answers GetBucketVersioning with a root element the SDK does not accept. Here it is only
//! run on a missing bucket, where moto's error is well-formed.

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketCannedAcl, BucketVersioningStatus, ErrorDocument, IndexDocument, VersioningConfiguration,
    WebsiteConfiguration,
};
use aws_sdk_s3::Client;
use cloudbots_cli::local::LOCAL_ACCOUNT;
use cloudbots_shared::outcome::{BotOutcome, OutcomeStatus};
use cloudbots_shared::plan::Mode;
use cloudbots_tests::{aws, entity, run_line, unique_name};
use serde_json::{json, Value};

async fn run(line: &str, bucket: &str, mode: Mode) -> BotOutcome {
    run_line(line, entity("S3Bucket", bucket, bucket), mode)
        .await
        .unwrap_or_else(|e| panic!("{line}: {e}"))
}

/// Dry-run, then enforce, then enforce again: returns (dry-run, first) after checking that the
/// dry-run listed exactly what the first run changed and that the second run found nothing to do.
async fn dry_first_second(line: &str, bucket: &str) -> (BotOutcome, BotOutcome, BotOutcome) {
    let dry = run(line, bucket, Mode::DryRun).await;
    assert_eq!(dry.status, OutcomeStatus::DryRun, "{}", dry.message);
    let first = run(line, bucket, Mode::Enforce).await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert_eq!(first.changes, dry.changes);
    let second = run(line, bucket, Mode::Enforce).await;
    assert_eq!(
        second.status,
        OutcomeStatus::AlreadyCompliant,
        "{}",
        second.message
    );
    assert!(second.changes.is_empty());
    (dry, first, second)
}

async fn s3() -> Client {
    Client::new(&aws().await)
}

async fn new_bucket(s3: &Client) -> String {
    let bucket = unique_name("cloudbots-s3");
    s3.create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("create_bucket");
    bucket
}

fn error_code<E: ProvideErrorMetadata>(error: &E) -> String {
    error.code().unwrap_or("(no code)").to_string()
}

/// The bucket's ACL grants as (grantee, permission), the owner written `owner`.
async fn grants(s3: &Client, bucket: &str) -> Vec<(String, String)> {
    let acl = s3
        .get_bucket_acl()
        .bucket(bucket)
        .send()
        .await
        .expect("get_bucket_acl");
    let owner = acl.owner().and_then(|o| o.id()).map(str::to_string);
    acl.grants()
        .iter()
        .map(|g| {
            let who = g.grantee().unwrap();
            let name = match (who.id(), who.uri()) {
                (Some(id), _) if Some(id.to_string()) == owner => "owner".to_string(),
                (Some(id), _) => id.to_string(),
                (None, Some(uri)) => uri.to_string(),
                _ => "?".to_string(),
            };
            (name, g.permission().unwrap().as_str().to_string())
        })
        .collect()
}

fn owner_only() -> Vec<(String, String)> {
    vec![("owner".to_string(), "FULL_CONTROL".to_string())]
}

const ALL_USERS: &str = "http://acs.amazonaws.com/groups/global/AllUsers";
const AUTHENTICATED_USERS: &str = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";

/// The bucket policy as JSON, or None when the bucket has none.
async fn policy(s3: &Client, bucket: &str) -> Option<Value> {
    match s3.get_bucket_policy().bucket(bucket).send().await {
        Ok(out) => Some(serde_json::from_str(out.policy().unwrap()).expect("JSON policy")),
        Err(e) => {
            assert_eq!(error_code(&e.into_service_error()), "NoSuchBucketPolicy");
            None
        }
    }
}

async fn put_policy(s3: &Client, bucket: &str, statements: Value) {
    s3.put_bucket_policy()
        .bucket(bucket)
        .policy(json!({"Version": "2012-10-17", "Statement": statements}).to_string())
        .send()
        .await
        .expect("put_bucket_policy");
}

fn statements(policy: Option<Value>) -> Value {
    policy.expect("a bucket policy")["Statement"].clone()
}

fn account_root() -> String {
    format!("arn:aws:iam::{LOCAL_ACCOUNT}:root")
}

// ---- s3_delete_acls ----

#[tokio::test]
async fn delete_acls_leaves_only_the_owners_grant_and_the_policy_alone() {
    let s3 = s3().await;
    let bucket = new_bucket(&s3).await;
    s3.put_bucket_acl()
        .bucket(&bucket)
        .acl(BucketCannedAcl::PublicRead)
        .send()
        .await
        .expect("put_bucket_acl");
    let public_read = json!([{"Sid": "PublicRead", "Effect": "Allow", "Principal": "*",
        "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::{bucket}/*")}]);
    put_policy(&s3, &bucket, public_read.clone()).await;
    let before = grants(&s3, &bucket).await;
    assert_eq!(
        before,
        vec![
            ("owner".to_string(), "FULL_CONTROL".to_string()),
            (ALL_USERS.to_string(), "READ".to_string())
        ]
    );

    let dry = run("s3_delete_acls", &bucket, Mode::DryRun).await;
    assert_eq!(
        dry.changes,
        vec![format!(
            "remove ACL grant READ for group AllUsers from bucket {bucket}"
        )]
    );
    assert_eq!(
        grants(&s3, &bucket).await,
        before,
        "dry-run changes nothing"
    );

    let (_, first, second) = dry_first_second("s3_delete_acls", &bucket).await;
    assert_eq!(
        first.message,
        format!("Removed 1 ACL grant(s) from bucket {bucket}: READ for group AllUsers")
    );
    assert_eq!(grants(&s3, &bucket).await, owner_only());
    assert_eq!(statements(policy(&s3, &bucket).await), public_read);
    assert_eq!(
        second.message,
        format!("Bucket {bucket} grants ACL permissions to its owner only")
    );
}

// ---- s3_delete_permissions ----

#[tokio::test]
async fn delete_permissions_deletes_the_policy_and_the_foreign_grants() {
    let s3 = s3().await;
    let bucket = new_bucket(&s3).await;
    let owner = s3
        .get_bucket_acl()
        .bucket(&bucket)
        .send()
        .await
        .expect("get_bucket_acl")
        .owner()
        .and_then(|o| o.id())
        .unwrap()
        .to_string();
    s3.put_bucket_acl()
        .bucket(&bucket)
        .grant_full_control(format!("id={owner}"))
        .grant_read(format!("uri={ALL_USERS}"))
        .grant_write(format!("uri={AUTHENTICATED_USERS}"))
        .send()
        .await
        .expect("put_bucket_acl");
    let statement = json!({"Sid": "PublicRead", "Effect": "Allow", "Principal": "*",
        "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::{bucket}/*")});
    put_policy(&s3, &bucket, json!([statement])).await;
    let policy_text = s3
        .get_bucket_policy()
        .bucket(&bucket)
        .send()
        .await
        .unwrap()
        .policy()
        .unwrap()
        .to_string();

    let (dry, _, second) = dry_first_second("s3_delete_permissions", &bucket).await;
    assert_eq!(dry.changes.len(), 3, "{:?}", dry.changes);
    let deleted_policy = dry.changes[0]
        .strip_prefix(&format!("delete the policy of bucket {bucket}: "))
        .expect("the policy is listed first");
    assert_eq!(
        serde_json::from_str::<Value>(deleted_policy).unwrap(),
        serde_json::from_str::<Value>(&policy_text).unwrap(),
        "the deleted policy is kept in the changes"
    );
    assert_eq!(
        dry.changes[1..],
        [
            format!("remove ACL grant READ for group AllUsers from bucket {bucket}"),
            format!("remove ACL grant WRITE for group AuthenticatedUsers from bucket {bucket}"),
        ]
    );
    assert_eq!(policy(&s3, &bucket).await, None);
    assert_eq!(grants(&s3, &bucket).await, owner_only());
    assert_eq!(
        second.message,
        format!(
            "Bucket {bucket} has no bucket policy and grants ACL permissions to its owner only"
        )
    );
}

// ---- s3_disable_static_website_hosting ----

async fn website_error(s3: &Client, bucket: &str) -> Option<String> {
    s3.get_bucket_website()
        .bucket(bucket)
        .send()
        .await
        .err()
        .map(|e| error_code(&e.into_service_error()))
}

#[tokio::test]
async fn disable_static_website_hosting_deletes_the_website_configuration() {
    let s3 = s3().await;
    let bucket = new_bucket(&s3).await;
    s3.put_bucket_website()
        .bucket(&bucket)
        .website_configuration(
            WebsiteConfiguration::builder()
                .index_document(
                    IndexDocument::builder()
                        .suffix("index.html")
                        .build()
                        .unwrap(),
                )
                .error_document(ErrorDocument::builder().key("error.html").build().unwrap())
                .build(),
        )
        .send()
        .await
        .expect("put_bucket_website");

    let dry = run("s3_disable_static_website_hosting", &bucket, Mode::DryRun).await;
    assert_eq!(
        dry.changes,
        vec![format!("delete the static website configuration of bucket {bucket} (index document index.html, error document error.html)")]
    );
    assert_eq!(
        website_error(&s3, &bucket).await,
        None,
        "dry-run changes nothing"
    );

    let (_, _, second) = dry_first_second("s3_disable_static_website_hosting", &bucket).await;
    assert_eq!(
        website_error(&s3, &bucket).await.as_deref(),
        Some("NoSuchWebsiteConfiguration")
    );
    assert_eq!(
        second.message,
        format!("Bucket {bucket} does not host a static website")
    );
}

// ---- s3_enable_encryption ----

/// The bucket's default encryption: (algorithm, KMS key), or None.
async fn encryption(s3: &Client, bucket: &str) -> Option<(String, Option<String>)> {
    match s3.get_bucket_encryption().bucket(bucket).send().await {
        Ok(out) => {
            let rules = out.server_side_encryption_configuration().unwrap().rules();
            assert_eq!(rules.len(), 1);
            let default = rules[0].apply_server_side_encryption_by_default().unwrap();
            Some((
                default.sse_algorithm().as_str().to_string(),
                default.kms_master_key_id().map(str::to_string),
            ))
        }
        Err(e) => {
            assert_eq!(
                error_code(&e.into_service_error()),
                "ServerSideEncryptionConfigurationNotFoundError"
            );
            None
        }
    }
}

#[tokio::test]
async fn enable_encryption_s3_sets_aes256() {
    let s3 = s3().await;
    let bucket = new_bucket(&s3).await;
    assert_eq!(encryption(&s3, &bucket).await, None);

    let dry = run("s3_enable_encryption s3", &bucket, Mode::DryRun).await;
    assert_eq!(
        dry.changes,
        vec![format!(
            "set the default encryption of bucket {bucket} to AES256 (was no default encryption)"
        )]
    );
    assert_eq!(
        encryption(&s3, &bucket).await,
        None,
        "dry-run changes nothing"
    );

    let (_, _, second) = dry_first_second("s3_enable_encryption s3", &bucket).await;
    assert_eq!(
        encryption(&s3, &bucket).await,
        Some(("AES256".to_string(), None))
    );
    assert_eq!(
        second.message,
        format!("Bucket {bucket} is already encrypted by default with AES256")
    );
}

#[tokio::test]
async fn enable_encryption_kms_sets_the_key_and_s3_never_downgrades_it() {
    let s3 = s3().await;
    let kms = aws_sdk_kms::Client::new(&aws().await);
    let key = kms
        .create_key()
        .send()
        .await
        .expect("create_key")
        .key_metadata()
        .unwrap()
        .arn()
        .unwrap()
        .to_string();
    let bucket = new_bucket(&s3).await;
    s3.put_bucket_encryption()
        .bucket(&bucket)
        .server_side_encryption_configuration(
            aws_sdk_s3::types::ServerSideEncryptionConfiguration::builder()
                .rules(
                    aws_sdk_s3::types::ServerSideEncryptionRule::builder()
                        .apply_server_side_encryption_by_default(
                            aws_sdk_s3::types::ServerSideEncryptionByDefault::builder()
                                .sse_algorithm(aws_sdk_s3::types::ServerSideEncryption::Aes256)
                                .build()
                                .unwrap(),
                        )
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("put_bucket_encryption");

    let line = format!("s3_enable_encryption kms {key}");
    let (dry, _, _) = dry_first_second(&line, &bucket).await;
    assert_eq!(
        dry.changes,
        vec![format!(
            "set the default encryption of bucket {bucket} to aws:kms with key {key} (was AES256)"
        )]
    );
    assert_eq!(
        encryption(&s3, &bucket).await,
        Some(("aws:kms".to_string(), Some(key.clone())))
    );

    let s3_form = run("s3_enable_encryption s3", &bucket, Mode::Enforce).await;
    assert_eq!(s3_form.status, OutcomeStatus::AlreadyCompliant);
    assert_eq!(
        s3_form.message,
        format!("Bucket {bucket} is already encrypted by default with aws:kms with key {key}")
    );
    assert_eq!(
        encryption(&s3, &bucket).await,
        Some(("aws:kms".to_string(), Some(key)))
    );
}

// ---- s3_enable_logging ----

/// The bucket's logging target: (bucket, prefix), or None.
async fn logging(s3: &Client, bucket: &str) -> Option<(String, String)> {
    let out = s3
        .get_bucket_logging()
        .bucket(bucket)
        .send()
        .await
        .expect("get_bucket_logging");
    out.logging_enabled()
        .map(|l| (l.target_bucket().to_string(), l.target_prefix().to_string()))
}

/// One test, because the log bucket is shared by the account: absent, created with its grant,
/// then reused, and its policy's other statements kept.
#[tokio::test]
async fn enable_logging_logs_into_the_accounts_log_bucket() {
    let s3 = s3().await;
    let log_bucket = format!("{LOCAL_ACCOUNT}s3accesslogsus-east-1");
    let grant = json!({
        "Sid": "S3ServerAccessLogsPolicy",
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": format!("arn:aws:s3:::{log_bucket}/*"),
        "Condition": {"StringEquals": {"aws:SourceAccount": LOCAL_ACCOUNT}}
    });
    assert!(s3.head_bucket().bucket(&log_bucket).send().await.is_err());
    let bucket = new_bucket(&s3).await;

    let dry = run("s3_enable_logging", &bucket, Mode::DryRun).await;
    assert_eq!(
        dry.changes,
        vec![
            format!("create bucket {log_bucket} in us-east-1 with all public access blocked"),
            format!("add statement S3ServerAccessLogsPolicy to the policy of bucket {log_bucket}: logging.s3.amazonaws.com may put the server access logs of account {LOCAL_ACCOUNT}'s buckets"),
            format!("log server access of bucket {bucket} into bucket {log_bucket} under prefix {bucket}/"),
        ]
    );
    assert!(
        s3.head_bucket().bucket(&log_bucket).send().await.is_err(),
        "dry-run creates nothing"
    );
    assert_eq!(logging(&s3, &bucket).await, None);

    let (_, first, second) = dry_first_second("s3_enable_logging", &bucket).await;
    assert_eq!(first.artifacts, vec![log_bucket.clone()]);
    assert_eq!(
        logging(&s3, &bucket).await,
        Some((log_bucket.clone(), format!("{bucket}/")))
    );
    assert_eq!(
        policy(&s3, &log_bucket).await,
        Some(json!({"Version": "2012-10-17", "Statement": [grant.clone()]}))
    );
    let block = s3
        .get_public_access_block()
        .bucket(&log_bucket)
        .send()
        .await
        .expect("the log bucket blocks public access")
        .public_access_block_configuration
        .unwrap();
    assert_eq!(block.restrict_public_buckets(), Some(true));
    assert_eq!(
        second.message,
        format!("Bucket {bucket} already logs server access into bucket {log_bucket} (prefix '{bucket}/')")
    );

    // The log bucket exists with the grant: the next bucket only needs its own logging.
    let other = new_bucket(&s3).await;
    let reused = run("s3_enable_logging", &other, Mode::Enforce).await;
    assert_eq!(
        reused.status,
        OutcomeStatus::Remediated,
        "{}",
        reused.message
    );
    assert_eq!(
        reused.changes,
        vec![format!(
            "log server access of bucket {other} into bucket {log_bucket} under prefix {other}/"
        )]
    );
    assert!(reused.artifacts.is_empty());
    assert_eq!(
        statements(policy(&s3, &log_bucket).await),
        json!([grant.clone()])
    );

    // A log bucket whose policy lost the grant gets it back, after its other statements.
    let unrelated = json!({"Sid": "ReadForAuditors", "Effect": "Allow",
        "Principal": {"AWS": account_root()}, "Action": "s3:GetObject",
        "Resource": format!("arn:aws:s3:::{log_bucket}/*")});
    put_policy(&s3, &log_bucket, json!([unrelated.clone()])).await;
    let third = new_bucket(&s3).await;
    let regranted = run("s3_enable_logging", &third, Mode::Enforce).await;
    assert_eq!(regranted.status, OutcomeStatus::Remediated);
    assert_eq!(regranted.changes.len(), 2, "{:?}", regranted.changes);
    assert_eq!(
        statements(policy(&s3, &log_bucket).await),
        json!([unrelated, grant])
    );
    assert_eq!(
        logging(&s3, &third).await,
        Some((log_bucket.clone(), format!("{third}/")))
    );

    let itself = run("s3_enable_logging", &log_bucket, Mode::Enforce).await;
    assert_eq!(itself.status, OutcomeStatus::Skipped);
    assert_eq!(
        itself.message,
        format!("Bucket {log_bucket} is the access-log bucket itself: logging it into itself would log every log delivery")
    );
    assert_eq!(logging(&s3, &log_bucket).await, None);
}

// ---- s3_limit_access ----

#[tokio::test]
async fn limit_access_removes_only_the_publics_access_to_the_listed_actions() {
    let s3 = s3().await;
    let bucket = new_bucket(&s3).await;
    let objects = format!("arn:aws:s3:::{bucket}/*");
    let public_read = json!({"Sid": "PublicRead", "Effect": "Allow", "Principal": "*",
        "Action": "s3:GetObject", "Resource": objects});
    let mixed = json!({"Sid": "Mixed", "Effect": "Allow",
        "Principal": {"AWS": ["*", account_root()]},
        "Action": ["s3:PutObject", "s3:AbortMultipartUpload"], "Resource": objects});
    let named = json!({"Sid": "Named", "Effect": "Allow", "Principal": {"AWS": account_root()},
        "Action": "s3:*", "Resource": objects});
    let deny_delete = json!({"Sid": "NoDeletes", "Effect": "Deny", "Principal": "*",
        "Action": "s3:DeleteObject", "Resource": objects});
    put_policy(
        &s3,
        &bucket,
        json!([public_read, mixed, named.clone(), deny_delete.clone()]),
    )
    .await;
    let before = policy(&s3, &bucket).await;

    let dry = run("s3_limit_access", &bucket, Mode::DryRun).await;
    assert_eq!(
        dry.changes,
        vec![
            format!("remove public access to s3:GetObject granted by statement PublicRead of the policy of bucket {bucket} (the statement is deleted)"),
            format!("remove public access to s3:PutObject granted by statement Mixed of the policy of bucket {bucket}"),
        ]
    );
    assert_eq!(
        policy(&s3, &bucket).await,
        before,
        "dry-run changes nothing"
    );

    let (_, _, second) = dry_first_second("s3_limit_access", &bucket).await;
    assert_eq!(
        statements(policy(&s3, &bucket).await),
        json!([
            {"Sid": "Mixed", "Effect": "Allow", "Principal": {"AWS": account_root()},
             "Action": ["s3:PutObject", "s3:AbortMultipartUpload"], "Resource": objects},
            {"Effect": "Allow", "Principal": {"AWS": ["*", account_root()]},
             "Action": ["s3:AbortMultipartUpload"], "Resource": objects},
            named,
            deny_delete,
        ])
    );
    assert_eq!(
        second.message,
        format!("The policy of bucket {bucket} grants the public none of the limited actions")
    );
}

#[tokio::test]
async fn limit_access_deletes_a_policy_left_empty_and_leaves_buckets_without_one() {
    let s3 = s3().await;
    let bucket = new_bucket(&s3).await;
    put_policy(
        &s3,
        &bucket,
        json!([{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["s3:Get*", "s3:List*"],
            "Resource": [format!("arn:aws:s3:::{bucket}"), format!("arn:aws:s3:::{bucket}/*")]}]),
    )
    .await;
    let outcome = run("s3_limit_access", &bucket, Mode::Enforce).await;
    assert_eq!(outcome.status, OutcomeStatus::Remediated);
    assert_eq!(
        outcome.changes,
        vec![
            format!("remove public access to s3:Get*, s3:List* granted by statement #1 of the policy of bucket {bucket} (the statement is deleted)"),
            format!("delete the policy of bucket {bucket}: no statement is left"),
        ]
    );
    assert_eq!(policy(&s3, &bucket).await, None);

    let again = run("s3_limit_access", &bucket, Mode::Enforce).await;
    assert_eq!(again.status, OutcomeStatus::AlreadyCompliant);
    assert_eq!(
        again.message,
        format!("Bucket {bucket} has no bucket policy")
    );
}

// ---- s3_only_allow_ssl ----

fn ssl_statement(bucket: &str) -> Value {
    json!({
        "Sid": "AllowSSLRequestsOnly",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [format!("arn:aws:s3:::{bucket}"), format!("arn:aws:s3:::{bucket}/*")],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}
    })
}

#[tokio::test]
async fn only_allow_ssl_adds_its_deny_statement_once_to_the_existing_policy() {
    let s3 = s3().await;
    let bucket = new_bucket(&s3).await;
    let reader = json!({"Sid": "Reader", "Effect": "Allow", "Principal": {"AWS": account_root()},
        "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::{bucket}/*")});
    put_policy(&s3, &bucket, json!([reader.clone()])).await;

    let dry = run("s3_only_allow_ssl", &bucket, Mode::DryRun).await;
    assert_eq!(
        dry.changes,
        vec![format!("add statement AllowSSLRequestsOnly to the existing policy of bucket {bucket}: deny s3:* on arn:aws:s3:::{bucket} and arn:aws:s3:::{bucket}/* when aws:SecureTransport is false")]
    );
    assert_eq!(
        statements(policy(&s3, &bucket).await),
        json!([reader.clone()]),
        "dry-run changes nothing"
    );

    let (_, _, second) = dry_first_second("s3_only_allow_ssl", &bucket).await;
    assert_eq!(
        statements(policy(&s3, &bucket).await),
        json!([reader, ssl_statement(&bucket)])
    );
    assert_eq!(
        second.message,
        format!("The policy of bucket {bucket} already denies requests without SSL")
    );
}

#[tokio::test]
async fn only_allow_ssl_creates_a_policy_when_the_bucket_has_none() {
    let s3 = s3().await;
    let bucket = new_bucket(&s3).await;
    let outcome = run("s3_only_allow_ssl", &bucket, Mode::Enforce).await;
    assert_eq!(outcome.status, OutcomeStatus::Remediated);
    assert_eq!(
        policy(&s3, &bucket).await,
        Some(json!({"Version": "2012-10-17", "Statement": [ssl_statement(&bucket)]}))
    );
}

// ---- s3_delete_bucket ----

async fn set_versioning(s3: &Client, bucket: &str, status: BucketVersioningStatus) {
    s3.put_bucket_versioning()
        .bucket(bucket)
        .versioning_configuration(VersioningConfiguration::builder().status(status).build())
        .send()
        .await
        .expect("put_bucket_versioning");
}

async fn exists(s3: &Client, bucket: &str) -> bool {
    s3.head_bucket().bucket(bucket).send().await.is_ok()
}

#[tokio::test]
async fn delete_bucket_deletes_an_empty_bucket() {
    let s3 = s3().await;
    let bucket = new_bucket(&s3).await;
    let dry = run("s3_delete_bucket", &bucket, Mode::DryRun).await;
    assert_eq!(dry.status, OutcomeStatus::DryRun);
    assert_eq!(dry.changes, vec![format!("delete empty bucket {bucket}")]);
    assert!(exists(&s3, &bucket).await, "dry-run deletes nothing");

    let first = run("s3_delete_bucket", &bucket, Mode::Enforce).await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert_eq!(first.changes, dry.changes);
    assert!(!exists(&s3, &bucket).await);

    let second = run("s3_delete_bucket", &bucket, Mode::Enforce).await;
    assert_eq!(second.status, OutcomeStatus::Skipped);
    assert_eq!(
        second.message,
        format!("Bucket {bucket} does not exist (any more): nothing to do")
    );
}

#[tokio::test]
async fn delete_bucket_never_deletes_a_bucket_holding_objects_or_versions() {
    let s3 = s3().await;
    let with_object = new_bucket(&s3).await;
    s3.put_object()
        .bucket(&with_object)
        .key("evidence.txt")
        .body(ByteStream::from_static(b"keep me"))
        .send()
        .await
        .expect("put_object");
    // Versioned, the object deleted: only its old version and a delete marker remain.
    let with_versions = new_bucket(&s3).await;
    set_versioning(&s3, &with_versions, BucketVersioningStatus::Enabled).await;
    s3.put_object()
        .bucket(&with_versions)
        .key("old.txt")
        .body(ByteStream::from_static(b"old"))
        .send()
        .await
        .expect("put_object");
    s3.delete_object()
        .bucket(&with_versions)
        .key("old.txt")
        .send()
        .await
        .expect("delete_object");

    for bucket in [&with_object, &with_versions] {
        let outcome = run("s3_delete_bucket", bucket, Mode::Enforce).await;
        assert_eq!(outcome.status, OutcomeStatus::Skipped);
        assert_eq!(
            outcome.message,
            format!("Bucket {bucket} is not empty: it is not deleted, and its objects are never deleted by this bot")
        );
        assert!(exists(&s3, bucket).await);
    }
    let kept = s3
        .get_object()
        .bucket(&with_object)
        .key("evidence.txt")
        .send()
        .await
        .expect("the object is still there");
    assert_eq!(
        kept.body.collect().await.unwrap().into_bytes().as_ref(),
        b"keep me"
    );
}

// ---- every S3 bot on a missing bucket ----

#[tokio::test]
async fn every_s3_bot_skips_a_missing_bucket() {
    let bucket = unique_name("cloudbots-gone");
    for line in [
        "s3_delete_acls",
        "s3_delete_permissions",
        "s3_disable_static_website_hosting",
        "s3_enable_encryption s3",
        "s3_enable_logging",
        "s3_enable_versioning",
        "s3_limit_access",
        "s3_only_allow_ssl",
        "s3_delete_bucket",
    ] {
        let outcome = run(line, &bucket, Mode::Enforce).await;
        assert_eq!(
            outcome.status,
            OutcomeStatus::Skipped,
            "{line}: {}",
            outcome.message
        );
        assert_eq!(
            outcome.message,
            format!("Bucket {bucket} does not exist (any more): nothing to do"),
            "{line}"
        );
    }
}
