//! `rds_quarantine_instance`: put a database instance in its VPC's quarantine security group
//! (the same empty group `ec2_quarantine_instance` uses, created once per VPC), alone.
//!
//! The instance is read from RDS first: its VPC and its security groups now, not the
//! finding's copy. The groups it had are named in the outcome and recorded, and the instance
//! is read again until it is in the quarantine group alone; `restore_db_instance_security_groups`
//! gives the groups back after the investigation (the quarantine group stays: other instances
//! may be in it). RDS changes the groups of an available instance only: one that is
//! being changed is retried, one that is stopped or failed is skipped with the reason.

use crate::quarantine_group::{QuarantineGroup, QUARANTINE_GROUP_NAME};
use aws_config::SdkConfig;
use aws_sdk_rds::types::DbInstance;
use cloudbots_runtime::aws_error::{bot_error, code};
use cloudbots_runtime::bot::{dry_run, entity_name, params, Bot};
use cloudbots_runtime::exclusion::{tag_in_listing, TagReader};
use cloudbots_runtime::restorer::Restorer;
use cloudbots_runtime::setting::{self, restore_settings, Resource, Setting};
use cloudbots_shared::catalogue::TagSource;
use cloudbots_shared::error::{BotError, ErrorName};
use cloudbots_shared::outcome::{BotInput, BotOutcome, OutcomeStatus};
use cloudbots_shared::params::NoParams;
use cloudbots_shared::restore::{RestoreInput, RestoreOutcome};
use serde::{Deserialize, Serialize};

/// The bots of this module.
pub const BOTS: &[Bot] = &[QUARANTINE_INSTANCE];

pub const QUARANTINE_INSTANCE: Bot = Bot {
    name: "rds_quarantine_instance",
    tags: RDS_TAGS,
    run: |input, aws| Box::pin(quarantine_instance(input, aws)),
};

/// RDS database instances, by ARN.
pub const RDS_TAGS: TagReader = TagReader::new(&[TagSource::RdsInstance], |aws, _, arn, key| {
    Box::pin(read_instance_tag(aws, arn, key))
});

/// The error code RDS gives for an instance that does not exist.
const NOT_FOUND: &str = "DBInstanceNotFound";

async fn read_instance_tag(
    aws: &SdkConfig,
    arn: &str,
    key: &str,
) -> Result<Option<String>, BotError> {
    let listed = aws_sdk_rds::Client::new(aws)
        .list_tags_for_resource()
        .resource_name(arn)
        .send()
        .await;
    tag_in_listing(listed, &[NOT_FOUND], arn, key, |out| {
        let tags = out.tag_list.unwrap_or_default().into_iter();
        tags.map(|t| (t.key.unwrap_or_default(), t.value))
    })
}

/// What the instance's status lets the bot do.
enum Readiness {
    Ready,
    /// Changing now: the same step succeeds later.
    Busy,
    /// Will not become available by itself.
    Unavailable,
    Deleting,
}

fn readiness(status: &str) -> Readiness {
    match status {
        "available" | "storage-optimization" => Readiness::Ready,
        "deleting" | "deleted" => Readiness::Deleting,
        "stopped"
        | "stopping"
        | "failed"
        | "storage-full"
        | "incompatible-network"
        | "incompatible-option-group"
        | "incompatible-parameters"
        | "incompatible-restore"
        | "inaccessible-encryption-credentials"
        | "restore-error" => Readiness::Unavailable,
        _ => Readiness::Busy,
    }
}

/// The ids of the instance's VPC security groups. A group RDS is still removing (status
/// `removing`, for a while after a change applied immediately) is no longer counted; one it
/// is still adding is.
fn group_ids(instance: &DbInstance) -> Vec<&str> {
    instance
        .vpc_security_groups()
        .iter()
        .filter(|g| g.status() != Some("removing"))
        .filter_map(|g| g.vpc_security_group_id())
        .collect()
}

/// The DB instance, or None when RDS does not know it.
async fn describe_instance(
    rds: &aws_sdk_rds::Client,
    identifier: &str,
) -> Result<Option<DbInstance>, BotError> {
    match rds
        .describe_db_instances()
        .db_instance_identifier(identifier)
        .send()
        .await
    {
        Ok(out) => Ok(out.db_instances.unwrap_or_default().into_iter().next()),
        Err(e) if code(&e) == Some(NOT_FOUND) => Ok(None),
        Err(e) => Err(bot_error(
            &format!("describing DB instance {identifier}"),
            e,
        )),
    }
}

pub const RESTORE_DB_INSTANCE_SECURITY_GROUPS: Restorer = Restorer {
    name: "restore_db_instance_security_groups",
    run: |input, aws| Box::pin(restore_db_instance_security_groups(input, aws)),
};

/// A DB instance's VPC security groups, by id, sorted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DbSecurityGroups {
    pub groups: Vec<String>,
}

