//! EC2 resource bots beyond the instance: make an AMI private, delete a key pair, and tag any
//! EC2 resource (a plain tag, or the `marked_for_stop` deadline a follow-up rule acts on).
//!
//! `ami_set_to_private` reads the image's whole list of launch permissions before and after,
//! so `restore_image_permissions` gives the image back exactly who could launch it: the public
//! group and every account, organization or organizational unit it was shared with.
//!
//! The tagging bots work on any EC2 resource id (instance, volume, VPC, security group...),
//! so they read and write tags through DescribeTags/CreateTags rather than a per-type API, and
//! learn that a resource is gone from CreateTags' answer. Each reads the tag back after setting
//! it and records its previous value (or absence), so `restore_ec2_tags` can put it back.

use aws_config::SdkConfig;
use aws_sdk_ec2::types::{
    Filter, ImageAttributeName, KeyPairInfo, LaunchPermission, LaunchPermissionModifications,
    PermissionGroup, Tag,
};
use chrono::{DateTime, Utc};
use cloudbots_runtime::aws_error::{bot_error, code};
use cloudbots_runtime::bot::{dry_run, entity_id, params, Bot};
use cloudbots_runtime::exclusion;
use cloudbots_runtime::restorer::Restorer;
use cloudbots_runtime::setting::{self, restore_settings, Resource, Setting};
use cloudbots_runtime::verify::gone;
use cloudbots_shared::error::{BotError, ErrorName};
use cloudbots_shared::outcome::{BotInput, BotOutcome, OutcomeStatus};
use cloudbots_shared::params::{MarkForStopParams, NoParams, TagParams};
use cloudbots_shared::restore::{RestoreInput, RestoreOutcome};
use serde::{Deserialize, Serialize};

/// The bots of this module.
pub const BOTS: &[Bot] = &[
    AMI_SET_TO_PRIVATE,
    DELETE_KEY_PAIR,
    MARK_FOR_STOP,
    TAG_EC2_RESOURCE,
];

pub const AMI_SET_TO_PRIVATE: Bot = Bot {
    name: "ami_set_to_private",
    tags: exclusion::EC2_TAGS,
    run: |input, aws| Box::pin(ami_set_to_private(input, aws)),
};
pub const DELETE_KEY_PAIR: Bot = Bot {
    name: "ec2_delete_key_pair",
    tags: exclusion::EC2_TAGS,
    run: |input, aws| Box::pin(delete_key_pair(input, aws)),
};
pub const MARK_FOR_STOP: Bot = Bot {
    name: "mark_for_stop_ec2_resource",
    tags: exclusion::EC2_TAGS,
    run: |input, aws| Box::pin(mark_for_stop(input, aws)),
};
pub const TAG_EC2_RESOURCE: Bot = Bot {
    name: "tag_ec2_resource",
    tags: exclusion::EC2_TAGS,
    run: |input, aws| Box::pin(tag_ec2_resource(input, aws)),
};

/// The tag a follow-up rule reads to stop the resource, as in the original.
pub const MARKED_FOR_STOP_TAG: &str = "marked_for_stop";

/// The value of one tag of an EC2 resource, if it has that tag.
pub(crate) async fn tag_value(
    ec2: &aws_sdk_ec2::Client,
    resource_id: &str,
    key: &str,
) -> Result<Option<String>, BotError> {
    let out = ec2
        .describe_tags()
        .filters(
            Filter::builder()
                .name("resource-id")
                .values(resource_id)
                .build(),
        )
        .filters(Filter::builder().name("key").values(key).build())
        .send()
        .await
        .map_err(|e| bot_error(&format!("reading tag {key} of {resource_id}"), e))?;
    Ok(out
        .tags()
        .iter()
        .find(|t| t.key() == Some(key))
        .map(|t| t.value().unwrap_or_default().to_string()))
}

pub const RESTORE_EC2_TAGS: Restorer = Restorer {
    name: "restore_ec2_tags",
    run: |input, aws| Box::pin(restore_tag(input, aws)),
};

/// One tag of an EC2 resource, as a bot found it and left it; none when it has no such tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ec2Tag {
    pub key: String,
    pub value: Option<String>,
}

impl Setting for Ec2Tag {
    type Client = aws_sdk_ec2::Client;

