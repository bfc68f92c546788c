//! The opt-out tag re-read from the live resource just before a bot acts.
//!
//! The planner honours the tag as the finding carried it, but that copy may be hours old: an
//! owner who tags a resource after the finding was produced must still be obeyed. So every
//! enforcing step reads the tag again, from the resource the bot is about to change, with the
//! tag-read action its role holds for its entity kind ([`BotSpec::role_actions`]): EC2
//! resources with `DescribeTags`, S3 buckets with `GetBucketTagging`, IAM users, roles and
//! policies with `ListUserTags`/`ListRoleTags`/`ListPolicyTags`, KMS keys with
//! `ListResourceTags`, SQS queues with `ListQueueTags`, SNS topics with
//! `ListTagsForResource`, secrets with `DescribeSecret`, Systems Manager documents with
//! `ListTagsForResource`, ACM certificates with `ListTagsForCertificate`, trails with
//! `ListTags`. Bots on other kinds (IAM groups, which cannot be tagged; account-wide
//! settings such as the password policy) are not re-checked: only the planner's check applies.
//!
//! Each service's tags are read by its own [`TagReader`], and a bot names the reader of its
//! service ([`Bot::tags`](crate::bot::Bot)): nothing here chooses among services at run time,
//! so a bot's binary links the client of its own service only, not every service a tag can
//! live in.
//!
//! [`BotSpec::role_actions`]: cloudbots_shared::catalogue::BotSpec::role_actions

use crate::aws_error::{bot_error, code, none_if_code};
use aws_config::SdkConfig;
use chrono::NaiveDate;
use cloudbots_shared::catalogue::{self, TagSource};
use cloudbots_shared::error::{BotError, ErrorName};
use cloudbots_shared::outcome::BotInput;
use cloudbots_shared::plan::exclusion_reason;
use serde_json::Value;
use std::future::Future;
use std::pin::Pin;

/// The value of one tag of a resource: None when it has no such tag or no longer exists.
pub type TagFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Option<String>, BotError>> + Send + 'a>>;

/// Reads the tags of the resource kinds of one service.
#[derive(Clone, Copy)]
pub struct TagReader {
    /// The resource kinds it reads.
    pub sources: &'static [TagSource],
    /// Reads tag `key` (third argument) of the resource (second) of the given kind.
    read: for<'a> fn(&'a SdkConfig, TagSource, &'a str, &'a str) -> TagFuture<'a>,
}

impl TagReader {
    /// A reader for the bots of an area package whose service only that package calls (the
    /// readers of services several areas share are the constants below).
    pub const fn new(
        sources: &'static [TagSource],
        read: for<'a> fn(&'a SdkConfig, TagSource, &'a str, &'a str) -> TagFuture<'a>,
    ) -> TagReader {
        TagReader { sources, read }
    }
}

/// EC2 resources: instances, security groups, VPCs, network ACLs, AMIs, key pairs, ….
pub const EC2_TAGS: TagReader = TagReader {
    sources: &[TagSource::Ec2],
    read: |aws, _, resource, key| Box::pin(read_ec2_tag(aws, resource, key)),
};

/// S3 buckets.
pub const S3_TAGS: TagReader = TagReader {
    sources: &[TagSource::S3Bucket],
    read: |aws, _, resource, key| Box::pin(read_s3_tag(aws, resource, key)),
};

/// IAM users, roles and policies.
pub const IAM_TAGS: TagReader = TagReader {
    sources: &[TagSource::IamUser, TagSource::IamRole, TagSource::IamPolicy],
    read: |aws, source, resource, key| Box::pin(read_iam_tag(aws, source, resource, key)),
};

/// KMS keys.
pub const KMS_TAGS: TagReader = TagReader {
    sources: &[TagSource::Kms],
    read: |aws, _, resource, key| Box::pin(read_kms_tag(aws, resource, key)),
};

/// Why the step must not act, read with `reader` from the live resource's opt-out tag as on
/// `today`; None when it may (no tag, not listed, expired, resource gone — the bot then
/// reports that).
pub async fn live_exclusion(
    aws: &SdkConfig,
    input: &BotInput,
    reader: TagReader,
    today: NaiveDate,
) -> Result<Option<String>, BotError> {
    let Some((source, resource)) = tagged_resource(input) else {
        return Ok(None);
    };
    if !reader.sources.contains(&source) {
        return Err(BotError::new(
            ErrorName::Internal,
            format!(
                "{} cannot read the opt-out tag of a {source:?} resource",
                input.step.bot
            ),
        ));
    }
    let key = &input.step.exclude_tag_key;
    let value = (reader.read)(aws, source, resource, key).await?;
    Ok(value.and_then(|value| {
        exclusion_reason(key, &value, &input.step.bot, today)
            .map(|reason| format!("{reason} (read from the live resource just before acting)"))
    }))
}

