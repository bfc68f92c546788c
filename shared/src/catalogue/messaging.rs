//! SNS topic and SQS queue bots.

use super::{parse_as, BotSpec, ParamSpec, Phase};
use crate::params::{NoParams, SnsEnforceSseParams, SnsSetTopicPrivateParams, SqsEnforceSseParams};

/// The messaging bots of the catalogue.
pub const BOTS: &[BotSpec] = &[
    BotSpec {
        name: "sns_enforce_sse",
        summary: "Turn on server-side encryption of the SNS topic with the given customer-managed KMS key.",
        phase: Phase::Modify,
        guard: false,
        entity_type: "SnsTopic",
        changes_instance: false,
        iam_actions: &["kms:DescribeKey", "sns:GetTopicAttributes", "sns:SetTopicAttributes"],
        params: &[
            ParamSpec {
                name: "kmsKeyId",
                description: "the customer-managed KMS key (id, ARN, alias/<name> or alias ARN)",
                required: true,
            },
            ParamSpec {
                name: "kmsRegion",
                description: "the region of the key, when not the topic's",
                required: false,
            },
        ],
        example: "AUTO: sns_enforce_sse alias/sns-topics",
        differences: "AWS-managed keys are refused with the reason (AWS services cannot publish to a topic encrypted with one): an `alias/aws/...` key when the rule is planned, a key id or ARN whose key is AWS-managed when it is described. The key is described first, in the finding's account: an unknown key fails the step before the topic changes, and the topic is set to the key's ARN whichever way the rule names it. A topic already encrypted with that key is already compliant. `kmsKeyId=`/`kmsRegion=` are accepted as the original's docs show them.",
        parse: parse_as::<SnsEnforceSseParams>,
    },
    BotSpec {
        name: "sns_set_topic_private",
        summary: "Make the SNS topic private: remove the policy statements that let anyone act without a condition, or replace the topic policy with the one given.",
        phase: Phase::Contain,
        guard: false,
        entity_type: "SnsTopic",
        changes_instance: false,
        iam_actions: &["sns:GetTopicAttributes", "sns:SetTopicAttributes"],
        params: &[ParamSpec {
            name: "policy",
            description: "`policy=<JSON policy document>`, written on the rule's line as it is (spaces allowed, no `|`, which separates compliance tags); omit to remove only the public statements",
            required: false,
        }],
        example: "AUTO: sns_set_topic_private",
        differences: "The original never ran (it read its parameters as a dictionary). Without a policy, only the statements that allow a public principal (`*`) without a condition are removed and the rest is kept; a policy left with no statement becomes SNS's default owner-only policy. A given policy is checked when the rule is planned: invalid JSON, no statement, or a statement that would leave the topic public is rejected.",
        parse: parse_as::<SnsSetTopicPrivateParams>,
    },
    BotSpec {
        name: "sns_topic_delete",
        summary: "Delete the SNS topic and, with it, its subscriptions.",
        phase: Phase::Destroy,
        guard: false,
        entity_type: "SnsTopic",
        changes_instance: false,
        iam_actions: &["sns:DeleteTopic", "sns:GetTopicAttributes", "sns:ListSubscriptionsByTopic"],
        params: &[],
        example: "AUTO: sns_topic_delete",
        differences: "Opt-in like every destroy bot (`DestroyBots`). The outcome names the subscriptions deleted with the topic; a topic that no longer exists is already compliant. The topic is deleted in the region of its ARN.",
        parse: parse_as::<NoParams>,
    },
    BotSpec {
        name: "sqs_enforce_sse",
        summary: "Turn on server-side encryption of the SQS queue: SSE-SQS without parameters, or SSE-KMS with the given key.",
        phase: Phase::Modify,
        guard: false,
        entity_type: "Sqs",
        changes_instance: false,
        iam_actions: &["kms:DescribeKey", "sqs:GetQueueAttributes", "sqs:SetQueueAttributes"],
        params: &[
            ParamSpec {
                name: "kmsKeyId",
                description: "the KMS key (id, ARN, alias/<name> or alias ARN); omit for SSE-SQS. A leading literal `kms` (the original's documented form) is accepted",
                required: false,
            },
            ParamSpec {
                name: "kmsRegion",
                description: "the region of the key, when not the queue's",
                required: false,
            },
        ],
        example: "AUTO: sqs_enforce_sse",
        differences: "Reads the queue's encryption first: a queue already encrypted with the requested key (or, for SSE-SQS, encrypted at all) is already compliant, and SSE-SQS never replaces a KMS key. The original's documented leading `kms` is accepted (its code took it as the key id). The key is described first (in `kmsRegion` when given, in the finding's account): an unknown key fails the step before the queue changes, and the queue is set to the key's ARN whichever way the rule names it.",
        parse: parse_as::<SqsEnforceSseParams>,
    },
    BotSpec {
        name: "sqs_configure_dlq",
        summary: "Give the SQS queue a dead-letter queue, dlq-for-<name> (FIFO for a FIFO queue), after 50 receives.",
        phase: Phase::Modify,
        guard: false,
        entity_type: "Sqs",
        changes_instance: false,
        iam_actions: &[
            "sqs:CreateQueue",
            "sqs:GetQueueAttributes",
            "sqs:ListDeadLetterSourceQueues",
            "sqs:SetQueueAttributes",
        ],
        params: &[],
        example: "AUTO: sqs_configure_dlq",
        differences: "A queue that already has a redrive policy is already compliant; a queue that is itself a dead-letter queue is skipped with the queues it serves; an existing dlq-for-<name> is reused. The dead-letter queue inherits the queue's encryption.",
        parse: parse_as::<NoParams>,
    },
];
