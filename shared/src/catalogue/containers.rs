//! ECS and ECR bots: tasks running with a role, an ECS service's role, a container image.

use super::{parse_as, BotSpec, Phase};
use crate::params::NoParams;

/// The container bots of the catalogue.
pub const BOTS: &[BotSpec] = &[
    BotSpec {
        name: "ecs_reboot",
        summary: "Stop every running task whose task definition has the finding's execution role, in every cluster of the region; their services start new ones.",
        phase: Phase::Contain,
        guard: false,
        entity_type: "EcsTaskDefinition",
        changes_instance: false,
        iam_actions: &[
            "ecs:DescribeTaskDefinition",
            "ecs:DescribeTasks",
            "ecs:ListClusters",
            "ecs:ListTasks",
            "ecs:StopTask",
        ],
        params: &[],
        example: "AUTO: ecs_reboot",
        differences: "Reads the tasks live (desired status RUNNING, every page of every cluster) and each task definition's role once; a task tagged to opt out of the bot is left alone and named (the finding's entity is a role list, not a resource whose tag could be re-read); the stopped tasks are listed in the outcome; no running task with the role is already compliant; an entity id that does not start with a role ARN is rejected as invalid input.",
        parse: parse_as::<NoParams>,
    },
    BotSpec {
        name: "ecs_stop",
        summary: "Drain the EC2 container instances that host the running tasks with the finding's execution role, then stop those tasks, in every cluster of the region.",
        phase: Phase::Contain,
        guard: false,
        entity_type: "EcsTaskDefinition",
        changes_instance: false,
        iam_actions: &[
            "ecs:DescribeTaskDefinition",
            "ecs:DescribeTasks",
            "ecs:ListClusters",
            "ecs:ListTasks",
            "ecs:StopTask",
            "ecs:UpdateContainerInstancesState",
        ],
        params: &[],
        example: "AUTO: ecs_stop",
        differences: "As ecs_reboot, and each cluster's hosts are drained in one call before any task stops (Fargate tasks have none); the drained instances are listed, to set ACTIVE again after the investigation.",
        parse: parse_as::<NoParams>,
    },
    BotSpec {
        name: "ecs_service_role_detach_inline_policy",
        summary: "Delete every inline policy of the ECS service's role (attach managed policies instead).",
        phase: Phase::Destroy,
        guard: false,
        entity_type: "EcsService",
        changes_instance: false,
        iam_actions: &["iam:DeleteRolePolicy", "iam:GetRolePolicy", "iam:ListRolePolicies"],
        params: &[],
        example: "AUTO: ecs_service_role_detach_inline_policy",
        differences: "Deletes the role's live inline policies (every page), not the finding's copy; the role's own opt-out tag is re-read before acting; a role without inline policies is already compliant, a missing role is skipped, an entity without role.name is rejected as invalid input.",
        parse: parse_as::<NoParams>,
    },
    BotSpec {
        name: "ecs_delete_repository_image",
        summary: "Delete the container image named by the finding's CloudTrail DescribeImageScanFindings event from its ECR repository.",
        phase: Phase::Destroy,
        guard: false,
        entity_type: "EcrRepository",
        changes_instance: false,
        iam_actions: &[
            "cloudtrail:LookupEvents",
            "ecr:BatchDeleteImage",
            "ecr:DescribeImages",
        ],
        params: &[],
        example: "AUTO: ecs_delete_repository_image",
        differences: "Works (the original failed on every call: an extra argument in its entry point) and acts in the finding's account and region with private ECR (the original used the function's own account, and its template granted ecr-public). Opt-in like every destroy bot. The image is deleted by digest after checking it still exists (so all its tags go); an image already gone is already compliant; no matching event near the alert time is skipped; a finding without an alert time is rejected as invalid input. Tested with a mocked CloudTrail (the local stack has no LookupEvents).",
        parse: parse_as::<NoParams>,
    },
];
