//! VPC bots: delete a VPC, turn on its flow logs, isolate it.
//!
//! They act on the live VPC, read first, so that a VPC already gone or already fixed is
//! reported as such rather than as an error. The network ACL bots are in [`crate::network_acl`].

use aws_config::SdkConfig;
use aws_sdk_ec2::types::{
    AttributeBooleanValue, Filter, FlowLog, FlowLogsResourceType, LogDestinationType, NetworkAcl,
    RuleAction, VpcAttributeName,
};
use cloudbots_runtime::aws_error::{bot_error, code};
use cloudbots_runtime::bot::{dry_run, entity_id, params, Bot};
use cloudbots_runtime::exclusion;
use cloudbots_shared::error::{BotError, ErrorName};
use cloudbots_shared::outcome::{BotInput, BotOutcome, OutcomeStatus};
use cloudbots_shared::params::{
    FlowLogDestination, NoParams, TrafficType, VpcTurnOnFlowLogsParams,
};
use serde_json::json;

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

/// The CloudWatch Logs group flow logs are delivered to, as the original names it.
pub const FLOW_LOG_GROUP: &str = "vpcFlowLogs";
/// The role (and the policy attached to it) that lets the flow-logs service write to the
/// group, as the original names them.
pub const FLOW_LOG_DELIVERY: &str = "vpcFlowLogDelivery";

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
        Ok(_) => Ok(BotOutcome::new(
            input,
            OutcomeStatus::Remediated,
            format!("Deleted VPC {vpc_id}"),
        )
        .with_changes(vec![change])),
        Err(e) if code(&e) == Some("InvalidVpcID.NotFound") => Ok(already_gone()),
        Err(e) => Err(bot_error(&format!("deleting VPC {vpc_id}"), e)),
    }
}

// ---- vpc_turn_on_flow_logs ----

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
        match iam
            .create_policy()
            .policy_name(FLOW_LOG_DELIVERY)
            .policy_document(flow_log_delivery_policy())
            .description("Lets VPC flow logs write to CloudWatch Logs. Created by cloudbots.")
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) if code(&e) == Some("EntityAlreadyExists") => {}
            Err(e) => {
                return Err(bot_error(
                    &format!("creating IAM policy {FLOW_LOG_DELIVERY}"),
                    e,
                ))
            }
        }
    }
    if setup.create_role {
        match iam
            .create_role()
            .role_name(FLOW_LOG_DELIVERY)
            .assume_role_policy_document(flow_log_trust_policy())
            .description(
                "Lets VPC flow logs be delivered to CloudWatch Logs. Created by cloudbots.",
            )
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) if code(&e) == Some("EntityAlreadyExists") => {}
            Err(e) => {
                return Err(bot_error(
                    &format!("creating IAM role {FLOW_LOG_DELIVERY}"),
                    e,
                ))
            }
        }
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
        match logs
            .create_log_group()
            .log_group_name(FLOW_LOG_GROUP)
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) if code(&e) == Some("ResourceAlreadyExistsException") => {}
            Err(e) => {
                return Err(bot_error(
                    &format!("creating log group {FLOW_LOG_GROUP}"),
                    e,
                ))
            }
        }
    }
    Ok(())
}

async fn vpc_turn_on_flow_logs(input: &BotInput, aws: &SdkConfig) -> Result<BotOutcome, BotError> {
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
    Ok(BotOutcome::new(
        input,
        OutcomeStatus::Remediated,
        format!(
            "VPC Flow Logs successfully created for VPC {vpc_id}: {traffic} traffic to {destination} ({})",
            ids.join(", ")
        ),
    )
    .with_changes(changes)
    .with_artifacts(ids))
}

// ---- vpc_isolate ----

/// The name of the policy that denies every user EC2 actions on the VPC, as the original
/// names it.
pub fn isolation_policy_name(vpc_id: &str) -> String {
    format!("isolate_deny_{vpc_id}_access_policy")
}

/// Deny EC2 actions on the VPC and on security groups inside it (the original's policy).
fn isolation_policy_document(region: &str, vpc_id: &str) -> String {
    let vpc_arn = format!("arn:aws:ec2:{region}:*:vpc/{vpc_id}");
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Action": "ec2:*",
            "Effect": "Deny",
            "Resource": [vpc_arn, format!("arn:aws:ec2:{region}:*:security-group/*")],
            "Condition": {"ArnEquals": {"ec2:Vpc": vpc_arn}}
        }]
    })
    .to_string()
}

/// Whether the ACL lets nothing through: every entry denies (a new ACL has only the final
/// deny-all entries).
fn denies_all(acl: &NetworkAcl) -> bool {
    acl.entries()
        .iter()
        .all(|e| e.rule_action() == Some(&RuleAction::Deny))
}

