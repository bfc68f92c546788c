//! The bots of an instance's role: attach a profile, attach a policy to the role of the profile
//! associated now, and detach the role a CloudTrail event added.
//!
//! Each verifies its change and records what it replaced. The instance's profile association
//! (attach) and the profile's role (detach) are settings that [`RESTORE_INSTANCE_PROFILE`]
//! puts back; the policy on the role (update) is recorded as the IAM policy bots record a
//! policy attachment, so `restore_iam_principal_policies` detaches it again. Undo never deletes
//! an instance profile, a role or a policy: it only takes back the association or attachment.

use super::changeable_instance;
use aws_config::SdkConfig;
use aws_sdk_ec2::types::{Filter, IamInstanceProfileAssociation, IamInstanceProfileSpecification};
use cloudbots_iam::iam_policies::restore::{
    change_principals, PrincipalSetting, Setting as PrincipalSettingKind,
};
use cloudbots_iam::principal::Principal;
use cloudbots_runtime::aws_error::{bot_error, code};
use cloudbots_runtime::bot::{dry_run, entity_id, entity_name, params};
use cloudbots_runtime::cloudtrail::finding_event;
use cloudbots_runtime::proceed;
use cloudbots_runtime::restorer::Restorer;
use cloudbots_runtime::setting::{self, restore_settings, Resource, Setting};
use cloudbots_shared::error::BotError;
use cloudbots_shared::outcome::{BotInput, BotOutcome, OutcomeStatus};
use cloudbots_shared::params::{
    policy_arn_in_account, AttachInstanceRoleParams, AttachPolicyParams, NoParams,
};
use cloudbots_shared::restore::{RestoreInput, RestoreOutcome};
use serde::{Deserialize, Serialize};

/// The restorer of the instance profile bots: an instance's profile association
/// (`ec2_attach_instance_role`), a profile's role (`ec2_detach_instance_role`).
pub const RESTORE_INSTANCE_PROFILE: Restorer = Restorer {
    name: RESTORER,
    run: |input, aws| Box::pin(restore_instance_profile(input, aws)),
};

/// [`RESTORE_INSTANCE_PROFILE`]'s name, which the bots record (naming the restorer itself
/// there would make its future's type depend on the bots' and theirs on its).
const RESTORER: &str = "restore_instance_profile";

/// `ec2_detach_instance_role`'s name, by which the restorer tells the records of that bot (the
/// bot's own constant would link the bot, and CloudTrail with it, into the restorer).
pub(super) const DETACH_INSTANCE_ROLE_NAME: &str = "ec2_detach_instance_role";

/// The association of the instance with an instance profile now, if any.
async fn current_association(
    ec2: &aws_sdk_ec2::Client,
    instance_id: &str,
) -> Result<Option<IamInstanceProfileAssociation>, BotError> {
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
        .find(|a| {
            a.state()
                .is_some_and(|s| matches!(s.as_str(), "associated" | "associating"))
        })
        .cloned())
}

/// The ARN of the instance profile associated with the instance now, if any.
async fn associated_profile(
    ec2: &aws_sdk_ec2::Client,
    instance_id: &str,
) -> Result<Option<String>, BotError> {
    Ok(current_association(ec2, instance_id)
        .await?
        .and_then(|a| a.iam_instance_profile()?.arn().map(str::to_string)))
}

/// The instance profile associated with an instance, by ARN; none when it has none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileAssociation {
    pub profile: Option<String>,
}

impl Setting for ProfileAssociation {
    type Client = aws_sdk_ec2::Client;

    fn name(&self) -> &'static str {
        "instance profile"
    }

    fn words(&self) -> String {
        self.profile.clone().unwrap_or_else(|| "none".to_string())
    }

    async fn read(&self, ec2: &aws_sdk_ec2::Client, instance_id: &str) -> Result<Self, BotError> {
        Ok(ProfileAssociation {
            profile: associated_profile(ec2, instance_id).await?,
        })
    }

    /// Associate the profile, or take away whatever profile the instance has.
    async fn write(&self, ec2: &aws_sdk_ec2::Client, instance_id: &str) -> Result<(), BotError> {
        match &self.profile {
            Some(profile) => ec2
                .associate_iam_instance_profile()
                .instance_id(instance_id)
                .iam_instance_profile(
                    IamInstanceProfileSpecification::builder()
                        .arn(profile)
                        .build(),
                )
                .send()
                .await
                .map(drop)
                .map_err(|e| {
                    bot_error(
                        &format!(
                            "associating instance profile {profile} with instance {instance_id}"
                        ),
                        e,
                    )
                }),
            None => {
                let Some(association) = current_association(ec2, instance_id).await? else {
                    return Ok(());
                };
                ec2.disassociate_iam_instance_profile()
                    .set_association_id(association.association_id().map(str::to_string))
                    .send()
                    .await
                    .map(drop)
                    .map_err(|e| {
                        bot_error(
                            &format!("taking the instance profile of instance {instance_id} away"),
                            e,
                        )
                    })
            }
        }
    }
}

