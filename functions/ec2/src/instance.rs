//! Instance bots: snapshot (the guard step before any instance change), stop, quarantine,
//! terminate, the instance's security groups, Elastic IPs, instance role and tags.
//!
//! All read the instance's live state first (the finding's copy of its groups or VPC may be
//! stale): a missing or terminated instance is skipped with a reason, and a second run finds
//! its own work done. Bots that replace the instance's security groups name the groups they
//! replaced in the outcome, so the change can be undone after the investigation.
//!
//! The role bots act on the instance profile EC2 reports for the instance now, not on the
//! finding's list of roles; `ec2_detach_instance_role` (a Log.ic bot) takes the instance profile
//! from the CloudTrail AddRoleToInstanceProfile event the finding is about, so it undoes that
//! attachment and no other.

use crate::ec2_resources::{put_tag, tag_value};
pub use crate::quarantine_group::QUARANTINE_GROUP_NAME;
use crate::quarantine_group::{group_label, group_named, QuarantineGroup};
use aws_config::SdkConfig;
use aws_sdk_cloudtrail::types::LookupAttributeKey;
use aws_sdk_ec2::types::{
    Filter, IamInstanceProfileSpecification, Instance, InstanceStateName, ResourceType, Tag,
    TagSpecification,
};
use cloudbots_runtime::aws_error::{bot_error, code};
use cloudbots_runtime::bot::{dry_run, entity_id, entity_name, params, Bot};
use cloudbots_runtime::cloudtrail::{alert_time, closest_event, EventQuery, DEFAULT_WINDOW};
use cloudbots_runtime::exclusion;
use cloudbots_shared::error::{BotError, ErrorName};
use cloudbots_shared::outcome::{BotInput, BotOutcome, OutcomeStatus};
use cloudbots_shared::params::{
    policy_arn_in_account, AttachInstanceRoleParams, AttachPolicyParams, AttachSgParams, NoParams,
    TagFromVpcParams,
};

/// Tag on every snapshot: the instance it came from (as the original).
pub const SOURCE_INSTANCE_TAG: &str = "source_instance_id";
/// Tag on every snapshot: the execution that took it (makes a re-run find its snapshots).
pub const EXECUTION_TAG: &str = "cloudbots:execution";

/// The bots of this module.
pub const BOTS: &[Bot] = &[
    CREATE_SNAPSHOT,
    STOP_INSTANCE,
    QUARANTINE_INSTANCE,
    ATTACH_SG,
    RELEASE_EIPS,
    TERMINATE_INSTANCE,
    ATTACH_INSTANCE_ROLE,
    UPDATE_INSTANCE_ROLE,
    DETACH_INSTANCE_ROLE,
    TAG_INSTANCE_FROM_VPC,
];

pub const CREATE_SNAPSHOT: Bot = Bot {
    name: "ec2_create_snapshot",
    tags: exclusion::EC2_TAGS,
    run: |input, aws| Box::pin(create_snapshot(input, aws)),
};
pub const STOP_INSTANCE: Bot = Bot {
    name: "ec2_stop_instance",
    tags: exclusion::EC2_TAGS,
    run: |input, aws| Box::pin(stop_instance(input, aws)),
};

pub const QUARANTINE_INSTANCE: Bot = Bot {
    name: "ec2_quarantine_instance",
    tags: exclusion::EC2_TAGS,
    run: |input, aws| Box::pin(quarantine_instance(input, aws)),
};
pub const ATTACH_SG: Bot = Bot {
    name: "ec2_attach_sg",
    tags: exclusion::EC2_TAGS,
    run: |input, aws| Box::pin(attach_sg(input, aws)),
};
pub const RELEASE_EIPS: Bot = Bot {
    name: "ec2_release_eips",
    tags: exclusion::EC2_TAGS,
    run: |input, aws| Box::pin(release_eips(input, aws)),
};
pub const TERMINATE_INSTANCE: Bot = Bot {
    name: "ec2_terminate_instance",
    tags: exclusion::EC2_TAGS,
    run: |input, aws| Box::pin(terminate_instance(input, aws)),
};
pub const ATTACH_INSTANCE_ROLE: Bot = Bot {
    name: "ec2_attach_instance_role",
    tags: exclusion::EC2_TAGS,
    run: |input, aws| Box::pin(attach_instance_role(input, aws)),
};
pub const UPDATE_INSTANCE_ROLE: Bot = Bot {
    name: "ec2_update_instance_role",
    tags: exclusion::EC2_TAGS,
    run: |input, aws| Box::pin(update_instance_role(input, aws)),
};
pub const DETACH_INSTANCE_ROLE: Bot = Bot {
    name: "ec2_detach_instance_role",
    tags: exclusion::IAM_TAGS,
    run: |input, aws| Box::pin(detach_instance_role(input, aws)),
};
pub const TAG_INSTANCE_FROM_VPC: Bot = Bot {
    name: "ec2_tag_instance_from_vpc",
    tags: exclusion::EC2_TAGS,
    run: |input, aws| Box::pin(tag_instance_from_vpc(input, aws)),
};

