//! Network bots: VPCs and network ACLs.
//!
//! They act on the live VPC or ACL, read first, so that a resource already gone or already
//! fixed is reported as such rather than as an error. The Log.ic bots (`acl_delete`,
//! `acl_revert_modification`) learn what to undo from the CloudTrail event closest to the
//! finding's alert time; reverting a deleted or replaced ACL entry also needs the entry's
//! earlier definition, which only the ACL's older CloudTrail history holds. Both are split
//! into a thin wrapper and an inner function taking the clients, so they can run against any
//! CloudTrail client.

use aws_config::SdkConfig;
use aws_sdk_cloudtrail::types::{LookupAttribute, LookupAttributeKey};
use aws_sdk_ec2::types::{
    AttributeBooleanValue, Filter, FlowLog, FlowLogsResourceType, IcmpTypeCode, LogDestinationType,
    NetworkAcl, NetworkAclEntry, PortRange, RuleAction, VpcAttributeName,
};
use cloudbots_runtime::aws_error::{bot_error, code};
use cloudbots_runtime::bot::{dry_run, entity_id, params, Bot};
use cloudbots_runtime::cloudtrail::{alert_time, closest_event, EventQuery, DEFAULT_WINDOW};
use cloudbots_runtime::exclusion;
use cloudbots_shared::error::{BotError, ErrorName};
use cloudbots_shared::outcome::{BotInput, BotOutcome, OutcomeStatus};
use cloudbots_shared::params::{
    FlowLogDestination, NoParams, TrafficType, VpcTurnOnFlowLogsParams,
};
use serde_json::{json, Value};

