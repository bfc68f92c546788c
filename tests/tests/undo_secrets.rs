//! Verify and undo of `secretsmanager_enable_encryption` and `ssm_document_set_private` on the
//! local stack, each bot and its restorer (`restore_secret_encryption`,
//! `restore_document_permissions`) running as a user allowed exactly its own role's actions
//! (IAM enforced): the secret or document, fully described, equals what it was before the bot
//! ran, a second undo restores nothing, a change made since is refused unless forced, and a
//! change answered "done" on the wire but never made fails the step `NotVerified`.
//!
//! The Route 53 Domains bots are verified and undone in `bots_domains.rs`, on a mocked Route 53
//! Domains: the stack has none of their changing calls.

use cloudbots_shared::plan::Mode;
use cloudbots_tests::resources::new_kms_key;
use cloudbots_tests::wire::faulty_json_client;
use cloudbots_tests::{
    assert_not_verified, assert_refused_then_forced, assert_remediated, assert_undo_not_found,
    assert_undone, aws, entity, entity_with, run_ok, unique_name,
};
use serde_json::{json, Value};

// ---- secretsmanager_enable_encryption ----

async fn secrets() -> aws_sdk_secretsmanager::Client {
    aws_sdk_secretsmanager::Client::new(&aws().await)
}

/// A new secret, encrypted with `key` when given (else with the AWS-managed key), tagged
/// `owner=team-a`: its name and ARN.
async fn new_secret(key: Option<&str>) -> (String, String) {
    let name = unique_name("undo-db-password");
    let arn = secrets()
        .await
        .create_secret()
        .name(&name)
        .description("the billing database")
        .secret_string("s3cr3t")
        .set_kms_key_id(key.map(str::to_string))
        .tags(
            aws_sdk_secretsmanager::types::Tag::builder()
                .key("owner")
                .value("team-a")
                .build(),
        )
        .send()
        .await
        .expect("create_secret")
        .arn
        .unwrap();
    (name, arn)
}

fn secret_entity(name: &str, arn: &str) -> Value {
    entity_with("SecretsManager", name, "arn", arn)
}

/// What Secrets Manager describes of the secret (but the dates), and its current value.
async fn described_secret(arn: &str) -> String {
    let secrets = secrets().await;
    let secret = secrets
        .describe_secret()
        .secret_id(arn)
        .send()
        .await
        .unwrap();
    let mut tags: Vec<_> = secret.tags().iter().map(|t| (t.key(), t.value())).collect();
    tags.sort();
    let mut versions: Vec<_> = secret
        .version_ids_to_stages()
        .map(|v| v.iter().collect())
        .unwrap_or_default();
    versions.sort();
    let value = secrets
        .get_secret_value()
        .secret_id(arn)
        .send()
        .await
        .unwrap();
    format!(
        "name {:?}, description {:?}, KMS key {:?}, rotation {:?} {:?}, tags {tags:?}, versions {versions:?}, value {:?}",
        secret.name(),
        secret.description(),
        secret.kms_key_id(),
        secret.rotation_enabled(),
        secret.rotation_lambda_arn(),
        value.secret_string(),
    )
}

#[tokio::test]
async fn secret_encryption_is_verified_and_undone_to_the_key_it_had() {
    let (other_key, _) = new_kms_key("undo-secrets-before").await;
    for had in [None, Some(other_key.as_str())] {
        let (key, alias) = new_kms_key("undo-secrets").await;
        let (name, arn) = new_secret(had).await;
        let before = described_secret(&arn).await;
        let line = format!("secretsmanager_enable_encryption {alias}");
        let outcome = run_ok(&line, secret_entity(&name, &arn), Mode::Enforce).await;
        assert_remediated(
            &outcome,
            &[format!("the KMS key of secret {name} is {key}")],
        );
        assert_ne!(described_secret(&arn).await, before);

        let case = format!("{line} on a secret with key {had:?}");
        assert_undone(&outcome, &case, &before, || described_secret(&arn)).await;
    }
}

#[tokio::test]
async fn a_secret_moved_to_another_key_since_is_refused_unless_forced() {
    let (key, alias) = new_kms_key("undo-secrets").await;
    let (later, _) = new_kms_key("undo-secrets-later").await;
    let (name, arn) = new_secret(None).await;
    let before = described_secret(&arn).await;
    let line = format!("secretsmanager_enable_encryption {alias}");
    let outcome = run_ok(&line, secret_entity(&name, &arn), Mode::Enforce).await;
    secrets()
        .await
        .update_secret()
        .secret_id(&arn)
        .kms_key_id(&later)
        .send()
        .await
        .unwrap();
    let drift = format!("its KMS key is {later}, not {key} as the bot left it");
    assert_refused_then_forced(&outcome, &[drift.as_str()], &before, || {
        described_secret(&arn)
    })
    .await;
}

#[tokio::test]
async fn a_secret_encryption_that_does_not_show_fails_not_verified() {
    let (key, alias) = new_kms_key("undo-secrets").await;
    let (name, arn) = new_secret(None).await;
    let faulty = faulty_json_client("UpdateSecret", &[(200, "{}"); 2]).await;
    assert_not_verified(
        faulty,
        &format!("secretsmanager_enable_encryption {alias}"),
        secret_entity(&name, &arn),
        format!("secret {name} read back after the change is not as intended (3 reads): its KMS key is the AWS-managed key alias/aws/secretsmanager, not {key}"),
    )
    .await;
}