/// The IAM role in an instance profile, by name; none when the profile has none (a profile
/// holds one role at most).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileRole {
    pub role: Option<String>,
}

impl Setting for ProfileRole {
    type Client = aws_sdk_iam::Client;

    fn name(&self) -> &'static str {
        "role"
    }

    fn words(&self) -> String {
        self.role.clone().unwrap_or_else(|| "none".to_string())
    }

    async fn read(&self, iam: &aws_sdk_iam::Client, profile: &str) -> Result<Self, BotError> {
        let out = match iam
            .get_instance_profile()
            .instance_profile_name(profile)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) if code(&e) == Some("NoSuchEntity") => {
                return Err(BotError::not_found(format!(
                    "instance profile {profile} does not exist (any more)"
                )))
            }
            Err(e) => return Err(bot_error(&format!("reading instance profile {profile}"), e)),
        };
        Ok(ProfileRole {
            role: out
                .instance_profile()
                .and_then(|p| p.roles().first())
                .map(|r| r.role_name().to_string()),
        })
    }

    /// Make this role the profile's role: the role it holds instead is removed first.
    async fn write(&self, iam: &aws_sdk_iam::Client, profile: &str) -> Result<(), BotError> {
        let now = self.read(iam, profile).await?;
        if now == *self {
            return Ok(());
        }
        if let Some(other) = &now.role {
            iam.remove_role_from_instance_profile()
                .instance_profile_name(profile)
                .role_name(other)
                .send()
                .await
                .map_err(|e| {
                    bot_error(
                        &format!("removing IAM role {other} from instance profile {profile}"),
                        e,
                    )
                })?;
        }
        let Some(role) = &self.role else {
            return Ok(());
        };
        iam.add_role_to_instance_profile()
            .instance_profile_name(profile)
            .role_name(role)
            .send()
            .await
            .map(drop)
            .map_err(|e| {
                bot_error(
                    &format!("adding IAM role {role} to instance profile {profile}"),
                    e,
                )
            })
    }
}

/// Undo an instance profile bot: the instance's profile association, or for
/// `ec2_detach_instance_role` the profile's role.
async fn restore_instance_profile(
    input: &RestoreInput,
    aws: &SdkConfig,
) -> Result<RestoreOutcome, BotError> {
    if input.step.bot == DETACH_INSTANCE_ROLE_NAME {
        let iam = aws_sdk_iam::Client::new(aws);
        restore_settings::<ProfileRole>(input, &iam, |profile| {
            format!("instance profile {profile}")
        })
        .await
    } else {
        let ec2 = aws_sdk_ec2::Client::new(aws);
        restore_settings::<ProfileAssociation>(input, &ec2, |instance| {
            format!("instance {instance}")
        })
        .await
    }
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
    let association = |profile: Option<&str>| ProfileAssociation {
        profile: profile.map(str::to_string),
    };
    setting::change(
        input,
        &Resource {
            client: &ec2,
            id: instance_id,
            label: format!("instance {instance_id}"),
        },
        RESTORER,
        (
            vec![association(None)],
            vec![association(Some(&profile_arn))],
        ),
        format!("Instance profile {profile_arn} attached to instance {instance_id}"),
        changes,
    )
    .await
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
    let principal = Principal::role(&role);
    let attached = proceed!(principal.policies_before_attach(input, &iam).await?);
    if attached.contains(&policy_arn) {
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
    // Recorded as the IAM policy bots record an attachment: their restorer detaches it again.
    let attachment = |attached| {
        vec![PrincipalSetting::of(
            &principal,
            PrincipalSettingKind::managed(&policy_arn, attached),
        )]
    };
    change_principals(
        input,
        &iam,
        &role,
        (attachment(false), attachment(true)),
        format!("Policy {policy_arn} attached to IAM role {role} of instance {instance_id}"),
        changes,
    )
    .await
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
    let event = proceed!(
        finding_event(
            input,
            cloudtrail,
            ADD_ROLE_TO_INSTANCE_PROFILE,
            (role, &format!("IAM role {role}"))
        )
        .await?
    );
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
    let holding = |role: Option<&str>| ProfileRole {
        role: role.map(str::to_string),
    };
    setting::change(
        input,
        &Resource {
            client: iam,
            id: profile,
            label: format!("instance profile {profile}"),
        },
        RESTORER,
        (vec![holding(Some(role))], vec![holding(None)]),
        format!("IAM role {role} detached from instance profile {profile}"),
        changes,
    )
    .await
}
