//! VPC bots: delete a VPC, turn on its flow logs, isolate it.
//!
//! They act on the live VPC, read first, so that a VPC already gone or already fixed is
//! reported as such rather than as an error. The network ACL bots are in [`crate::network_acl`].
//!
//! What turning on flow logs and isolating change is described once as [`VpcSetting`]s: the
//! bots read them back after acting and record what they were, and `restore_vpc_settings`
//! puts them back (a created flow log is deleted; the delivery role, log group, deny-all
//! network ACL and deny policy the bots created stay, as others may use them).
//!
//! This file registers the bots and the restorer, holds `vpc_delete` and what every VPC bot
//! starts with (is the VPC there); the rest lives by concern: [`settings`] (the settings and
//! their restorer), [`flow_logs`] (`vpc_turn_on_flow_logs` and its delivery) and
//! [`isolation`] (`vpc_isolate`).

mod flow_logs;
mod isolation;
mod settings;

pub use flow_logs::{FLOW_LOG_DELIVERY, FLOW_LOG_GROUP};
pub use isolation::isolation_policy_name;
pub use settings::{FlowLogDelivery, VpcClients, VpcSetting};

use aws_config::SdkConfig;
use cloudbots_runtime::aws_error::{bot_error, code};
use cloudbots_runtime::bot::{dry_run, entity_id, params, Bot};
use cloudbots_runtime::exclusion;
use cloudbots_runtime::restorer::Restorer;
use cloudbots_runtime::verify::gone;
use cloudbots_shared::error::BotError;
use cloudbots_shared::outcome::{BotInput, BotOutcome, OutcomeStatus};
use cloudbots_shared::params::NoParams;
use flow_logs::vpc_turn_on_flow_logs;
use isolation::vpc_isolate;
use settings::restore_vpc;

/// The bots of this module.
pub const BOTS: &[Bot] = &[VPC_DELETE, VPC_TURN_ON_FLOW_LOGS, VPC_ISOLATE];

pub const VPC_DELETE: Bot = Bot {
    name: "vpc_delete",
    tags: exclusion::EC2_TAGS,
    run: |input, aws| Box::pin(vpc_delete(input, aws)),
};
pub const VPC_TURN_ON_FLOW_LOGS: Bot = Bot {
    name: "vpc_turn_on_flow_logs",
    tags: exclusion::EC2_TAGS,
    run: |input, aws| Box::pin(vpc_turn_on_flow_logs(input, aws)),
};
pub const VPC_ISOLATE: Bot = Bot {
    name: "vpc_isolate",
    tags: exclusion::EC2_TAGS,
    run: |input, aws| Box::pin(vpc_isolate(input, aws)),
};

pub const RESTORE_VPC_SETTINGS: Restorer = Restorer {
    name: "restore_vpc_settings",
    run: |input, aws| Box::pin(restore_vpc(input, aws)),
};

/// Whether the VPC exists.
async fn vpc_exists(ec2: &aws_sdk_ec2::Client, vpc_id: &str) -> Result<bool, BotError> {
    match ec2.describe_vpcs().vpc_ids(vpc_id).send().await {
        Ok(out) => Ok(out.vpcs().iter().any(|v| v.vpc_id() == Some(vpc_id))),
        Err(e) if code(&e) == Some("InvalidVpcID.NotFound") => Ok(false),
        Err(e) => Err(bot_error(&format!("describing VPC {vpc_id}"), e)),
    }
}

fn vpc_gone(input: &BotInput, vpc_id: &str) -> BotOutcome {
    BotOutcome::gone(input, &format!("VPC {vpc_id}"), "nothing to do")
}

async fn vpc_delete(input: &BotInput, aws: &SdkConfig) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let vpc_id = entity_id(input)?;
    let ec2 = aws_sdk_ec2::Client::new(aws);
    let already_gone = || {
        BotOutcome::compliant(
            input,
            format!("VPC {vpc_id} does not exist (any more): nothing to delete"),
        )
    };
    if !vpc_exists(&ec2, vpc_id).await? {
        return Ok(already_gone());
    }
    let change = format!("delete VPC {vpc_id}");
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!("Would {change}"),
            vec![change],
        ));
    }
    match ec2.delete_vpc().vpc_id(vpc_id).send().await {
        Ok(_) => {}
        Err(e) if code(&e) == Some("InvalidVpcID.NotFound") => return Ok(already_gone()),
        Err(e) => return Err(bot_error(&format!("deleting VPC {vpc_id}"), e)),
    }
    let verified = gone(&format!("VPC {vpc_id}"), || async {
        Ok(vpc_exists(&ec2, vpc_id).await?.then_some(()))
    })
    .await?;
    Ok(BotOutcome::new(
        input,
        OutcomeStatus::Remediated,
        format!("Deleted VPC {vpc_id}"),
    )
    .with_changes(vec![change])
    .with_verified(vec![verified]))
}
