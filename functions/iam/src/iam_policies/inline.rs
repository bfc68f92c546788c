//! The bots that delete inline policies (of a group, an ECS service's role, a user): each
//! deleted policy's whole document is read first and recorded, so undo can put it back as it
//! was, and each deletion is read back before the step is reported remediated.

use super::*;
use cloudbots_shared::params::UserDeleteInlinePoliciesParams;
use restore::Setting;

fn inline_deletions(owner: &Principal, policies: &[String]) -> Vec<String> {
    policies
        .iter()
        .map(|p| format!("delete inline policy {p} of {owner}"))
        .collect()
}

pub(super) async fn group_delete_inline_policy(
    input: &BotInput,
    aws: &SdkConfig,
) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    delete_inline_policies_of(input, aws, Principal::group(entity_name(input)?)).await
}

/// The role of the finding's ECS service (`role.name` of the entity).
pub(super) async fn ecs_service_role_detach_inline_policy(
    input: &BotInput,
    aws: &SdkConfig,
) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let role = input
        .finding
        .entity
        .get("role")
        .and_then(|role| role.get("name"))
        .and_then(Value::as_str)
        .filter(|role| !role.is_empty())
        .ok_or_else(|| {
            BotError::invalid_input(format!(
                "the finding's ECS service entity has no role.name for {} to act on",
                input.step.bot
            ))
        })?;
    delete_inline_policies_of(input, aws, Principal::role(role)).await
}

/// Each of the owner's inline policies `policies` with its whole document, as it is now (a
/// policy deleted meanwhile is left out), and as deleting them leaves it.
async fn documents(
    iam: &Iam,
    owner: &Principal,
    policies: &[String],
) -> Result<(Vec<PrincipalSetting>, Vec<PrincipalSetting>), BotError> {
    let mut before = Vec::new();
    let mut after = Vec::new();
    for policy in policies {
        if let Some(document) = owner.inline_policy(iam, policy).await? {
            before.push(PrincipalSetting::of(
                owner,
                Setting::inline(policy, Some(&document)),
            ));
            after.push(PrincipalSetting::of(owner, Setting::inline(policy, None)));
        }
    }
    Ok((before, after))
}

/// Delete every live inline policy of the group or role `owner`.
async fn delete_inline_policies_of(
    input: &BotInput,
    aws: &SdkConfig,
    owner: Principal,
) -> Result<BotOutcome, BotError> {
    let iam = Iam::new(aws);
    let Some(policies) = owner.inline_policy_names(&iam).await? else {
        return Ok(BotOutcome::gone(
            input,
            &owner.to_string(),
            "no inline policy to delete",
        ));
    };
    if policies.is_empty() {
        return Ok(BotOutcome::compliant(
            input,
            format!("{owner} has no inline policies"),
        ));
    }
    let changes = inline_deletions(&owner, &policies);
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!("Would delete {} inline policies of {owner}", policies.len()),
            changes,
        ));
    }
    change_principals(
        input,
        &iam,
        &owner.name,
        documents(&iam, &owner, &policies).await?,
        format!(
            "Deleted the inline policies of {owner}: {}",
            policies.join(", ")
        ),
        changes,
    )
    .await
}

pub(super) async fn user_delete_inline_policies(
    input: &BotInput,
    aws: &SdkConfig,
) -> Result<BotOutcome, BotError> {
    let params = params::<UserDeleteInlinePoliciesParams>(input)?;
    let user = entity_name(input)?;
    let iam = Iam::new(aws);
    let owner = Principal::user(user);

    let Some(policies) = owner.inline_policy_names(&iam).await? else {
        return Ok(BotOutcome::gone(
            input,
            &owner.to_string(),
            "no inline policy to delete",
        ));
    };
    let mut to_attach = Vec::new();
    if !params.attach_policy_arns.is_empty() {
        let Some(attached) = owner.attached_policies(&iam).await? else {
            return Ok(BotOutcome::gone(
                input,
                &owner.to_string(),
                "no inline policy to delete",
            ));
        };
        for written in &params.attach_policy_arns {
            let arn = policy_arn_in_account(written, &input.target.account_id);
            if !attached.contains(&arn) && !to_attach.contains(&arn) {
                to_attach.push(arn);
            }
        }
    }
    if policies.is_empty() && to_attach.is_empty() {
        return Ok(BotOutcome::compliant(
            input,
            format!("{owner} has no inline policies"),
        ));
    }
    for arn in &to_attach {
        if !policy_exists(&iam, arn).await? {
            return Err(no_such_policy(input, arn));
        }
    }
    let mut changes: Vec<String> = to_attach
        .iter()
        .map(|arn| format!("attach policy {arn} to {owner}"))
        .collect();
    changes.extend(inline_deletions(&owner, &policies));
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!("Would delete {} inline policies of {owner}", policies.len()),
            changes,
        ));
    }
    // The replacements are attached before any inline policy is deleted.
    let attachment =
        |arn: &String, attached| PrincipalSetting::of(&owner, Setting::managed(arn, attached));
    let mut before: Vec<PrincipalSetting> =
        to_attach.iter().map(|arn| attachment(arn, false)).collect();
    let mut after: Vec<PrincipalSetting> =
        to_attach.iter().map(|arn| attachment(arn, true)).collect();
    let (documents, deleted) = documents(&iam, &owner, &policies).await?;
    before.extend(documents);
    after.extend(deleted);
    change_principals(
        input,
        &iam,
        user,
        (before, after),
        format!("Deleted {} inline policies of {owner}", policies.len()),
        changes,
    )
    .await
}
