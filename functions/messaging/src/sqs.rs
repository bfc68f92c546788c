//! SQS bots: encryption at rest and a dead-letter queue.
//!
//! Both read the queue's live attributes first, so a queue already as the bot would leave it is
//! reported compliant and a queue that no longer exists is skipped. The queue is the finding's
//! `entity.queueUrl`; a stronger setting already in place is never weakened (SSE-SQS does not
//! replace a KMS key).

use crate::attribute::Attribute;
use aws_config::SdkConfig;
use aws_sdk_sqs::types::QueueAttributeName;
use cloudbots_runtime::aws_error::{bot_error, code};
use cloudbots_runtime::bot::{dry_run, entity_field, params, Bot};
use cloudbots_runtime::exclusion::{tag_in_listing, TagReader};
use cloudbots_runtime::kms_key;
use cloudbots_runtime::restorer::Restorer;
use cloudbots_runtime::setting::{self, restore_settings, Resource, Setting};
use cloudbots_shared::catalogue::TagSource;
use cloudbots_shared::error::BotError;
use cloudbots_shared::outcome::{BotInput, BotOutcome, OutcomeStatus};
use cloudbots_shared::params::{NoParams, SqsEnforceSseParams};
use cloudbots_shared::restore::{RestoreInput, RestoreOutcome};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The bots of this module.
pub const BOTS: &[Bot] = &[ENFORCE_SSE, CONFIGURE_DLQ];

pub const ENFORCE_SSE: Bot = Bot {
    name: "sqs_enforce_sse",
    tags: SQS_TAGS,
    run: |input, aws| Box::pin(enforce_sse(input, aws)),
};

pub const CONFIGURE_DLQ: Bot = Bot {
    name: "sqs_configure_dlq",
    tags: SQS_TAGS,
    run: |input, aws| Box::pin(configure_dlq(input, aws)),
};

pub const RESTORE_QUEUE_ATTRIBUTES: Restorer = Restorer {
    name: "restore_queue_attributes",
    run: |input, aws| Box::pin(restore_queue(input, aws)),
};

/// SQS queues, by URL.
pub const SQS_TAGS: TagReader = TagReader::new(&[TagSource::SqsQueue], |aws, _, url, key| {
    Box::pin(read_queue_tag(aws, url, key))
});

/// How many receives a message gets before it moves to the dead-letter queue (the original's).
pub const MAX_RECEIVE_COUNT: u32 = 50;

/// The longest queue name SQS accepts.
const MAX_QUEUE_NAME: usize = 80;

async fn read_queue_tag(aws: &SdkConfig, url: &str, key: &str) -> Result<Option<String>, BotError> {
    let listed = aws_sdk_sqs::Client::new(aws)
        .list_queue_tags()
        .queue_url(url)
        .send()
        .await;
    tag_in_listing(listed, &QUEUE_GONE, url, key, |out| {
        out.tags.unwrap_or_default()
    })
}

/// The error codes that say an SQS queue does not exist (the JSON and the query protocol
/// name it differently).
const QUEUE_GONE: [&str; 2] = [
    "QueueDoesNotExist",
    "AWS.SimpleQueueService.NonExistentQueue",
];

/// Whether an SQS error code says the queue does not exist.
fn queue_missing(code: Option<&str>) -> bool {
    code.is_some_and(|code| QUEUE_GONE.contains(&code))
}

/// The finding's queue: its URL, and its name (the URL's last segment).
struct Queue<'a> {
    url: &'a str,
    name: &'a str,
}

fn queue(input: &BotInput) -> Result<Queue<'_>, BotError> {
    Ok(queue_at(entity_field(input, "queueUrl")?))
}

fn queue_at(url: &str) -> Queue<'_> {
    let name = url.rsplit('/').next().unwrap_or(url);
    Queue { url, name }
}

/// The named attributes of the queue, or None when the queue does not exist.
async fn attributes(
    sqs: &aws_sdk_sqs::Client,
    queue: &Queue<'_>,
    names: &[QueueAttributeName],
) -> Result<Option<HashMap<QueueAttributeName, String>>, BotError> {
    let read = sqs
        .get_queue_attributes()
        .queue_url(queue.url)
        .set_attribute_names(Some(names.to_vec()))
        .send()
        .await;
    match read {
        Ok(out) => Ok(Some(out.attributes.unwrap_or_default())),
        Err(e) if queue_missing(code(&e)) => Ok(None),
        Err(e) => Err(bot_error(
            &format!("reading the attributes of queue {}", queue.name),
            e,
        )),
    }
}

/// A queue attribute the bots change (`KmsMasterKeyId`, `SqsManagedSseEnabled`,
/// `RedrivePolicy`), as found and as left. SSE-SQS reads `false` when the queue does not say.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct QueueAttribute(Attribute);

impl QueueAttribute {
    fn new(name: &QueueAttributeName, value: impl Into<String>) -> QueueAttribute {
        QueueAttribute(Attribute::new(name.as_str(), value))
    }

