//! What the VPC bots change on a VPC, as [`VpcSetting`]s, and `restore_vpc_settings`, which
//! puts them back: one description of the flow log, DNS support, subnet network ACLs and user
//! deny policies that the flow-log and isolation bots read back, record and undo alike.

use aws_config::SdkConfig;
use aws_sdk_ec2::types::{AttributeBooleanValue, Filter, LogDestinationType, VpcAttributeName};
use cloudbots_runtime::aws_error::{bot_error, code};
use cloudbots_runtime::setting::{restore_settings, Setting};
use cloudbots_shared::error::{BotError, ErrorName};
use cloudbots_shared::restore::{RestoreInput, RestoreOutcome};
use serde::{Deserialize, Serialize};

/// The clients the VPC settings are read and written with.
pub struct VpcClients {
    pub ec2: aws_sdk_ec2::Client,
    pub iam: aws_sdk_iam::Client,
}

impl VpcClients {
    fn new(aws: &SdkConfig) -> Self {
        VpcClients {
            ec2: aws_sdk_ec2::Client::new(aws),
            iam: aws_sdk_iam::Client::new(aws),
        }
    }
}

/// A flow log as created: the traffic it records and where it delivers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowLogDelivery {
    /// `ALL`, `ACCEPT` or `REJECT`.
    pub traffic: String,
    /// `cloud-watch-logs` or `s3`.
    pub destination_type: String,
    /// The log group name, or the bucket ARN.
    pub destination: String,
}

/// One thing of a VPC the VPC bots change, as found and as left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "setting", rename_all = "snake_case")]
pub enum VpcSetting {
    /// The flow log `id` of the VPC; none when it does not exist.
    FlowLog {
        id: String,
        delivery: Option<FlowLogDelivery>,
    },
    /// Whether the VPC resolves DNS.
    DnsSupport { enabled: bool },
    /// The network ACL a subnet of the VPC is associated with.
    SubnetAcl { subnet: String, acl: String },
    /// Whether the isolation deny policy is attached to an IAM user.
    UserDenyPolicy {
        user: String,
        policy_arn: String,
        attached: bool,
    },
}

/// How people name a VPC.
pub(super) fn vpc_label(vpc_id: &str) -> String {
    format!("VPC {vpc_id}")
}

/// The network ACL `subnet` is associated with now: (its association id, the ACL id).
async fn subnet_association(
    ec2: &aws_sdk_ec2::Client,
    subnet: &str,
) -> Result<(String, String), BotError> {
    let acls = ec2
        .describe_network_acls()
        .filters(
            Filter::builder()
                .name("association.subnet-id")
                .values(subnet)
                .build(),
        )
        .send()
        .await
        .map_err(|e| bot_error(&format!("reading the network ACL of subnet {subnet}"), e))?;
    acls.network_acls()
        .iter()
        .find_map(|acl| {
            let association = acl
                .associations()
                .iter()
                .find(|a| a.subnet_id() == Some(subnet))?;
            Some((
                association.network_acl_association_id()?.to_string(),
                acl.network_acl_id()?.to_string(),
            ))
        })
        .ok_or_else(|| BotError::not_found(format!("subnet {subnet} does not exist (any more)")))
}

/// The users the policy is attached to (none when the policy does not exist).
async fn users_of_policy(
    iam: &aws_sdk_iam::Client,
    policy_arn: &str,
) -> Result<Vec<String>, BotError> {
    let pages = iam
        .list_entities_for_policy()
        .policy_arn(policy_arn)
        .entity_filter(aws_sdk_iam::types::EntityType::User)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await;
    match pages {
        Ok(pages) => Ok(pages
            .iter()
            .flat_map(|page| page.policy_users())
            .filter_map(|u| u.user_name().map(str::to_string))
            .collect()),
        Err(e) if code(&e) == Some("NoSuchEntity") => Ok(Vec::new()),
        Err(e) => Err(bot_error(
            &format!("listing the users of IAM policy {policy_arn}"),
            e,
        )),
    }
}

impl Setting for VpcSetting {
    type Client = VpcClients;

