//! The opt-out tag re-read from the live resource just before a bot acts.
//!
//! The planner honours the tag as the finding carried it, but that copy may be hours old: an
//! owner who tags a resource after the finding was produced must still be obeyed. So every
//! enforcing step reads the tag again, from the resource the bot is about to change, with the
//! tag-read action its role holds for its entity kind ([`BotSpec::role_actions`]): EC2
//! resources with `DescribeTags`, S3 buckets with `GetBucketTagging`, IAM users, roles and
//! policies with `ListUserTags`/`ListRoleTags`/`ListPolicyTags`, KMS keys with
//! `ListResourceTags`. Bots on other kinds (IAM groups, which cannot be tagged; account-wide
//! settings such as the password policy) are not re-checked: only the planner's check applies.
//!
//! [`BotSpec::role_actions`]: cloudbots_shared::catalogue::BotSpec::role_actions

use crate::aws_error::{bot_error, code, none_if_code};
use aws_config::SdkConfig;
use chrono::NaiveDate;
use cloudbots_shared::catalogue::{self, TagSource};
use cloudbots_shared::error::BotError;
use cloudbots_shared::outcome::BotInput;
use cloudbots_shared::plan::exclusion_reason;
use serde_json::Value;

/// Why the step must not act, read from the live resource's opt-out tag as on `today`; None
/// when it may (no tag, not listed, expired, resource gone — the bot then reports that).
pub async fn live_exclusion(
    aws: &SdkConfig,
    input: &BotInput,
    today: NaiveDate,
) -> Result<Option<String>, BotError> {
    let Some((source, resource)) = tagged_resource(input) else {
        return Ok(None);
    };
    let key = &input.step.exclude_tag_key;
    let value = read_tag(aws, source, resource, key).await?;
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
        TagSource::Ec2 | TagSource::Kms => id,
        TagSource::S3Bucket => Some(id).filter(|id| !id.is_empty()).unwrap_or(name),
        TagSource::IamUser | TagSource::IamRole => name,
        TagSource::IamPolicy => entity
            .get("arn")
            .and_then(Value::as_str)
            .filter(|arn| !arn.is_empty())
            .unwrap_or(id),
    };
    (!resource.is_empty()).then_some((source, resource))
}

/// The value of tag `key` on the resource; None when it has no such tag or no longer exists.
async fn read_tag(
    aws: &SdkConfig,
    source: TagSource,
    resource: &str,
    key: &str,
) -> Result<Option<String>, BotError> {
    let doing = format!("reading the tags of {resource} to check the opt-out tag {key}");
    let found = |tags: Vec<(String, String)>| {
        tags.into_iter()
            .find(|(k, _)| k == key)
            .map(|(_, value)| value)
    };
    match source {
        TagSource::Ec2 => {
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
                .map_err(|e| bot_error(&doing, e))?;
            Ok(found(
                tags.tags()
                    .iter()
                    .map(|t| (text(t.key()), text(t.value())))
                    .collect(),
            ))
        }
        TagSource::S3Bucket => {
            let tagging = aws_sdk_s3::Client::new(aws)
                .get_bucket_tagging()
                .bucket(resource)
                .send()
                .await;
            match tagging {
                Ok(tagging) => Ok(found(
                    tagging
                        .tag_set()
                        .iter()
                        .map(|t| (t.key().to_string(), t.value().to_string()))
                        .collect(),
                )),
                Err(e) if matches!(code(&e), Some("NoSuchTagSet" | "NoSuchBucket")) => Ok(None),
                Err(e) => Err(bot_error(&doing, e)),
            }
        }
        TagSource::IamUser => {
            let listed = iam(aws).list_user_tags().user_name(resource).send().await;
            let tags = none_if_code("NoSuchEntity", &doing, listed)?;
            Ok(tags.and_then(|o| found(iam_pairs(o.tags))))
        }
        TagSource::IamRole => {
            let listed = iam(aws).list_role_tags().role_name(resource).send().await;
            let tags = none_if_code("NoSuchEntity", &doing, listed)?;
            Ok(tags.and_then(|o| found(iam_pairs(o.tags))))
        }
        TagSource::IamPolicy => {
            let listed = iam(aws)
                .list_policy_tags()
                .policy_arn(resource)
                .send()
                .await;
            let tags = none_if_code("NoSuchEntity", &doing, listed)?;
            Ok(tags.and_then(|o| found(iam_pairs(o.tags))))
        }
        TagSource::Kms => {
            let listed = aws_sdk_kms::Client::new(aws)
                .list_resource_tags()
                .key_id(resource)
                .send()
                .await;
            let tags = none_if_code("NotFoundException", &doing, listed)?;
            Ok(tags.and_then(|o| {
                found(
                    o.tags()
                        .iter()
                        .map(|t| (t.tag_key().to_string(), t.tag_value().to_string()))
                        .collect(),
                )
            }))
        }
    }
}

fn iam(aws: &SdkConfig) -> aws_sdk_iam::Client {
    aws_sdk_iam::Client::new(aws)
}

fn iam_pairs(tags: Vec<aws_sdk_iam::types::Tag>) -> Vec<(String, String)> {
    tags.into_iter().map(|t| (t.key, t.value)).collect()
}

fn text(value: Option<&str>) -> String {
    value.unwrap_or_default().to_string()
}