    /// The attribute as `current` (the queue's attributes read) has it.
    fn of(name: &QueueAttributeName, current: &HashMap<QueueAttributeName, String>) -> Self {
        let unset = match name {
            QueueAttributeName::SqsManagedSseEnabled => "false",
            _ => "",
        };
        QueueAttribute::new(name, current.get(name).map_or(unset, String::as_str))
    }
}

impl Setting for QueueAttribute {
    type Client = aws_sdk_sqs::Client;

    fn name(&self) -> &'static str {
        self.0.title()
    }

    fn words(&self) -> String {
        self.0.words()
    }

    async fn read(&self, sqs: &aws_sdk_sqs::Client, url: &str) -> Result<Self, BotError> {
        let queue = queue_at(url);
        let name = QueueAttributeName::from(self.0.name.as_str());
        let current = attributes(sqs, &queue, std::slice::from_ref(&name))
            .await?
            .ok_or_else(|| {
                BotError::not_found(format!("queue {} does not exist (any more)", queue.name))
            })?;
        Ok(QueueAttribute::of(&name, &current))
    }

    async fn write(&self, sqs: &aws_sdk_sqs::Client, url: &str) -> Result<(), BotError> {
        sqs.set_queue_attributes()
            .queue_url(url)
            .attributes(
                QueueAttributeName::from(self.0.name.as_str()),
                &self.0.value,
            )
            .send()
            .await
            .map(drop)
            .map_err(|e| {
                bot_error(
                    &format!("setting the {} of {}", self.name(), queue_label(url)),
                    e,
                )
            })
    }
}

/// How people name the queue of a URL.
fn queue_label(url: &str) -> String {
    format!("queue {}", queue_at(url).name)
}

async fn restore_queue(input: &RestoreInput, aws: &SdkConfig) -> Result<RestoreOutcome, BotError> {
    restore_settings::<QueueAttribute>(input, &aws_sdk_sqs::Client::new(aws), queue_label).await
}

/// The end of both bots: set the attributes `after`, read them back, record `before`.
async fn change_queue(
    input: &BotInput,
    sqs: &aws_sdk_sqs::Client,
    queue: &Queue<'_>,
    settings: (Vec<QueueAttribute>, Vec<QueueAttribute>),
    done: String,
    changes: Vec<String>,
) -> Result<BotOutcome, BotError> {
    setting::change(
        input,
        &Resource {
            client: sqs,
            id: queue.url,
            label: queue_label(queue.url),
        },
        RESTORE_QUEUE_ATTRIBUTES.name,
        settings,
        done,
        changes,
    )
    .await
}

fn gone(input: &BotInput, queue: &Queue<'_>) -> BotOutcome {
    BotOutcome::gone(input, &format!("Queue {}", queue.name), "nothing to do")
}

async fn enforce_sse(input: &BotInput, aws: &SdkConfig) -> Result<BotOutcome, BotError> {
    let wanted = params::<SqsEnforceSseParams>(input)?;
    let queue = queue(input)?;
    let name = queue.name;
    let sqs = aws_sdk_sqs::Client::new(aws);
    let Some(current) = attributes(
        &sqs,
        &queue,
        &[
            QueueAttributeName::KmsMasterKeyId,
            QueueAttributeName::SqsManagedSseEnabled,
        ],
    )
    .await?
    else {
        return Ok(gone(input, &queue));
    };
    let current_key = current
        .get(&QueueAttributeName::KmsMasterKeyId)
        .filter(|key| !key.is_empty());
    let sqs_managed = current
        .get(&QueueAttributeName::SqsManagedSseEnabled)
        .is_some_and(|on| on == "true");

    let before = |name| QueueAttribute::of(name, &current);
    let (settings, how) = match &wanted {
        SqsEnforceSseParams::SqsManaged => {
            if let Some(key) = current_key {
                return Ok(BotOutcome::compliant(
                    input,
                    format!("Queue {name} is already encrypted with KMS key {key}"),
                ));
            }
            if sqs_managed {
                return Ok(BotOutcome::compliant(
                    input,
                    format!("Queue {name} is already encrypted with SSE-SQS"),
                ));
            }
            let sse_sqs = QueueAttributeName::SqsManagedSseEnabled;
            (
                (
                    vec![before(&sse_sqs)],
                    vec![QueueAttribute::new(&sse_sqs, "true")],
                ),
                "SSE-SQS".to_string(),
            )
        }
        SqsEnforceSseParams::Kms(key) => {
            let described = kms_key::describe(aws, key).await?;
            if current_key.is_some_and(|current| described.names(current)) {
                return Ok(BotOutcome::compliant(
                    input,
                    format!(
                        "Queue {name} is already encrypted with KMS key {}",
                        described.arn
                    ),
                ));
            }
            // A KMS key replaces SSE-SQS: both are recorded, so undo gives back either.
            let (key, sse_sqs) = (
                QueueAttributeName::KmsMasterKeyId,
                QueueAttributeName::SqsManagedSseEnabled,
            );
            (
                (
                    vec![before(&key), before(&sse_sqs)],
                    vec![
                        QueueAttribute::new(&key, described.arn.as_str()),
                        QueueAttribute::new(&sse_sqs, "false"),
                    ],
                ),
                format!("KMS key {}", described.arn),
            )
        }
    };
    let change = format!("encrypt queue {name} with {how}");
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!("Would {change}"),
            vec![change],
        ));
    }
    change_queue(
        input,
        &sqs,
        &queue,
        settings,
        format!("Queue {name} encrypted with {how}"),
        vec![change],
    )
    .await
}

