//! Secrets Manager, Systems Manager document and ACM bots on the local stack, run as their
//! Lambdas run them (through `run_step`) with IAM enforced and only their roles' actions
//! allowed: the resource's real state after each run.

use cloudbots_shared::error::ErrorName;
use cloudbots_shared::outcome::OutcomeStatus;
use cloudbots_shared::plan::{Mode, DEFAULT_EXCLUDE_TAG_KEY};
use cloudbots_tests::resources::new_kms_key;
use cloudbots_tests::{
    assert_skipped_by_live_opt_out, aws, entity, entity_with, run_line, run_ok, unique_name,
};
use serde_json::{json, Value};

// ---- secretsmanager_enable_encryption ----

/// A new secret under the default key: its ARN.
async fn new_secret(name: &str) -> String {
    aws_sdk_secretsmanager::Client::new(&aws().await)
        .create_secret()
        .name(name)
        .secret_string("s3cr3t")
        .send()
        .await
        .expect("create_secret")
        .arn
        .unwrap()
}

fn secret_entity(name: &str, arn: &str) -> Value {
    entity_with("SecretsManager", name, "arn", arn)
}

async fn secret_key(arn: &str) -> Option<String> {
    aws_sdk_secretsmanager::Client::new(&aws().await)
        .describe_secret()
        .secret_id(arn)
        .send()
        .await
        .expect("describe_secret")
        .kms_key_id
}

#[tokio::test]
async fn secret_encryption_moves_the_secret_to_the_customer_key_once() {
    let (key_arn, alias) = new_kms_key("cloudbots-secrets").await;
    let name = unique_name("cloudbots-db-password");
    let arn = new_secret(&name).await;
    let line = format!("secretsmanager_enable_encryption {alias}");

    let dry = run_ok(&line, secret_entity(&name, &arn), Mode::DryRun).await;
    assert_eq!(dry.status, OutcomeStatus::DryRun);
    assert_eq!(
        dry.changes,
        vec![format!("encrypt secret {name} with KMS key {key_arn}")]
    );
    assert_eq!(secret_key(&arn).await, None, "dry-run changes nothing");

    let first = run_ok(&line, secret_entity(&name, &arn), Mode::Enforce).await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert_eq!(
        first.message,
        format!("Secret {name} encrypted with KMS key {key_arn}")
    );
    assert_eq!(secret_key(&arn).await.as_deref(), Some(key_arn.as_str()));

    let second = run_ok(&line, secret_entity(&name, &arn), Mode::Enforce).await;
    assert_eq!(second.status, OutcomeStatus::AlreadyCompliant);
    assert_eq!(
        second.message,
        format!("Secret {name} is already encrypted with KMS key {key_arn}")
    );
}

#[tokio::test]
async fn secret_encryption_with_a_missing_key_fails_and_a_missing_secret_is_skipped() {
    let name = unique_name("cloudbots-api-token");
    let arn = new_secret(&name).await;
    let error = run_line(
        "secretsmanager_enable_encryption alias/cloudbots-no-such-key",
        secret_entity(&name, &arn),
        Mode::Enforce,
    )
    .await
    .unwrap_err();
    assert_eq!(error.name, ErrorName::InvalidInput);
    assert_eq!(
        error.message,
        "KMS key alias/cloudbots-no-such-key does not exist in us-east-1"
    );
    assert_eq!(secret_key(&arn).await, None);

    let gone_arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:cloudbots-never-AbCdEf";
    let gone = run_ok(
        "secretsmanager_enable_encryption alias/whatever",
        secret_entity("cloudbots-never", gone_arn),
        Mode::Enforce,
    )
    .await;
    assert_eq!(gone.status, OutcomeStatus::Skipped);
    assert_eq!(
        gone.message,
        format!("Secret {gone_arn} does not exist (any more): nothing to do")
    );
}

// ---- ssm_document_set_private ----

/// A new Command document shared with everyone.
async fn new_public_document(ssm: &aws_sdk_ssm::Client, name: &str) {
    let content = json!({
        "schemaVersion": "2.2",
        "description": "cloudbots test",
        "mainSteps": [{"action": "aws:runShellScript", "name": "hello",
            "inputs": {"runCommand": ["echo hello"]}}],
    });
    ssm.create_document()
        .name(name)
        .content(content.to_string())
        .document_type(aws_sdk_ssm::types::DocumentType::Command)
        .send()
        .await
        .expect("create_document");
    ssm.modify_document_permission()
        .name(name)
        .permission_type(aws_sdk_ssm::types::DocumentPermissionType::Share)
        .account_ids_to_add("All")
        .send()
        .await
        .expect("share the document with everyone");
}

async fn shared_with(ssm: &aws_sdk_ssm::Client, name: &str) -> Vec<String> {
    ssm.describe_document_permission()
        .name(name)
        .permission_type(aws_sdk_ssm::types::DocumentPermissionType::Share)
        .send()
        .await
        .expect("describe_document_permission")
        .account_ids
        .unwrap_or_default()
}

#[tokio::test]
async fn document_set_private_stops_public_sharing_once() {
    let ssm = aws_sdk_ssm::Client::new(&aws().await);
    let name = unique_name("cloudbots-runbook");
    new_public_document(&ssm, &name).await;
    let document = || entity("SsmDocument", &name, &name);

    let dry = run_ok("ssm_document_set_private", document(), Mode::DryRun).await;
    assert_eq!(dry.status, OutcomeStatus::DryRun);
    assert_eq!(
        dry.changes,
        vec![format!("stop sharing document {name} with everyone")]
    );
    assert_eq!(shared_with(&ssm, &name).await, vec!["All"]);

    let first = run_ok("ssm_document_set_private", document(), Mode::Enforce).await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert_eq!(first.message, format!("Document {name} is now private"));
    assert!(shared_with(&ssm, &name).await.is_empty());

    let second = run_ok("ssm_document_set_private", document(), Mode::Enforce).await;
    assert_eq!(second.status, OutcomeStatus::AlreadyCompliant);
    assert_eq!(
        second.message,
        format!("Document {name} is private: shared with no account")
    );
}

