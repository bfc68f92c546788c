//! `iam_delete_default_policy_version`: delete the default version of a managed policy, after
//! making the newest other version the default. Kept apart because it changes a policy, not a
//! principal: it is not undone (a deleted version's id cannot be given back, see the catalogue).

use super::*;
use crate::principal::all_items;
use aws_sdk_iam::types::PolicyVersion;
use cloudbots_runtime::verify::reread;

/// The policy tag that records which default version an execution set out to delete, so that
/// running the step again deletes that version, and only that one.
pub const DELETED_VERSION_TAG: &str = "cloudbots-deleted-default-version";

/// The versions of the policy (every page); None when the policy does not exist.
async fn policy_versions(
    iam: &Iam,
    policy_arn: &str,
) -> Result<Option<Vec<PolicyVersion>>, BotError> {
    none_if_missing(
        &format!("listing the versions of policy {policy_arn}"),
        all_items!(iam.list_policy_versions().policy_arn(policy_arn)),
    )
}

pub(super) async fn delete_default_policy_version(
    input: &BotInput,
    aws: &SdkConfig,
) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let policy_arn = entity_policy_arn(input)?;
    let iam = Iam::new(aws);
    let policy_label = format!("Policy {policy_arn}");

    let policy = none_if_missing(
        &format!("reading policy {policy_arn}"),
        iam.get_policy().policy_arn(policy_arn).send().await,
    )?;
    let Some(policy) = policy.as_ref().and_then(|p| p.policy()) else {
        return Ok(BotOutcome::gone(
            input,
            &policy_label,
            "no version to delete",
        ));
    };
    let versions = policy_versions(&iam, policy_arn).await?;
    let Some(versions) = versions else {
        return Ok(BotOutcome::gone(
            input,
            &policy_label,
            "no version to delete",
        ));
    };
    let default = policy.default_version_id().unwrap_or_default().to_string();
    let started_here = policy
        .tags()
        .iter()
        .find(|t| t.key() == DELETED_VERSION_TAG)
        .and_then(|t| t.value().strip_suffix(&format!(" {}", input.execution)))
        .map(str::to_string);
    let target = started_here.clone().unwrap_or(default.clone());
    let exists = |id: &str| versions.iter().any(|v| v.version_id() == Some(id));
    if !exists(&target) {
        return Ok(BotOutcome::compliant(input, format!("Version {target} of policy {policy_arn}, its default when this finding was raised, is already deleted")));
    }
    let newest_other = versions
        .iter()
        .filter(|v| v.version_id() != Some(target.as_str()))
        .max_by_key(|v| {
            (
                v.create_date().map(|d| (d.secs(), d.subsec_nanos())),
                version_number(v.version_id()),
            )
        });
    let Some(newest_other) = newest_other.and_then(|v| v.version_id()) else {
        return Ok(BotOutcome::new(
            input,
            OutcomeStatus::Skipped,
            format!("Version {target} is the only version of policy {policy_arn}: a policy needs a default version, so it cannot be deleted"),
        ));
    };
    let mut changes = Vec::new();
    if target == default {
        changes.push(format!(
            "make version {newest_other} the default of policy {policy_arn}"
        ));
    }
    changes.push(format!("delete version {target} of policy {policy_arn}"));
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!("Would delete version {target}, the default of policy {policy_arn}"),
            changes,
        ));
    }
    if started_here.is_none() {
        let tag = aws_sdk_iam::types::Tag::builder()
            .key(DELETED_VERSION_TAG)
            .value(format!("{target} {}", input.execution))
            .build()
            .map_err(|e| BotError::invalid_input(format!("tagging policy {policy_arn}: {e}")))?;
        iam.tag_policy()
            .policy_arn(policy_arn)
            .tags(tag)
            .send()
            .await
            .map_err(|e| bot_error(&format!("tagging policy {policy_arn}"), e))?;
    }
    if target == default {
        iam.set_default_policy_version()
            .policy_arn(policy_arn)
            .version_id(newest_other)
            .send()
            .await
            .map_err(|e| {
                bot_error(
                    &format!("making version {newest_other} the default of policy {policy_arn}"),
                    e,
                )
            })?;
    }
    none_if_missing(
        &format!("deleting version {target} of policy {policy_arn}"),
        iam.delete_policy_version()
            .policy_arn(policy_arn)
            .version_id(&target)
            .send()
            .await,
    )?;
    let chosen = if target == default {
        newest_other
    } else {
        default.as_str()
    };
    let verified = verify_versions(&iam, policy_arn, &target, chosen).await?;
    Ok(BotOutcome::new(
        input,
        OutcomeStatus::Remediated,
        format!("Deleted version {target} of policy {policy_arn}; version {chosen} is the default"),
    )
    .with_changes(changes)
    .with_verified(verified))
}

/// Read the policy's versions until `deleted` is gone and `default` is the default version
/// (else `NotVerified`); what was checked.
async fn verify_versions(
    iam: &Iam,
    policy_arn: &str,
    deleted: &str,
    default: &str,
) -> Result<Vec<String>, BotError> {
    let read = || policy_versions(iam, policy_arn);
    reread(&format!("policy {policy_arn}"), read, |versions| {
        let Some(versions) = versions else {
            return vec![format!("policy {policy_arn} does not exist (any more)")];
        };
        let mut wrong = Vec::new();
        if versions.iter().any(|v| v.version_id() == Some(deleted)) {
            wrong.push(format!(
                "version {deleted} of policy {policy_arn} still exists"
            ));
        }
        let now = versions
            .iter()
            .find(|v| v.is_default_version())
            .and_then(|v| v.version_id())
            .unwrap_or("none");
        if now != default {
            wrong.push(format!(
                "the default version of policy {policy_arn} is {now}, not {default}"
            ));
        }
        wrong
    })
    .await?;
    Ok(vec![
        format!("version {deleted} of policy {policy_arn} no longer exists"),
        format!("version {default} is the default of policy {policy_arn}"),
    ])
}