async fn configure_dlq(input: &BotInput, aws: &SdkConfig) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let queue = queue(input)?;
    let name = queue.name;
    let sqs = aws_sdk_sqs::Client::new(aws);

    let sources = sqs
        .list_dead_letter_source_queues()
        .queue_url(queue.url)
        .send()
        .await;
    let sources = match sources {
        Ok(out) => out.queue_urls,
        Err(e) if queue_missing(code(&e)) => return Ok(gone(input, &queue)),
        Err(e) => {
            return Err(bot_error(
                &format!("listing the queues that use queue {name} as their dead-letter queue"),
                e,
            ))
        }
    };
    if !sources.is_empty() {
        let served: Vec<&str> = sources
            .iter()
            .map(|url| url.rsplit('/').next().unwrap_or(url))
            .collect();
        return Ok(BotOutcome::new(
            input,
            OutcomeStatus::Skipped,
            format!(
                "Queue {name} is the dead-letter queue of {}: it gets no dead-letter queue of its own",
                served.join(", ")
            ),
        ));
    }

    let Some(current) = attributes(
        &sqs,
        &queue,
        &[
            QueueAttributeName::RedrivePolicy,
            QueueAttributeName::FifoQueue,
            QueueAttributeName::KmsMasterKeyId,
            QueueAttributeName::SqsManagedSseEnabled,
        ],
    )
    .await?
    else {
        return Ok(gone(input, &queue));
    };
    if let Some(policy) = current
        .get(&QueueAttributeName::RedrivePolicy)
        .filter(|p| !p.is_empty())
    {
        let target = serde_json::from_str::<serde_json::Value>(policy)
            .ok()
            .and_then(|p| p.get("deadLetterTargetArn")?.as_str().map(str::to_string))
            .unwrap_or_else(|| policy.clone());
        return Ok(BotOutcome::compliant(
            input,
            format!("Queue {name} already has a dead-letter queue ({target})"),
        ));
    }

    let dlq_name = format!("dlq-for-{name}");
    if dlq_name.len() > MAX_QUEUE_NAME {
        return Ok(BotOutcome::new(
            input,
            OutcomeStatus::Skipped,
            format!(
                "Queue {name}'s dead-letter queue would be named {dlq_name}, longer than the {MAX_QUEUE_NAME} characters SQS allows"
            ),
        ));
    }
    let changes = vec![
        format!("create queue {dlq_name} (or reuse it)"),
        format!("send messages of queue {name} received {MAX_RECEIVE_COUNT} times to {dlq_name}"),
    ];
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!("Would give queue {name} the dead-letter queue {dlq_name}"),
            changes,
        ));
    }

    // The dead-letter queue is FIFO when the queue is, and encrypted as the queue is.
    let inherited = [
        QueueAttributeName::FifoQueue,
        QueueAttributeName::KmsMasterKeyId,
        QueueAttributeName::SqsManagedSseEnabled,
    ];
    let mut create = sqs.create_queue().queue_name(&dlq_name);
    for attribute in inherited {
        if let Some(value) = current
            .get(&attribute)
            .filter(|v| !v.is_empty() && *v != "false")
        {
            create = create.attributes(attribute, value);
        }
    }
    let created = create
        .send()
        .await
        .map_err(|e| bot_error(&format!("creating queue {dlq_name}"), e))?;
    let dlq_url = created.queue_url.unwrap_or_default();
    let dlq = Queue {
        url: &dlq_url,
        name: &dlq_name,
    };
    let dlq_arn = attributes(&sqs, &dlq, &[QueueAttributeName::QueueArn])
        .await?
        .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
        .ok_or_else(|| {
            BotError::new(
                cloudbots_shared::error::ErrorName::Transient,
                format!("queue {dlq_name} was created but cannot be read yet"),
            )
        })?;
    let policy = serde_json::json!({
        "deadLetterTargetArn": dlq_arn,
        "maxReceiveCount": MAX_RECEIVE_COUNT,
    });
    let redrive = QueueAttributeName::RedrivePolicy;
    change_queue(
        input,
        &sqs,
        &queue,
        (
            vec![QueueAttribute::of(&redrive, &current)],
            vec![QueueAttribute::new(&redrive, policy.to_string())],
        ),
        format!(
            "Queue {name} now sends messages received {MAX_RECEIVE_COUNT} times to dead-letter queue {dlq_name}"
        ),
        changes,
    )
    .await
}
