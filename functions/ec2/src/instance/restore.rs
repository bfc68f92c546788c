//! Undo of the instance bots: start again an instance `ec2_stop_instance` stopped, and give
//! back the security groups `ec2_quarantine_instance` or `ec2_attach_sg` replaced.
//!
//! The stop bot recorded the state it found (running) and the state it left (stopping or
//! stopped): an instance someone started since needs nothing; one still stopping cannot be
//! started yet (the undo step fails `Conflict` and can be run again); a terminated one never
//! can. The group bots recorded the groups before and after: the groups are given back only
//! while the instance is still in exactly the group the bot left it in, unless forced. The
//! quarantine group itself is left in place (other instances may be in it).

use super::groups::group_ids;
use super::{existing_instance, reread_state, state_of};
use aws_config::SdkConfig;
use aws_sdk_ec2::types::InstanceStateName;
use cloudbots_runtime::aws_error::bot_error;
use cloudbots_runtime::restorer::{recorded, restore, Restorer};
use cloudbots_runtime::verify::reread;
use cloudbots_shared::error::BotError;
use cloudbots_shared::restore::{RestoreInput, RestoreOutcome, RestoreStatus};
use serde::{Deserialize, Serialize};

pub const RESTORE_INSTANCE_SECURITY_GROUPS: Restorer = Restorer {
    name: "restore_instance_security_groups",
    run: |input, aws| Box::pin(restore_instance_security_groups(input, aws)),
};

/// What the group bots record: the instance's security group ids, sorted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedGroups {
    pub groups: Vec<String>,
}

impl RecordedGroups {
    pub fn of(instance: &aws_sdk_ec2::types::Instance) -> Self {
        let mut groups: Vec<String> = group_ids(instance)
            .into_iter()
            .map(str::to_string)
            .collect();
        groups.sort();
        RecordedGroups { groups }
    }
}

async fn restore_instance_security_groups(
    input: &RestoreInput,
    aws: &SdkConfig,
) -> Result<RestoreOutcome, BotError> {
    let prior = &input.step.prior;
    let before: RecordedGroups = recorded(input, &prior.before)?;
    let left: RecordedGroups = recorded(input, &prior.after)?;
    let instance_id = prior.resource.as_str();
    let ec2 = aws_sdk_ec2::Client::new(aws);
    let instance = existing_instance(&ec2, instance_id).await?;
    let what = format!("instance {instance_id}");
    let state = state_of(&instance);
    if matches!(
        state,
        InstanceStateName::Terminated | InstanceStateName::ShuttingDown
    ) {
        return Ok(RestoreOutcome::new(
            input,
            RestoreStatus::Refused,
            format!(
                "{what} is {}: its security groups cannot be given back",
                state.as_str()
            ),
        ));
    }
    let now = RecordedGroups::of(&instance);
    let drift = if now == left {
        Vec::new()
    } else {
        vec![format!(
            "its security groups are {}, not {} as the bot left them",
            now.groups.join(", "),
            left.groups.join(", ")
        )]
    };
    let changes = if now == before {
        Vec::new()
    } else {
        vec![format!(
            "set the security groups of {what} back to {} (now {})",
            before.groups.join(", "),
            now.groups.join(", ")
        )]
    };
    let apply = async {
        ec2.modify_instance_attribute()
            .instance_id(instance_id)
            .set_groups(Some(before.groups.clone()))
            .send()
            .await
            .map_err(|e| bot_error(&format!("setting the security groups of {what}"), e))?;
        reread(
            &what,
            || existing_instance(&ec2, instance_id),
            |instance| {
                let now = RecordedGroups::of(instance);
                if now == before {
                    Vec::new()
                } else {
                    vec![format!("its security groups are {}", now.groups.join(", "))]
                }
            },
        )
        .await?;
        Ok(vec![format!(
            "{what} is in security groups {}",
            before.groups.join(", ")
        )])
    };
    restore(input, &what, drift, changes, apply).await
}

pub const RESTORE_INSTANCE_STATE: Restorer = Restorer {
    name: "restore_instance_state",
    run: |input, aws| Box::pin(restore_instance_state(input, aws)),
};

/// What the stop bot records: the instance's state name.
#[derive(Deserialize)]
struct RecordedState {
    state: String,
}

async fn restore_instance_state(
    input: &RestoreInput,
    aws: &SdkConfig,
) -> Result<RestoreOutcome, BotError> {
    let prior = &input.step.prior;
    let before: RecordedState = recorded(input, &prior.before)?;
    let instance_id = prior.resource.as_str();
    let ec2 = aws_sdk_ec2::Client::new(aws);
    let now = state_of(&existing_instance(&ec2, instance_id).await?);
    let what = format!("instance {instance_id}");
    if matches!(
        now,
        InstanceStateName::Terminated | InstanceStateName::ShuttingDown
    ) {
        return Ok(RestoreOutcome::new(
            input,
            RestoreStatus::Refused,
            format!("{what} is {}: it cannot be started again", now.as_str()),
        ));
    }
    let was_running = matches!(before.state.as_str(), "running" | "pending");
    let stopped = matches!(
        now,
        InstanceStateName::Stopped | InstanceStateName::Stopping
    );
    let changes = if was_running && stopped {
        vec![format!("start {what} (now {})", now.as_str())]
    } else {
        Vec::new()
    };
    let apply = async {
        ec2.start_instances()
            .instance_ids(instance_id)
            .send()
            .await
            .map_err(|e| bot_error(&format!("starting {what}"), e))?;
        let started = reread_state(
            &ec2,
            instance_id,
            &[InstanceStateName::Pending, InstanceStateName::Running],
        )
        .await?;
        Ok(vec![format!("{what} is {}", started.as_str())])
    };
    // The stop is the only change recorded: whatever the instance went through since, a stopped
    // instance is the state the bot left.
    restore(input, &what, Vec::new(), changes, apply).await
}
