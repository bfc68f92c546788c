//! `vpc_turn_on_flow_logs`: a flow log of the VPC into the CloudWatch Logs group
//! [`FLOW_LOG_GROUP`] (with the delivery role and policy it needs, created when missing) or into
//! an S3 bucket. Kept apart for its delivery setup, which no other VPC bot shares.

use super::settings::{vpc_label, FlowLogDelivery, VpcClients, VpcSetting};
use super::{vpc_exists, vpc_gone, RESTORE_VPC_SETTINGS};
use aws_config::SdkConfig;
use aws_sdk_ec2::types::{Filter, FlowLog, FlowLogsResourceType, LogDestinationType};
use cloudbots_runtime::aws_error::{bot_error, code, none_if_code};
use cloudbots_runtime::bot::{dry_run, entity_id, params};
use cloudbots_runtime::setting::{settle, Resource};
use cloudbots_shared::error::{BotError, ErrorName};
use cloudbots_shared::outcome::{BotInput, BotOutcome, OutcomeStatus};
use cloudbots_shared::params::{FlowLogDestination, TrafficType, VpcTurnOnFlowLogsParams};
use cloudbots_shared::restore::PriorState;
use serde_json::json;

/// The CloudWatch Logs group flow logs are delivered to, as the original names it.
pub const FLOW_LOG_GROUP: &str = "vpcFlowLogs";
/// The role (and the policy attached to it) that lets the flow-logs service write to the
/// group, as the original names them.
pub const FLOW_LOG_DELIVERY: &str = "vpcFlowLogDelivery";

/// What the delivery role may do: write to CloudWatch Logs (the original's policy).
fn flow_log_delivery_policy() -> String {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": [
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:DescribeLogGroups",
                "logs:DescribeLogStreams",
                "logs:PutLogEvents"
            ],
            "Resource": "*"
        }]
    })
    .to_string()
}

/// Who may use the delivery role: the flow-logs service only.
fn flow_log_trust_policy() -> String {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
            "Action": "sts:AssumeRole"
        }]
    })
    .to_string()
}

/// Whether an existing flow log already records this traffic into this destination.
fn logs_as_asked(flow_log: &FlowLog, params: &VpcTurnOnFlowLogsParams) -> bool {
    let traffic = flow_log.traffic_type().map(|t| t.as_str());
    let traffic_covered =
        traffic == Some(TrafficType::All.as_str()) || traffic == Some(params.traffic_type.as_str());
    let same_destination = match &params.destination {
        FlowLogDestination::CloudWatchLogs => {
            flow_log.log_destination_type() != Some(&LogDestinationType::S3)
                && flow_log.log_group_name() == Some(FLOW_LOG_GROUP)
        }
        FlowLogDestination::S3 { arn } => {
            flow_log.log_destination_type() == Some(&LogDestinationType::S3)
                && flow_log.log_destination().map(|d| d.trim_end_matches('/'))
                    == Some(arn.trim_end_matches('/'))
        }
    };
    traffic_covered && same_destination && flow_log.flow_log_status() != Some("FAILED")
}

/// Where the new flow log goes, with what CloudWatch delivery still needs.
enum Delivery<'a> {
    CloudWatchLogs(DeliverySetup),
    S3(&'a str),
}

/// What CloudWatch delivery needs and the account does not have yet (each flag true means
/// "create it"), with the role and policy ARNs.
struct DeliverySetup {
    create_policy: bool,
    create_role: bool,
    attach_policy: bool,
    create_log_group: bool,
    role_arn: String,
    policy_arn: String,
}

impl DeliverySetup {
    fn changes(&self) -> Vec<String> {
        [
            (
                self.create_policy,
                format!("create IAM policy {}", self.policy_arn),
            ),
            (
                self.create_role,
                format!(
                    "create IAM role {} trusted by vpc-flow-logs.amazonaws.com",
                    self.role_arn
                ),
            ),
            (
                self.attach_policy,
                format!(
                    "attach IAM policy {} to role {FLOW_LOG_DELIVERY}",
                    self.policy_arn
                ),
            ),
            (
                self.create_log_group,
                format!("create CloudWatch Logs group {FLOW_LOG_GROUP}"),
            ),
        ]
        .into_iter()
        .filter_map(|(needed, change)| needed.then_some(change))
        .collect()
    }
}

