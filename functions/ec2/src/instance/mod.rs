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

//!
//! The module holds the instance's own lifecycle (snapshot, stop, terminate, addresses, tags);
//! [`groups`] the bots that replace its security groups, [`role`] those of its instance role,
//! [`restore`] the undo of a stop.

pub mod groups;
pub mod restore;
pub mod role;

pub use role::detach_instance_role_with;

use crate::ec2_resources::{change_tag, tag_value};
pub use crate::quarantine_group::QUARANTINE_GROUP_NAME;
use aws_config::SdkConfig;
use aws_sdk_ec2::types::{
    Address, Filter, Instance, InstanceStateName, ResourceType, Snapshot, SnapshotState, Tag,
    TagSpecification,
};
use cloudbots_runtime::aws_error::{bot_error, code};
use cloudbots_runtime::bot::{dry_run, entity_id, params, Bot};
use cloudbots_runtime::verify::{self, reread};
use cloudbots_runtime::{exclusion, proceed};
use cloudbots_shared::error::{BotError, ErrorName};
use cloudbots_shared::outcome::{BotInput, BotOutcome, OutcomeStatus};
use cloudbots_shared::params::{NoParams, TagFromVpcParams};
use cloudbots_shared::restore::PriorState;
use serde_json::json;

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
    run: |input, aws| Box::pin(groups::quarantine_instance(input, aws)),
};
pub const ATTACH_SG: Bot = Bot {
    name: "ec2_attach_sg",
    tags: exclusion::EC2_TAGS,
    run: |input, aws| Box::pin(groups::attach_sg(input, aws)),
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
    run: |input, aws| Box::pin(role::attach_instance_role(input, aws)),
};
pub const UPDATE_INSTANCE_ROLE: Bot = Bot {
    name: "ec2_update_instance_role",
    tags: exclusion::EC2_TAGS,
    run: |input, aws| Box::pin(role::update_instance_role(input, aws)),
};
pub const DETACH_INSTANCE_ROLE: Bot = Bot {
    name: role::DETACH_INSTANCE_ROLE_NAME,
    tags: exclusion::IAM_TAGS,
    run: |input, aws| Box::pin(role::detach_instance_role(input, aws)),
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

/// The live instance, which must exist (it is being verified or restored).
async fn existing_instance(
    ec2: &aws_sdk_ec2::Client,
    instance_id: &str,
) -> Result<Instance, BotError> {
    describe_instance(ec2, instance_id)
        .await?
        .ok_or_else(|| BotError::not_found(format!("instance {instance_id} does not exist")))
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
        let id = snapshot.snapshot_id().unwrap_or("?").to_string();
        created.push((volume.as_str(), id));
    }
    let verified = verify_snapshots(&ec2, instance_id, &created).await?;
    let started: Vec<String> = created
        .iter()
        .map(|(volume, id)| format!("{volume} -> {id}"))
        .collect();
    Ok(BotOutcome::new(
        input,
        OutcomeStatus::Remediated,
        format!(
            "Snapshots started for instance {instance_id}: {}",
            started.join(", ")
        ),
    )
    .with_changes(changes)
    .with_verified(verified)
    .with_artifacts(created.into_iter().map(|(_, id)| id).collect()))
}

/// Read the snapshots just `created` (volume, snapshot id) back until each exists, pending
/// or completed (or fail `NotVerified`); one verified line per snapshot.
async fn verify_snapshots(
    ec2: &aws_sdk_ec2::Client,
    instance_id: &str,
    created: &[(&str, String)],
) -> Result<Vec<String>, BotError> {
    let ids: Vec<String> = created.iter().map(|(_, id)| id.clone()).collect();
    let read = || async {
        ec2.describe_snapshots()
            .filters(
                Filter::builder()
                    .name("snapshot-id")
                    .set_values(Some(ids.clone()))
                    .build(),
            )
            .send()
            .await
            .map(|out| out.snapshots().to_vec())
            .map_err(|e| {
                bot_error(
                    &format!("reading the snapshots of instance {instance_id}"),
                    e,
                )
            })
    };
    let state = |snapshots: &[Snapshot], id: &str| {
        snapshots
            .iter()
            .find(|s| s.snapshot_id() == Some(id))
            .map(|s| s.state().cloned().unwrap_or(SnapshotState::Pending))
    };
    let snapshots = reread(
        &format!("snapshots of instance {instance_id}"),
        read,
        |snapshots: &Vec<Snapshot>| {
            ids.iter()
                .filter_map(|id| match state(snapshots, id) {
                    None => Some(format!("snapshot {id} does not exist")),
                    Some(SnapshotState::Error) => Some(format!("snapshot {id} failed")),
                    Some(_) => None,
                })
                .collect()
        },
    )
    .await?;
    Ok(created
        .iter()
        .map(|(volume, id)| {
            let now = state(&snapshots, id).unwrap_or(SnapshotState::Pending);
            format!("snapshot {id} of volume {volume} exists ({})", now.as_str())
        })
        .collect())
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
    ec2.stop_instances()
        .instance_ids(instance_id)
        .send()
        .await
        .map_err(|e| bot_error(&format!("stopping instance {instance_id}"), e))?;
    let now = reread_state(
        &ec2,
        instance_id,
        &[InstanceStateName::Stopping, InstanceStateName::Stopped],
    )
    .await?;
    let prior = PriorState::of(
        input,
        restore::RESTORE_INSTANCE_STATE.name,
        instance_id,
        json!({ "state": state.as_str() }),
        json!({ "state": now.as_str() }),
    );
    Ok(BotOutcome::new(
        input,
        OutcomeStatus::Remediated,
        format!("Instance stopped: {instance_id} (now {})", now.as_str()),
    )
    .with_changes(vec![change])
    .with_verified(vec![format!("instance {instance_id} is {}", now.as_str())])
    .with_prior(prior))
}

