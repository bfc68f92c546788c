//! Lambda function bots: the function's permissions, layers, concurrency, tracing and tags.

use super::{parse_as, BotSpec, ParamSpec, Phase};
use crate::params::{LambdaTagParams, NoParams};

/// The Lambda bots of the catalogue.
pub const BOTS: &[BotSpec] = &[
    BotSpec {
        name: "lambda_detach_blanket_permissions",
        summary: "Detach from the function's execution role every managed policy that allows an action on all resources (`Resource: \"*\"`).",
        phase: Phase::Contain,
        guard: false,
        entity_type: "Lambda",
        changes_instance: false,
        iam_actions: &[
            "iam:DetachRolePolicy",
            "iam:GetPolicy",
            "iam:GetPolicyVersion",
            "iam:ListAttachedRolePolicies",
            "lambda:GetFunctionConfiguration",
        ],
        params: &[],
        example: "AUTO: lambda_detach_blanket_permissions",
        differences: "Decides from the live function and role, not the finding's copy (the original trusted `executionRole.combinedPolicies` from the finding, however old): the role is the one the function has now, and each attached policy's default version is read. Inline policies are left as they are (they cannot be detached). A role with no such policy is already compliant; a function that no longer exists is skipped.",
        parse: parse_as::<NoParams>,
    },
    BotSpec {
        name: "lambda_detach_external_layer",
        summary: "Detach the layers of another account that the finding's UpdateFunctionConfiguration event added to the function, keeping its other layers in order.",
        phase: Phase::Contain,
        guard: false,
        entity_type: "Lambda",
        changes_instance: false,
        iam_actions: &[
            "cloudtrail:LookupEvents",
            "lambda:GetFunctionConfiguration",
            "lambda:UpdateFunctionConfiguration",
        ],
        params: &[],
        example: "AUTO: lambda_detach_external_layer",
        differences: "Detaches every layer of another account that the event attached (the original detached the event's last layer by name, whoever owned it); a layer of the function's own account is never touched. The event is the function's UpdateFunctionConfiguration closest to the alert time; no such event, or an event that attached no external layer, is skipped with a reason; layers already detached are already compliant; a finding without an alert time is rejected as invalid input. Tested with a mocked CloudTrail (the local stack has no LookupEvents).",
        parse: parse_as::<NoParams>,
    },
    BotSpec {
        name: "lambda_disable",
        summary: "Stop the function from running: reserved concurrency 0 (the outcome records the previous setting, to undo).",
        phase: Phase::Contain,
        guard: false,
        entity_type: "Lambda",
        changes_instance: false,
        iam_actions: &[
            "lambda:GetFunctionConcurrency",
            "lambda:PutFunctionConcurrency",
        ],
        params: &[],
        example: "AUTO: lambda_disable",
        differences: "Reads the function's reserved concurrency first and names it in the outcome (none, or a number) so the change can be undone; a function already at 0 is already compliant, one that no longer exists is skipped.",
        parse: parse_as::<NoParams>,
    },
    BotSpec {
        name: "lambda_enable_active_tracing",
        summary: "Turn on active X-Ray tracing of the function.",
        phase: Phase::Modify,
        guard: false,
        entity_type: "Lambda",
        changes_instance: false,
        iam_actions: &[
            "lambda:GetFunctionConfiguration",
            "lambda:UpdateFunctionConfiguration",
        ],
        params: &[],
        example: "AUTO: lambda_enable_active_tracing",
        differences: "Acts in the finding's account and region (the original used the function's own). Reads the tracing mode first: a function already traced actively is already compliant; one being updated is retried. The function's role needs X-Ray write permission (`AWSXRayDaemonWriteAccess`) for traces to arrive: the outcome says so, the bot does not widen the role. Tested with a mocked Lambda for the tracing mode, which the local stack accepts but does not keep.",
        parse: parse_as::<NoParams>,
    },
    BotSpec {
        name: "lambda_tag",
        summary: "Tag the function with the given key and value (an empty value when none is given).",
        phase: Phase::Modify,
        guard: false,
        entity_type: "Lambda",
        changes_instance: false,
        iam_actions: &["lambda:ListTags", "lambda:TagResource"],
        params: &[
            ParamSpec {
                name: "key",
                description: "the tag key (quotes are dropped)",
                required: true,
            },
            ParamSpec {
                name: "value",
                description: "the tag value (quotes are dropped); empty when left out",
                required: false,
            },
        ],
        example: "AUTO: lambda_tag owner security-team",
        differences: "No parameter, or more than two, is rejected when the rule is planned (the original reported it only when run, and its key-only form got the function's ARN as value). A function that already has the tag with that value is already compliant; a function that no longer exists is skipped.",
        parse: parse_as::<LambdaTagParams>,
    },
];