    fn name(&self) -> &'static str {
        match self {
            VpcSetting::FlowLog { .. } => "flow log",
            VpcSetting::DnsSupport { .. } => "DNS support",
            VpcSetting::SubnetAcl { .. } => "subnet network ACL",
            VpcSetting::UserDenyPolicy { .. } => "deny policy",
        }
    }

    fn words(&self) -> String {
        match self {
            VpcSetting::FlowLog {
                id,
                delivery: Some(d),
            } => format!(
                "{id} ({} traffic to {} {})",
                d.traffic, d.destination_type, d.destination
            ),
            VpcSetting::FlowLog { id, delivery: None } => format!("{id} absent"),
            VpcSetting::DnsSupport { enabled: true } => "on".to_string(),
            VpcSetting::DnsSupport { enabled: false } => "off".to_string(),
            VpcSetting::SubnetAcl { subnet, acl } => format!("{acl} for subnet {subnet}"),
            VpcSetting::UserDenyPolicy {
                user,
                attached: true,
                ..
            } => format!("attached to user {user}"),
            VpcSetting::UserDenyPolicy {
                user,
                attached: false,
                ..
            } => format!("not attached to user {user}"),
        }
    }

    async fn read(&self, clients: &VpcClients, vpc_id: &str) -> Result<Self, BotError> {
        Ok(match self {
            VpcSetting::FlowLog { id, .. } => {
                let described = clients
                    .ec2
                    .describe_flow_logs()
                    .flow_log_ids(id)
                    .send()
                    .await
                    .map_err(|e| bot_error(&format!("reading flow log {id}"), e))?;
                let delivery = described
                    .flow_logs()
                    .iter()
                    .find(|f| f.flow_log_id() == Some(id.as_str()))
                    .map(|f| FlowLogDelivery {
                        traffic: f.traffic_type().map_or("?", |t| t.as_str()).to_string(),
                        destination_type: f
                            .log_destination_type()
                            .map_or("cloud-watch-logs", |t| t.as_str())
                            .to_string(),
                        destination: match f.log_destination_type() {
                            Some(LogDestinationType::S3) => f.log_destination(),
                            _ => f.log_group_name(),
                        }
                        .unwrap_or("?")
                        .to_string(),
                    });
                VpcSetting::FlowLog {
                    id: id.clone(),
                    delivery,
                }
            }
            VpcSetting::DnsSupport { .. } => VpcSetting::DnsSupport {
                enabled: dns_support(&clients.ec2, vpc_id).await?,
            },
            VpcSetting::SubnetAcl { subnet, .. } => VpcSetting::SubnetAcl {
                subnet: subnet.clone(),
                acl: subnet_association(&clients.ec2, subnet).await?.1,
            },
            VpcSetting::UserDenyPolicy {
                user, policy_arn, ..
            } => VpcSetting::UserDenyPolicy {
                user: user.clone(),
                policy_arn: policy_arn.clone(),
                attached: users_of_policy(&clients.iam, policy_arn)
                    .await?
                    .contains(user),
            },
        })
    }

    async fn write(&self, clients: &VpcClients, vpc_id: &str) -> Result<(), BotError> {
        let doing = format!(
            "setting the {} of {} to {}",
            self.name(),
            vpc_label(vpc_id),
            self.words()
        );
        match self {
            VpcSetting::FlowLog { id, delivery: None } => {
                let deleted = clients
                    .ec2
                    .delete_flow_logs()
                    .flow_log_ids(id)
                    .send()
                    .await
                    .map_err(|e| bot_error(&doing, e))?;
                match deleted.unsuccessful().first() {
                    Some(failed) => Err(BotError::new(
                        ErrorName::Conflict,
                        format!(
                            "deleting flow log {id}: {}",
                            failed
                                .error()
                                .and_then(|e| e.message())
                                .unwrap_or("no reason given")
                        ),
                    )),
                    None => Ok(()),
                }
            }
            VpcSetting::FlowLog {
                id,
                delivery: Some(_),
            } => Err(BotError::invalid_input(format!(
                "flow log {id} cannot be created again under its id: turn flow logs on again instead"
            ))),
            VpcSetting::DnsSupport { enabled } => clients
                .ec2
                .modify_vpc_attribute()
                .vpc_id(vpc_id)
                .enable_dns_support(AttributeBooleanValue::builder().value(*enabled).build())
                .send()
                .await
                .map(drop)
                .map_err(|e| bot_error(&doing, e)),
            VpcSetting::SubnetAcl { subnet, acl } => {
                let (association, _) = subnet_association(&clients.ec2, subnet).await?;
                clients
                    .ec2
                    .replace_network_acl_association()
                    .association_id(association)
                    .network_acl_id(acl)
                    .send()
                    .await
                    .map(drop)
                    .map_err(|e| bot_error(&doing, e))
            }
            VpcSetting::UserDenyPolicy {
                user,
                policy_arn,
                attached: true,
            } => clients
                .iam
                .attach_user_policy()
                .user_name(user)
                .policy_arn(policy_arn)
                .send()
                .await
                .map(drop)
                .map_err(|e| bot_error(&doing, e)),
            VpcSetting::UserDenyPolicy {
                user,
                policy_arn,
                attached: false,
            } => clients
                .iam
                .detach_user_policy()
                .user_name(user)
                .policy_arn(policy_arn)
                .send()
                .await
                .map(drop)
                .map_err(|e| bot_error(&doing, e)),
        }
    }

    fn restoring_words(&self, resource: &str) -> String {
        match self {
            VpcSetting::FlowLog { id, delivery: None } => {
                format!("delete flow log {id} of {resource}")
            }
            VpcSetting::SubnetAcl { subnet, acl } => {
                format!("associate subnet {subnet} of {resource} with network ACL {acl} again")
            }
            VpcSetting::UserDenyPolicy {
                user,
                policy_arn,
                attached: false,
            } => format!("detach IAM policy {policy_arn} from IAM user {user}"),
            _ => format!(
                "set the {} of {resource} back to {}",
                self.name(),
                self.words()
            ),
        }
    }
}

pub(super) async fn restore_vpc(
    input: &RestoreInput,
    aws: &SdkConfig,
) -> Result<RestoreOutcome, BotError> {
    restore_settings::<VpcSetting>(input, &VpcClients::new(aws), vpc_label).await
}

/// Whether the VPC resolves DNS.
pub(super) async fn dns_support(ec2: &aws_sdk_ec2::Client, vpc_id: &str) -> Result<bool, BotError> {
    let read = ec2
        .describe_vpc_attribute()
        .vpc_id(vpc_id)
        .attribute(VpcAttributeName::EnableDnsSupport)
        .send()
        .await;
    match read {
        Ok(out) => Ok(out
            .enable_dns_support()
            .and_then(|v| v.value())
            .unwrap_or(true)),
        Err(e) if code(&e) == Some("InvalidVpcID.NotFound") => Err(BotError::not_found(format!(
            "{} does not exist (any more)",
            vpc_label(vpc_id)
        ))),
        Err(e) => Err(bot_error(
            &format!("reading the DNS support of VPC {vpc_id}"),
            e,
        )),
    }
}