/// Read the instance again until its state is one of `wanted` (or fail `NotVerified`); the
/// state it has then.
async fn reread_state(
    ec2: &aws_sdk_ec2::Client,
    instance_id: &str,
    wanted: &[InstanceStateName],
) -> Result<InstanceStateName, BotError> {
    let names: Vec<&str> = wanted.iter().map(InstanceStateName::as_str).collect();
    let instance = reread(
        &format!("instance {instance_id}"),
        || existing_instance(ec2, instance_id),
        |instance| {
            let state = state_of(instance);
            if wanted.contains(&state) {
                Vec::new()
            } else {
                vec![format!(
                    "it is {}, not {}",
                    state.as_str(),
                    names.join(" or ")
                )]
            }
        },
    )
    .await?;
    Ok(state_of(&instance))
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
    let mut verified = Vec::new();
    for address in &addresses {
        let what = format!("Elastic IP {}", address.public_ip().unwrap_or("?"));
        verified.push(verify::gone(&what, || describe_address(&ec2, address)).await?);
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
    .with_changes(changes)
    .with_verified(verified))
}

/// The Elastic IP `address` as EC2 describes it now (by allocation id, or by IP for an
/// EC2-Classic one), or None once it is released.
async fn describe_address(
    ec2: &aws_sdk_ec2::Client,
    address: &Address,
) -> Result<Option<Address>, BotError> {
    let ip = address.public_ip().unwrap_or("?");
    let request = match address.allocation_id() {
        Some(allocation) => ec2.describe_addresses().allocation_ids(allocation),
        None => ec2.describe_addresses().public_ips(ip),
    };
    match request.send().await {
        Ok(out) => Ok(out.addresses().first().cloned()),
        Err(e)
            if matches!(
                code(&e),
                Some("InvalidAllocationID.NotFound" | "InvalidAddress.NotFound")
            ) =>
        {
            Ok(None)
        }
        Err(e) => Err(bot_error(&format!("describing Elastic IP {ip}"), e)),
    }
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
    match ec2
        .terminate_instances()
        .instance_ids(instance_id)
        .send()
        .await
    {
        Ok(_) => {}
        Err(e) if code(&e) == Some("OperationNotPermitted") => {
            return Err(BotError::new(
                ErrorName::Conflict,
                format!("Instance {instance_id} has termination protection on: not terminated"),
            ))
        }
        Err(e) => return Err(bot_error(&format!("terminating instance {instance_id}"), e)),
    };
    let now = reread_state(
        &ec2,
        instance_id,
        &[
            InstanceStateName::ShuttingDown,
            InstanceStateName::Terminated,
        ],
    )
    .await?;
    Ok(BotOutcome::new(
        input,
        OutcomeStatus::Remediated,
        format!("Instance terminated: {instance_id} (now {})", now.as_str()),
    )
    .with_changes(changes)
    .with_verified(vec![format!("instance {instance_id} is {}", now.as_str())]))
}

async fn tag_instance_from_vpc(input: &BotInput, aws: &SdkConfig) -> Result<BotOutcome, BotError> {
    let TagFromVpcParams { key } = params(input)?;
    let instance_id = entity_id(input)?;
    let ec2 = aws_sdk_ec2::Client::new(aws);
    let instance = proceed!(changeable_instance(input, &ec2, instance_id, "tag").await?);
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
    change_tag(
        input,
        &ec2,
        instance_id,
        (&key, current, &value),
        (
            format!(
                "Instance tagged: {instance_id} Key: {key} | Value: {value} (from VPC {vpc_id})"
            ),
            changes,
        ),
        gone,
    )
    .await
}