async fn delivery_setup(
    iam: &aws_sdk_iam::Client,
    logs: &aws_sdk_cloudwatchlogs::Client,
    account_id: &str,
) -> Result<DeliverySetup, BotError> {
    let policy_arn = format!("arn:aws:iam::{account_id}:policy/{FLOW_LOG_DELIVERY}");
    let create_policy = match iam.get_policy().policy_arn(&policy_arn).send().await {
        Ok(_) => false,
        Err(e) if code(&e) == Some("NoSuchEntity") => true,
        Err(e) => return Err(bot_error(&format!("reading IAM policy {policy_arn}"), e)),
    };
    let (create_role, role_arn) = match iam.get_role().role_name(FLOW_LOG_DELIVERY).send().await {
        Ok(out) => (
            false,
            out.role()
                .map(|r| r.arn().to_string())
                .unwrap_or_else(|| format!("arn:aws:iam::{account_id}:role/{FLOW_LOG_DELIVERY}")),
        ),
        Err(e) if code(&e) == Some("NoSuchEntity") => (
            true,
            format!("arn:aws:iam::{account_id}:role/{FLOW_LOG_DELIVERY}"),
        ),
        Err(e) => {
            return Err(bot_error(
                &format!("reading IAM role {FLOW_LOG_DELIVERY}"),
                e,
            ))
        }
    };
    let attach_policy = create_role
        || !iam
            .list_attached_role_policies()
            .role_name(FLOW_LOG_DELIVERY)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| {
                bot_error(
                    &format!("listing the policies of IAM role {FLOW_LOG_DELIVERY}"),
                    e,
                )
            })?
            .iter()
            .any(|p| p.policy_arn() == Some(policy_arn.as_str()));
    let create_log_group = !logs
        .describe_log_groups()
        .log_group_name_prefix(FLOW_LOG_GROUP)
        .send()
        .await
        .map_err(|e| bot_error(&format!("looking up log group {FLOW_LOG_GROUP}"), e))?
        .log_groups()
        .iter()
        .any(|g| g.log_group_name() == Some(FLOW_LOG_GROUP));
    Ok(DeliverySetup {
        create_policy,
        create_role,
        attach_policy,
        create_log_group,
        role_arn,
        policy_arn,
    })
}

/// Create what `setup` says is missing; whatever another run created meanwhile is as good.
async fn apply_delivery_setup(
    iam: &aws_sdk_iam::Client,
    logs: &aws_sdk_cloudwatchlogs::Client,
    setup: &DeliverySetup,
) -> Result<(), BotError> {
    if setup.create_policy {
        let created = iam
            .create_policy()
            .policy_name(FLOW_LOG_DELIVERY)
            .policy_document(flow_log_delivery_policy())
            .description("Lets VPC flow logs write to CloudWatch Logs. Created by cloudbots.")
            .send()
            .await;
        let doing = format!("creating IAM policy {FLOW_LOG_DELIVERY}");
        none_if_code("EntityAlreadyExists", &doing, created)?;
    }
    if setup.create_role {
        let created = iam
            .create_role()
            .role_name(FLOW_LOG_DELIVERY)
            .assume_role_policy_document(flow_log_trust_policy())
            .description(
                "Lets VPC flow logs be delivered to CloudWatch Logs. Created by cloudbots.",
            )
            .send()
            .await;
        let doing = format!("creating IAM role {FLOW_LOG_DELIVERY}");
        none_if_code("EntityAlreadyExists", &doing, created)?;
    }
    if setup.attach_policy {
        iam.attach_role_policy()
            .role_name(FLOW_LOG_DELIVERY)
            .policy_arn(&setup.policy_arn)
            .send()
            .await
            .map_err(|e| {
                bot_error(
                    &format!(
                        "attaching {} to IAM role {FLOW_LOG_DELIVERY}",
                        setup.policy_arn
                    ),
                    e,
                )
            })?;
    }
    if setup.create_log_group {
        let created = logs
            .create_log_group()
            .log_group_name(FLOW_LOG_GROUP)
            .send()
            .await;
        let doing = format!("creating log group {FLOW_LOG_GROUP}");
        none_if_code("ResourceAlreadyExistsException", &doing, created)?;
    }
    Ok(())
}

