//! `rds_quarantine_instance`: put a database instance in its VPC's quarantine security group
//! (the same empty group `ec2_quarantine_instance` uses, created once per VPC), alone.
//!
//! The instance is read from RDS first: its VPC and its security groups now, not the
//! finding's copy. The groups it had are named in the outcome, so the quarantine can be undone
//! after the investigation. RDS changes the groups of an available instance only: one that is
//! being changed is retried, one that is stopped or failed is skipped with the reason.

use crate::quarantine_group::{QuarantineGroup, QUARANTINE_GROUP_NAME};
use aws_config::SdkConfig;
use aws_sdk_rds::types::DbInstance;
use cloudbots_runtime::aws_error::{bot_error, code};
use cloudbots_runtime::bot::{dry_run, entity_name, params, Bot};
use cloudbots_runtime::exclusion::{tag_in_listing, TagReader};
use cloudbots_shared::catalogue::TagSource;
use cloudbots_shared::error::{BotError, ErrorName};
use cloudbots_shared::outcome::{BotInput, BotOutcome, OutcomeStatus};
use cloudbots_shared::params::NoParams;

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

/// The ids of the instance's VPC security groups.
fn group_ids(instance: &DbInstance) -> Vec<&str> {
    instance
        .vpc_security_groups()
        .iter()
        .filter_map(|g| g.vpc_security_group_id())
        .collect()
}

async fn quarantine_instance(input: &BotInput, aws: &SdkConfig) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let identifier = entity_name(input)?;
    let rds = aws_sdk_rds::Client::new(aws);
    let described = rds
        .describe_db_instances()
        .db_instance_identifier(identifier)
        .send()
        .await;
    let instance = match described {
        Ok(out) => out.db_instances.unwrap_or_default().into_iter().next(),
        Err(e) if code(&e) == Some(NOT_FOUND) => None,
        Err(e) => {
            return Err(bot_error(
                &format!("describing DB instance {identifier}"),
                e,
            ))
        }
    };
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
    if !quarantined {
        rds.modify_db_instance()
            .db_instance_identifier(identifier)
            .vpc_security_group_ids(&group_id)
            .apply_immediately(true)
            .send()
            .await
            .map_err(|e| {
                bot_error(
                    &format!(
                        "replacing the security groups of DB instance {identifier} with {group_id}"
                    ),
                    e,
                )
            })?;
    }
    let outcome = BotOutcome::remediated(
        input,
        format!(
            "DB instance quarantined: {identifier} is now only in security group {group_id} ({QUARANTINE_GROUP_NAME}); it was in {was}"
        ),
        changes,
    );
    Ok(match created {
        true => outcome.with_artifacts(vec![group_id]),
        false => outcome,
    })
}