/// The live instance, or None when EC2 says it does not exist.
async fn describe_instance(
    ec2: &aws_sdk_ec2::Client,
    instance_id: &str,
) -> Result<Option<aws_sdk_ec2::types::Instance>, BotError> {
    match ec2
        .describe_instances()
        .instance_ids(instance_id)
        .send()
        .await
    {
        Ok(out) => Ok(out
            .reservations()
            .iter()
            .flat_map(|r| r.instances())
            .find(|i| i.instance_id() == Some(instance_id))
            .cloned()),
        Err(e) if code(&e).is_some_and(|c| c.starts_with("InvalidInstanceID")) => Ok(None),
        Err(e) => Err(bot_error(&format!("describing instance {instance_id}"), e)),
    }
}

fn gone(input: &BotInput, instance_id: &str) -> BotOutcome {
    BotOutcome::gone(input, &format!("Instance {instance_id}"), "nothing to do")
}

async fn create_snapshot(input: &BotInput, aws: &SdkConfig) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let instance_id = entity_id(input)?;
    let ec2 = aws_sdk_ec2::Client::new(aws);
    let Some(instance) = describe_instance(&ec2, instance_id).await? else {
        return Ok(gone(input, instance_id));
    };
    let volumes: Vec<(String, String)> = instance
        .block_device_mappings()
        .iter()
        .filter_map(|m| {
            let volume = m.ebs()?.volume_id()?.to_string();
            Some((volume, m.device_name().unwrap_or("?").to_string()))
        })
        .collect();
    if volumes.is_empty() {
        return Ok(BotOutcome::new(
            input,
            OutcomeStatus::Skipped,
            format!("Instance {instance_id} only has instance store volumes: nothing to snapshot"),
        ));
    }

    let taken = ec2
        .describe_snapshots()
        .owner_ids("self")
        .filters(
            Filter::builder()
                .name(format!("tag:{EXECUTION_TAG}"))
                .values(&input.execution)
                .build(),
        )
        .filters(
            Filter::builder()
                .name(format!("tag:{SOURCE_INSTANCE_TAG}"))
                .values(instance_id)
                .build(),
        )
        .send()
        .await
        .map_err(|e| bot_error("listing this execution's snapshots", e))?;
    let taken: Vec<(String, String)> = taken
        .snapshots()
        .iter()
        .filter_map(|s| Some((s.volume_id()?.to_string(), s.snapshot_id()?.to_string())))
        .collect();
    let missing: Vec<&(String, String)> = volumes
        .iter()
        .filter(|(v, _)| !taken.iter().any(|(tv, _)| tv == v))
        .collect();
    if missing.is_empty() {
        let ids: Vec<String> = taken.iter().map(|(_, s)| s.clone()).collect();
        return Ok(BotOutcome::compliant(
            input,
            format!(
                "Instance {instance_id} already has this execution's snapshots: {}",
                ids.join(", ")
            ),
        )
        .with_artifacts(ids));
    }
    let changes: Vec<String> = missing
        .iter()
        .map(|(v, d)| format!("snapshot volume {v} ({d}) of instance {instance_id}"))
        .collect();
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!(
                "Would snapshot {} volume(s) of instance {instance_id}",
                changes.len()
            ),
            changes,
        ));
    }

    let description = format!(
        "Snapshot generated by CloudBots. Rule that triggered the snapshot: \"{}\"",
        input.finding.rule.name
    );
    let mut created = Vec::new();
    for (volume, _) in &missing {
        let tags = TagSpecification::builder()
            .resource_type(ResourceType::Snapshot)
            .tags(
                Tag::builder()
                    .key(SOURCE_INSTANCE_TAG)
                    .value(instance_id)
                    .build(),
            )
            .tags(
                Tag::builder()
                    .key(EXECUTION_TAG)
                    .value(&input.execution)
                    .build(),
            )
            .build();
        let snapshot = ec2
            .create_snapshot()
            .volume_id(volume)
            .description(&description)
            .tag_specifications(tags)
            .send()
            .await
            .map_err(|e| bot_error(&format!("snapshotting volume {volume}"), e))?;
        created.push(format!(
            "{volume} -> {}",
            snapshot.snapshot_id().unwrap_or("?")
        ));
    }
    let ids: Vec<String> = created
        .iter()
        .filter_map(|c| c.split(" -> ").nth(1).map(str::to_string))
        .collect();
    Ok(BotOutcome::new(
        input,
        OutcomeStatus::Remediated,
        format!(
            "Snapshots started for instance {instance_id}: {}",
            created.join(", ")
        ),
    )
    .with_changes(changes)
    .with_artifacts(ids))
}