// ---- ssm_document_set_private ----

async fn ssm() -> aws_sdk_ssm::Client {
    aws_sdk_ssm::Client::new(&aws().await)
}

/// A new Command document shared with `accounts` (`All`: everyone) at `version` (else the
/// default one): its name.
async fn new_shared_document(accounts: &[&str], version: Option<&str>) -> String {
    let ssm = ssm().await;
    let name = unique_name("undo-runbook");
    let content = json!({
        "schemaVersion": "2.2",
        "description": "cloudbots undo test",
        "mainSteps": [{"action": "aws:runShellScript", "name": "hello",
            "inputs": {"runCommand": ["echo hello"]}}],
    });
    ssm.create_document()
        .name(&name)
        .content(content.to_string())
        .document_type(aws_sdk_ssm::types::DocumentType::Command)
        .send()
        .await
        .expect("create_document");
    share(&name, accounts, version).await;
    name
}

async fn share(name: &str, accounts: &[&str], version: Option<&str>) {
    ssm()
        .await
        .modify_document_permission()
        .name(name)
        .permission_type(aws_sdk_ssm::types::DocumentPermissionType::Share)
        .set_account_ids_to_add(Some(accounts.iter().map(|a| a.to_string()).collect()))
        .set_shared_document_version(version.map(str::to_string))
        .send()
        .await
        .expect("share the document");
}

/// What SSM describes of the document (its versions, status and content hash) and of its
/// sharing (every account, with the version shared), sorted.
async fn described_document(name: &str) -> String {
    let ssm = ssm().await;
    let described = ssm.describe_document().name(name).send().await.unwrap();
    let document = described.document().unwrap();
    let permission = ssm
        .describe_document_permission()
        .name(name)
        .permission_type(aws_sdk_ssm::types::DocumentPermissionType::Share)
        .send()
        .await
        .unwrap();
    let mut accounts = permission.account_ids().to_vec();
    accounts.sort();
    let mut sharing: Vec<_> = permission
        .account_sharing_info_list()
        .iter()
        .map(|info| (info.account_id(), info.shared_document_version()))
        .collect();
    sharing.sort();
    format!(
        "name {:?}, type {:?}, version {:?} of {:?} (default {:?}), status {:?}, hash {:?}, shared with {accounts:?}, {sharing:?}",
        document.name(),
        document.document_type(),
        document.document_version(),
        document.latest_version(),
        document.default_version(),
        document.status(),
        document.hash(),
    )
}

#[tokio::test]
async fn document_set_private_is_verified_and_undone_to_its_sharing() {
    for (line, version, left) in [
        ("ssm_document_set_private", None, "with no account"),
        (
            "ssm_document_set_private",
            Some("$LATEST"),
            "with no account",
        ),
        (
            "ssm_document_set_private AccountIdToAdd=111122223333",
            None,
            "with 111122223333",
        ),
    ] {
        let name = new_shared_document(&["All"], version).await;
        let before = described_document(&name).await;
        let outcome = run_ok(line, entity("SsmDocument", &name, &name), Mode::Enforce).await;
        assert_remediated(
            &outcome,
            &[format!("the sharing of document {name} is {left}")],
        );
        assert_ne!(described_document(&name).await, before, "{line}");

        assert_undone(&outcome, line, &before, || described_document(&name)).await;
    }
}

#[tokio::test]
async fn a_document_shared_again_since_is_refused_unless_forced() {
    let name = new_shared_document(&["All"], None).await;
    let before = described_document(&name).await;
    let outcome = run_ok(
        "ssm_document_set_private AccountIdToAdd=111122223333",
        entity("SsmDocument", &name, &name),
        Mode::Enforce,
    )
    .await;
    share(&name, &["444455556666"], None).await;
    assert_refused_then_forced(
        &outcome,
        &["its sharing is with 111122223333, 444455556666, not with 111122223333 as the bot left it"],
        &before,
        || described_document(&name),
    )
    .await;
}

#[tokio::test]
async fn a_document_set_private_that_does_not_show_fails_not_verified() {
    let name = new_shared_document(&["All"], None).await;
    let faulty = faulty_json_client("ModifyDocumentPermission", &[(200, "{}"); 2]).await;
    assert_not_verified(
        faulty,
        "ssm_document_set_private",
        entity("SsmDocument", &name, &name),
        format!("document {name} read back after the change is not as intended (3 reads): its sharing is with All, not with no account"),
    )
    .await;
}

#[tokio::test]
async fn undo_of_a_secret_or_document_deleted_since_fails_not_found() {
    let (_, alias) = new_kms_key("undo-secrets").await;
    let (name, arn) = new_secret(None).await;
    let line = format!("secretsmanager_enable_encryption {alias}");
    let outcome = run_ok(&line, secret_entity(&name, &arn), Mode::Enforce).await;
    secrets()
        .await
        .delete_secret()
        .secret_id(&arn)
        .force_delete_without_recovery(true)
        .send()
        .await
        .unwrap();
    assert_undo_not_found(&outcome, format!("secret {name} does not exist (any more)")).await;

    let name = new_shared_document(&["All"], None).await;
    let document = entity("SsmDocument", &name, &name);
    let outcome = run_ok("ssm_document_set_private", document, Mode::Enforce).await;
    ssm()
        .await
        .delete_document()
        .name(&name)
        .send()
        .await
        .unwrap();
    assert_undo_not_found(
        &outcome,
        format!("document {name} does not exist (any more)"),
    )
    .await;
}
