//! The quarantine security group of a VPC: named `quarantine` as in the original, with no
//! rules, created once per VPC and shared by everything quarantined there (EC2 instances, RDS
//! instances). A group of that name that has gained rules has them revoked before it is used,
//! so the quarantine really isolates.
//!
//! The group is read first and its changes listed, so dry-run shows exactly what would be
//! created or revoked; [`QuarantineGroup::make_ready`] then makes it so.

use aws_sdk_ec2::types::{Filter, IpPermission, SecurityGroup, UserIdGroupPair};
use cloudbots_runtime::aws_error::{bot_error, code};
use cloudbots_shared::error::{BotError, ErrorName};

/// The name of the quarantine security group, as in the original (one per VPC).
pub const QUARANTINE_GROUP_NAME: &str = "quarantine";
const QUARANTINE_GROUP_DESCRIPTION: &str =
    "Quarantine Security Group. No ingress or egress rules should be attached.";

/// The VPC's quarantine group as found, and what it needs.
pub(crate) struct QuarantineGroup {
    vpc_id: String,
    existing: Option<SecurityGroup>,
}

impl QuarantineGroup {
    /// Read the VPC's quarantine group, if it has one.
    pub(crate) async fn read(ec2: &aws_sdk_ec2::Client, vpc_id: &str) -> Result<Self, BotError> {
        Ok(QuarantineGroup {
            vpc_id: vpc_id.to_string(),
            existing: group_named(ec2, vpc_id, QUARANTINE_GROUP_NAME).await?,
        })
    }

    /// The id of the existing group.
    pub(crate) fn id(&self) -> Option<&str> {
        self.existing.as_ref().and_then(|g| g.group_id())
    }

    /// What making the group ready changes: creating it, or revoking the rules it gained.
    pub(crate) fn changes(&self) -> Vec<String> {
        match &self.existing {
            None => vec![format!(
                "create security group {QUARANTINE_GROUP_NAME} in VPC {}, with no rules",
                self.vpc_id
            )],
            Some(group) => {
                let (inbound, outbound) = rule_count(group);
                match inbound + outbound {
                    0 => vec![],
                    _ => vec![format!(
                        "revoke the {inbound} inbound and {outbound} outbound rule(s) of security group {}",
                        group_label(group.group_id().unwrap_or("?"), group.group_name())
                    )],
                }
            }
        }
    }

    /// Create the group or strip its rules: its id, and whether it was created.
    pub(crate) async fn make_ready(
        self,
        ec2: &aws_sdk_ec2::Client,
    ) -> Result<(String, bool), BotError> {
        let (group, created) = match self.existing {
            Some(group) => {
                strip_rules(ec2, &group).await?;
                (group, false)
            }
            None => (create_quarantine_group(ec2, &self.vpc_id).await?, true),
        };
        Ok((group.group_id().unwrap_or_default().to_string(), created))
    }
}

/// A security group as people read it: `sg-0abc (web)`.
pub(crate) fn group_label(id: &str, name: Option<&str>) -> String {
    match name {
        Some(name) => format!("{id} ({name})"),
        None => id.to_string(),
    }
}

/// The security group of this name in the VPC, if there is one.
pub(crate) async fn group_named(
    ec2: &aws_sdk_ec2::Client,
    vpc_id: &str,
    name: &str,
) -> Result<Option<SecurityGroup>, BotError> {
    let out = ec2
        .describe_security_groups()
        .filters(Filter::builder().name("group-name").values(name).build())
        .filters(Filter::builder().name("vpc-id").values(vpc_id).build())
        .send()
        .await
        .map_err(|e| {
            bot_error(
                &format!("looking up security group {name} in VPC {vpc_id}"),
                e,
            )
        })?;
    Ok(out
        .security_groups()
        .iter()
        .find(|g| g.group_name() == Some(name))
        .cloned())
}

/// The rules as RevokeSecurityGroup* accepts them back: a group pair by id only (naming a
/// VPC group by name as well is rejected).
fn revocable(rules: &[IpPermission]) -> Vec<IpPermission> {
    rules
        .iter()
        .map(|rule| {
            let pairs = rule
                .user_id_group_pairs()
                .iter()
                .map(|p| {
                    UserIdGroupPair::builder()
                        .set_group_id(p.group_id().map(str::to_string))
                        .set_user_id(p.user_id().map(str::to_string))
                        .build()
                })
                .collect();
            IpPermission::builder()
                .set_ip_protocol(rule.ip_protocol().map(str::to_string))
                .set_from_port(rule.from_port())
                .set_to_port(rule.to_port())
                .set_ip_ranges(Some(rule.ip_ranges().to_vec()))
                .set_ipv6_ranges(Some(rule.ipv6_ranges().to_vec()))
                .set_prefix_list_ids(Some(rule.prefix_list_ids().to_vec()))
                .set_user_id_group_pairs(Some(pairs))
                .build()
        })
        .collect()
}

/// Revoke every rule of the group, inbound and outbound.
async fn strip_rules(ec2: &aws_sdk_ec2::Client, group: &SecurityGroup) -> Result<(), BotError> {
    let group_id = group.group_id().unwrap_or_default();
    if !group.ip_permissions().is_empty() {
        ec2.revoke_security_group_ingress()
            .group_id(group_id)
            .set_ip_permissions(Some(revocable(group.ip_permissions())))
            .send()
            .await
            .map_err(|e| bot_error(&format!("revoking the inbound rules of {group_id}"), e))?;
    }
    if !group.ip_permissions_egress().is_empty() {
        ec2.revoke_security_group_egress()
            .group_id(group_id)
            .set_ip_permissions(Some(revocable(group.ip_permissions_egress())))
            .send()
            .await
            .map_err(|e| bot_error(&format!("revoking the outbound rules of {group_id}"), e))?;
    }
    Ok(())
}

fn rule_count(group: &SecurityGroup) -> (usize, usize) {
    (
        group.ip_permissions().len(),
        group.ip_permissions_egress().len(),
    )
}

/// Create the VPC's quarantine group and revoke the allow-all egress rule EC2 gives every new
/// group. A group created meanwhile by another run is used as it is found.
async fn create_quarantine_group(
    ec2: &aws_sdk_ec2::Client,
    vpc_id: &str,
) -> Result<SecurityGroup, BotError> {
    match ec2
        .create_security_group()
        .group_name(QUARANTINE_GROUP_NAME)
        .description(QUARANTINE_GROUP_DESCRIPTION)
        .vpc_id(vpc_id)
        .send()
        .await
    {
        Ok(_) => {}
        Err(e) if code(&e) == Some("InvalidGroup.Duplicate") => {}
        Err(e) => {
            return Err(bot_error(
                &format!("creating security group {QUARANTINE_GROUP_NAME} in VPC {vpc_id}"),
                e,
            ))
        }
    }
    let group = group_named(ec2, vpc_id, QUARANTINE_GROUP_NAME)
        .await?
        .ok_or_else(|| {
            BotError::new(
                ErrorName::Transient,
                format!(
                    "security group {QUARANTINE_GROUP_NAME} of VPC {vpc_id} is not visible yet"
                ),
            )
        })?;
    strip_rules(ec2, &group).await?;
    Ok(group)
}