impl DbSecurityGroups {
    fn of(instance: &DbInstance) -> Self {
        let mut groups: Vec<String> = group_ids(instance)
            .into_iter()
            .map(str::to_string)
            .collect();
        groups.sort();
        DbSecurityGroups { groups }
    }
}

impl Setting for DbSecurityGroups {
    type Client = aws_sdk_rds::Client;

    fn name(&self) -> &'static str {
        "security groups"
    }

    fn words(&self) -> String {
        match self.groups.is_empty() {
            true => "(none)".to_string(),
            false => self.groups.join(", "),
        }
    }

    async fn read(&self, rds: &aws_sdk_rds::Client, identifier: &str) -> Result<Self, BotError> {
        let instance = describe_instance(rds, identifier).await?.ok_or_else(|| {
            BotError::not_found(format!(
                "DB instance {identifier} does not exist (any more)"
            ))
        })?;
        Ok(DbSecurityGroups::of(&instance))
    }

    /// Replace the instance's groups with these, applied immediately.
    async fn write(&self, rds: &aws_sdk_rds::Client, identifier: &str) -> Result<(), BotError> {
        rds.modify_db_instance()
            .db_instance_identifier(identifier)
            .set_vpc_security_group_ids(Some(self.groups.clone()))
            .apply_immediately(true)
            .send()
            .await
            .map(drop)
            .map_err(|e| {
                bot_error(
                    &format!(
                        "setting the security groups of DB instance {identifier} to {}",
                        self.words()
                    ),
                    e,
                )
            })
    }
}

async fn restore_db_instance_security_groups(
    input: &RestoreInput,
    aws: &SdkConfig,
) -> Result<RestoreOutcome, BotError> {
    let rds = aws_sdk_rds::Client::new(aws);
    restore_settings::<DbSecurityGroups>(input, &rds, |identifier| {
        format!("DB instance {identifier}")
    })
    .await
}

async fn quarantine_instance(input: &BotInput, aws: &SdkConfig) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let identifier = entity_name(input)?;
    let rds = aws_sdk_rds::Client::new(aws);
    let instance = describe_instance(&rds, identifier).await?;
    let gone = || BotOutcome::gone(input, &format!("DB instance {identifier}"), "nothing to do");
    let Some(instance) = instance else {
        return Ok(gone());
    };
    let status = instance.db_instance_status().unwrap_or("unknown");
    match readiness(status) {
        Readiness::Ready => {}
        Readiness::Deleting => return Ok(gone()),
        Readiness::Busy => {
            return Err(BotError::new(
                ErrorName::Transient,
                format!("DB instance {identifier} is {status}: its security groups can be changed once it is available"),
            ))
        }
        Readiness::Unavailable => {
            return Ok(BotOutcome::new(
                input,
                OutcomeStatus::Skipped,
                format!("DB instance {identifier} is {status}: RDS changes the security groups of an available instance only"),
            ))
        }
    }
    let Some(vpc_id) = instance.db_subnet_group().and_then(|g| g.vpc_id()) else {
        return Ok(BotOutcome::new(
            input,
            OutcomeStatus::Skipped,
            format!(
                "DB instance {identifier} is not in a VPC: it has no security group to replace"
            ),
        ));
    };
    let groups = group_ids(&instance);
    let was = match groups.is_empty() {
        true => "(none)".to_string(),
        false => groups.join(", "),
    };

    let ec2 = aws_sdk_ec2::Client::new(aws);
    let quarantine = QuarantineGroup::read(&ec2, vpc_id).await?;
    let mut changes = quarantine.changes();
    let quarantined = quarantine.id().is_some_and(|id| groups == [id]);
    if !quarantined {
        changes.push(format!(
            "replace the security groups of DB instance {identifier}, {was}, with {QUARANTINE_GROUP_NAME}, applied immediately"
        ));
    }
    if changes.is_empty() {
        return Ok(BotOutcome::compliant(
            input,
            format!("DB instance {identifier} is already quarantined in the empty security group {QUARANTINE_GROUP_NAME}"),
        ));
    }
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!("Would quarantine DB instance {identifier}"),
            changes,
        ));
    }

    let (group_id, created) = quarantine.make_ready(&ec2).await?;
    let message = format!(
        "DB instance quarantined: {identifier} is now only in security group {group_id} ({QUARANTINE_GROUP_NAME}); it was in {was}"
    );
    let outcome = if quarantined {
        BotOutcome::remediated(input, message, changes)
    } else {
        let quarantine = DbSecurityGroups {
            groups: vec![group_id.clone()],
        };
        let resource = Resource {
            client: &rds,
            id: identifier,
            label: format!("DB instance {identifier}"),
        };
        setting::change(
            input,
            &resource,
            RESTORE_DB_INSTANCE_SECURITY_GROUPS.name,
            (vec![DbSecurityGroups::of(&instance)], vec![quarantine]),
            message,
            changes,
        )
        .await?
    };
    Ok(match created {
        true => outcome.with_artifacts(vec![group_id]),
        false => outcome,
    })
}
