//! SNS bots: encryption at rest, a private topic policy, and deleting a topic.
//!
//! Each reads the topic's live attributes first, so a topic already as the bot would leave it
//! is reported compliant and a topic that no longer exists is not acted on. The topic is the
//! finding's `entity.topicArn`, reached in the region its ARN names.

use crate::attribute::Attribute;
use aws_config::SdkConfig;
use cloudbots_runtime::aws_error::{bot_error, code};
use cloudbots_runtime::bot::{dry_run, entity_field, params, Bot};
use cloudbots_runtime::exclusion::{tag_in_listing, TagReader};
use cloudbots_runtime::kms_key;
use cloudbots_runtime::restorer::Restorer;
use cloudbots_runtime::session::in_region;
use cloudbots_runtime::setting::{self, restore_settings, Resource, Setting};
use cloudbots_runtime::verify::gone;
use cloudbots_shared::catalogue::TagSource;
use cloudbots_shared::error::BotError;
use cloudbots_shared::outcome::{BotInput, BotOutcome, OutcomeStatus};
use cloudbots_shared::params::{
    NoParams, SnsEnforceSseParams, SnsSetTopicPrivateParams, SNS_AWS_MANAGED_KEY_REASON,
};
use cloudbots_shared::policy::{lets_anyone_act, statement_label, statements, strings};
use cloudbots_shared::restore::{RestoreInput, RestoreOutcome};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::HashMap;

/// The bots of this module.
pub const BOTS: &[Bot] = &[ENFORCE_SSE, SET_TOPIC_PRIVATE, TOPIC_DELETE];

pub const ENFORCE_SSE: Bot = Bot {
    name: "sns_enforce_sse",
    tags: SNS_TAGS,
    run: |input, aws| Box::pin(enforce_sse(input, aws)),
};

pub const SET_TOPIC_PRIVATE: Bot = Bot {
    name: "sns_set_topic_private",
    tags: SNS_TAGS,
    run: |input, aws| Box::pin(set_topic_private(input, aws)),
};

pub const TOPIC_DELETE: Bot = Bot {
    name: "sns_topic_delete",
    tags: SNS_TAGS,
    run: |input, aws| Box::pin(topic_delete(input, aws)),
};

pub const RESTORE_TOPIC_ATTRIBUTES: Restorer = Restorer {
    name: "restore_topic_attributes",
    run: |input, aws| Box::pin(restore_topic(input, aws)),
};

/// SNS topics, by ARN.
pub const SNS_TAGS: TagReader = TagReader::new(&[TagSource::SnsTopic], |aws, _, arn, key| {
    Box::pin(read_topic_tag(aws, arn, key))
});

async fn read_topic_tag(aws: &SdkConfig, arn: &str, key: &str) -> Result<Option<String>, BotError> {
    let Ok(topic) = Topic::parse(arn) else {
        return Ok(None);
    };
    let listed = topic
        .client(aws)
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await;
    tag_in_listing(listed, &TOPIC_GONE, arn, key, |out| {
        out.tags
            .unwrap_or_default()
            .into_iter()
            .map(|t| (t.key, t.value))
    })
}

/// The error codes that say an SNS topic does not exist.
const TOPIC_GONE: [&str; 2] = ["NotFound", "ResourceNotFound"];

/// Whether an SNS error code says the topic does not exist.
fn topic_missing(code: Option<&str>) -> bool {
    code.is_some_and(|code| TOPIC_GONE.contains(&code))
}

/// The finding's topic: `arn:<partition>:sns:<region>:<account>:<name>`.
struct Topic<'a> {
    arn: &'a str,
    region: &'a str,
    account: &'a str,
    name: &'a str,
}

impl<'a> Topic<'a> {
    fn parse(arn: &'a str) -> Result<Self, BotError> {
        match arn.split(':').collect::<Vec<_>>()[..] {
            ["arn", _, "sns", region, account, name]
                if !region.is_empty() && !account.is_empty() && !name.is_empty() =>
            {
                Ok(Topic {
                    arn,
                    region,
                    account,
                    name,
                })
            }
            _ => Err(BotError::invalid_input(format!(
                "'{arn}' is not an SNS topic ARN"
            ))),
        }
    }

    fn of(input: &'a BotInput) -> Result<Self, BotError> {
        Topic::parse(entity_field(input, "topicArn")?)
    }

    /// An SNS client in the topic's region.
    fn client(&self, aws: &SdkConfig) -> aws_sdk_sns::Client {
        aws_sdk_sns::Client::new(&in_region(aws, self.region))
    }

