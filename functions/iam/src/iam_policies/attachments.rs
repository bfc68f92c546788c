//! The bots that attach a managed policy to a role or user, or detach one from every group,
//! role and user it is attached to: what they change is which principals hold the policy, and
//! each change is verified, recorded and undone one attachment at a time.

use super::*;
use cloudbots_runtime::proceed;
use restore::Setting;

pub(super) async fn attach_policy(
    input: &BotInput,
    aws: &SdkConfig,
    kind: IdentityKind,
) -> Result<BotOutcome, BotError> {
    let params = params::<cloudbots_shared::params::AttachPolicyParams>(input)?;
    let name = entity_name(input)?;
    let policy_arn = policy_arn_in_account(&params.policy_arn, &input.target.account_id);
    let principal = Principal::new(kind, name);
    let iam = Iam::new(aws);

    let attached = proceed!(principal.policies_before_attach(input, &iam).await?);
    if attached.contains(&policy_arn) {
        return Ok(BotOutcome::compliant(
            input,
            format!("{principal} already has policy {policy_arn} attached"),
        ));
    }
    if !policy_exists(&iam, &policy_arn).await? {
        return Err(no_such_policy(input, &policy_arn));
    }
    let changes = vec![format!("attach policy {policy_arn} to {principal}")];
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!("Would attach policy {policy_arn} to {principal}"),
            changes,
        ));
    }
    let attachment =
        |attached| PrincipalSetting::of(&principal, Setting::managed(&policy_arn, attached));
    change_principals(
        input,
        &iam,
        name,
        (vec![attachment(false)], vec![attachment(true)]),
        format!("Policy {policy_arn} attached to {principal}"),
        changes,
    )
    .await
}

pub(super) async fn detach_policy(
    input: &BotInput,
    aws: &SdkConfig,
) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let policy_arn = entity_policy_arn(input)?;
    let iam = Iam::new(aws);

    let pages = none_if_missing(
        &format!("listing the entities policy {policy_arn} is attached to"),
        iam.list_entities_for_policy()
            .policy_arn(policy_arn)
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await,
    )?;
    let Some(pages) = pages else {
        return Ok(BotOutcome::gone(
            input,
            &format!("Policy {policy_arn}"),
            "nothing to detach",
        ));
    };
    let mut holders = Vec::new();
    for page in &pages {
        holders.extend(
            page.policy_groups()
                .iter()
                .filter_map(|g| g.group_name())
                .map(Principal::group),
        );
        holders.extend(
            page.policy_roles()
                .iter()
                .filter_map(|r| r.role_name())
                .map(Principal::role),
        );
        holders.extend(
            page.policy_users()
                .iter()
                .filter_map(|u| u.user_name())
                .map(Principal::user),
        );
    }
    if holders.is_empty() {
        if !policy_exists(&iam, policy_arn).await? {
            return Ok(BotOutcome::gone(
                input,
                &format!("Policy {policy_arn}"),
                "nothing to detach",
            ));
        }
        return Ok(BotOutcome::compliant(
            input,
            format!("Policy {policy_arn} is not attached to any group, role or user"),
        ));
    }
    let changes: Vec<String> = holders
        .iter()
        .map(|holder| format!("detach policy {policy_arn} from {holder}"))
        .collect();
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!(
                "Would detach policy {policy_arn} from {}",
                identities(holders.len())
            ),
            changes,
        ));
    }
    let attachments = |attached| {
        holders
            .iter()
            .map(|holder| PrincipalSetting::of(holder, Setting::managed(policy_arn, attached)))
            .collect()
    };
    change_principals(
        input,
        &iam,
        policy_arn,
        (attachments(true), attachments(false)),
        format!(
            "Policy {policy_arn} detached from {}",
            identities(holders.len())
        ),
        changes,
    )
    .await
}