/// The bots of this module.
pub const BOTS: &[Bot] = &[
    VPC_DELETE,
    VPC_TURN_ON_FLOW_LOGS,
    VPC_ISOLATE,
    ACL_DELETE,
    ACL_REVERT_MODIFICATION,
];

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
pub const ACL_DELETE: Bot = Bot {
    name: "acl_delete",
    tags: exclusion::EC2_TAGS,
    run: |input, aws| Box::pin(acl_delete(input, aws)),
};
pub const ACL_REVERT_MODIFICATION: Bot = Bot {
    name: "acl_revert_modification",
    tags: exclusion::EC2_TAGS,
    run: |input, aws| Box::pin(acl_revert_modification(input, aws)),
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

/// The live network ACL, or None when EC2 says it does not exist (the local stack reports
/// a missing ACL under the route-table code).
async fn describe_network_acl(
    ec2: &aws_sdk_ec2::Client,
    acl_id: &str,
) -> Result<Option<NetworkAcl>, BotError> {
    match ec2
        .describe_network_acls()
        .network_acl_ids(acl_id)
        .send()
        .await
    {
        Ok(out) => Ok(out
            .network_acls()
            .iter()
            .find(|a| a.network_acl_id() == Some(acl_id))
            .cloned()),
        Err(e)
            if matches!(
                code(&e),
                Some("InvalidNetworkAclID.NotFound" | "InvalidRouteTableID.NotFound")
            ) =>
        {
            Ok(None)
        }
        Err(e) => Err(bot_error(&format!("describing network ACL {acl_id}"), e)),
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

// ---- acl_delete ----

/// The finding's alert time, which Log.ic bots need to find their CloudTrail event.
fn log_ic_alert(input: &BotInput) -> Result<chrono::DateTime<chrono::Utc>, BotError> {
    let text = input.finding.event_time.as_deref().ok_or_else(|| {
        BotError::invalid_input(format!(
            "{} undoes the CloudTrail event behind a Log.ic finding, and this finding has no alert time (additionalFields logic_data alertWindowStartTime)",
            input.step.bot
        ))
    })?;
    alert_time(text)
}

async fn acl_delete(input: &BotInput, aws: &SdkConfig) -> Result<BotOutcome, BotError> {
    acl_delete_with(
        input,
        &aws_sdk_ec2::Client::new(aws),
        &aws_sdk_cloudtrail::Client::new(aws),
    )
    .await
}

/// `acl_delete` with the clients given.
pub async fn acl_delete_with(
    input: &BotInput,
    ec2: &aws_sdk_ec2::Client,
    cloudtrail: &aws_sdk_cloudtrail::Client,
) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let alert = log_ic_alert(input)?;
    let query = EventQuery {
        attribute: LookupAttributeKey::EventName,
        value: "CreateNetworkAcl",
        resource_name: None,
        window: DEFAULT_WINDOW,
    };
    let Some(event) = closest_event(cloudtrail, alert, &query).await? else {
        return Ok(BotOutcome::new(
            input,
            OutcomeStatus::Skipped,
            format!(
                "CloudTrail has no CreateNetworkAcl event within {} s of the alert time {alert}: nothing to delete",
                DEFAULT_WINDOW.as_secs()
            ),
        ));
    };
    let Some(acl_id) = event.record["responseElements"]["networkAcl"]["networkAclId"].as_str()
    else {
        return Ok(BotOutcome::new(
            input,
            OutcomeStatus::Skipped,
            format!(
                "The CreateNetworkAcl event of {} created no network ACL (error: {}): nothing to delete",
                event.time,
                event.record["errorCode"].as_str().unwrap_or("none recorded")
            ),
        ));
    };
    let entity = input.finding.entity_id.as_str();
    if entity.starts_with("acl-") && entity != acl_id {
        return Ok(BotOutcome::new(
            input,
            OutcomeStatus::Skipped,
            format!(
                "The CreateNetworkAcl event closest to the alert created {acl_id}, not the finding's {entity}: not deleting either"
            ),
        ));
    }
    let Some(acl) = describe_network_acl(ec2, acl_id).await? else {
        return Ok(BotOutcome::compliant(
            input,
            format!("Network ACL {acl_id} does not exist (any more): nothing to delete"),
        ));
    };
    let vpc = acl.vpc_id().unwrap_or("?");
    if acl.is_default() == Some(true) {
        return Ok(BotOutcome::new(
            input,
            OutcomeStatus::Skipped,
            format!("Network ACL {acl_id} is the default ACL of VPC {vpc}: not deleting it"),
        ));
    }
    let subnets: Vec<&str> = acl
        .associations()
        .iter()
        .filter_map(|a| a.subnet_id())
        .collect();
    if !subnets.is_empty() {
        return Err(BotError::new(
            ErrorName::Conflict,
            format!(
                "Network ACL {acl_id} is associated with subnet(s) {}: EC2 deletes only unassociated ACLs",
                subnets.join(", ")
            ),
        ));
    }
    let change = format!("delete network ACL {acl_id} of VPC {vpc}");
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!("Would {change}"),
            vec![change],
        ));
    }
    ec2.delete_network_acl()
        .network_acl_id(acl_id)
        .send()
        .await
        .map_err(|e| bot_error(&format!("deleting network ACL {acl_id}"), e))?;
    Ok(BotOutcome::new(
        input,
        OutcomeStatus::Remediated,
        format!("Network acl {acl_id} of VPC {vpc} deleted successfully"),
    )
    .with_changes(vec![change]))
}

// ---- acl_revert_modification ----

/// One network ACL entry as CloudTrail records it in the `requestParameters` of
/// CreateNetworkAclEntry and ReplaceNetworkAclEntry.
#[derive(Debug, Clone, PartialEq)]
struct AclEntry {
    rule_number: i32,
    egress: bool,
    protocol: String,
    rule_action: String,
    cidr: Option<String>,
    ipv6_cidr: Option<String>,
    ports: Option<(i32, i32)>,
    icmp: Option<(i32, i32)>,
}