    fn name(&self) -> &'static str {
        "tag"
    }

    fn words(&self) -> String {
        match &self.value {
            Some(value) => format!("{}={value}", self.key),
            None => format!("{} absent", self.key),
        }
    }

    async fn read(&self, ec2: &aws_sdk_ec2::Client, resource_id: &str) -> Result<Self, BotError> {
        Ok(Ec2Tag {
            key: self.key.clone(),
            value: tag_value(ec2, resource_id, &self.key).await?,
        })
    }

    async fn write(&self, ec2: &aws_sdk_ec2::Client, resource_id: &str) -> Result<(), BotError> {
        let doing = format!("setting the tag {} of {resource_id}", self.words());
        // Both calls end alike: a resource EC2 does not know is gone, anything else fails.
        macro_rules! send {
            ($request:expr) => {
                $request.send().await.map(drop).map_err(|e| {
                    if code(&e).is_some_and(|c| c.contains("NotFound") || c == "InvalidID") {
                        BotError::not_found(format!("{resource_id} does not exist (any more)"))
                    } else {
                        bot_error(&doing, e)
                    }
                })
            };
        }
        match &self.value {
            Some(value) => send!(ec2
                .create_tags()
                .resources(resource_id)
                .tags(Tag::builder().key(&self.key).value(value).build())),
            None => send!(ec2
                .delete_tags()
                .resources(resource_id)
                .tags(Tag::builder().key(&self.key).build())),
        }
    }
}

async fn restore_tag(input: &RestoreInput, aws: &SdkConfig) -> Result<RestoreOutcome, BotError> {
    restore_settings::<Ec2Tag>(input, &aws_sdk_ec2::Client::new(aws), str::to_string).await
}

/// The end of the tagging bots: tag `resource_id` with `key=value` (it had `was`), read the tag
/// back and record what it was; `gone` is the outcome when EC2 no longer knows the resource.
pub(crate) async fn change_tag(
    input: &BotInput,
    ec2: &aws_sdk_ec2::Client,
    resource_id: &str,
    (key, was, value): (&str, Option<&str>, &str),
    (message, changes): (String, Vec<String>),
    gone: fn(&BotInput, &str) -> BotOutcome,
) -> Result<BotOutcome, BotError> {
    let tag = |value: Option<&str>| Ec2Tag {
        key: key.to_string(),
        value: value.map(str::to_string),
    };
    let resource = Resource {
        client: ec2,
        id: resource_id,
        label: resource_id.to_string(),
    };
    let changed = setting::change(
        input,
        &resource,
        RESTORE_EC2_TAGS.name,
        (vec![tag(was)], vec![tag(Some(value))]),
        message,
        changes,
    )
    .await;
    match changed {
        Err(error) if error.name == ErrorName::NotFound => Ok(gone(input, resource_id)),
        other => other,
    }
}

/// The outcome for a resource EC2 does not know (any more).
pub(crate) fn resource_gone(input: &BotInput, resource_id: &str) -> BotOutcome {
    BotOutcome::gone(
        input,
        &format!("EC2 resource {resource_id}"),
        "nothing to tag",
    )
}

async fn ami_set_to_private(input: &BotInput, aws: &SdkConfig) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let image_id = entity_id(input)?;
    let ec2 = aws_sdk_ec2::Client::new(aws);
    let image = match ec2.describe_images().image_ids(image_id).send().await {
        Ok(out) => out
            .images()
            .iter()
            .find(|i| i.image_id() == Some(image_id))
            .cloned(),
        Err(e) if code(&e) == Some("InvalidAMIID.NotFound") => None,
        Err(e) => return Err(bot_error(&format!("describing AMI {image_id}"), e)),
    };
    let Some(image) = image else {
        return Ok(BotOutcome::new(
            input,
            OutcomeStatus::Skipped,
            format!("AMI {image_id} does not exist (any more): nothing to do"),
        ));
    };
    // `Public` is EC2's summary of a launch permission for group all.
    if image.public() != Some(true) {
        return Ok(BotOutcome::compliant(
            input,
            format!("AMI {image_id} is already private"),
        ));
    }
    let changes = vec![format!(
        "remove the public launch permission (group all) of AMI {image_id}"
    )];
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!("Would make AMI {image_id} private"),
            changes,
        ));
    }
    let resource = Resource {
        client: &ec2,
        id: image_id,
        label: format!("AMI {image_id}"),
    };
    let before = LaunchPermissions::default().read(&ec2, image_id).await?;
    let after = LaunchPermissions {
        grantees: before
            .grantees
            .iter()
            .filter(|g| **g != Grantee::Public)
            .cloned()
            .collect(),
    };
    setting::change(
        input,
        &resource,
        RESTORE_IMAGE_PERMISSIONS.name,
        (vec![before], vec![after]),
        format!("AMI {image_id} is now private"),
        changes,
    )
    .await
}

pub const RESTORE_IMAGE_PERMISSIONS: Restorer = Restorer {
    name: "restore_image_permissions",
    run: |input, aws| Box::pin(restore_image_permissions(input, aws)),
};