async fn stop_instance(input: &BotInput, aws: &SdkConfig) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let instance_id = entity_id(input)?;
    let ec2 = aws_sdk_ec2::Client::new(aws);
    let Some(instance) = describe_instance(&ec2, instance_id).await? else {
        return Ok(gone(input, instance_id));
    };
    let state = state_of(&instance);
    match state {
        InstanceStateName::Stopped | InstanceStateName::Stopping => {
            return Ok(BotOutcome::compliant(
                input,
                format!("Instance {instance_id} is already {}", state.as_str()),
            ))
        }
        InstanceStateName::Terminated | InstanceStateName::ShuttingDown => {
            return Ok(BotOutcome::new(
                input,
                OutcomeStatus::Skipped,
                format!(
                    "Instance {instance_id} is {}: nothing to stop",
                    state.as_str()
                ),
            ))
        }
        _ => {}
    }
    let change = format!("stop instance {instance_id} (now {})", state.as_str());
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!("Would stop instance {instance_id}"),
            vec![change],
        ));
    }
    let stopped = ec2
        .stop_instances()
        .instance_ids(instance_id)
        .send()
        .await
        .map_err(|e| bot_error(&format!("stopping instance {instance_id}"), e))?;
    let now = stopped
        .stopping_instances()
        .first()
        .and_then(|c| c.current_state())
        .and_then(|s| s.name())
        .map(|n| n.as_str().to_string())
        .unwrap_or_else(|| "stopping".to_string());
    Ok(BotOutcome::new(
        input,
        OutcomeStatus::Remediated,
        format!("Instance stopped: {instance_id} (now {now})"),
    )
    .with_changes(vec![change]))
}

/// The instance's state name (pending when EC2 does not say).
fn state_of(instance: &Instance) -> InstanceStateName {
    instance
        .state()
        .and_then(|s| s.name())
        .cloned()
        .unwrap_or(InstanceStateName::Pending)
}

/// The live instance when it can still be changed, or the outcome saying why it cannot:
/// missing, or terminated (or on its way there).
async fn changeable_instance(
    input: &BotInput,
    ec2: &aws_sdk_ec2::Client,
    instance_id: &str,
    action: &str,
) -> Result<Result<Instance, BotOutcome>, BotError> {
    let Some(instance) = describe_instance(ec2, instance_id).await? else {
        return Ok(Err(gone(input, instance_id)));
    };
    let state = state_of(&instance);
    if matches!(
        state,
        InstanceStateName::Terminated | InstanceStateName::ShuttingDown
    ) {
        return Ok(Err(BotOutcome::new(
            input,
            OutcomeStatus::Skipped,
            format!(
                "Instance {instance_id} is {}: nothing to {action}",
                state.as_str()
            ),
        )));
    }
    Ok(Ok(instance))
}

/// The instance's VPC, or the outcome saying it has none (EC2-Classic).
fn vpc_of<'a>(
    input: &BotInput,
    instance: &'a Instance,
    instance_id: &str,
) -> Result<&'a str, BotOutcome> {
    instance.vpc_id().ok_or_else(|| {
        BotOutcome::new(
            input,
            OutcomeStatus::Skipped,
            format!(
                "Instance {instance_id} is not in a VPC: its security groups cannot be replaced"
            ),
        )
    })
}

