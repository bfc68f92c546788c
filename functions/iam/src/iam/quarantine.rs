//! Quarantine attaches one customer-managed deny-all policy, `quarantine_deny_all_policy`,
//! the name the original uses, so existing CloudGuard exclusions and runbooks keep matching.
//! The policy is created once per account, the first time a quarantine needs it, and only
//! after the identity is known to exist. Users and roles share that logic.
//!
//! The attachment is verified and recorded like every other managed-policy attachment, so
//! `restore_iam_principal_policies` detaches it again; the policy itself stays, as other
//! identities may be quarantined with it.

use super::none_if_missing;
use crate::iam_policies::restore::{change_principals, PrincipalSetting, Setting};
use crate::principal::Principal;
use aws_config::SdkConfig;
use cloudbots_runtime::aws_error::{bot_error, code};
use cloudbots_runtime::bot::{dry_run, entity_name, params};
use cloudbots_shared::error::BotError;
use cloudbots_shared::outcome::{BotInput, BotOutcome, OutcomeStatus};
use cloudbots_shared::params::{IdentityKind, NoParams};
use serde_json::json;

/// The name of the deny-all policy, as in the original.
pub const QUARANTINE_POLICY_NAME: &str = "quarantine_deny_all_policy";

/// The quarantine policy's ARN in the account the step acts in.
pub fn quarantine_policy_arn(account_id: &str) -> String {
    format!("arn:aws:iam::{account_id}:policy/{QUARANTINE_POLICY_NAME}")
}

/// Deny every action on every resource.
fn quarantine_policy_document() -> String {
    json!({
        "Version": "2012-10-17",
        "Statement": [{"Sid": "QuarantineDenyAll", "Effect": "Deny", "Action": "*", "Resource": "*"}]
    })
    .to_string()
}

/// Whether the policy exists (GetPolicy answers NoSuchEntity when it does not).
pub(crate) async fn policy_exists(
    iam: &aws_sdk_iam::Client,
    policy_arn: &str,
) -> Result<bool, BotError> {
    let found = iam.get_policy().policy_arn(policy_arn).send().await;
    Ok(none_if_missing(&format!("reading policy {policy_arn}"), found)?.is_some())
}

/// Create the quarantine policy; one created meanwhile by another run is just as good.
async fn create_quarantine_policy(iam: &aws_sdk_iam::Client) -> Result<(), BotError> {
    match iam
        .create_policy()
        .policy_name(QUARANTINE_POLICY_NAME)
        .policy_document(quarantine_policy_document())
        .description("Denies every action. Attached by cloudbots to quarantine an IAM identity.")
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if code(&e) == Some("EntityAlreadyExists") => Ok(()),
        Err(e) => Err(bot_error(
            &format!("creating policy {QUARANTINE_POLICY_NAME}"),
            e,
        )),
    }
}

/// Attach the deny-all policy to the user or role the finding names.
pub(super) async fn quarantine(
    input: &BotInput,
    aws: &SdkConfig,
    kind: IdentityKind,
) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let name = entity_name(input)?;
    let who = Principal::new(kind, name);
    let policy_arn = quarantine_policy_arn(&input.target.account_id);
    let iam = aws_sdk_iam::Client::new(aws);

    let Some(attached) = who.attached_policies(&iam).await? else {
        return Ok(BotOutcome::new(
            input,
            OutcomeStatus::Skipped,
            format!("{who} does not exist (any more): nothing to quarantine"),
        ));
    };
    if attached.contains(&policy_arn) {
        return Ok(BotOutcome::compliant(
            input,
            format!("{who} is already quarantined with {policy_arn}"),
        ));
    }

    let create = !policy_exists(&iam, &policy_arn).await?;
    let mut changes = Vec::new();
    if create {
        changes.push(format!("create policy {policy_arn} (deny every action)"));
    }
    changes.push(format!("attach policy {policy_arn} to {who}"));
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!("Would quarantine {who} with {policy_arn}"),
            changes,
        ));
    }

    if create {
        create_quarantine_policy(&iam).await?;
    }
    let attachment = |attached| PrincipalSetting::of(&who, Setting::managed(&policy_arn, attached));
    let quarantined = change_principals(
        input,
        &iam,
        name,
        (vec![attachment(false)], vec![attachment(true)]),
        format!("{who} quarantined: attached {policy_arn}"),
        changes,
    )
    .await?;
    let artifacts = if create {
        vec![policy_arn.clone()]
    } else {
        Vec::new()
    };
    Ok(quarantined.with_artifacts(artifacts))
}
