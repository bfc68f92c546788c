//! Undo of `ec2_stop_instance`: start the instance again, when it still is stopped.
//!
//! The bot recorded the state it found (running) and the state it left (stopping or stopped).
//! An instance someone started since needs nothing; one still stopping cannot be started yet
//! (the undo step fails `Conflict` and can be run again); a terminated one never can.

use super::{existing_instance, state_of};
use aws_config::SdkConfig;
use aws_sdk_ec2::types::InstanceStateName;
use cloudbots_runtime::aws_error::bot_error;
use cloudbots_runtime::restorer::{recorded, restore, Restorer};
use cloudbots_runtime::verify::reread;
use cloudbots_shared::error::BotError;
use cloudbots_shared::restore::{RestoreInput, RestoreOutcome, RestoreStatus};
use serde::Deserialize;

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
        let started = reread(
            &what,
            || existing_instance(&ec2, instance_id),
            |instance| match state_of(instance) {
                InstanceStateName::Pending | InstanceStateName::Running => vec![],
                other => vec![format!("it is {}, not pending or running", other.as_str())],
            },
        )
        .await?;
        Ok(vec![format!("{what} is {}", state_of(&started).as_str())])
    };
    // The stop is the only change recorded: whatever the instance went through since, a stopped
    // instance is the state the bot left.
    restore(input, &what, Vec::new(), changes, apply).await
}
