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

use crate::aws_error::{bot_error, code};
use crate::bot::entity_arn;
use aws_config::SdkConfig;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use chrono::NaiveDate;
use cloudbots_shared::catalogue::{self, TagSource};
use cloudbots_shared::error::{BotError, ErrorName};
use cloudbots_shared::outcome::BotInput;
use cloudbots_shared::plan::exclusion_reason;
use serde_json::Value;
use std::borrow::Cow;
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

/// For bots whose entity has no tag of its own to re-read (the catalogue gives its kind no tag
/// source): the live check never calls it.
pub const NO_TAGS: TagReader = TagReader {
    sources: &[],
    read: |_, _, _, _| Box::pin(async { Ok(None) }),
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
    let value = (reader.read)(aws, source, &resource, key).await?;
    Ok(value.and_then(|value| {
        exclusion_reason(key, &value, &input.step.bot, today)
            .map(|reason| format!("{reason} (read from the live resource just before acting)"))
    }))
}

/// The kind and identifier of the resource whose tags the step's bot may read: the bot's
/// declared entity kind (the one of the finding's entity when the bot takes several).
fn tagged_resource(input: &BotInput) -> Option<(TagSource, Cow<'_, str>)> {
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
        TagSource::Ec2 | TagSource::Kms | TagSource::Trail | TagSource::NetworkFirewall => id,
        TagSource::S3Bucket => Some(id).filter(|id| !id.is_empty()).unwrap_or(name),
        TagSource::IamUser => name,
        // An ECS service's bots act on its role (`role.name`).
        TagSource::IamRole => entity
            .get("role")
            .and_then(|role| role.get("name"))
            .and_then(Value::as_str)
            .unwrap_or(name),
        TagSource::SqsQueue => entity.get("queueUrl").and_then(Value::as_str).unwrap_or(""),
        TagSource::SnsTopic => entity.get("topicArn").and_then(Value::as_str).unwrap_or(""),
        TagSource::AcmCertificate => entity
            .get("certificateArn")
            .and_then(Value::as_str)
            .unwrap_or(""),
        TagSource::SsmDocument | TagSource::Route53Domain => name,
        // Application load balancers by ARN, classic ones by name.
        TagSource::LoadBalancer if id.starts_with("arn:") => id,
        TagSource::LoadBalancer => name,
        TagSource::LambdaFunction | TagSource::RdsInstance | TagSource::EcrRepository => {
            let (service, prefix) = match source {
                TagSource::LambdaFunction => ("lambda", "function:"),
                TagSource::RdsInstance => ("rds", "db:"),
                _ => ("ecr", "repository/"),
            };
            return entity_arn(input, service, prefix).map(|arn| (source, Cow::Owned(arn)));
        }
        TagSource::IamPolicy | TagSource::Secret => entity
            .get("arn")
            .and_then(Value::as_str)
            .filter(|arn| !arn.is_empty())
            .unwrap_or(id),
    };
    (!resource.is_empty()).then_some((source, Cow::Borrowed(resource)))
}

/// The value of tag `key` of `resource` from the answer of a tag-listing call, whichever
/// service made it: None when the resource has no such tag, or when the call failed with one
/// of the `gone` error codes (the resource no longer exists, which the bot then reports);
/// any other error fails the step, naming the resource and the tag.
pub fn tag_in_listing<T, E, I, V>(
    listed: Result<T, SdkError<E, HttpResponse>>,
    gone: &[&str],
    resource: &str,
    key: &str,
    tags: impl FnOnce(T) -> I,
) -> Result<Option<String>, BotError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    I: IntoIterator<Item = (String, V)>,
    V: Into<Option<String>>,
{
    match listed {
        Ok(out) => Ok(tags(out)
            .into_iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, value)| value.into())),
        Err(e) if code(&e).is_some_and(|c| gone.contains(&c)) => Ok(None),
        Err(e) => Err(bot_error(
            &format!("reading the tags of {resource} to check the opt-out tag {key}"),
            e,
        )),
    }
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
    let listed = aws_sdk_ec2::Client::new(aws)
        .describe_tags()
        .filters(filter("resource-id", resource))
        .filters(filter("key", key))
        .send()
        .await;
    tag_in_listing(listed, &[], resource, key, |out| {
        let tags = out.tags.unwrap_or_default().into_iter();
        tags.map(|t| (t.key.unwrap_or_default(), t.value))
    })
}

async fn read_s3_tag(
    aws: &SdkConfig,
    resource: &str,
    key: &str,
) -> Result<Option<String>, BotError> {
    let listed = aws_sdk_s3::Client::new(aws)
        .get_bucket_tagging()
        .bucket(resource)
        .send()
        .await;
    let gone = ["NoSuchTagSet", "NoSuchBucket"];
    tag_in_listing(listed, &gone, resource, key, |out| {
        out.tag_set.into_iter().map(|t| (t.key, t.value))
    })
}

async fn read_iam_tag(
    aws: &SdkConfig,
    source: TagSource,
    resource: &str,
    key: &str,
) -> Result<Option<String>, BotError> {
    let iam = aws_sdk_iam::Client::new(aws);
    let pairs = |tags: Vec<aws_sdk_iam::types::Tag>| tags.into_iter().map(|t| (t.key, t.value));
    let gone = ["NoSuchEntity"];
    match source {
        TagSource::IamRole => {
            let listed = iam.list_role_tags().role_name(resource).send().await;
            tag_in_listing(listed, &gone, resource, key, |o| pairs(o.tags))
        }
        TagSource::IamPolicy => {
            let listed = iam.list_policy_tags().policy_arn(resource).send().await;
            tag_in_listing(listed, &gone, resource, key, |o| pairs(o.tags))
        }
        TagSource::IamUser => {
            let listed = iam.list_user_tags().user_name(resource).send().await;
            tag_in_listing(listed, &gone, resource, key, |o| pairs(o.tags))
        }
        other => {
            let message = format!("IAM tags are not read for a {other:?} resource");
            Err(BotError::new(ErrorName::Internal, message))
        }
    }
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
    tag_in_listing(listed, &["NotFoundException"], resource, key, |out| {
        let tags = out.tags.unwrap_or_default().into_iter();
        tags.map(|t| (t.tag_key, t.tag_value))
    })
}
