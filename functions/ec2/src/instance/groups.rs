//! The bots that replace an instance's security groups: quarantine (the VPC's quarantine
//! group alone) and attach (one more group). Both name the groups they replaced.

use super::restore::{RecordedGroups, RESTORE_INSTANCE_SECURITY_GROUPS};
use super::{changeable_instance, existing_instance};
use crate::quarantine_group::{group_label, group_named, QuarantineGroup, QUARANTINE_GROUP_NAME};
use aws_config::SdkConfig;
use aws_sdk_ec2::types::Instance;
use cloudbots_runtime::aws_error::bot_error;
use cloudbots_runtime::bot::{dry_run, entity_id, params};
use cloudbots_runtime::proceed;
use cloudbots_runtime::verify::reread;
use cloudbots_shared::error::BotError;
use cloudbots_shared::outcome::{BotInput, BotOutcome, OutcomeStatus};
use cloudbots_shared::params::{AttachSgParams, NoParams};
use cloudbots_shared::restore::PriorState;
use serde_json::json;

/// The outcome for an instance that is not in a VPC (EC2-Classic).
fn not_in_vpc(input: &BotInput, instance_id: &str) -> BotOutcome {
    BotOutcome::new(
        input,
        OutcomeStatus::Skipped,
        format!("Instance {instance_id} is not in a VPC: its security groups cannot be replaced"),
    )
}

/// The ids of the instance's security groups.
pub(super) fn group_ids(instance: &Instance) -> Vec<&str> {
    instance
        .security_groups()
        .iter()
        .filter_map(|g| g.group_id())
        .collect()
}

/// The instance's security groups as people read them: `sg-0abc (web), sg-0def (default)`.
fn group_labels(instance: &Instance) -> String {
    let labels: Vec<String> = instance
        .security_groups()
        .iter()
        .map(|g| group_label(g.group_id().unwrap_or("?"), g.group_name()))
        .collect();
    if labels.is_empty() {
        "(none)".to_string()
    } else {
        labels.join(", ")
    }
}

/// Make `group_id` the instance's only security group.
async fn set_only_group(
    ec2: &aws_sdk_ec2::Client,
    instance_id: &str,
    group_id: &str,
) -> Result<(), BotError> {
    ec2.modify_instance_attribute()
        .instance_id(instance_id)
        .groups(group_id)
        .send()
        .await
        .map(drop)
        .map_err(|e| {
            bot_error(
                &format!("replacing the security groups of instance {instance_id} with {group_id}"),
                e,
            )
        })
}

pub(super) async fn quarantine_instance(
    input: &BotInput,
    aws: &SdkConfig,
) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let instance_id = entity_id(input)?;
    let ec2 = aws_sdk_ec2::Client::new(aws);
    let instance = proceed!(changeable_instance(input, &ec2, instance_id, "quarantine").await?);
    let vpc_id = proceed!(instance
        .vpc_id()
        .ok_or_else(|| not_in_vpc(input, instance_id)));
    let quarantine = QuarantineGroup::read(&ec2, vpc_id).await?;
    let mut changes = quarantine.changes();
    let quarantined = quarantine
        .id()
        .is_some_and(|id| group_ids(&instance) == [id]);
    if !quarantined {
        changes.push(format!(
            "replace the security groups of instance {instance_id}, {}, with {QUARANTINE_GROUP_NAME}",
            group_labels(&instance)
        ));
    }
    if changes.is_empty() {
        return Ok(BotOutcome::compliant(input, format!("Instance {instance_id} is already quarantined in the empty security group {QUARANTINE_GROUP_NAME}")));
    }
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!("Would quarantine instance {instance_id}"),
            changes,
        ));
    }

    let (group_id, created) = quarantine.make_ready(&ec2).await?;
    let group_id = group_id.as_str();
    let replaced = if quarantined {
        None
    } else {
        Some(replace_groups(input, &ec2, &instance, instance_id, group_id).await?)
    };
    let outcome = BotOutcome::new(
        input,
        OutcomeStatus::Remediated,
        format!(
            "Instance quarantined: {instance_id} is now only in security group {group_id} ({QUARANTINE_GROUP_NAME}); it was in {}",
            group_labels(&instance)
        ),
    )
    .with_changes(changes);
    let outcome = match replaced {
        Some((verified, prior)) => outcome.with_verified(verified).with_prior(prior),
        None => outcome,
    };
    Ok(if created {
        outcome.with_artifacts(vec![group_id.to_string()])
    } else {
        outcome
    })
}

pub(super) async fn attach_sg(input: &BotInput, aws: &SdkConfig) -> Result<BotOutcome, BotError> {
    let AttachSgParams { group_name } = params(input)?;
    let instance_id = entity_id(input)?;
    let ec2 = aws_sdk_ec2::Client::new(aws);
    let instance = proceed!(changeable_instance(input, &ec2, instance_id, "change").await?);
    let vpc_id = proceed!(instance
        .vpc_id()
        .ok_or_else(|| not_in_vpc(input, instance_id)));
    let group = group_named(&ec2, vpc_id, &group_name)
        .await?
        .ok_or_else(|| {
            BotError::not_found(format!(
                "No security group named {group_name} in VPC {vpc_id} of instance {instance_id}"
            ))
        })?;
    let group_id = group.group_id().unwrap_or_default();
    let target = group_label(group_id, Some(&group_name));
    if group_ids(&instance) == [group_id] {
        return Ok(BotOutcome::compliant(
            input,
            format!("Instance {instance_id} is already only in security group {target}"),
        ));
    }
    let changes = vec![format!(
        "replace the security groups of instance {instance_id}, {}, with {target}",
        group_labels(&instance)
    )];
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!("Would attach security group {target} to instance {instance_id}"),
            changes,
        ));
    }
    let (verified, prior) = replace_groups(input, &ec2, &instance, instance_id, group_id).await?;
    Ok(BotOutcome::new(
        input,
        OutcomeStatus::Remediated,
        format!(
            "Security group {target} attached: instance {instance_id} is now only in it; it was in {}",
            group_labels(&instance)
        ),
    )
    .with_changes(changes)
    .with_verified(verified)
    .with_prior(prior))
}

/// Make `group_id` the only security group of `instance`, read the instance again until it is
/// (or fail `NotVerified`), and record the groups it replaced, for undo.
async fn replace_groups(
    input: &BotInput,
    ec2: &aws_sdk_ec2::Client,
    instance: &Instance,
    instance_id: &str,
    group_id: &str,
) -> Result<(Vec<String>, PriorState), BotError> {
    set_only_group(ec2, instance_id, group_id).await?;
    reread(
        &format!("instance {instance_id}"),
        || existing_instance(ec2, instance_id),
        |now| {
            let groups = group_ids(now);
            if groups == [group_id] {
                Vec::new()
            } else {
                vec![format!(
                    "its security groups are {}, not only {group_id}",
                    groups.join(", ")
                )]
            }
        },
    )
    .await?;
    let prior = PriorState::of(
        input,
        RESTORE_INSTANCE_SECURITY_GROUPS.name,
        instance_id,
        json!(RecordedGroups::of(instance)),
        json!(RecordedGroups {
            groups: vec![group_id.to_string()]
        }),
    );
    Ok((
        vec![format!(
            "instance {instance_id} is only in security group {group_id}"
        )],
        prior,
    ))
}