#[tokio::test]
async fn document_set_private_shares_with_the_named_accounts_instead() {
    let ssm = aws_sdk_ssm::Client::new(&aws().await);
    let name = unique_name("cloudbots-shared-runbook");
    new_public_document(&ssm, &name).await;
    let line = "ssm_document_set_private AccountIdToAdd=111122223333,444455556666";
    let document = || entity("SsmDocument", &name, &name);

    let first = run_ok(line, document(), Mode::Enforce).await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert_eq!(
        first.changes,
        vec![
            format!("stop sharing document {name} with everyone"),
            format!("share document {name} with 111122223333, 444455556666"),
        ]
    );
    assert_eq!(
        shared_with(&ssm, &name).await,
        vec!["111122223333", "444455556666"]
    );

    let second = run_ok(line, document(), Mode::Enforce).await;
    assert_eq!(second.status, OutcomeStatus::AlreadyCompliant);
    assert_eq!(
        second.message,
        format!("Document {name} is private: shared only with 111122223333, 444455556666")
    );

    let gone = run_ok(
        "ssm_document_set_private",
        entity("SsmDocument", "cloudbots-never", "cloudbots-never"),
        Mode::Enforce,
    )
    .await;
    assert_eq!(gone.status, OutcomeStatus::Skipped);
    assert_eq!(
        gone.message,
        "Document cloudbots-never does not exist (any more): nothing to do"
    );
}

// ---- acm_delete_certificate ----

async fn new_certificate(acm: &aws_sdk_acm::Client, domain: &str) -> String {
    acm.request_certificate()
        .domain_name(domain)
        .send()
        .await
        .expect("request_certificate")
        .certificate_arn
        .unwrap()
}

fn certificate_entity(arn: &str) -> Value {
    entity_with("AcmCertificate", arn, "certificateArn", arn)
}

#[tokio::test]
async fn delete_certificate_deletes_an_unused_certificate_once() {
    let acm = aws_sdk_acm::Client::new(&aws().await);
    let domain = format!("{}.example.com", unique_name("old"));
    let arn = new_certificate(&acm, &domain).await;
    let exists = || async {
        acm.describe_certificate()
            .certificate_arn(&arn)
            .send()
            .await
            .is_ok()
    };

    let dry = run_ok(
        "acm_delete_certificate",
        certificate_entity(&arn),
        Mode::DryRun,
    )
    .await;
    assert_eq!(dry.status, OutcomeStatus::DryRun);
    assert_eq!(
        dry.changes,
        vec![format!("delete certificate {arn} ({domain})")]
    );
    assert!(exists().await, "dry-run deletes nothing");

    let first = run_ok(
        "acm_delete_certificate",
        certificate_entity(&arn),
        Mode::Enforce,
    )
    .await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert_eq!(
        first.message,
        format!("Deleted certificate {arn} ({domain})")
    );
    assert!(!exists().await, "the certificate is gone");

    let second = run_ok(
        "acm_delete_certificate",
        certificate_entity(&arn),
        Mode::Enforce,
    )
    .await;
    assert_eq!(second.status, OutcomeStatus::AlreadyCompliant);
    assert_eq!(
        second.message,
        format!("Certificate {arn} does not exist (any more): nothing to delete")
    );
}

#[tokio::test]
async fn a_certificate_a_load_balancer_uses_is_skipped_not_forced() {
    let config = aws().await;
    let acm = aws_sdk_acm::Client::new(&config);
    let domain = format!("{}.example.com", unique_name("live"));
    let arn = new_certificate(&acm, &domain).await;
    let balancer = unique_name("cloudbots-web");
    let dns_name = aws_sdk_elasticloadbalancing::Client::new(&config)
        .create_load_balancer()
        .load_balancer_name(&balancer)
        .availability_zones("us-east-1a")
        .listeners(
            aws_sdk_elasticloadbalancing::types::Listener::builder()
                .protocol("HTTPS")
                .load_balancer_port(443)
                .instance_protocol("HTTP")
                .instance_port(80)
                .ssl_certificate_id(&arn)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("create_load_balancer")
        .dns_name
        .unwrap();

    let outcome = run_ok(
        "acm_delete_certificate",
        certificate_entity(&arn),
        Mode::Enforce,
    )
    .await;
    assert_eq!(outcome.status, OutcomeStatus::Skipped);
    assert_eq!(
        outcome.message,
        format!("Certificate {arn} ({domain}) is in use by {dns_name}: not deleted")
    );
    assert!(acm
        .describe_certificate()
        .certificate_arn(&arn)
        .send()
        .await
        .is_ok());
}

#[tokio::test]
async fn a_certificate_tagged_after_the_finding_is_not_deleted() {
    let acm = aws_sdk_acm::Client::new(&aws().await);
    let arn = new_certificate(&acm, &format!("{}.example.com", unique_name("kept"))).await;
    acm.add_tags_to_certificate()
        .certificate_arn(&arn)
        .tags(
            aws_sdk_acm::types::Tag::builder()
                .key(DEFAULT_EXCLUDE_TAG_KEY)
                .value("acm_delete_certificate")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("add_tags_to_certificate");

    assert_skipped_by_live_opt_out("acm_delete_certificate", certificate_entity(&arn)).await;
    assert!(acm
        .describe_certificate()
        .certificate_arn(&arn)
        .send()
        .await
        .is_ok());
}