    /// The topic's attributes, or None when it does not exist.
    async fn attributes(
        &self,
        sns: &aws_sdk_sns::Client,
    ) -> Result<Option<HashMap<String, String>>, BotError> {
        let read = sns.get_topic_attributes().topic_arn(self.arn).send().await;
        match read {
            Ok(out) => Ok(Some(out.attributes.unwrap_or_default())),
            Err(e) if topic_missing(code(&e)) => Ok(None),
            Err(e) => Err(bot_error(
                &format!("reading the attributes of topic {}", self.name),
                e,
            )),
        }
    }

    async fn set_attribute(
        &self,
        sns: &aws_sdk_sns::Client,
        name: &str,
        value: String,
        change: &str,
    ) -> Result<(), BotError> {
        sns.set_topic_attributes()
            .topic_arn(self.arn)
            .attribute_name(name)
            .attribute_value(value)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| bot_error(change, e))
    }

    fn gone(&self, input: &BotInput) -> BotOutcome {
        BotOutcome::gone(input, &format!("Topic {}", self.name), "nothing to do")
    }
}

/// A topic attribute the bots change (`KmsMasterKeyId`, `Policy`), as found and as left.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TopicAttribute(Attribute);

impl Setting for TopicAttribute {
    type Client = aws_sdk_sns::Client;

    fn name(&self) -> &'static str {
        self.0.title()
    }

    fn words(&self) -> String {
        self.0.words()
    }

    async fn read(&self, sns: &aws_sdk_sns::Client, arn: &str) -> Result<Self, BotError> {
        let topic = Topic::parse(arn)?;
        let attributes = topic.attributes(sns).await?.ok_or_else(|| {
            BotError::not_found(format!("topic {} does not exist (any more)", topic.name))
        })?;
        let value = attributes.get(&self.0.name).cloned().unwrap_or_default();
        Ok(TopicAttribute(Attribute::new(&self.0.name, value)))
    }

    async fn write(&self, sns: &aws_sdk_sns::Client, arn: &str) -> Result<(), BotError> {
        let topic = Topic::parse(arn)?;
        let doing = format!("setting the {} of topic {}", self.name(), topic.name);
        topic
            .set_attribute(sns, &self.0.name, self.0.value.clone(), &doing)
            .await
    }
}

/// How people name the topic of an ARN.
fn topic_label(arn: &str) -> String {
    format!("topic {}", arn.rsplit(':').next().unwrap_or(arn))
}

async fn restore_topic(input: &RestoreInput, aws: &SdkConfig) -> Result<RestoreOutcome, BotError> {
    let sns = Topic::parse(&input.step.prior.resource)?.client(aws);
    restore_settings::<TopicAttribute>(input, &sns, topic_label).await
}

/// Dry-run: what would change; otherwise set `attribute` (its value now in `current`), read it
/// back and record what it was.
async fn change_topic(
    input: &BotInput,
    sns: &aws_sdk_sns::Client,
    topic: &Topic<'_>,
    current: &HashMap<String, String>,
    (attribute, value): (&str, String),
    (would, done): (String, String),
    changes: Vec<String>,
) -> Result<BotOutcome, BotError> {
    if dry_run(input) {
        return Ok(BotOutcome::would(input, would, changes));
    }
    let was = current.get(attribute).cloned().unwrap_or_default();
    setting::change(
        input,
        &Resource {
            client: sns,
            id: topic.arn,
            label: topic_label(topic.arn),
        },
        RESTORE_TOPIC_ATTRIBUTES.name,
        (
            vec![TopicAttribute(Attribute::new(attribute, was))],
            vec![TopicAttribute(Attribute::new(attribute, value))],
        ),
        done,
        changes,
    )
    .await
}

async fn enforce_sse(input: &BotInput, aws: &SdkConfig) -> Result<BotOutcome, BotError> {
    let SnsEnforceSseParams { key } = params::<SnsEnforceSseParams>(input)?;
    let topic = Topic::of(input)?;
    let name = topic.name;
    let sns = topic.client(aws);
    let Some(current) = topic.attributes(&sns).await? else {
        return Ok(topic.gone(input));
    };
    let described = kms_key::describe(aws, &key)
        .await?
        .customer_managed(SNS_AWS_MANAGED_KEY_REASON)?;
    let arn = &described.arn;
    if let Some(current) = current.get("KmsMasterKeyId").filter(|k| !k.is_empty()) {
        if described.names(current) {
            return Ok(BotOutcome::compliant(
                input,
                format!("Topic {name} is already encrypted with KMS key {arn}"),
            ));
        }
    }
    let change = format!("encrypt topic {name} with KMS key {arn}");
    change_topic(
        input,
        &sns,
        &topic,
        &current,
        ("KmsMasterKeyId", arn.clone()),
        (
            format!("Would {change}"),
            format!("Topic {name} encrypted with KMS key {arn}"),
        ),
        vec![change],
    )
    .await
}