/// The ids of the instance's security groups.
fn group_ids(instance: &Instance) -> Vec<&str> {
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

async fn quarantine_instance(input: &BotInput, aws: &SdkConfig) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let instance_id = entity_id(input)?;
    let ec2 = aws_sdk_ec2::Client::new(aws);
    let instance = match changeable_instance(input, &ec2, instance_id, "quarantine").await? {
        Ok(instance) => instance,
        Err(outcome) => return Ok(outcome),
    };
    let vpc_id = match vpc_of(input, &instance, instance_id) {
        Ok(vpc_id) => vpc_id,
        Err(outcome) => return Ok(outcome),
    };
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
    if !quarantined {
        set_only_group(&ec2, instance_id, group_id).await?;
    }
    let outcome = BotOutcome::new(
        input,
        OutcomeStatus::Remediated,
        format!(
            "Instance quarantined: {instance_id} is now only in security group {group_id} ({QUARANTINE_GROUP_NAME}); it was in {}",
            group_labels(&instance)
        ),
    )
    .with_changes(changes);
    Ok(if created {
        outcome.with_artifacts(vec![group_id.to_string()])
    } else {
        outcome
    })
}

async fn attach_sg(input: &BotInput, aws: &SdkConfig) -> Result<BotOutcome, BotError> {
    let AttachSgParams { group_name } = params(input)?;
    let instance_id = entity_id(input)?;
    let ec2 = aws_sdk_ec2::Client::new(aws);
    let instance = match changeable_instance(input, &ec2, instance_id, "change").await? {
        Ok(instance) => instance,
        Err(outcome) => return Ok(outcome),
    };
    let vpc_id = match vpc_of(input, &instance, instance_id) {
        Ok(vpc_id) => vpc_id,
        Err(outcome) => return Ok(outcome),
    };
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
    set_only_group(&ec2, instance_id, group_id).await?;
    Ok(BotOutcome::new(
        input,
        OutcomeStatus::Remediated,
        format!(
            "Security group {target} attached: instance {instance_id} is now only in it; it was in {}",
            group_labels(&instance)
        ),
    )
    .with_changes(changes))
}

async fn release_eips(input: &BotInput, aws: &SdkConfig) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let instance_id = entity_id(input)?;
    let ec2 = aws_sdk_ec2::Client::new(aws);
    if describe_instance(&ec2, instance_id).await?.is_none() {
        return Ok(gone(input, instance_id));
    }
    let addresses = ec2
        .describe_addresses()
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
                &format!("listing the Elastic IPs of instance {instance_id}"),
                e,
            )
        })?
        .addresses()
        .to_vec();
    if addresses.is_empty() {
        return Ok(BotOutcome::compliant(
            input,
            format!(
                "No Elastic IPs are associated with instance {instance_id}: nothing to release"
            ),
        ));
    }
    let changes: Vec<String> = addresses
        .iter()
        .map(|a| {
            format!(
                "disassociate Elastic IP {} ({}) from instance {instance_id} and release it",
                a.public_ip().unwrap_or("?"),
                a.allocation_id().unwrap_or("no allocation id")
            )
        })
        .collect();
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!(
                "Would release {} Elastic IP(s) of instance {instance_id}",
                addresses.len()
            ),
            changes,
        ));
    }
    for address in &addresses {
        let ip = address.public_ip().unwrap_or("?");
        if let Some(association) = address.association_id() {
            match ec2
                .disassociate_address()
                .association_id(association)
                .send()
                .await
            {
                Ok(_) => {}
                Err(e) if code(&e) == Some("InvalidAssociationID.NotFound") => {}
                Err(e) => return Err(bot_error(&format!("disassociating Elastic IP {ip}"), e)),
            }
        }
        // An EC2-Classic address has no allocation id and is released by its IP.
        let release = match address.allocation_id() {
            Some(allocation) => ec2.release_address().allocation_id(allocation),
            None => ec2.release_address().public_ip(ip),
        };
        release
            .send()
            .await
            .map_err(|e| bot_error(&format!("releasing Elastic IP {ip}"), e))?;
    }
    let ips: Vec<&str> = addresses.iter().filter_map(|a| a.public_ip()).collect();
    Ok(BotOutcome::new(
        input,
        OutcomeStatus::Remediated,
        format!(
            "Released the Elastic IPs of instance {instance_id}: {}",
            ips.join(", ")
        ),
    )
    .with_changes(changes))
}