/// Who besides its owner may launch an image.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "grantee", content = "id", rename_all = "snake_case")]
pub enum Grantee {
    /// Everyone: the group `all`.
    Public,
    Account(String),
    Organization(String),
    OrganizationalUnit(String),
}

impl Grantee {
    fn of(permission: &LaunchPermission) -> Option<Grantee> {
        if permission.group() == Some(&PermissionGroup::All) {
            return Some(Grantee::Public);
        }
        let text = |value: Option<&str>| value.map(str::to_string);
        text(permission.user_id())
            .map(Grantee::Account)
            .or_else(|| text(permission.organization_arn()).map(Grantee::Organization))
            .or_else(|| text(permission.organizational_unit_arn()).map(Grantee::OrganizationalUnit))
    }

    fn permission(&self) -> LaunchPermission {
        let permission = LaunchPermission::builder();
        match self {
            Grantee::Public => permission.group(PermissionGroup::All),
            Grantee::Account(id) => permission.user_id(id),
            Grantee::Organization(arn) => permission.organization_arn(arn),
            Grantee::OrganizationalUnit(arn) => permission.organizational_unit_arn(arn),
        }
        .build()
    }

    fn words(&self) -> String {
        match self {
            Grantee::Public => "everyone (public)".to_string(),
            Grantee::Account(id) => format!("account {id}"),
            Grantee::Organization(arn) => format!("organization {arn}"),
            Grantee::OrganizationalUnit(arn) => format!("organizational unit {arn}"),
        }
    }
}

/// An image's launch permissions, in full and sorted.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaunchPermissions {
    pub grantees: Vec<Grantee>,
}

impl Setting for LaunchPermissions {
    type Client = aws_sdk_ec2::Client;

    fn name(&self) -> &'static str {
        "launch permission"
    }

    fn words(&self) -> String {
        if self.grantees.is_empty() {
            return "its owner only".to_string();
        }
        let grantees: Vec<String> = self.grantees.iter().map(Grantee::words).collect();
        grantees.join(" and ")
    }

    async fn read(&self, ec2: &aws_sdk_ec2::Client, image_id: &str) -> Result<Self, BotError> {
        let out = ec2
            .describe_image_attribute()
            .image_id(image_id)
            .attribute(ImageAttributeName::LaunchPermission)
            .send()
            .await
            .map_err(|e| {
                if code(&e).is_some_and(|c| c.starts_with("InvalidAMIID")) {
                    BotError::not_found(format!("AMI {image_id} does not exist (any more)"))
                } else {
                    bot_error(
                        &format!("reading the launch permissions of AMI {image_id}"),
                        e,
                    )
                }
            })?;
        let mut grantees: Vec<Grantee> = out
            .launch_permissions()
            .iter()
            .filter_map(Grantee::of)
            .collect();
        grantees.sort();
        grantees.dedup();
        Ok(LaunchPermissions { grantees })
    }

    /// Grant what is missing and revoke what is not in the list, in one call.
    async fn write(&self, ec2: &aws_sdk_ec2::Client, image_id: &str) -> Result<(), BotError> {
        let now = self.read(ec2, image_id).await?;
        let missing = |from: &LaunchPermissions, of: &LaunchPermissions| -> Vec<LaunchPermission> {
            of.grantees
                .iter()
                .filter(|g| !from.grantees.contains(g))
                .map(Grantee::permission)
                .collect()
        };
        let (add, remove) = (missing(&now, self), missing(self, &now));
        if add.is_empty() && remove.is_empty() {
            return Ok(());
        }
        ec2.modify_image_attribute()
            .image_id(image_id)
            .launch_permission(
                LaunchPermissionModifications::builder()
                    .set_add((!add.is_empty()).then_some(add))
                    .set_remove((!remove.is_empty()).then_some(remove))
                    .build(),
            )
            .send()
            .await
            .map(drop)
            .map_err(|e| {
                bot_error(
                    &format!("setting the launch permissions of AMI {image_id}"),
                    e,
                )
            })
    }
}

async fn restore_image_permissions(
    input: &RestoreInput,
    aws: &SdkConfig,
) -> Result<RestoreOutcome, BotError> {
    let ec2 = aws_sdk_ec2::Client::new(aws);
    restore_settings::<LaunchPermissions>(input, &ec2, |image| format!("AMI {image}")).await
}