pub(super) async fn vpc_turn_on_flow_logs(
    input: &BotInput,
    aws: &SdkConfig,
) -> Result<BotOutcome, BotError> {
    let params: VpcTurnOnFlowLogsParams = params(input)?;
    let vpc_id = entity_id(input)?;
    let ec2 = aws_sdk_ec2::Client::new(aws);
    if !vpc_exists(&ec2, vpc_id).await? {
        return Ok(vpc_gone(input, vpc_id));
    }
    let traffic = params.traffic_type.as_str();
    let destination = match &params.destination {
        FlowLogDestination::CloudWatchLogs => format!("CloudWatch Logs group {FLOW_LOG_GROUP}"),
        FlowLogDestination::S3 { arn } => arn.clone(),
    };
    let existing = ec2
        .describe_flow_logs()
        .filter(Filter::builder().name("resource-id").values(vpc_id).build())
        .send()
        .await
        .map_err(|e| bot_error(&format!("listing the flow logs of VPC {vpc_id}"), e))?;
    if let Some(found) = existing
        .flow_logs()
        .iter()
        .find(|f| logs_as_asked(f, &params))
    {
        return Ok(BotOutcome::compliant(
            input,
            format!(
                "VPC {vpc_id} already logs {} traffic to {destination} (flow log {})",
                found.traffic_type().map_or("?", |t| t.as_str()),
                found.flow_log_id().unwrap_or("?")
            ),
        ));
    }

    let iam = aws_sdk_iam::Client::new(aws);
    let logs = aws_sdk_cloudwatchlogs::Client::new(aws);
    let delivery = match &params.destination {
        FlowLogDestination::CloudWatchLogs => {
            Delivery::CloudWatchLogs(delivery_setup(&iam, &logs, &input.target.account_id).await?)
        }
        FlowLogDestination::S3 { arn } => Delivery::S3(arn),
    };
    let mut changes = match &delivery {
        Delivery::CloudWatchLogs(setup) => setup.changes(),
        Delivery::S3(_) => Vec::new(),
    };
    changes.push(format!(
        "create a flow log of {traffic} traffic of VPC {vpc_id} to {destination}"
    ));
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!(
                "Would turn on flow logs of {traffic} traffic for VPC {vpc_id} to {destination}"
            ),
            changes,
        ));
    }

    let request = ec2
        .create_flow_logs()
        .resource_ids(vpc_id)
        .resource_type(FlowLogsResourceType::Vpc)
        .traffic_type(params.traffic_type.as_str().into());
    let request = match &delivery {
        Delivery::S3(arn) => request
            .log_destination_type(LogDestinationType::S3)
            .log_destination(*arn),
        Delivery::CloudWatchLogs(setup) => {
            apply_delivery_setup(&iam, &logs, setup).await?;
            request
                .log_destination_type(LogDestinationType::CloudWatchLogs)
                .log_group_name(FLOW_LOG_GROUP)
                .deliver_logs_permission_arn(&setup.role_arn)
        }
    };
    let doing = format!("creating a flow log for VPC {vpc_id} to {destination}");
    let created = match request.send().await {
        Ok(out) => out,
        Err(e) if code(&e) == Some("FlowLogAlreadyExists") => {
            return Ok(BotOutcome::compliant(
                input,
                format!("VPC {vpc_id} already has a flow log to {destination}"),
            ))
        }
        Err(e) => return Err(bot_error(&doing, e)),
    };
    if let Some(failed) = created.unsuccessful().first() {
        let reason = failed
            .error()
            .and_then(|e| e.message())
            .unwrap_or("no reason given");
        return Err(BotError::new(
            ErrorName::Conflict,
            format!("{doing}: {reason}"),
        ));
    }
    let ids = created.flow_log_ids().to_vec();
    let delivery = FlowLogDelivery {
        traffic: traffic.to_string(),
        destination_type: match &params.destination {
            FlowLogDestination::CloudWatchLogs => LogDestinationType::CloudWatchLogs,
            FlowLogDestination::S3 { .. } => LogDestinationType::S3,
        }
        .as_str()
        .to_string(),
        destination: match &params.destination {
            FlowLogDestination::CloudWatchLogs => FLOW_LOG_GROUP.to_string(),
            FlowLogDestination::S3 { arn } => arn.clone(),
        },
    };
    let flow_log = |id: &String, delivery: Option<FlowLogDelivery>| VpcSetting::FlowLog {
        id: id.clone(),
        delivery,
    };
    let before: Vec<VpcSetting> = ids.iter().map(|id| flow_log(id, None)).collect();
    let after: Vec<VpcSetting> = ids
        .iter()
        .map(|id| flow_log(id, Some(delivery.clone())))
        .collect();
    // The flow log exists only once created, under the id EC2 gives it: it is read back
    // and recorded here rather than written by `setting::change`.
    let clients = VpcClients {
        ec2,
        iam: iam.clone(),
    };
    let resource = Resource {
        client: &clients,
        id: vpc_id,
        label: vpc_label(vpc_id),
    };
    let verified = settle(&resource, &after).await?;
    let prior = PriorState::of(
        input,
        RESTORE_VPC_SETTINGS.name,
        vpc_id,
        json!(before),
        json!(after),
    );
    Ok(BotOutcome::new(
        input,
        OutcomeStatus::Remediated,
        format!(
            "VPC Flow Logs successfully created for VPC {vpc_id}: {traffic} traffic to {destination} ({})",
            ids.join(", ")
        ),
    )
    .with_changes(changes)
    .with_artifacts(ids)
    .with_verified(verified)
    .with_prior(prior))
}