/// SNS's own policy for a new topic: only the owner account may act on it.
fn owner_only_policy(topic: &Topic<'_>) -> Value {
    json!({
        "Version": "2008-10-17",
        "Id": "__default_policy_ID",
        "Statement": [{
            "Sid": "__default_statement_ID",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": [
                "SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission",
                "SNS:RemovePermission", "SNS:DeleteTopic", "SNS:Subscribe",
                "SNS:ListSubscriptionsByTopic", "SNS:Publish"
            ],
            "Resource": topic.arn,
            "Condition": {"StringEquals": {"AWS:SourceOwner": topic.account}}
        }]
    })
}

async fn set_topic_private(input: &BotInput, aws: &SdkConfig) -> Result<BotOutcome, BotError> {
    let SnsSetTopicPrivateParams { policy: given } = params::<SnsSetTopicPrivateParams>(input)?;
    let topic = Topic::of(input)?;
    let name = topic.name;
    let sns = topic.client(aws);
    let Some(attributes) = topic.attributes(&sns).await? else {
        return Ok(topic.gone(input));
    };
    let current: Value = attributes
        .get("Policy")
        .filter(|p| !p.is_empty())
        .map(|p| serde_json::from_str(p))
        .transpose()
        .map_err(|e| {
            BotError::invalid_input(format!("topic {name}'s policy is not valid JSON: {e}"))
        })?
        .unwrap_or_else(|| json!({"Statement": []}));

    let (policy, changes) = match given {
        Some(given) if given == current => {
            return Ok(BotOutcome::compliant(
                input,
                format!("Topic {name} already has the given policy"),
            ));
        }
        Some(given) => {
            let change = format!(
                "replace topic {name}'s policy with the given one ({} statements)",
                statements(&given).len()
            );
            (given, vec![change])
        }
        None => {
            let listed = statements(&current);
            let (open, kept): (Vec<_>, Vec<_>) = listed
                .iter()
                .enumerate()
                .partition(|(_, statement)| lets_anyone_act(statement));
            if open.is_empty() {
                return Ok(BotOutcome::compliant(
                    input,
                    format!("Topic {name}'s policy lets no one act without a condition"),
                ));
            }
            let mut changes: Vec<String> = open
                .iter()
                .map(|(index, statement)| {
                    format!(
                        "remove {} (anyone may {}) from topic {name}'s policy",
                        statement_label(statement, *index),
                        strings(statement.get("Action")).join(", ")
                    )
                })
                .collect();
            let policy = if kept.is_empty() {
                changes.push(format!(
                    "give topic {name} SNS's default policy (its owner account only), as no statement is left"
                ));
                owner_only_policy(&topic)
            } else {
                let mut policy = current.clone();
                policy["Statement"] = kept.into_iter().map(|(_, s)| (*s).clone()).collect();
                policy
            };
            (policy, changes)
        }
    };
    change_topic(
        input,
        &sns,
        &topic,
        &attributes,
        ("Policy", policy.to_string()),
        (
            format!("Would make topic {name} private"),
            format!("Topic {name} is now private"),
        ),
        changes,
    )
    .await
}

async fn topic_delete(input: &BotInput, aws: &SdkConfig) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let topic = Topic::of(input)?;
    let name = topic.name;
    let sns = topic.client(aws);
    let already_gone = || {
        BotOutcome::compliant(
            input,
            format!("Topic {name} does not exist (any more): nothing to delete"),
        )
    };
    if topic.attributes(&sns).await?.is_none() {
        return Ok(already_gone());
    }
    let mut subscriptions = Vec::new();
    let mut pages = sns
        .list_subscriptions_by_topic()
        .topic_arn(topic.arn)
        .into_paginator()
        .items()
        .send();
    while let Some(subscription) = pages.next().await {
        let subscription = subscription
            .map_err(|e| bot_error(&format!("listing the subscriptions of topic {name}"), e))?;
        subscriptions.push(format!(
            "{}:{}",
            subscription.protocol().unwrap_or("?"),
            subscription.endpoint().unwrap_or("?")
        ));
    }
    let with = match subscriptions.len() {
        0 => "no subscriptions".to_string(),
        n => format!("its {n} subscription(s): {}", subscriptions.join(", ")),
    };
    let change = format!("delete topic {name} with {with}");
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!("Would {change}"),
            vec![change],
        ));
    }
    match sns.delete_topic().topic_arn(topic.arn).send().await {
        Ok(_) => {}
        Err(e) if topic_missing(code(&e)) => return Ok(already_gone()),
        Err(e) => return Err(bot_error(&format!("deleting topic {name}"), e)),
    }
    let verified = gone(&format!("topic {name}"), || topic.attributes(&sns)).await?;
    Ok(BotOutcome::new(
        input,
        OutcomeStatus::Remediated,
        format!("Deleted topic {name} with {with}"),
    )
    .with_changes(vec![change])
    .with_verified(vec![verified]))
}
