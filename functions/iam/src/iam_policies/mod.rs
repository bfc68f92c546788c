//! IAM policy, role and permission-boundary bots.
//!
//! Each bot reads the live IAM state (attachments, inline policies, versions) rather than the
//! finding's copy, which may be hours old, and reports a missing identity or policy as
//! skipped. IAM answers `NoSuchEntity` for anything missing; [`none_if_missing`] turns that
//! answer into `None` so each bot decides what a missing resource means for it.
//!
//! This module holds the bots' table and what several of them share; the bots live by the
//! resource they change: [`attachments`] (managed policies attached to principals), [`inline`]
//! (inline policies), [`versions`] (a policy's versions), [`membership`] (a user's groups),
//! [`boundary`] and [`ciem_boundary`] (permissions boundaries), [`clone`] (a role's copy).
//! [`restore`] verifies and records every change these bots make to a principal, and holds the
//! one restorer that undoes them.

mod attachments;
mod boundary;
mod ciem_boundary;
mod clone;
mod inline;
mod membership;
pub mod restore;
#[cfg(test)]
mod tests;
mod versions;

pub use boundary::entity_remove_permission_boundary_with;
pub use ciem_boundary::entity_create_and_attach_permission_boundary_with;
pub use clone::CLONE_OF_TAG;
pub use membership::user_detach_with;
pub use versions::DELETED_VERSION_TAG;

use crate::iam::{iam_bot, none_if_missing, policy_exists};
use crate::principal::Principal;
use aws_config::SdkConfig;
use aws_sdk_iam::Client as Iam;
use cloudbots_runtime::aws_error::bot_error;
use cloudbots_runtime::bot::{dry_run, entity_id, entity_name, params, Bot};
use cloudbots_shared::error::{BotError, ErrorName};
use cloudbots_shared::outcome::{BotInput, BotOutcome, OutcomeStatus};
use cloudbots_shared::params::{policy_arn_in_account, IdentityKind, NoParams};
use restore::{change_principals, PrincipalSetting};
use serde_json::Value;

/// The bots of this module.
pub const BOTS: &[Bot] = &[
    ROLE_ATTACH_POLICY,
    USER_ATTACH_POLICY,
    DETACH_POLICY,
    GROUP_DELETE_INLINE_POLICY,
    ECS_SERVICE_ROLE_DETACH_INLINE_POLICY,
    USER_DELETE_INLINE_POLICIES,
    DELETE_DEFAULT_POLICY_VERSION,
    USER_DETACH,
    ENTITY_REMOVE_PERMISSION_BOUNDARY,
    ROLE_CLONE_WITH_NON_ENUMERABLE_NAME,
    ENTITY_CREATE_AND_ATTACH_PERMISSION_BOUNDARY,
];

pub const ROLE_ATTACH_POLICY: Bot = iam_bot("iam_role_attach_policy", |input, aws| {
    Box::pin(attachments::attach_policy(input, aws, IdentityKind::Role))
});

pub const USER_ATTACH_POLICY: Bot = iam_bot("iam_user_attach_policy", |input, aws| {
    Box::pin(attachments::attach_policy(input, aws, IdentityKind::User))
});

pub const DETACH_POLICY: Bot = iam_bot("iam_detach_policy", |input, aws| {
    Box::pin(attachments::detach_policy(input, aws))
});

pub const ECS_SERVICE_ROLE_DETACH_INLINE_POLICY: Bot =
    iam_bot("ecs_service_role_detach_inline_policy", |input, aws| {
        Box::pin(inline::ecs_service_role_detach_inline_policy(input, aws))
    });

pub const GROUP_DELETE_INLINE_POLICY: Bot =
    iam_bot("iam_group_delete_inline_policy", |input, aws| {
        Box::pin(inline::group_delete_inline_policy(input, aws))
    });

pub const USER_DELETE_INLINE_POLICIES: Bot =
    iam_bot("iam_user_delete_inline_policies", |input, aws| {
        Box::pin(inline::user_delete_inline_policies(input, aws))
    });

pub const DELETE_DEFAULT_POLICY_VERSION: Bot =
    iam_bot("iam_delete_default_policy_version", |input, aws| {
        Box::pin(versions::delete_default_policy_version(input, aws))
    });

pub const USER_DETACH: Bot = iam_bot("iam_user_detach", |input, aws| {
    Box::pin(membership::user_detach(input, aws))
});

pub const ENTITY_REMOVE_PERMISSION_BOUNDARY: Bot =
    iam_bot("iam_entity_remove_permission_boundary", |input, aws| {
        Box::pin(boundary::entity_remove_permission_boundary(input, aws))
    });

pub const ROLE_CLONE_WITH_NON_ENUMERABLE_NAME: Bot =
    iam_bot("iam_role_clone_with_non_enumerable_name", |input, aws| {
        Box::pin(clone::role_clone_with_non_enumerable_name(input, aws))
    });

pub const ENTITY_CREATE_AND_ATTACH_PERMISSION_BOUNDARY: Bot = iam_bot(
    "iam_entity_create_and_attach_permission_boundary",
    |input, aws| {
        Box::pin(ciem_boundary::entity_create_and_attach_permission_boundary(
            input, aws,
        ))
    },
);

/// "1 identity", "3 identities".
fn identities(count: usize) -> String {
    if count == 1 {
        "1 identity".to_string()
    } else {
        format!("{count} identities")
    }
}

/// The ARN of the IamPolicy entity: `arn`, or `id` (CloudGuard sets both to the ARN).
fn entity_policy_arn(input: &BotInput) -> Result<&str, BotError> {
    match input.finding.entity.get("arn").and_then(Value::as_str) {
        Some(arn) if !arn.is_empty() => Ok(arn),
        _ => entity_id(input),
    }
}

/// A policy named in the params that does not exist: the ruleset is wrong, the step fails.
fn no_such_policy(input: &BotInput, policy_arn: &str) -> BotError {
    BotError::invalid_input(format!(
        "policy {policy_arn} does not exist in account {}: nothing was changed",
        input.target.account_id
    ))
}

/// The number of a version id (`v12` → 12), to order versions created in the same second.
fn version_number(id: Option<&str>) -> u64 {
    id.and_then(|v| v.strip_prefix('v'))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}
