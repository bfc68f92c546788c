//! The bots of an instance's role: attach a profile, replace the role of the profile
//! associated now, and detach the role a CloudTrail event added.

use super::changeable_instance;
use aws_config::SdkConfig;
use aws_sdk_cloudtrail::types::LookupAttributeKey;
use aws_sdk_ec2::types::{Filter, IamInstanceProfileSpecification};
use cloudbots_runtime::aws_error::{bot_error, code};
use cloudbots_runtime::bot::{dry_run, entity_id, entity_name, params};
use cloudbots_runtime::cloudtrail::{alert_time, closest_event, EventQuery, DEFAULT_WINDOW};
use cloudbots_shared::error::BotError;
use cloudbots_shared::outcome::{BotInput, BotOutcome, OutcomeStatus};
use cloudbots_shared::params::{
    policy_arn_in_account, AttachInstanceRoleParams, AttachPolicyParams, NoParams,
};

/// The ARN of the instance profile associated with the instance now, if any.
async fn associated_profile(
    ec2: &aws_sdk_ec2::Client,
    instance_id: &str,
) -> Result<Option<String>, BotError> {
    let out = ec2
        .describe_iam_instance_profile_associations()
        .filters(
            Filter::builder()
                .name("instance-id")
                .values(instance_id)
                .build(),
        )
        .send()
        .await
        .map_err(|e| {
            bot_error(
                &format!("reading the instance profile of instance {instance_id}"),
                e,
            )
        })?;
    Ok(out
        .iam_instance_profile_associations()
        .iter()
        .filter(|a| {
            a.state()
                .is_some_and(|s| matches!(s.as_str(), "associated" | "associating"))
        })
        .find_map(|a| a.iam_instance_profile()?.arn().map(str::to_string)))
}

pub(super) async fn attach_instance_role(
    input: &BotInput,
    aws: &SdkConfig,
) -> Result<BotOutcome, BotError> {
    let params: AttachInstanceRoleParams = params(input)?;
    let profile_arn = params.role_arn_in_account(&input.target.account_id);
    let instance_id = entity_id(input)?;
    let ec2 = aws_sdk_ec2::Client::new(aws);
    if let Err(outcome) = changeable_instance(input, &ec2, instance_id, "attach a role to").await? {
        return Ok(outcome);
    }
    match associated_profile(&ec2, instance_id).await? {
        Some(current) if current == profile_arn => {
            return Ok(BotOutcome::compliant(input, format!("Instance {instance_id} already has instance profile {profile_arn}")))
        }
        Some(current) => {
            return Ok(BotOutcome::new(
                input,
                OutcomeStatus::Skipped,
                format!("Instance {instance_id} already has instance profile {current}: it is not replaced (ec2_update_instance_role adds a policy to its role)"),
            ))
        }
        None => {}
    }
    let changes = vec![format!(
        "associate instance profile {profile_arn} with instance {instance_id}"
    )];
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!("Would attach instance profile {profile_arn} to instance {instance_id}"),
            changes,
        ));
    }
    ec2.associate_iam_instance_profile()
        .instance_id(instance_id)
        .iam_instance_profile(
            IamInstanceProfileSpecification::builder()
                .arn(&profile_arn)
                .build(),
        )
        .send()
        .await
        .map_err(|e| {
            bot_error(
                &format!("associating instance profile {profile_arn} with instance {instance_id}"),
                e,
            )
        })?;
    Ok(BotOutcome::new(
        input,
        OutcomeStatus::Remediated,
        format!("Instance profile {profile_arn} attached to instance {instance_id}"),
    )
    .with_changes(changes))
}

pub(super) async fn update_instance_role(
    input: &BotInput,
    aws: &SdkConfig,
) -> Result<BotOutcome, BotError> {
    let params: AttachPolicyParams = params(input)?;
    let policy_arn = policy_arn_in_account(&params.policy_arn, &input.target.account_id);
    let instance_id = entity_id(input)?;
    let ec2 = aws_sdk_ec2::Client::new(aws);
    let iam = aws_sdk_iam::Client::new(aws);
    if let Err(outcome) =
        changeable_instance(input, &ec2, instance_id, "update the role of").await?
    {
        return Ok(outcome);
    }
    let skipped = |message: String| Ok(BotOutcome::new(input, OutcomeStatus::Skipped, message));
    let Some(profile_arn) = associated_profile(&ec2, instance_id).await? else {
        return skipped(format!(
            "Instance {instance_id} has no instance role: attach one with ec2_attach_instance_role first"
        ));
    };
    let profile_name = profile_arn.rsplit('/').next().unwrap_or_default();
    let profile = match iam
        .get_instance_profile()
        .instance_profile_name(profile_name)
        .send()
        .await
    {
        Ok(out) => out.instance_profile().cloned(),
        Err(e) if code(&e) == Some("NoSuchEntity") => None,
        Err(e) => {
            return Err(bot_error(
                &format!("reading instance profile {profile_arn}"),
                e,
            ))
        }
    };
    let Some(role) = profile
        .as_ref()
        .and_then(|p| p.roles().first())
        .map(|r| r.role_name().to_string())
    else {
        return skipped(format!(
            "Instance profile {profile_arn} of instance {instance_id} has no role: nothing to update"
        ));
    };
    let attached = iam
        .list_attached_role_policies()
        .role_name(&role)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| bot_error(&format!("listing the policies of IAM role {role}"), e))?;
    if attached
        .iter()
        .any(|p| p.policy_arn() == Some(policy_arn.as_str()))
    {
        return Ok(BotOutcome::compliant(
            input,
            format!("IAM role {role} of instance {instance_id} already has policy {policy_arn}"),
        ));
    }
    let changes = vec![format!(
        "attach policy {policy_arn} to IAM role {role} (instance profile {profile_name} of instance {instance_id})"
    )];
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!("Would attach policy {policy_arn} to the role of instance {instance_id}"),
            changes,
        ));
    }
    iam.attach_role_policy()
        .role_name(&role)
        .policy_arn(&policy_arn)
        .send()
        .await
        .map_err(|e| bot_error(&format!("attaching {policy_arn} to IAM role {role}"), e))?;
    Ok(BotOutcome::new(
        input,
        OutcomeStatus::Remediated,
        format!("Policy {policy_arn} attached to IAM role {role} of instance {instance_id}"),
    )
    .with_changes(changes))
}