async fn delete_key_pair(input: &BotInput, aws: &SdkConfig) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let key = entity_id(input)?;
    let ec2 = aws_sdk_ec2::Client::new(aws);
    let Some(pair) = describe_key_pair(&ec2, key).await? else {
        return Ok(BotOutcome::compliant(
            input,
            format!("Key pair {key} does not exist: nothing to delete"),
        ));
    };
    let name = pair.key_name().unwrap_or(key);
    let changes = vec![format!(
        "delete key pair {name} ({}, fingerprint {})",
        pair.key_pair_id().unwrap_or("no id"),
        pair.key_fingerprint().unwrap_or("unknown")
    )];
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!("Would delete key pair {name}"),
            changes,
        ));
    }
    ec2.delete_key_pair()
        .key_name(name)
        .send()
        .await
        .map_err(|e| bot_error(&format!("deleting key pair {name}"), e))?;
    let verified = gone(&format!("key pair {name}"), || {
        describe_key_pair(&ec2, name)
    })
    .await?;
    Ok(BotOutcome::new(
        input,
        OutcomeStatus::Remediated,
        format!("Key pair deleted: {name}"),
    )
    .with_changes(changes)
    .with_verified(vec![verified]))
}

/// The key pair `key` names, or None when EC2 does not know it. CloudGuard names a key pair
/// by its name; newer entities may carry its key-... id.
async fn describe_key_pair(
    ec2: &aws_sdk_ec2::Client,
    key: &str,
) -> Result<Option<KeyPairInfo>, BotError> {
    let request = ec2.describe_key_pairs();
    let request = if key.starts_with("key-") {
        request.key_pair_ids(key)
    } else {
        request.key_names(key)
    };
    match request.send().await {
        Ok(out) => Ok(out.key_pairs().first().cloned()),
        Err(e) if code(&e) == Some("InvalidKeyPair.NotFound") => Ok(None),
        Err(e) => Err(bot_error(&format!("describing key pair {key}"), e)),
    }
}

async fn mark_for_stop(input: &BotInput, aws: &SdkConfig) -> Result<BotOutcome, BotError> {
    let MarkForStopParams {
        delay,
        delay_seconds,
    } = params(input)?;
    let resource_id = entity_id(input)?;
    let ec2 = aws_sdk_ec2::Client::new(aws);
    if let Some(mark) = tag_value(&ec2, resource_id, MARKED_FOR_STOP_TAG).await? {
        return Ok(BotOutcome::compliant(
            input,
            format!(
                "{resource_id} is already marked for stop at {mark}{}: the mark is kept",
                readable_epoch(&mark)
            ),
        ));
    }
    let stop_at = Utc::now().timestamp() + i64::try_from(delay_seconds).unwrap_or(i64::MAX);
    let value = stop_at.to_string();
    let changes = vec![format!(
        "tag {resource_id} with {MARKED_FOR_STOP_TAG}={value}{}, {delay} from now",
        readable_epoch(&value)
    )];
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!("Would mark {resource_id} for stop in {delay}"),
            changes,
        ));
    }
    change_tag(
        input,
        &ec2,
        resource_id,
        (MARKED_FOR_STOP_TAG, None, &value),
        (
            format!("{resource_id} tagged: Key: {MARKED_FOR_STOP_TAG} | Value: {value}"),
            changes,
        ),
        resource_gone,
    )
    .await
}

/// ` (2026-11-30T13:00:00Z)` for an epoch-seconds tag value, or nothing when it is not one.
fn readable_epoch(value: &str) -> String {
    value
        .parse::<i64>()
        .ok()
        .and_then(|secs| DateTime::<Utc>::from_timestamp(secs, 0))
        .map(|t| format!(" ({})", t.format("%Y-%m-%dT%H:%M:%SZ")))
        .unwrap_or_default()
}

async fn tag_ec2_resource(input: &BotInput, aws: &SdkConfig) -> Result<BotOutcome, BotError> {
    let TagParams { key, value } = params(input)?;
    let resource_id = entity_id(input)?;
    let ec2 = aws_sdk_ec2::Client::new(aws);
    let current = tag_value(&ec2, resource_id, &key).await?;
    if current.as_deref() == Some(value.as_str()) {
        return Ok(BotOutcome::compliant(
            input,
            format!("{resource_id} already has the tag {key}={value}"),
        ));
    }
    let was = match &current {
        Some(old) => format!(" (was '{old}')"),
        None => String::new(),
    };
    let changes = vec![format!("tag {resource_id} with {key}={value}{was}")];
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!("Would tag {resource_id} with {key}={value}"),
            changes,
        ));
    }
    change_tag(
        input,
        &ec2,
        resource_id,
        (&key, current.as_deref(), &value),
        (
            format!("{resource_id} tagged: Key: {key} | Value: {value}"),
            changes,
        ),
        resource_gone,
    )
    .await
}