impl AclEntry {
    /// The entry a CloudTrail request describes, or None when the record lacks a field.
    fn from_request(request: &Value) -> Option<AclEntry> {
        let number = |v: &Value| v.as_i64().and_then(|n| i32::try_from(n).ok());
        let pair = |v: &Value, a: &str, b: &str| Some((number(&v[a])?, number(&v[b])?));
        Some(AclEntry {
            rule_number: number(&request["ruleNumber"])?,
            egress: request["egress"].as_bool()?,
            protocol: request["aclProtocol"].as_str()?.to_string(),
            rule_action: request["ruleAction"].as_str()?.to_string(),
            cidr: request["cidrBlock"].as_str().map(str::to_string),
            ipv6_cidr: request["ipv6CidrBlock"].as_str().map(str::to_string),
            ports: pair(&request["portRange"], "from", "to"),
            icmp: pair(&request["icmpTypeCode"], "type", "code"),
        })
    }

    /// Whether the live entry is this one (ports and ICMP fields count only where EC2 uses
    /// them: TCP/UDP and ICMP).
    fn matches(&self, live: &NetworkAclEntry) -> bool {
        let ports = live.port_range().and_then(|r| Some((r.from()?, r.to()?)));
        let icmp = live
            .icmp_type_code()
            .and_then(|c| Some((c.r#type()?, c.code()?)));
        live.rule_number() == Some(self.rule_number)
            && live.egress() == Some(self.egress)
            && live.protocol() == Some(self.protocol.as_str())
            && live.rule_action().map(|a| a.as_str()) == Some(self.rule_action.as_str())
            && live.cidr_block() == self.cidr.as_deref()
            && live.ipv6_cidr_block() == self.ipv6_cidr.as_deref()
            && (!matches!(self.protocol.as_str(), "6" | "17") || ports == self.ports)
            && (!matches!(self.protocol.as_str(), "1" | "58") || icmp == self.icmp)
    }

    fn render(&self) -> String {
        let direction = if self.egress { "outbound" } else { "inbound" };
        let peer = self
            .cidr
            .as_deref()
            .or(self.ipv6_cidr.as_deref())
            .unwrap_or("?");
        let ports = match self.ports {
            Some((from, to)) if matches!(self.protocol.as_str(), "6" | "17") => {
                format!(" ports {from}-{to}")
            }
            _ => String::new(),
        };
        format!(
            "{direction} rule {} {} protocol {}{ports} {} {peer}",
            self.rule_number,
            self.rule_action,
            self.protocol,
            if self.egress { "to" } else { "from" },
        )
    }
}

/// The live entry with this number in this direction, if any.
fn live_entry(acl: &NetworkAcl, rule_number: i32, egress: bool) -> Option<&NetworkAclEntry> {
    acl.entries()
        .iter()
        .find(|e| e.rule_number() == Some(rule_number) && e.egress() == Some(egress))
}

/// The definition the entry had before `before`: the newest CreateNetworkAclEntry or
/// ReplaceNetworkAclEntry of this ACL for the same rule number and direction, over the
/// whole CloudTrail history (newest events first).
async fn entry_before(
    cloudtrail: &aws_sdk_cloudtrail::Client,
    acl_id: &str,
    rule_number: i32,
    egress: bool,
    before: chrono::DateTime<chrono::Utc>,
) -> Result<Option<AclEntry>, BotError> {
    let attribute = LookupAttribute::builder()
        .attribute_key(LookupAttributeKey::ResourceName)
        .attribute_value(acl_id)
        .build()
        .map_err(|e| BotError::invalid_input(format!("CloudTrail lookup: {e}")))?;
    let mut pages = cloudtrail
        .lookup_events()
        .lookup_attributes(attribute)
        .end_time(aws_sdk_cloudtrail::primitives::DateTime::from_secs(
            before.timestamp() - 1,
        ))
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page
            .map_err(|e| bot_error(&format!("looking up the CloudTrail history of {acl_id}"), e))?;
        for event in page.events() {
            if !matches!(
                event.event_name(),
                Some("CreateNetworkAclEntry" | "ReplaceNetworkAclEntry")
            ) {
                continue;
            }
            let record: Value = event
                .cloud_trail_event()
                .and_then(|r| serde_json::from_str(r).ok())
                .unwrap_or(Value::Null);
            if record["errorCode"].is_string() {
                continue;
            }
            if let Some(entry) = AclEntry::from_request(&record["requestParameters"]) {
                if entry.rule_number == rule_number && entry.egress == egress {
                    return Ok(Some(entry));
                }
            }
        }
    }
    Ok(None)
}

async fn put_entry(
    ec2: &aws_sdk_ec2::Client,
    acl_id: &str,
    entry: &AclEntry,
    replace: bool,
) -> Result<(), BotError> {
    let ports = entry
        .ports
        .map(|(from, to)| PortRange::builder().from(from).to(to).build());
    let icmp = entry
        .icmp
        .map(|(kind, code)| IcmpTypeCode::builder().r#type(kind).code(code).build());
    let action = RuleAction::from(entry.rule_action.as_str());
    let doing = format!("restoring {} of network ACL {acl_id}", entry.render());
    if replace {
        ec2.replace_network_acl_entry()
            .network_acl_id(acl_id)
            .rule_number(entry.rule_number)
            .egress(entry.egress)
            .protocol(&entry.protocol)
            .rule_action(action)
            .set_cidr_block(entry.cidr.clone())
            .set_ipv6_cidr_block(entry.ipv6_cidr.clone())
            .set_port_range(ports)
            .set_icmp_type_code(icmp)
            .send()
            .await
            .map(drop)
            .map_err(|e| bot_error(&doing, e))
    } else {
        ec2.create_network_acl_entry()
            .network_acl_id(acl_id)
            .rule_number(entry.rule_number)
            .egress(entry.egress)
            .protocol(&entry.protocol)
            .rule_action(action)
            .set_cidr_block(entry.cidr.clone())
            .set_ipv6_cidr_block(entry.ipv6_cidr.clone())
            .set_port_range(ports)
            .set_icmp_type_code(icmp)
            .send()
            .await
            .map(drop)
            .map_err(|e| bot_error(&doing, e))
    }
}

/// What undoing the event takes.
enum Revert {
    Delete(AclEntry),
    Create(AclEntry),
    Replace(AclEntry),
}

async fn acl_revert_modification(
    input: &BotInput,
    aws: &SdkConfig,
) -> Result<BotOutcome, BotError> {
    acl_revert_modification_with(
        input,
        &aws_sdk_ec2::Client::new(aws),
        &aws_sdk_cloudtrail::Client::new(aws),
    )
    .await
}

/// `acl_revert_modification` with the clients given.
pub async fn acl_revert_modification_with(
    input: &BotInput,
    ec2: &aws_sdk_ec2::Client,
    cloudtrail: &aws_sdk_cloudtrail::Client,
) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let alert = log_ic_alert(input)?;
    let acl_id = entity_id(input)?;
    let skip = |message: String| Ok(BotOutcome::new(input, OutcomeStatus::Skipped, message));
    let compliant = |message: String| Ok(BotOutcome::compliant(input, message));
    let query = EventQuery {
        attribute: LookupAttributeKey::ResourceName,
        value: acl_id,
        resource_name: None,
        window: DEFAULT_WINDOW,
    };
    let Some(event) = closest_event(cloudtrail, alert, &query).await? else {
        return skip(format!(
            "CloudTrail has no event about network ACL {acl_id} within {} s of the alert time {alert}: nothing to revert",
            DEFAULT_WINDOW.as_secs()
        ));
    };
    let request = &event.record["requestParameters"];
    let name = event.event_name.as_str();
    let (Some(rule_number), Some(egress)) = (
        request["ruleNumber"]
            .as_i64()
            .and_then(|n| i32::try_from(n).ok()),
        request["egress"].as_bool(),
    ) else {
        return skip(format!(
            "The event closest to the alert, {name} at {}, changed no entry of network ACL {acl_id}: nothing to revert",
            event.time
        ));
    };
    let Some(acl) = describe_network_acl(ec2, acl_id).await? else {
        return skip(format!(
            "Network ACL {acl_id} does not exist (any more): nothing to revert"
        ));
    };
    let live = live_entry(&acl, rule_number, egress);
    let direction = if egress { "outbound" } else { "inbound" };
    let revert = match name {
        "CreateNetworkAclEntry" => {
            let Some(created) = AclEntry::from_request(request) else {
                return skip(format!("The CreateNetworkAclEntry record of {acl_id} is incomplete: nothing to revert"));
            };
            match live {
                None => {
                    return compliant(format!(
                        "Network ACL {acl_id} has no {direction} rule {rule_number} (any more): nothing to revert"
                    ))
                }
                Some(entry) if !created.matches(entry) => {
                    return skip(format!(
                        "The {direction} rule {rule_number} of network ACL {acl_id} changed since {} created it: not deleting it",
                        event.time
                    ))
                }
                Some(_) => Revert::Delete(created),
            }
        }
        "DeleteNetworkAclEntry" | "ReplaceNetworkAclEntry" => {
            let Some(prior) = entry_before(cloudtrail, acl_id, rule_number, egress, event.time).await?
            else {
                return skip(format!(
                    "CloudTrail holds no earlier definition of the {direction} rule {rule_number} of network ACL {acl_id}: cannot restore it"
                ));
            };
            match (name, live) {
                (_, Some(entry)) if prior.matches(entry) => {
                    return compliant(format!(
                        "The {direction} rule {rule_number} of network ACL {acl_id} is already as before the {name}"
                    ))
                }
                ("DeleteNetworkAclEntry", None) => Revert::Create(prior),
                ("DeleteNetworkAclEntry", Some(_)) => {
                    return skip(format!(
                        "Network ACL {acl_id} has a new {direction} rule {rule_number} since the DeleteNetworkAclEntry: not overwriting it"
                    ))
                }
                (_, Some(entry))
                    if AclEntry::from_request(request).is_some_and(|r| r.matches(entry)) =>
                {
                    Revert::Replace(prior)
                }
                _ => {
                    return skip(format!(
                        "The {direction} rule {rule_number} of network ACL {acl_id} changed since the ReplaceNetworkAclEntry: not overwriting it"
                    ))
                }
            }
        }
        other => {
            return skip(format!(
                "The event closest to the alert, {other} at {}, is not an entry change of network ACL {acl_id}: nothing to revert",
                event.time
            ))
        }
    };
    let change = match &revert {
        Revert::Delete(entry) => format!("delete {} of network ACL {acl_id}", entry.render()),
        Revert::Create(entry) => format!("recreate {} of network ACL {acl_id}", entry.render()),
        Revert::Replace(entry) => format!("restore {} of network ACL {acl_id}", entry.render()),
    };
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!("Would revert the {name} of {}: {change}", event.time),
            vec![change],
        ));
    }
    match &revert {
        Revert::Delete(entry) => ec2
            .delete_network_acl_entry()
            .network_acl_id(acl_id)
            .rule_number(entry.rule_number)
            .egress(entry.egress)
            .send()
            .await
            .map(drop)
            .map_err(|e| {
                bot_error(
                    &format!("deleting {} of network ACL {acl_id}", entry.render()),
                    e,
                )
            })?,
        Revert::Create(entry) => put_entry(ec2, acl_id, entry, false).await?,
        Revert::Replace(entry) => put_entry(ec2, acl_id, entry, true).await?,
    }
    Ok(BotOutcome::new(
        input,
        OutcomeStatus::Remediated,
        format!("Reverted the {name} of {}: {change}", event.time),
    )
    .with_changes(vec![change]))
}
