//! SQS bots: encryption at rest and a dead-letter queue.
//!
//! Both read the queue's live attributes first, so a queue already as the bot would leave it is
//! reported compliant and a queue that no longer exists is skipped. The queue is the finding's
//! `entity.queueUrl`; a stronger setting already in place is never weakened (SSE-SQS does not
//! replace a KMS key).

use aws_config::SdkConfig;
use aws_sdk_sqs::types::QueueAttributeName;
use cloudbots_runtime::aws_error::{bot_error, code};
use cloudbots_runtime::bot::{dry_run, entity_field, params, Bot};
use cloudbots_runtime::exclusion::{tag_in_listing, TagReader};
use cloudbots_runtime::kms_key;
use cloudbots_shared::catalogue::TagSource;
use cloudbots_shared::error::BotError;
use cloudbots_shared::outcome::{BotInput, BotOutcome, OutcomeStatus};
use cloudbots_shared::params::{NoParams, SqsEnforceSseParams};
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
    let url = entity_field(input, "queueUrl")?;
    let name = url.rsplit('/').next().unwrap_or(url);
    Ok(Queue { url, name })
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

    let (attribute, value, how) = match &wanted {
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
            (
                QueueAttributeName::SqsManagedSseEnabled,
                "true".to_string(),
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
            (
                QueueAttributeName::KmsMasterKeyId,
                described.arn.clone(),
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
    sqs.set_queue_attributes()
        .queue_url(queue.url)
        .attributes(attribute, value)
        .send()
        .await
        .map_err(|e| bot_error(&change, e))?;
    Ok(BotOutcome::new(
        input,
        OutcomeStatus::Remediated,
        format!("Queue {name} encrypted with {how}"),
    )
    .with_changes(vec![change]))
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
    sqs.set_queue_attributes()
        .queue_url(queue.url)
        .attributes(QueueAttributeName::RedrivePolicy, policy.to_string())
        .send()
        .await
        .map_err(|e| bot_error(&changes[1], e))?;
    Ok(BotOutcome::new(
        input,
        OutcomeStatus::Remediated,
        format!(
            "Queue {name} now sends messages received {MAX_RECEIVE_COUNT} times to dead-letter queue {dlq_name}"
        ),
    )
    .with_changes(changes))
}