/// The CloudTrail event a Log.ic `ec2_detach_instance_role` finding is about.
const ADD_ROLE_TO_INSTANCE_PROFILE: &str = "AddRoleToInstanceProfile";

pub(super) async fn detach_instance_role(
    input: &BotInput,
    aws: &SdkConfig,
) -> Result<BotOutcome, BotError> {
    let cloudtrail = aws_sdk_cloudtrail::Client::new(aws);
    let iam = aws_sdk_iam::Client::new(aws);
    detach_instance_role_with(input, &cloudtrail, &iam).await
}

/// Remove the role from the instance profile the finding's AddRoleToInstanceProfile event
/// added it to (the entity is the IAM role).
pub async fn detach_instance_role_with(
    input: &BotInput,
    cloudtrail: &aws_sdk_cloudtrail::Client,
    iam: &aws_sdk_iam::Client,
) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let role = entity_name(input)?;
    let Some(time) = input.finding.event_time.as_deref() else {
        return Err(BotError::invalid_input(format!(
            "the finding has no alert time (alertWindowStartTime of a Log.ic finding): {} needs it to find the {ADD_ROLE_TO_INSTANCE_PROFILE} event",
            input.step.bot
        )));
    };
    let query = EventQuery {
        attribute: LookupAttributeKey::EventName,
        value: ADD_ROLE_TO_INSTANCE_PROFILE,
        resource_name: Some(role),
        window: DEFAULT_WINDOW,
    };
    let Some(event) = closest_event(cloudtrail, alert_time(time)?, &query).await? else {
        return Ok(BotOutcome::new(
            input,
            OutcomeStatus::Skipped,
            format!(
                "No {ADD_ROLE_TO_INSTANCE_PROFILE} event for IAM role {role} in CloudTrail within {} s of {time}: nothing to undo",
                DEFAULT_WINDOW.as_secs()
            ),
        ));
    };
    let request = &event.record["requestParameters"];
    let (Some(profile), Some(event_role)) = (
        request["instanceProfileName"].as_str(),
        request["roleName"].as_str(),
    ) else {
        return Err(BotError::invalid_input(format!(
            "the {ADD_ROLE_TO_INSTANCE_PROFILE} event of {} names no instance profile and role in its requestParameters",
            event.time.to_rfc3339()
        )));
    };
    if event_role != role {
        return Ok(BotOutcome::new(
            input,
            OutcomeStatus::Skipped,
            format!("The closest {ADD_ROLE_TO_INSTANCE_PROFILE} event added IAM role {event_role}, not {role}: nothing to undo"),
        ));
    }
    let profiles = match iam
        .list_instance_profiles_for_role()
        .role_name(role)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
    {
        Ok(profiles) => profiles,
        Err(e) if code(&e) == Some("NoSuchEntity") => {
            return Ok(BotOutcome::new(
                input,
                OutcomeStatus::Skipped,
                format!("IAM role {role} does not exist (any more): nothing to detach"),
            ))
        }
        Err(e) => {
            return Err(bot_error(
                &format!("listing the instance profiles of IAM role {role}"),
                e,
            ))
        }
    };
    if !profiles
        .iter()
        .any(|p| p.instance_profile_name() == profile)
    {
        return Ok(BotOutcome::compliant(
            input,
            format!("IAM role {role} is not in instance profile {profile}"),
        ));
    }
    let changes = vec![format!(
        "remove IAM role {role} from instance profile {profile}"
    )];
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!("Would detach IAM role {role} from instance profile {profile}"),
            changes,
        ));
    }
    match iam
        .remove_role_from_instance_profile()
        .instance_profile_name(profile)
        .role_name(role)
        .send()
        .await
    {
        Ok(_) => {}
        Err(e) if code(&e) == Some("NoSuchEntity") => {
            return Ok(BotOutcome::compliant(
                input,
                format!("IAM role {role} is not in instance profile {profile}"),
            ))
        }
        Err(e) => {
            return Err(bot_error(
                &format!("removing IAM role {role} from instance profile {profile}"),
                e,
            ))
        }
    }
    Ok(BotOutcome::new(
        input,
        OutcomeStatus::Remediated,
        format!("IAM role {role} detached from instance profile {profile}"),
    )
    .with_changes(changes))
}