async fn vpc_isolate(input: &BotInput, aws: &SdkConfig) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let vpc_id = entity_id(input)?;
    let ec2 = aws_sdk_ec2::Client::new(aws);
    let iam = aws_sdk_iam::Client::new(aws);
    if !vpc_exists(&ec2, vpc_id).await? {
        return Ok(vpc_gone(input, vpc_id));
    }

    let dns_on = ec2
        .describe_vpc_attribute()
        .vpc_id(vpc_id)
        .attribute(VpcAttributeName::EnableDnsSupport)
        .send()
        .await
        .map_err(|e| bot_error(&format!("reading the DNS support of VPC {vpc_id}"), e))?
        .enable_dns_support()
        .and_then(|v| v.value())
        .unwrap_or(true);

    let acls = ec2
        .describe_network_acls()
        .filters(Filter::builder().name("vpc-id").values(vpc_id).build())
        .send()
        .await
        .map_err(|e| bot_error(&format!("listing the network ACLs of VPC {vpc_id}"), e))?;
    let isolation_acl = acls
        .network_acls()
        .iter()
        .find(|a| a.is_default() != Some(true) && denies_all(a))
        .and_then(|a| a.network_acl_id())
        .map(str::to_string);
    // Subnet associations still on an ACL that lets traffic through: (association, subnet).
    let open: Vec<(String, String)> = acls
        .network_acls()
        .iter()
        .filter(|a| !denies_all(a))
        .flat_map(|a| a.associations())
        .filter_map(|a| {
            Some((
                a.network_acl_association_id()?.to_string(),
                a.subnet_id()?.to_string(),
            ))
        })
        .collect();

    let policy_name = isolation_policy_name(vpc_id);
    let policy_arn = format!(
        "arn:aws:iam::{}:policy/{policy_name}",
        input.target.account_id
    );
    let policy_exists = match iam.get_policy().policy_arn(&policy_arn).send().await {
        Ok(_) => true,
        Err(e) if code(&e) == Some("NoSuchEntity") => false,
        Err(e) => return Err(bot_error(&format!("reading IAM policy {policy_arn}"), e)),
    };
    let attached: Vec<String> = if policy_exists {
        iam.list_entities_for_policy()
            .policy_arn(&policy_arn)
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| bot_error(&format!("listing the users of IAM policy {policy_arn}"), e))?
            .iter()
            .flat_map(|page| page.policy_users())
            .filter_map(|u| u.user_name().map(str::to_string))
            .collect()
    } else {
        Vec::new()
    };
    let users: Vec<String> = iam
        .list_users()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| bot_error("listing the IAM users of the account", e))?
        .iter()
        .map(|u| u.user_name().to_string())
        .filter(|name| !attached.contains(name))
        .collect();

    let new_acl = "a new network ACL (deny all)";
    let acl_label = isolation_acl.as_deref().unwrap_or(new_acl);
    let mut changes = Vec::new();
    if dns_on {
        changes.push(format!("turn off DNS support of VPC {vpc_id}"));
    }
    if isolation_acl.is_none() && !open.is_empty() {
        changes.push(format!("create {new_acl} in VPC {vpc_id}"));
    }
    changes.extend(
        open.iter()
            .map(|(_, subnet)| format!("associate subnet {subnet} with {acl_label}")),
    );
    if !policy_exists {
        changes.push(format!(
            "create IAM policy {policy_arn} (deny EC2 actions on VPC {vpc_id})"
        ));
    }
    changes.extend(
        users
            .iter()
            .map(|user| format!("attach IAM policy {policy_arn} to IAM user {user}")),
    );
    if changes.is_empty() {
        return Ok(BotOutcome::compliant(input, format!(
                "VPC {vpc_id} is already isolated: DNS off, every subnet on a deny-all network ACL, every IAM user denied by {policy_name}"
            )));
    }
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!(
                "Would isolate VPC {vpc_id} with {} change(s)",
                changes.len()
            ),
            changes,
        ));
    }

    if dns_on {
        ec2.modify_vpc_attribute()
            .vpc_id(vpc_id)
            .enable_dns_support(AttributeBooleanValue::builder().value(false).build())
            .send()
            .await
            .map_err(|e| bot_error(&format!("turning off DNS support of VPC {vpc_id}"), e))?;
    }
    let mut artifacts = Vec::new();
    if !open.is_empty() {
        let acl_id = match isolation_acl {
            Some(id) => id,
            None => {
                let created = ec2
                    .create_network_acl()
                    .vpc_id(vpc_id)
                    .send()
                    .await
                    .map_err(|e| {
                        bot_error(&format!("creating a network ACL in VPC {vpc_id}"), e)
                    })?;
                let id = created
                    .network_acl()
                    .and_then(|a| a.network_acl_id())
                    .unwrap_or_default()
                    .to_string();
                artifacts.push(id.clone());
                id
            }
        };
        for (association, subnet) in &open {
            ec2.replace_network_acl_association()
                .association_id(association)
                .network_acl_id(&acl_id)
                .send()
                .await
                .map_err(|e| {
                    bot_error(
                        &format!("associating subnet {subnet} with network ACL {acl_id}"),
                        e,
                    )
                })?;
        }
    }
    if !policy_exists {
        match iam
            .create_policy()
            .policy_name(&policy_name)
            .policy_document(isolation_policy_document(&input.target.region, vpc_id))
            .description("Denies EC2 actions on an isolated VPC. Created by cloudbots.")
            .send()
            .await
        {
            Ok(_) => artifacts.push(policy_arn.clone()),
            Err(e) if code(&e) == Some("EntityAlreadyExists") => {}
            Err(e) => return Err(bot_error(&format!("creating IAM policy {policy_name}"), e)),
        }
    }
    for user in &users {
        iam.attach_user_policy()
            .user_name(user)
            .policy_arn(&policy_arn)
            .send()
            .await
            .map_err(|e| bot_error(&format!("attaching {policy_arn} to IAM user {user}"), e))?;
    }
    Ok(BotOutcome::new(
        input,
        OutcomeStatus::Remediated,
        format!("Vpc {vpc_id} isolated successfully: {}", changes.join("; ")),
    )
    .with_changes(changes)
    .with_artifacts(artifacts))
}
