//! IAM bots.
//!
//! Quarantine attaches one customer-managed deny-all policy, `quarantine_deny_all_policy`,
//! the name the original uses, so existing CloudGuard exclusions and runbooks keep matching.
//! The policy is created once per account, the first time a quarantine needs it, and only
//! after the user is known to exist.

use super::{dry_run, entity_name, params, Bot};
use crate::aws_error::{bot_error, code};
use aws_config::SdkConfig;
use cloudbots_shared::error::BotError;
use cloudbots_shared::outcome::{BotInput, BotOutcome, OutcomeStatus};
use cloudbots_shared::params::NoParams;
use serde_json::json;

/// The bots of this module.
pub const BOTS: &[Bot] = &[QUARANTINE_USER];

pub const QUARANTINE_USER: Bot = Bot {
    name: "iam_quarantine_user",
    run: |input, aws| Box::pin(quarantine_user(input, aws)),
};

/// The name of the deny-all policy, as in the original.
pub const QUARANTINE_POLICY_NAME: &str = "quarantine_deny_all_policy";

/// The quarantine policy's ARN in the account the step acts in.
pub fn quarantine_policy_arn(account_id: &str) -> String {
    format!("arn:aws:iam::{account_id}:policy/{QUARANTINE_POLICY_NAME}")
}

/// Deny every action on every resource.
pub fn quarantine_policy_document() -> String {
    json!({
        "Version": "2012-10-17",
        "Statement": [{"Sid": "QuarantineDenyAll", "Effect": "Deny", "Action": "*", "Resource": "*"}]
    })
    .to_string()
}

/// Whether the policy exists (GetPolicy answers NoSuchEntity when it does not).
async fn policy_exists(iam: &aws_sdk_iam::Client, policy_arn: &str) -> Result<bool, BotError> {
    match iam.get_policy().policy_arn(policy_arn).send().await {
        Ok(_) => Ok(true),
        Err(e) if code(&e) == Some("NoSuchEntity") => Ok(false),
        Err(e) => Err(bot_error(&format!("reading policy {policy_arn}"), e)),
    }
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

async fn quarantine_user(input: &BotInput, aws: &SdkConfig) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let user = entity_name(input)?;
    let policy_arn = quarantine_policy_arn(&input.target.account_id);
    let iam = aws_sdk_iam::Client::new(aws);

    let attached = iam
        .list_attached_user_policies()
        .user_name(user)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await;
    let attached = match attached {
        Ok(policies) => policies,
        Err(e) if code(&e) == Some("NoSuchEntity") => {
            return Ok(BotOutcome::new(
                input,
                OutcomeStatus::Skipped,
                format!("IAM user {user} does not exist (any more): nothing to quarantine"),
            ))
        }
        Err(e) => {
            return Err(bot_error(
                &format!("listing the policies attached to IAM user {user}"),
                e,
            ))
        }
    };
    if attached
        .iter()
        .any(|p| p.policy_arn() == Some(policy_arn.as_str()))
    {
        return Ok(BotOutcome::new(
            input,
            OutcomeStatus::AlreadyCompliant,
            format!("IAM user {user} is already quarantined with {policy_arn}"),
        ));
    }

    let create = !policy_exists(&iam, &policy_arn).await?;
    let mut changes = Vec::new();
    if create {
        changes.push(format!("create policy {policy_arn} (deny every action)"));
    }
    changes.push(format!("attach policy {policy_arn} to IAM user {user}"));
    if dry_run(input) {
        return Ok(BotOutcome::new(
            input,
            OutcomeStatus::DryRun,
            format!("Would quarantine IAM user {user} with {policy_arn}"),
        )
        .with_changes(changes));
    }

    if create {
        create_quarantine_policy(&iam).await?;
    }
    iam.attach_user_policy()
        .user_name(user)
        .policy_arn(&policy_arn)
        .send()
        .await
        .map_err(|e| bot_error(&format!("attaching {policy_arn} to IAM user {user}"), e))?;
    let artifacts = if create {
        vec![policy_arn.clone()]
    } else {
        Vec::new()
    };
    Ok(BotOutcome::new(
        input,
        OutcomeStatus::Remediated,
        format!("IAM user {user} quarantined: attached {policy_arn}"),
    )
    .with_changes(changes)
    .with_artifacts(artifacts))
}