async fn terminate_instance(input: &BotInput, aws: &SdkConfig) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let instance_id = entity_id(input)?;
    let ec2 = aws_sdk_ec2::Client::new(aws);
    let Some(instance) = describe_instance(&ec2, instance_id).await? else {
        return Ok(gone(input, instance_id));
    };
    let state = state_of(&instance);
    if matches!(
        state,
        InstanceStateName::Terminated | InstanceStateName::ShuttingDown
    ) {
        return Ok(BotOutcome::compliant(
            input,
            format!("Instance {instance_id} is already {}", state.as_str()),
        ));
    }
    let changes = vec![format!(
        "terminate instance {instance_id} (now {})",
        state.as_str()
    )];
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!("Would terminate instance {instance_id}"),
            changes,
        ));
    }
    let terminated = match ec2
        .terminate_instances()
        .instance_ids(instance_id)
        .send()
        .await
    {
        Ok(out) => out,
        Err(e) if code(&e) == Some("OperationNotPermitted") => {
            return Err(BotError::new(
                ErrorName::Conflict,
                format!("Instance {instance_id} has termination protection on: not terminated"),
            ))
        }
        Err(e) => return Err(bot_error(&format!("terminating instance {instance_id}"), e)),
    };
    let now = terminated
        .terminating_instances()
        .first()
        .and_then(|c| c.current_state())
        .and_then(|s| s.name())
        .map(|n| n.as_str().to_string())
        .unwrap_or_else(|| "shutting-down".to_string());
    Ok(BotOutcome::new(
        input,
        OutcomeStatus::Remediated,
        format!("Instance terminated: {instance_id} (now {now})"),
    )
    .with_changes(changes))
}

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

async fn attach_instance_role(input: &BotInput, aws: &SdkConfig) -> Result<BotOutcome, BotError> {
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

async fn update_instance_role(input: &BotInput, aws: &SdkConfig) -> Result<BotOutcome, BotError> {
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

async fn detach_instance_role(input: &BotInput, aws: &SdkConfig) -> Result<BotOutcome, BotError> {
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

async fn tag_instance_from_vpc(input: &BotInput, aws: &SdkConfig) -> Result<BotOutcome, BotError> {
    let TagFromVpcParams { key } = params(input)?;
    let instance_id = entity_id(input)?;
    let ec2 = aws_sdk_ec2::Client::new(aws);
    let instance = match changeable_instance(input, &ec2, instance_id, "tag").await? {
        Ok(instance) => instance,
        Err(outcome) => return Ok(outcome),
    };
    let Some(vpc_id) = instance.vpc_id() else {
        return Ok(BotOutcome::new(
            input,
            OutcomeStatus::Skipped,
            format!("Instance {instance_id} is not in a VPC: no VPC tag to copy"),
        ));
    };
    let Some(value) = tag_value(&ec2, vpc_id, &key).await? else {
        return Ok(BotOutcome::new(
            input,
            OutcomeStatus::Skipped,
            format!("VPC {vpc_id} of instance {instance_id} has no tag {key}: nothing to copy"),
        ));
    };
    let current = instance
        .tags()
        .iter()
        .find(|t| t.key() == Some(key.as_str()))
        .map(|t| t.value().unwrap_or_default());
    if current == Some(value.as_str()) {
        return Ok(BotOutcome::compliant(
            input,
            format!("Instance {instance_id} already has the tag {key}={value} of VPC {vpc_id}"),
        ));
    }
    let was = current
        .map(|old| format!(" (was '{old}')"))
        .unwrap_or_default();
    let changes = vec![format!(
        "tag instance {instance_id} with {key}={value} from VPC {vpc_id}{was}"
    )];
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!("Would copy tag {key} of VPC {vpc_id} to instance {instance_id}"),
            changes,
        ));
    }
    if !put_tag(&ec2, instance_id, &key, &value).await? {
        return Ok(gone(input, instance_id));
    }
    Ok(BotOutcome::new(
        input,
        OutcomeStatus::Remediated,
        format!("Instance tagged: {instance_id} Key: {key} | Value: {value} (from VPC {vpc_id})"),
    )
    .with_changes(changes))
}
