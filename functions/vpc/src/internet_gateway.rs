//! `igw_delete`: cut a VPC off the internet by deleting its internet gateways, after stopping
//! the instances reachable through them.
//!
//! Stopping takes a while. The original slept inside its Lambda until the first instance
//! stopped; here the bot starts the stops, returns `in_progress`, and the state machine calls
//! it again a few seconds later, until every public instance is stopped and the gateways can
//! go. Each call only reads the live state and takes the next step, so calls can repeat safely.

use aws_config::SdkConfig;
use aws_sdk_ec2::types::{Filter, InstanceStateName, InternetGateway};
use cloudbots_runtime::aws_error::{bot_error, code};
use cloudbots_runtime::bot::{dry_run, entity_id, params, Bot};
use cloudbots_runtime::exclusion;
use cloudbots_runtime::verify::gone;
use cloudbots_shared::error::BotError;
use cloudbots_shared::outcome::{BotInput, BotOutcome, OutcomeStatus};
use cloudbots_shared::params::NoParams;

/// The bots of this module.
pub const BOTS: &[Bot] = &[IGW_DELETE];

pub const IGW_DELETE: Bot = Bot {
    name: "igw_delete",
    tags: exclusion::EC2_TAGS,
    run: |input, aws| Box::pin(igw_delete(input, aws)),
};

fn filter(name: &str, values: &[&str]) -> Filter {
    Filter::builder()
        .name(name)
        .set_values(Some(values.iter().map(|v| v.to_string()).collect()))
        .build()
}

/// The public instances of the VPC that are not stopped yet: (running or pending, stopping).
async fn public_instances(
    ec2: &aws_sdk_ec2::Client,
    vpc_id: &str,
) -> Result<(Vec<String>, Vec<String>), BotError> {
    let mut running = Vec::new();
    let mut stopping = Vec::new();
    let mut pages = ec2
        .describe_instances()
        .filters(filter("vpc-id", &[vpc_id]))
        .filters(filter(
            "instance-state-name",
            &["pending", "running", "stopping"],
        ))
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| bot_error(&format!("listing the instances of {vpc_id}"), e))?;
        for instance in page.reservations().iter().flat_map(|r| r.instances()) {
            let (Some(id), Some(_public_ip)) =
                (instance.instance_id(), instance.public_ip_address())
            else {
                continue;
            };
            match instance.state().and_then(|s| s.name()) {
                Some(InstanceStateName::Stopping) => stopping.push(id.to_string()),
                _ => running.push(id.to_string()),
            }
        }
    }
    Ok((running, stopping))
}

async fn vpc_exists(ec2: &aws_sdk_ec2::Client, vpc_id: &str) -> Result<bool, BotError> {
    match ec2.describe_vpcs().vpc_ids(vpc_id).send().await {
        Ok(out) => Ok(!out.vpcs().is_empty()),
        Err(e) if code(&e) == Some("InvalidVpcID.NotFound") => Ok(false),
        Err(e) => Err(bot_error(&format!("describing VPC {vpc_id}"), e)),
    }
}

async fn igw_delete(input: &BotInput, aws: &SdkConfig) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let vpc_id = entity_id(input)?;
    let ec2 = aws_sdk_ec2::Client::new(aws);
    let gateways: Vec<String> = ec2
        .describe_internet_gateways()
        .filters(filter("attachment.vpc-id", &[vpc_id]))
        .send()
        .await
        .map_err(|e| bot_error(&format!("listing the internet gateways of {vpc_id}"), e))?
        .internet_gateways()
        .iter()
        .filter_map(|g| g.internet_gateway_id().map(str::to_string))
        .collect();
    if gateways.is_empty() {
        return Ok(if vpc_exists(&ec2, vpc_id).await? {
            BotOutcome::compliant(input, format!("VPC {vpc_id} has no internet gateway"))
        } else {
            BotOutcome::new(
                input,
                OutcomeStatus::Skipped,
                format!("VPC {vpc_id} does not exist (any more): nothing to do"),
            )
        });
    }
    let (running, stopping) = public_instances(&ec2, vpc_id).await?;
    let stops: Vec<String> = running
        .iter()
        .map(|i| format!("stop public instance {i}"))
        .collect();
    let removals: Vec<String> = gateways
        .iter()
        .map(|g| format!("detach internet gateway {g} from {vpc_id} and delete it"))
        .collect();
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!("Would cut VPC {vpc_id} off the internet"),
            stops.into_iter().chain(removals).collect(),
        ));
    }
    if !running.is_empty() {
        ec2.stop_instances()
            .set_instance_ids(Some(running.clone()))
            .send()
            .await
            .map_err(|e| bot_error(&format!("stopping the public instances of {vpc_id}"), e))?;
        return Ok(BotOutcome::new(
            input,
            OutcomeStatus::InProgress,
            format!(
                "Stopping {} public instance(s) of {vpc_id} before deleting its internet gateway: {}",
                running.len(),
                running.join(", ")
            ),
        )
        .with_changes(stops));
    }
    if !stopping.is_empty() {
        return Ok(BotOutcome::new(
            input,
            OutcomeStatus::InProgress,
            format!(
                "Waiting for instance(s) of {vpc_id} to stop: {}",
                stopping.join(", ")
            ),
        ));
    }
    for gateway in &gateways {
        ec2.detach_internet_gateway()
            .internet_gateway_id(gateway)
            .vpc_id(vpc_id)
            .send()
            .await
            .map_err(|e| bot_error(&format!("detaching {gateway} from {vpc_id}"), e))?;
        ec2.delete_internet_gateway()
            .internet_gateway_id(gateway)
            .send()
            .await
            .map_err(|e| bot_error(&format!("deleting {gateway}"), e))?;
    }
    let mut verified = Vec::new();
    for gateway in &gateways {
        let what = format!("internet gateway {gateway}");
        verified.push(gone(&what, || describe_gateway(&ec2, gateway)).await?);
    }
    Ok(BotOutcome::new(
        input,
        OutcomeStatus::Remediated,
        format!(
            "Internet gateway(s) {} detached from {vpc_id} and deleted",
            gateways.join(", ")
        ),
    )
    .with_changes(removals)
    .with_verified(verified))
}

/// The internet gateway as EC2 describes it now, or None once it is deleted.
async fn describe_gateway(
    ec2: &aws_sdk_ec2::Client,
    gateway: &str,
) -> Result<Option<InternetGateway>, BotError> {
    match ec2
        .describe_internet_gateways()
        .internet_gateway_ids(gateway)
        .send()
        .await
    {
        Ok(out) => Ok(out.internet_gateways().first().cloned()),
        Err(e) if code(&e) == Some("InvalidInternetGatewayID.NotFound") => Ok(None),
        Err(e) => Err(bot_error(&format!("describing {gateway}"), e)),
    }
}