/// The kind and identifier of the resource whose tags the step's bot may read: the bot's
/// declared entity kind (the one of the finding's entity when the bot takes several).
fn tagged_resource(input: &BotInput) -> Option<(TagSource, &str)> {
    let sources = catalogue::lookup(&input.step.bot)?.tag_sources();
    let entity = &input.finding.entity;
    let source = match sources.as_slice() {
        [only] => *only,
        several => {
            let kind = entity.get("type").and_then(Value::as_str)?;
            TagSource::of_entity_type(kind).filter(|s| several.contains(s))?
        }
    };
    let (id, name) = (&input.finding.entity_id, &input.finding.entity_name);
    let resource: &str = match source {
        TagSource::Ec2 | TagSource::Kms | TagSource::Trail => id,
        TagSource::S3Bucket => Some(id).filter(|id| !id.is_empty()).unwrap_or(name),
        TagSource::IamUser | TagSource::IamRole => name,
        TagSource::SqsQueue => entity.get("queueUrl").and_then(Value::as_str).unwrap_or(""),
        TagSource::SnsTopic => entity.get("topicArn").and_then(Value::as_str).unwrap_or(""),
        TagSource::AcmCertificate => entity
            .get("certificateArn")
            .and_then(Value::as_str)
            .unwrap_or(""),
        TagSource::SsmDocument => name,
        TagSource::IamPolicy | TagSource::Secret => entity
            .get("arn")
            .and_then(Value::as_str)
            .filter(|arn| !arn.is_empty())
            .unwrap_or(id),
    };
    (!resource.is_empty()).then_some((source, resource))
}

/// What a tag reader was doing, for its error messages.
pub fn doing(resource: &str, key: &str) -> String {
    format!("reading the tags of {resource} to check the opt-out tag {key}")
}

fn find_tag(key: &str, tags: impl IntoIterator<Item = (String, String)>) -> Option<String> {
    tags.into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, value)| value)
}

async fn read_ec2_tag(
    aws: &SdkConfig,
    resource: &str,
    key: &str,
) -> Result<Option<String>, BotError> {
    let filter = |name: &str, value: &str| {
        aws_sdk_ec2::types::Filter::builder()
            .name(name)
            .values(value)
            .build()
    };
    let tags = aws_sdk_ec2::Client::new(aws)
        .describe_tags()
        .filters(filter("resource-id", resource))
        .filters(filter("key", key))
        .send()
        .await
        .map_err(|e| bot_error(&doing(resource, key), e))?;
    let text = |value: Option<&str>| value.unwrap_or_default().to_string();
    Ok(find_tag(
        key,
        tags.tags().iter().map(|t| (text(t.key()), text(t.value()))),
    ))
}

async fn read_s3_tag(
    aws: &SdkConfig,
    resource: &str,
    key: &str,
) -> Result<Option<String>, BotError> {
    let tagging = aws_sdk_s3::Client::new(aws)
        .get_bucket_tagging()
        .bucket(resource)
        .send()
        .await;
    match tagging {
        Ok(tagging) => Ok(find_tag(
            key,
            tagging
                .tag_set()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string())),
        )),
        Err(e) if matches!(code(&e), Some("NoSuchTagSet" | "NoSuchBucket")) => Ok(None),
        Err(e) => Err(bot_error(&doing(resource, key), e)),
    }
}

async fn read_iam_tag(
    aws: &SdkConfig,
    source: TagSource,
    resource: &str,
    key: &str,
) -> Result<Option<String>, BotError> {
    let iam = aws_sdk_iam::Client::new(aws);
    let doing = doing(resource, key);
    let tags = match source {
        TagSource::IamRole => {
            let listed = iam.list_role_tags().role_name(resource).send().await;
            none_if_code("NoSuchEntity", &doing, listed)?.map(|o| o.tags)
        }
        TagSource::IamPolicy => {
            let listed = iam.list_policy_tags().policy_arn(resource).send().await;
            none_if_code("NoSuchEntity", &doing, listed)?.map(|o| o.tags)
        }
        TagSource::IamUser => {
            let listed = iam.list_user_tags().user_name(resource).send().await;
            none_if_code("NoSuchEntity", &doing, listed)?.map(|o| o.tags)
        }
        other => {
            let message = format!("IAM tags are not read for a {other:?} resource");
            return Err(BotError::new(ErrorName::Internal, message));
        }
    };
    Ok(tags.and_then(|tags| find_tag(key, tags.into_iter().map(|t| (t.key, t.value)))))
}

async fn read_kms_tag(
    aws: &SdkConfig,
    resource: &str,
    key: &str,
) -> Result<Option<String>, BotError> {
    let listed = aws_sdk_kms::Client::new(aws)
        .list_resource_tags()
        .key_id(resource)
        .send()
        .await;
    let tags = none_if_code("NotFoundException", &doing(resource, key), listed)?;
    Ok(tags.and_then(|o| {
        find_tag(
            key,
            o.tags()
                .iter()
                .map(|t| (t.tag_key().to_string(), t.tag_value().to_string())),
        )
    }))
}
