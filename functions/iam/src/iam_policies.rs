//! IAM policy, role and permission-boundary bots.
//!
//! Each bot reads the live IAM state (attachments, inline policies, versions) rather than the
//! finding's copy, which may be hours old, and reports a missing identity or policy as
//! skipped. IAM answers `NoSuchEntity` for anything missing; [`none_if_missing`](crate::iam::none_if_missing) turns that
//! answer into `None` so each bot decides what a missing resource means for it.

use crate::iam::{none_if_missing, policy_exists};
use aws_config::SdkConfig;
use aws_sdk_cloudtrail::types::LookupAttributeKey;
use aws_sdk_iam::Client as Iam;
use cloudbots_runtime::aws_error::bot_error;
use cloudbots_runtime::bot::{dry_run, entity_id, entity_name, make_changes, params, Bot};
use cloudbots_runtime::cloudtrail::{alert_time, closest_event, EventQuery, DEFAULT_WINDOW};
use cloudbots_runtime::exclusion;
use cloudbots_shared::error::{BotError, ErrorName};
use cloudbots_shared::outcome::{BotInput, BotOutcome, OutcomeStatus};
use cloudbots_shared::params::{
    policy_arn_in_account, AttachPolicyParams, BoundaryHolders, CreateBoundaryParams, IdentityKind,
    NoParams, RemoveBoundaryParams, UserDeleteInlinePoliciesParams,
};
use cloudbots_shared::policy::decode_policy_document;
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

pub const ROLE_ATTACH_POLICY: Bot = Bot {
    name: "iam_role_attach_policy",
    tags: exclusion::IAM_TAGS,
    run: |input, aws| Box::pin(attach_policy(input, aws, IdentityKind::Role)),
};

pub const USER_ATTACH_POLICY: Bot = Bot {
    name: "iam_user_attach_policy",
    tags: exclusion::IAM_TAGS,
    run: |input, aws| Box::pin(attach_policy(input, aws, IdentityKind::User)),
};

pub const DETACH_POLICY: Bot = Bot {
    name: "iam_detach_policy",
    tags: exclusion::IAM_TAGS,
    run: |input, aws| Box::pin(detach_policy(input, aws)),
};

pub const ECS_SERVICE_ROLE_DETACH_INLINE_POLICY: Bot = Bot {
    name: "ecs_service_role_detach_inline_policy",
    tags: exclusion::IAM_TAGS,
    run: |input, aws| Box::pin(ecs_service_role_detach_inline_policy(input, aws)),
};

pub const GROUP_DELETE_INLINE_POLICY: Bot = Bot {
    name: "iam_group_delete_inline_policy",
    tags: exclusion::IAM_TAGS,
    run: |input, aws| Box::pin(group_delete_inline_policy(input, aws)),
};

pub const USER_DELETE_INLINE_POLICIES: Bot = Bot {
    name: "iam_user_delete_inline_policies",
    tags: exclusion::IAM_TAGS,
    run: |input, aws| Box::pin(user_delete_inline_policies(input, aws)),
};

pub const DELETE_DEFAULT_POLICY_VERSION: Bot = Bot {
    name: "iam_delete_default_policy_version",
    tags: exclusion::IAM_TAGS,
    run: |input, aws| Box::pin(delete_default_policy_version(input, aws)),
};

pub const USER_DETACH: Bot = Bot {
    name: "iam_user_detach",
    tags: exclusion::IAM_TAGS,
    run: |input, aws| Box::pin(user_detach(input, aws)),
};

pub const ENTITY_REMOVE_PERMISSION_BOUNDARY: Bot = Bot {
    name: "iam_entity_remove_permission_boundary",
    tags: exclusion::IAM_TAGS,
    run: |input, aws| Box::pin(entity_remove_permission_boundary(input, aws)),
};

pub const ROLE_CLONE_WITH_NON_ENUMERABLE_NAME: Bot = Bot {
    name: "iam_role_clone_with_non_enumerable_name",
    tags: exclusion::IAM_TAGS,
    run: |input, aws| Box::pin(role_clone_with_non_enumerable_name(input, aws)),
};

pub const ENTITY_CREATE_AND_ATTACH_PERMISSION_BOUNDARY: Bot = Bot {
    name: "iam_entity_create_and_attach_permission_boundary",
    tags: exclusion::IAM_TAGS,
    run: |input, aws| Box::pin(entity_create_and_attach_permission_boundary(input, aws)),
};

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

/// The ARNs of the managed policies attached to a role or user; `None` when it is gone.
async fn attached_policy_arns(
    iam: &Iam,
    kind: IdentityKind,
    name: &str,
) -> Result<Option<Vec<String>>, BotError> {
    let doing = format!("listing the policies attached to {} {name}", kind.label());
    let attached = match kind {
        IdentityKind::Role => none_if_missing(
            &doing,
            iam.list_attached_role_policies()
                .role_name(name)
                .into_paginator()
                .items()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await,
        )?,
        IdentityKind::User => none_if_missing(
            &doing,
            iam.list_attached_user_policies()
                .user_name(name)
                .into_paginator()
                .items()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await,
        )?,
    };
    Ok(attached.map(|policies| {
        policies
            .iter()
            .filter_map(|p| p.policy_arn().map(str::to_string))
            .collect()
    }))
}

async fn attach(
    iam: &Iam,
    kind: IdentityKind,
    name: &str,
    policy_arn: &str,
) -> Result<(), BotError> {
    let doing = format!("attaching {policy_arn} to {} {name}", kind.label());
    match kind {
        IdentityKind::Role => iam
            .attach_role_policy()
            .role_name(name)
            .policy_arn(policy_arn)
            .send()
            .await
            .map(drop)
            .map_err(|e| bot_error(&doing, e)),
        IdentityKind::User => iam
            .attach_user_policy()
            .user_name(name)
            .policy_arn(policy_arn)
            .send()
            .await
            .map(drop)
            .map_err(|e| bot_error(&doing, e)),
    }
}

/// A policy named in the params that does not exist: the ruleset is wrong, the step fails.
fn no_such_policy(input: &BotInput, policy_arn: &str) -> BotError {
    BotError::invalid_input(format!(
        "policy {policy_arn} does not exist in account {}: nothing was changed",
        input.target.account_id
    ))
}

async fn attach_policy(
    input: &BotInput,
    aws: &SdkConfig,
    kind: IdentityKind,
) -> Result<BotOutcome, BotError> {
    let params = params::<AttachPolicyParams>(input)?;
    let name = entity_name(input)?;
    let policy_arn = policy_arn_in_account(&params.policy_arn, &input.target.account_id);
    let identity = format!("{} {name}", kind.label());
    let iam = Iam::new(aws);

    let Some(attached) = attached_policy_arns(&iam, kind, name).await? else {
        return Ok(BotOutcome::gone(
            input,
            &identity,
            "nothing to attach the policy to",
        ));
    };
    if attached.contains(&policy_arn) {
        return Ok(BotOutcome::compliant(
            input,
            format!("{identity} already has policy {policy_arn} attached"),
        ));
    }
    if !policy_exists(&iam, &policy_arn).await? {
        return Err(no_such_policy(input, &policy_arn));
    }
    let changes = vec![format!("attach policy {policy_arn} to {identity}")];
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!("Would attach policy {policy_arn} to {identity}"),
            changes,
        ));
    }
    attach(&iam, kind, name, &policy_arn).await?;
    Ok(BotOutcome::new(
        input,
        OutcomeStatus::Remediated,
        format!("Policy {policy_arn} attached to {identity}"),
    )
    .with_changes(changes))
}

/// An IAM identity that managed policies are attached to and inline policies embedded in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Principal {
    Group,
    Role,
    User,
}

impl Principal {
    fn label(self) -> &'static str {
        match self {
            Principal::Group => "IAM group",
            Principal::Role => "IAM role",
            Principal::User => "IAM user",
        }
    }
}

/// Detach; a holder that is gone or no longer has the policy needs nothing more.
async fn detach(
    iam: &Iam,
    holder: Principal,
    name: &str,
    policy_arn: &str,
) -> Result<(), BotError> {
    let doing = format!("detaching {policy_arn} from {} {name}", holder.label());
    match holder {
        Principal::Group => none_if_missing(
            &doing,
            iam.detach_group_policy()
                .group_name(name)
                .policy_arn(policy_arn)
                .send()
                .await,
        )
        .map(drop),
        Principal::Role => none_if_missing(
            &doing,
            iam.detach_role_policy()
                .role_name(name)
                .policy_arn(policy_arn)
                .send()
                .await,
        )
        .map(drop),
        Principal::User => none_if_missing(
            &doing,
            iam.detach_user_policy()
                .user_name(name)
                .policy_arn(policy_arn)
                .send()
                .await,
        )
        .map(drop),
    }
}

async fn detach_policy(input: &BotInput, aws: &SdkConfig) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let policy_arn = entity_policy_arn(input)?;
    let iam = Iam::new(aws);

    let pages = none_if_missing(
        &format!("listing the entities policy {policy_arn} is attached to"),
        iam.list_entities_for_policy()
            .policy_arn(policy_arn)
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await,
    )?;
    let Some(pages) = pages else {
        return Ok(BotOutcome::gone(
            input,
            &format!("Policy {policy_arn}"),
            "nothing to detach",
        ));
    };
    let mut holders = Vec::new();
    for page in &pages {
        holders.extend(
            page.policy_groups()
                .iter()
                .filter_map(|g| g.group_name())
                .map(|n| (Principal::Group, n)),
        );
        holders.extend(
            page.policy_roles()
                .iter()
                .filter_map(|r| r.role_name())
                .map(|n| (Principal::Role, n)),
        );
        holders.extend(
            page.policy_users()
                .iter()
                .filter_map(|u| u.user_name())
                .map(|n| (Principal::User, n)),
        );
    }
    if holders.is_empty() {
        if !policy_exists(&iam, policy_arn).await? {
            return Ok(BotOutcome::gone(
                input,
                &format!("Policy {policy_arn}"),
                "nothing to detach",
            ));
        }
        return Ok(BotOutcome::compliant(
            input,
            format!("Policy {policy_arn} is not attached to any group, role or user"),
        ));
    }
    let changes: Vec<String> = holders
        .iter()
        .map(|(holder, name)| format!("detach policy {policy_arn} from {} {name}", holder.label()))
        .collect();
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!(
                "Would detach policy {policy_arn} from {}",
                identities(holders.len())
            ),
            changes,
        ));
    }
    for (holder, name) in &holders {
        detach(&iam, *holder, name, policy_arn).await?;
    }
    Ok(BotOutcome::new(
        input,
        OutcomeStatus::Remediated,
        format!(
            "Policy {policy_arn} detached from {}",
            identities(holders.len())
        ),
    )
    .with_changes(changes))
}

/// The names of the owner's inline policies; `None` when the owner is gone.
async fn inline_policy_names(
    iam: &Iam,
    owner: Principal,
    name: &str,
) -> Result<Option<Vec<String>>, BotError> {
    let doing = format!("listing the inline policies of {} {name}", owner.label());
    match owner {
        Principal::Group => none_if_missing(
            &doing,
            iam.list_group_policies()
                .group_name(name)
                .into_paginator()
                .items()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await,
        ),
        Principal::Role => none_if_missing(
            &doing,
            iam.list_role_policies()
                .role_name(name)
                .into_paginator()
                .items()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await,
        ),
        Principal::User => none_if_missing(
            &doing,
            iam.list_user_policies()
                .user_name(name)
                .into_paginator()
                .items()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await,
        ),
    }
}

/// Delete one inline policy; one already gone needs nothing more.
async fn delete_inline_policy(
    iam: &Iam,
    owner: Principal,
    name: &str,
    policy: &str,
) -> Result<(), BotError> {
    let doing = format!(
        "deleting inline policy {policy} of {} {name}",
        owner.label()
    );
    match owner {
        Principal::Group => none_if_missing(
            &doing,
            iam.delete_group_policy()
                .group_name(name)
                .policy_name(policy)
                .send()
                .await,
        )
        .map(drop),
        Principal::Role => none_if_missing(
            &doing,
            iam.delete_role_policy()
                .role_name(name)
                .policy_name(policy)
                .send()
                .await,
        )
        .map(drop),
        Principal::User => none_if_missing(
            &doing,
            iam.delete_user_policy()
                .user_name(name)
                .policy_name(policy)
                .send()
                .await,
        )
        .map(drop),
    }
}

fn inline_deletions(owner: Principal, name: &str, policies: &[String]) -> Vec<String> {
    policies
        .iter()
        .map(|p| format!("delete inline policy {p} of {} {name}", owner.label()))
        .collect()
}

async fn group_delete_inline_policy(
    input: &BotInput,
    aws: &SdkConfig,
) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    delete_inline_policies_of(input, aws, Principal::Group, entity_name(input)?).await
}

/// The role of the finding's ECS service (`role.name` of the entity).
async fn ecs_service_role_detach_inline_policy(
    input: &BotInput,
    aws: &SdkConfig,
) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let role = input
        .finding
        .entity
        .get("role")
        .and_then(|role| role.get("name"))
        .and_then(serde_json::Value::as_str)
        .filter(|role| !role.is_empty())
        .ok_or_else(|| {
            BotError::invalid_input(format!(
                "the finding's ECS service entity has no role.name for {} to act on",
                input.step.bot
            ))
        })?;
    delete_inline_policies_of(input, aws, Principal::Role, role).await
}

/// Delete every live inline policy of the group or role `name`.
async fn delete_inline_policies_of(
    input: &BotInput,
    aws: &SdkConfig,
    owner: Principal,
    name: &str,
) -> Result<BotOutcome, BotError> {
    let iam = Iam::new(aws);
    let identity = format!("{} {name}", owner.label());
    let Some(policies) = inline_policy_names(&iam, owner, name).await? else {
        return Ok(BotOutcome::gone(
            input,
            &identity,
            "no inline policy to delete",
        ));
    };
    if policies.is_empty() {
        return Ok(BotOutcome::compliant(
            input,
            format!("{identity} has no inline policies"),
        ));
    }
    let delete = async {
        for policy in &policies {
            delete_inline_policy(&iam, owner, name, policy).await?;
        }
        Ok(())
    };
    make_changes(
        input,
        inline_deletions(owner, name, &policies),
        format!(
            "Would delete {} inline policies of {identity}",
            policies.len()
        ),
        delete,
        format!(
            "Deleted the inline policies of {identity}: {}",
            policies.join(", ")
        ),
    )
    .await
}

async fn user_delete_inline_policies(
    input: &BotInput,
    aws: &SdkConfig,
) -> Result<BotOutcome, BotError> {
    let params = params::<UserDeleteInlinePoliciesParams>(input)?;
    let user = entity_name(input)?;
    let iam = Iam::new(aws);
    let owner = Principal::User;
    let identity = format!("IAM user {user}");

    let Some(policies) = inline_policy_names(&iam, owner, user).await? else {
        return Ok(BotOutcome::gone(
            input,
            &identity,
            "no inline policy to delete",
        ));
    };
    let mut to_attach = Vec::new();
    if !params.attach_policy_arns.is_empty() {
        let Some(attached) = attached_policy_arns(&iam, IdentityKind::User, user).await? else {
            return Ok(BotOutcome::gone(
                input,
                &identity,
                "no inline policy to delete",
            ));
        };
        for written in &params.attach_policy_arns {
            let arn = policy_arn_in_account(written, &input.target.account_id);
            if !attached.contains(&arn) && !to_attach.contains(&arn) {
                to_attach.push(arn);
            }
        }
    }
    if policies.is_empty() && to_attach.is_empty() {
        return Ok(BotOutcome::compliant(
            input,
            format!("{identity} has no inline policies"),
        ));
    }
    for arn in &to_attach {
        if !policy_exists(&iam, arn).await? {
            return Err(no_such_policy(input, arn));
        }
    }
    let mut changes: Vec<String> = to_attach
        .iter()
        .map(|arn| format!("attach policy {arn} to {identity}"))
        .collect();
    changes.extend(inline_deletions(owner, user, &policies));
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!(
                "Would delete {} inline policies of {identity}",
                policies.len()
            ),
            changes,
        ));
    }
    for arn in &to_attach {
        attach(&iam, IdentityKind::User, user, arn).await?;
    }
    for policy in &policies {
        delete_inline_policy(&iam, owner, user, policy).await?;
    }
    Ok(BotOutcome::new(
        input,
        OutcomeStatus::Remediated,
        format!("Deleted {} inline policies of {identity}", policies.len()),
    )
    .with_changes(changes))
}

/// The policy tag that records which default version an execution set out to delete, so that
/// running the step again deletes that version, and only that one.
pub const DELETED_VERSION_TAG: &str = "cloudbots-deleted-default-version";

async fn delete_default_policy_version(
    input: &BotInput,
    aws: &SdkConfig,
) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let policy_arn = entity_policy_arn(input)?;
    let iam = Iam::new(aws);
    let policy_label = format!("Policy {policy_arn}");

    let policy = none_if_missing(
        &format!("reading policy {policy_arn}"),
        iam.get_policy().policy_arn(policy_arn).send().await,
    )?;
    let Some(policy) = policy.as_ref().and_then(|p| p.policy()) else {
        return Ok(BotOutcome::gone(
            input,
            &policy_label,
            "no version to delete",
        ));
    };
    let versions = none_if_missing(
        &format!("listing the versions of policy {policy_arn}"),
        iam.list_policy_versions()
            .policy_arn(policy_arn)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await,
    )?;
    let Some(versions) = versions else {
        return Ok(BotOutcome::gone(
            input,
            &policy_label,
            "no version to delete",
        ));
    };
    let default = policy.default_version_id().unwrap_or_default().to_string();
    let started_here = policy
        .tags()
        .iter()
        .find(|t| t.key() == DELETED_VERSION_TAG)
        .and_then(|t| t.value().strip_suffix(&format!(" {}", input.execution)))
        .map(str::to_string);
    let target = started_here.clone().unwrap_or(default.clone());
    let exists = |id: &str| versions.iter().any(|v| v.version_id() == Some(id));
    if !exists(&target) {
        return Ok(BotOutcome::compliant(input, format!("Version {target} of policy {policy_arn}, its default when this finding was raised, is already deleted")));
    }
    let newest_other = versions
        .iter()
        .filter(|v| v.version_id() != Some(target.as_str()))
        .max_by_key(|v| {
            (
                v.create_date().map(|d| (d.secs(), d.subsec_nanos())),
                version_number(v.version_id()),
            )
        });
    let Some(newest_other) = newest_other.and_then(|v| v.version_id()) else {
        return Ok(BotOutcome::new(
            input,
            OutcomeStatus::Skipped,
            format!("Version {target} is the only version of policy {policy_arn}: a policy needs a default version, so it cannot be deleted"),
        ));
    };
    let mut changes = Vec::new();
    if target == default {
        changes.push(format!(
            "make version {newest_other} the default of policy {policy_arn}"
        ));
    }
    changes.push(format!("delete version {target} of policy {policy_arn}"));
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!("Would delete version {target}, the default of policy {policy_arn}"),
            changes,
        ));
    }
    if started_here.is_none() {
        let tag = aws_sdk_iam::types::Tag::builder()
            .key(DELETED_VERSION_TAG)
            .value(format!("{target} {}", input.execution))
            .build()
            .map_err(|e| BotError::invalid_input(format!("tagging policy {policy_arn}: {e}")))?;
        iam.tag_policy()
            .policy_arn(policy_arn)
            .tags(tag)
            .send()
            .await
            .map_err(|e| bot_error(&format!("tagging policy {policy_arn}"), e))?;
    }
    if target == default {
        iam.set_default_policy_version()
            .policy_arn(policy_arn)
            .version_id(newest_other)
            .send()
            .await
            .map_err(|e| {
                bot_error(
                    &format!("making version {newest_other} the default of policy {policy_arn}"),
                    e,
                )
            })?;
    }
    none_if_missing(
        &format!("deleting version {target} of policy {policy_arn}"),
        iam.delete_policy_version()
            .policy_arn(policy_arn)
            .version_id(&target)
            .send()
            .await,
    )?;
    Ok(BotOutcome::new(
        input,
        OutcomeStatus::Remediated,
        format!(
            "Deleted version {target} of policy {policy_arn}; version {} is the default",
            if target == default {
                newest_other
            } else {
                default.as_str()
            }
        ),
    )
    .with_changes(changes))
}

/// The number of a version id (`v12` → 12), to order versions created in the same second.
fn version_number(id: Option<&str>) -> u64 {
    id.and_then(|v| v.strip_prefix('v'))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

// ---- iam_user_detach ----

/// The CloudTrail event a Log.ic `iam_user_detach` finding is about.
const ADD_USER_TO_GROUP: &str = "AddUserToGroup";

async fn user_detach(input: &BotInput, aws: &SdkConfig) -> Result<BotOutcome, BotError> {
    let cloudtrail = aws_sdk_cloudtrail::Client::new(aws);
    user_detach_with(input, &cloudtrail, &Iam::new(aws)).await
}

/// Remove the user from the group the finding's AddUserToGroup event added it to.
pub async fn user_detach_with(
    input: &BotInput,
    cloudtrail: &aws_sdk_cloudtrail::Client,
    iam: &Iam,
) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let user = entity_name(input)?;
    let Some(time) = input.finding.event_time.as_deref() else {
        return Err(BotError::invalid_input(format!(
            "the finding has no alert time (alertWindowStartTime of a Log.ic finding): {} needs it to find the {ADD_USER_TO_GROUP} event",
            input.step.bot
        )));
    };
    let query = EventQuery {
        attribute: LookupAttributeKey::EventName,
        value: ADD_USER_TO_GROUP,
        resource_name: Some(user),
        window: DEFAULT_WINDOW,
    };
    let Some(event) = closest_event(cloudtrail, alert_time(time)?, &query).await? else {
        return Ok(BotOutcome::new(
            input,
            OutcomeStatus::Skipped,
            format!(
                "No {ADD_USER_TO_GROUP} event for IAM user {user} in CloudTrail within {} s of {time}: nothing to undo",
                DEFAULT_WINDOW.as_secs()
            ),
        ));
    };
    let Some(group) = event.record["requestParameters"]["groupName"].as_str() else {
        return Err(BotError::invalid_input(format!(
            "the {ADD_USER_TO_GROUP} event of {} names no group in its requestParameters",
            event.time.to_rfc3339()
        )));
    };
    let groups = none_if_missing(
        &format!("listing the groups of IAM user {user}"),
        iam.list_groups_for_user()
            .user_name(user)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await,
    )?;
    let Some(groups) = groups else {
        return Ok(BotOutcome::gone(
            input,
            &format!("IAM user {user}"),
            "nothing to detach",
        ));
    };
    if !groups.iter().any(|g| g.group_name() == group) {
        return Ok(BotOutcome::compliant(
            input,
            format!("IAM user {user} is not a member of IAM group {group}"),
        ));
    }
    let changes = vec![format!("remove IAM user {user} from IAM group {group}")];
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!("Would remove IAM user {user} from IAM group {group}"),
            changes,
        ));
    }
    none_if_missing(
        &format!("removing IAM user {user} from IAM group {group}"),
        iam.remove_user_from_group()
            .user_name(user)
            .group_name(group)
            .send()
            .await,
    )?;
    Ok(BotOutcome::new(
        input,
        OutcomeStatus::Remediated,
        format!("IAM user {user} removed from IAM group {group}"),
    )
    .with_changes(changes))
}

// ---- iam_entity_remove_permission_boundary ----

/// The permissions boundary of a role or user (`Some(None)` when it has none); `None` when
/// the identity is gone.
async fn boundary_of(
    iam: &Iam,
    kind: IdentityKind,
    name: &str,
) -> Result<Option<Option<String>>, BotError> {
    let doing = format!("reading {} {name}", kind.label());
    let boundary = match kind {
        IdentityKind::Role => none_if_missing(&doing, iam.get_role().role_name(name).send().await)?
            .map(|out| out.role().and_then(|r| r.permissions_boundary()).cloned()),
        IdentityKind::User => none_if_missing(&doing, iam.get_user().user_name(name).send().await)?
            .map(|out| out.user().and_then(|u| u.permissions_boundary()).cloned()),
    };
    Ok(boundary.map(|b| b.and_then(|b| b.permissions_boundary_arn().map(str::to_string))))
}

/// The names of every role and user of the account.
async fn all_identities(iam: &Iam) -> Result<Vec<(IdentityKind, String)>, BotError> {
    let roles = iam
        .list_roles()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| bot_error("listing the IAM roles", e))?;
    let users = iam
        .list_users()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| bot_error("listing the IAM users", e))?;
    Ok(roles
        .iter()
        .map(|r| (IdentityKind::Role, r.role_name().to_string()))
        .chain(
            users
                .iter()
                .map(|u| (IdentityKind::User, u.user_name().to_string())),
        )
        .collect())
}

async fn remove_boundary(iam: &Iam, kind: IdentityKind, name: &str) -> Result<(), BotError> {
    let doing = format!(
        "removing the permissions boundary of {} {name}",
        kind.label()
    );
    match kind {
        IdentityKind::Role => none_if_missing(
            &doing,
            iam.delete_role_permissions_boundary()
                .role_name(name)
                .send()
                .await,
        )
        .map(drop),
        IdentityKind::User => none_if_missing(
            &doing,
            iam.delete_user_permissions_boundary()
                .user_name(name)
                .send()
                .await,
        )
        .map(drop),
    }
}

async fn entity_remove_permission_boundary(
    input: &BotInput,
    aws: &SdkConfig,
) -> Result<BotOutcome, BotError> {
    entity_remove_permission_boundary_with(input, &Iam::new(aws)).await
}

/// Remove the boundaries the params name, with this IAM client.
pub async fn entity_remove_permission_boundary_with(
    input: &BotInput,
    iam: &Iam,
) -> Result<BotOutcome, BotError> {
    let params = params::<RemoveBoundaryParams>(input)?;
    if params.account_id() != input.target.account_id {
        return Err(BotError::invalid_input(format!(
            "the parameters name account {}, but this finding is in account {}: cloudbots acts only in the finding's account",
            params.account_id(),
            input.target.account_id
        )));
    }
    let candidates = match &params.holders {
        BoundaryHolders::One(identity) => vec![(identity.kind, identity.name.clone())],
        BoundaryHolders::All { .. } => all_identities(iam).await?,
    };
    let mut bounded = Vec::new();
    for (kind, name) in candidates {
        match boundary_of(iam, kind, &name).await? {
            Some(Some(boundary)) => bounded.push((kind, name, boundary)),
            Some(None) => {}
            None if matches!(params.holders, BoundaryHolders::One(_)) => {
                return Ok(BotOutcome::gone(
                    input,
                    &format!("{} {name}", kind.label()),
                    "no permissions boundary to remove",
                ))
            }
            None => {} // deleted while listing
        }
    }
    if bounded.is_empty() {
        let message = match &params.holders {
            BoundaryHolders::One(identity) => format!(
                "{} {} has no permissions boundary",
                identity.kind.label(),
                identity.name
            ),
            BoundaryHolders::All { account_id } => {
                format!("No IAM role or user of account {account_id} has a permissions boundary")
            }
        };
        return Ok(BotOutcome::compliant(input, message));
    }
    let changes: Vec<String> = bounded
        .iter()
        .map(|(kind, name, boundary)| {
            format!(
                "remove permissions boundary {boundary} from {} {name}",
                kind.label()
            )
        })
        .collect();
    if dry_run(input) || params.dry_run {
        return Ok(BotOutcome::would(
            input,
            format!(
                "Would remove the permissions boundary of {}",
                identities(bounded.len())
            ),
            changes,
        ));
    }
    for (kind, name, _) in &bounded {
        remove_boundary(iam, *kind, name).await?;
    }
    Ok(BotOutcome::new(
        input,
        OutcomeStatus::Remediated,
        format!(
            "Removed the permissions boundary of {}",
            identities(bounded.len())
        ),
    )
    .with_changes(changes))
}

// ---- iam_role_clone_with_non_enumerable_name ----

/// The tag a clone carries, naming the role it was cloned from, so a later run finds it.
pub const CLONE_OF_TAG: &str = "cloudbots-clone-of";
/// Length of the random suffix, as the original documents it.
const SUFFIX_LEN: usize = 20;
/// The characters IAM allows in a role name.
const ROLE_NAME_CHARS: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+=,.@-_";
/// IAM's limit on role names.
const MAX_ROLE_NAME: usize = 64;

/// The part of the clone's name before `-<suffix>`: the original name, cut to fit 64 chars.
fn clone_base(role: &str) -> &str {
    let max = MAX_ROLE_NAME - 1 - SUFFIX_LEN;
    match role.char_indices().nth(max) {
        Some((cut, _)) => &role[..cut],
        None => role,
    }
}

/// A suffix of 20 characters drawn from the role-name alphabet. The randomness comes from
/// the standard library's per-process random hash keys (seeded by the OS), mixed with the
/// clock, so no extra crate is needed.
fn random_suffix() -> String {
    use std::hash::{BuildHasher, Hasher};
    let keys = std::collections::hash_map::RandomState::new();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    (0..SUFFIX_LEN)
        .map(|i| {
            let mut hasher = keys.build_hasher();
            hasher.write_usize(i);
            hasher.write_u128(now);
            ROLE_NAME_CHARS[(hasher.finish() % ROLE_NAME_CHARS.len() as u64) as usize] as char
        })
        .collect()
}

/// Whether `name` has the shape of a clone of a role whose name starts with `base`.
fn looks_like_clone(name: &str, base: &str) -> bool {
    name.strip_prefix(base)
        .and_then(|rest| rest.strip_prefix('-'))
        .is_some_and(|suffix| {
            suffix.len() == SUFFIX_LEN && suffix.bytes().all(|b| ROLE_NAME_CHARS.contains(&b))
        })
}

/// A role's inline policies (name, decoded document) and attached policy ARNs.
struct RolePolicies {
    inline: Vec<(String, String)>,
    attached: Vec<String>,
}

async fn role_policies(iam: &Iam, role: &str) -> Result<Option<RolePolicies>, BotError> {
    let Some(names) = inline_policy_names(iam, Principal::Role, role).await? else {
        return Ok(None);
    };
    let mut inline = Vec::new();
    for name in names {
        let doing = format!("reading inline policy {name} of IAM role {role}");
        let Some(out) = none_if_missing(
            &doing,
            iam.get_role_policy()
                .role_name(role)
                .policy_name(&name)
                .send()
                .await,
        )?
        else {
            continue; // deleted meanwhile
        };
        inline.push((name, decode_policy_document(out.policy_document())));
    }
    let Some(attached) = attached_policy_arns(iam, IdentityKind::Role, role).await? else {
        return Ok(None);
    };
    Ok(Some(RolePolicies { inline, attached }))
}

/// The existing clone of `role`, found by its name shape and its clone-of tag.
async fn find_clone(iam: &Iam, role: &str) -> Result<Option<String>, BotError> {
    let base = clone_base(role);
    let roles = iam
        .list_roles()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| bot_error("listing the IAM roles", e))?;
    for candidate in roles.iter().map(|r| r.role_name()) {
        if !looks_like_clone(candidate, base) {
            continue;
        }
        let tags = none_if_missing(
            &format!("reading the tags of IAM role {candidate}"),
            iam.list_role_tags().role_name(candidate).send().await,
        )?;
        let is_clone = tags.is_some_and(|t| {
            t.tags()
                .iter()
                .any(|tag| tag.key() == CLONE_OF_TAG && tag.value() == role)
        });
        if is_clone {
            return Ok(Some(candidate.to_string()));
        }
    }
    Ok(None)
}

async fn role_clone_with_non_enumerable_name(
    input: &BotInput,
    aws: &SdkConfig,
) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let role = entity_name(input)?;
    let iam = Iam::new(aws);
    let original = none_if_missing(
        &format!("reading IAM role {role}"),
        iam.get_role().role_name(role).send().await,
    )?;
    let Some(original) = original.as_ref().and_then(|o| o.role()) else {
        return Ok(BotOutcome::gone(
            input,
            &format!("IAM role {role}"),
            "nothing to clone",
        ));
    };
    let Some(policies) = role_policies(&iam, role).await? else {
        return Ok(BotOutcome::gone(
            input,
            &format!("IAM role {role}"),
            "nothing to clone",
        ));
    };

    let existing = find_clone(&iam, role).await?;
    let (clone, missing) = match &existing {
        Some(clone) => {
            let Some(has) = role_policies(&iam, clone).await? else {
                return Err(BotError::new(
                    ErrorName::Conflict,
                    format!("the clone {clone} of IAM role {role} disappeared while being read"),
                ));
            };
            let inline = policies
                .inline
                .iter()
                .filter(|(name, _)| !has.inline.iter().any(|(n, _)| n == name))
                .cloned()
                .collect();
            let attached = policies
                .attached
                .iter()
                .filter(|arn| !has.attached.contains(arn))
                .cloned()
                .collect();
            (clone.clone(), RolePolicies { inline, attached })
        }
        None => (
            format!("{}-{}", clone_base(role), random_suffix()),
            policies,
        ),
    };
    if existing.is_some() && missing.inline.is_empty() && missing.attached.is_empty() {
        return Ok(BotOutcome::compliant(input, format!("IAM role {role} already has a clone with a non-enumerable name: {clone}. Move its users to {clone}, then delete {role}")));
    }

    let shown = if existing.is_some() {
        clone.clone()
    } else {
        format!("{}-<20 random characters>", clone_base(role))
    };
    let mut changes = Vec::new();
    if existing.is_none() {
        changes.push(format!("create IAM role {shown} with the trust policy, path, description, session duration, permissions boundary and tags of IAM role {role}"));
    }
    changes.extend(
        missing
            .inline
            .iter()
            .map(|(name, _)| format!("copy inline policy {name} to IAM role {shown}")),
    );
    changes.extend(
        missing
            .attached
            .iter()
            .map(|arn| format!("attach policy {arn} to IAM role {shown}")),
    );
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!("Would clone IAM role {role} as {shown}"),
            changes,
        ));
    }

    if existing.is_none() {
        let mut tags: Vec<aws_sdk_iam::types::Tag> = original
            .tags()
            .iter()
            .filter(|t| t.key() != CLONE_OF_TAG)
            .cloned()
            .collect();
        tags.push(
            aws_sdk_iam::types::Tag::builder()
                .key(CLONE_OF_TAG)
                .value(role)
                .build()
                .map_err(|e| BotError::invalid_input(format!("tagging the clone: {e}")))?,
        );
        iam.create_role()
            .role_name(&clone)
            .path(original.path())
            .assume_role_policy_document(decode_policy_document(
                original.assume_role_policy_document().unwrap_or_default(),
            ))
            .set_description(original.description().map(str::to_string))
            .set_max_session_duration(original.max_session_duration())
            .set_permissions_boundary(
                original
                    .permissions_boundary()
                    .and_then(|b| b.permissions_boundary_arn())
                    .map(str::to_string),
            )
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(|e| bot_error(&format!("creating IAM role {clone}"), e))?;
    }
    for (name, document) in &missing.inline {
        iam.put_role_policy()
            .role_name(&clone)
            .policy_name(name)
            .policy_document(document)
            .send()
            .await
            .map_err(|e| {
                bot_error(
                    &format!("copying inline policy {name} to IAM role {clone}"),
                    e,
                )
            })?;
    }
    for arn in &missing.attached {
        attach(&iam, IdentityKind::Role, &clone, arn).await?;
    }
    let changes = changes
        .into_iter()
        .map(|c| c.replace(&shown, &clone))
        .collect();
    let message = format!("IAM role {role} cloned as {clone}. The original is not deleted: move its users to {clone}, then delete {role}");
    let created = if existing.is_none() {
        vec![clone]
    } else {
        Vec::new()
    };
    Ok(BotOutcome::new(input, OutcomeStatus::Remediated, message)
        .with_changes(changes)
        .with_artifacts(created))
}

// ---- iam_entity_create_and_attach_permission_boundary ----

/// IAM keeps at most five versions of a managed policy.
const MAX_POLICY_VERSIONS: usize = 5;

/// The role a caller identity acts as: `arn:aws:sts::<account>:assumed-role/<role>/<session>`
/// → (account, role name).
fn assumed_role(caller_arn: &str) -> Option<(&str, &str)> {
    let rest = caller_arn.strip_prefix("arn:")?;
    let mut parts = rest.splitn(5, ':');
    let (_partition, service, _region, account, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if service != "sts" {
        return None;
    }
    let role = resource.strip_prefix("assumed-role/")?.split('/').next()?;
    Some((account, role))
}

/// Why a role must not be bounded: it is one cloudbots itself runs as (the function's own
/// role when acting in its own account, or the member-account role it assumed).
async fn own_role_refusal(
    input: &BotInput,
    sts: &aws_sdk_sts::Client,
    role: &str,
) -> Result<Option<String>, BotError> {
    let account = input.target.account_id.as_str();
    if let Some(member) = input.target.role_arn.as_deref() {
        if member.rsplit('/').next() == Some(role) && member.contains(&format!(":{account}:")) {
            return Ok(Some(format!(
                "IAM role {role} is the member-account role cloudbots assumes: bounding it could stop every remediation in account {account}"
            )));
        }
    }
    let caller = sts
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| bot_error("asking STS which role cloudbots runs as", e))?;
    let runs_as = caller.arn().and_then(assumed_role);
    if runs_as == Some((account, role)) {
        return Ok(Some(format!(
            "IAM role {role} is the role cloudbots runs as: bounding it could stop every remediation in account {account}"
        )));
    }
    Ok(None)
}

/// The suggested policy of the CIEM finding, as a JSON document.
fn suggested_policy(input: &BotInput, identity: &str) -> Result<Value, BotError> {
    let missing = || {
        BotError::invalid_input(format!(
            "the finding carries no CIEM SuggestedRole policy before this remediation action: nothing to bound {identity} with"
        ))
    };
    match input
        .step
        .context
        .suggested_policy
        .as_ref()
        .ok_or_else(missing)?
    {
        Value::String(text) => serde_json::from_str(text).map_err(|e| {
            BotError::invalid_input(format!("the CIEM SuggestedRole policy is not JSON: {e}"))
        }),
        Value::Object(_) => Ok(input
            .step
            .context
            .suggested_policy
            .clone()
            .unwrap_or_default()),
        _ => Err(missing()),
    }
}

/// What the boundary policy needs: nothing, a first version, or a new default version.
enum PolicyChange {
    None,
    Create,
    /// A new default version; the named old version is deleted first to make room.
    NewVersion {
        delete_first: Option<String>,
    },
}

async fn boundary_policy_change(
    iam: &Iam,
    policy_arn: &str,
    wanted: &Value,
) -> Result<PolicyChange, BotError> {
    let policy = none_if_missing(
        &format!("reading policy {policy_arn}"),
        iam.get_policy().policy_arn(policy_arn).send().await,
    )?;
    let Some(default) = policy
        .as_ref()
        .and_then(|p| p.policy())
        .map(|p| p.default_version_id().unwrap_or_default().to_string())
    else {
        return Ok(PolicyChange::Create);
    };
    let current = iam
        .get_policy_version()
        .policy_arn(policy_arn)
        .version_id(&default)
        .send()
        .await
        .map_err(|e| {
            bot_error(
                &format!("reading version {default} of policy {policy_arn}"),
                e,
            )
        })?;
    let document = current
        .policy_version()
        .and_then(|v| v.document())
        .map(decode_policy_document)
        .and_then(|text| serde_json::from_str::<Value>(&text).ok());
    if document.as_ref() == Some(wanted) {
        return Ok(PolicyChange::None);
    }
    let versions = iam
        .list_policy_versions()
        .policy_arn(policy_arn)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| bot_error(&format!("listing the versions of policy {policy_arn}"), e))?;
    let delete_first = if versions.len() >= MAX_POLICY_VERSIONS {
        versions
            .iter()
            .filter(|v| !v.is_default_version())
            .min_by_key(|v| {
                (
                    v.create_date().map(|d| (d.secs(), d.subsec_nanos())),
                    version_number(v.version_id()),
                )
            })
            .and_then(|v| v.version_id().map(str::to_string))
    } else {
        None
    };
    Ok(PolicyChange::NewVersion { delete_first })
}

async fn put_boundary(
    iam: &Iam,
    kind: IdentityKind,
    name: &str,
    policy_arn: &str,
) -> Result<(), BotError> {
    let doing = format!(
        "setting {policy_arn} as the permissions boundary of {} {name}",
        kind.label()
    );
    match kind {
        IdentityKind::Role => iam
            .put_role_permissions_boundary()
            .role_name(name)
            .permissions_boundary(policy_arn)
            .send()
            .await
            .map(drop)
            .map_err(|e| bot_error(&doing, e)),
        IdentityKind::User => iam
            .put_user_permissions_boundary()
            .user_name(name)
            .permissions_boundary(policy_arn)
            .send()
            .await
            .map(drop)
            .map_err(|e| bot_error(&doing, e)),
    }
}

async fn entity_create_and_attach_permission_boundary(
    input: &BotInput,
    aws: &SdkConfig,
) -> Result<BotOutcome, BotError> {
    let sts = aws_sdk_sts::Client::new(aws);
    entity_create_and_attach_permission_boundary_with(input, &Iam::new(aws), &sts).await
}

/// Bound the finding's identity with its CIEM suggestion, with these clients (STS tells
/// which role cloudbots runs as).
pub async fn entity_create_and_attach_permission_boundary_with(
    input: &BotInput,
    iam: &Iam,
    sts: &aws_sdk_sts::Client,
) -> Result<BotOutcome, BotError> {
    let params = params::<CreateBoundaryParams>(input)?;
    let name = entity_name(input)?;
    let kind = match input.finding.entity.get("type").and_then(Value::as_str) {
        Some(t) if t.contains("User") => IdentityKind::User,
        Some(t) if t.contains("Role") => IdentityKind::Role,
        other => {
            return Err(BotError::invalid_input(format!(
                "{} bounds an IAM role or user entity, not {}",
                input.step.bot,
                other.unwrap_or("an entity without a type")
            )))
        }
    };
    let identity = format!("{} {name}", kind.label());
    let document = suggested_policy(input, &identity)?;
    let policy_name = format!("{}-{name}", params.policy_name);
    if policy_name.len() > 128 {
        return Err(BotError::invalid_input(format!(
            "the boundary policy name {policy_name} is longer than IAM's 128 characters; choose a shorter policy_name"
        )));
    }
    let policy_arn = format!(
        "arn:aws:iam::{}:policy/{policy_name}",
        input.target.account_id
    );
    if kind == IdentityKind::Role {
        if let Some(reason) = own_role_refusal(input, sts, name).await? {
            return Ok(BotOutcome::new(
                input,
                OutcomeStatus::Skipped,
                format!("{reason}; not changed"),
            ));
        }
    }
    let Some(current_boundary) = boundary_of(iam, kind, name).await? else {
        return Ok(BotOutcome::gone(input, &identity, "nothing to bound"));
    };
    let policy_change = boundary_policy_change(iam, &policy_arn, &document).await?;

    let mut changes = Vec::new();
    match &policy_change {
        PolicyChange::None => {}
        PolicyChange::Create => changes.push(format!(
            "create policy {policy_arn} from the CIEM suggested policy"
        )),
        PolicyChange::NewVersion { delete_first } => {
            if let Some(old) = delete_first {
                changes.push(format!(
                    "delete version {old} of policy {policy_arn} (IAM keeps five)"
                ));
            }
            changes.push(format!(
                "make the CIEM suggested policy the default version of policy {policy_arn}"
            ));
        }
    }
    match current_boundary.as_deref() {
        Some(arn) if arn == policy_arn => {}
        Some(other) => changes.push(format!(
            "replace permissions boundary {other} of {identity} with {policy_arn}"
        )),
        None => changes.push(format!(
            "set {policy_arn} as the permissions boundary of {identity}"
        )),
    }
    if changes.is_empty() {
        return Ok(BotOutcome::compliant(
            input,
            format!(
                "{identity} is already bounded by {policy_arn} holding the CIEM suggested policy"
            ),
        ));
    }
    if dry_run(input) || params.dry_run {
        return Ok(BotOutcome::would(
            input,
            format!("Would bound {identity} with {policy_arn}"),
            changes,
        ));
    }

    let document_text = document.to_string();
    match &policy_change {
        PolicyChange::None => {}
        PolicyChange::Create => {
            let owner = aws_sdk_iam::types::Tag::builder()
                .key("Owner")
                .value("CloudGuard")
                .build()
                .map_err(|e| {
                    BotError::invalid_input(format!("tagging policy {policy_arn}: {e}"))
                })?;
            iam.create_policy()
                .policy_name(&policy_name)
                .policy_document(&document_text)
                .description("Policy used for permissions boundary generated by CloudGuard CIEM")
                .tags(owner)
                .send()
                .await
                .map_err(|e| bot_error(&format!("creating policy {policy_arn}"), e))?;
        }
        PolicyChange::NewVersion { delete_first } => {
            if let Some(old) = delete_first {
                none_if_missing(
                    &format!("deleting version {old} of policy {policy_arn}"),
                    iam.delete_policy_version()
                        .policy_arn(&policy_arn)
                        .version_id(old)
                        .send()
                        .await,
                )?;
            }
            iam.create_policy_version()
                .policy_arn(&policy_arn)
                .policy_document(&document_text)
                .set_as_default(true)
                .send()
                .await
                .map_err(|e| bot_error(&format!("adding a version to policy {policy_arn}"), e))?;
        }
    }
    if current_boundary.as_deref() != Some(policy_arn.as_str()) {
        put_boundary(iam, kind, name, &policy_arn).await?;
    }
    let artifacts = match policy_change {
        PolicyChange::Create => vec![policy_arn.clone()],
        _ => Vec::new(),
    };
    Ok(BotOutcome::new(
        input,
        OutcomeStatus::Remediated,
        format!("{identity} is bounded by {policy_arn} holding the CIEM suggested policy"),
    )
    .with_changes(changes)
    .with_artifacts(artifacts))
}

// The local stack (moto) keeps no permissions boundary on IAM users: the user paths of the
// boundary bots are tested here against mocked IAM answers.
#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_iam::operation::create_policy::CreatePolicyOutput;
    use aws_sdk_iam::operation::delete_user_permissions_boundary::DeleteUserPermissionsBoundaryOutput;
    use aws_sdk_iam::operation::get_policy::GetPolicyError;
    use aws_sdk_iam::operation::get_user::GetUserOutput;
    use aws_sdk_iam::operation::put_user_permissions_boundary::PutUserPermissionsBoundaryOutput;
    use aws_sdk_iam::types::{
        AttachedPermissionsBoundary, PermissionsBoundaryAttachmentType, User,
    };
    use aws_smithy_mocks::{
        create_mock_http_client, mock, MockResponseInterceptor, Rule, RuleMode,
    };
    use aws_smithy_types::error::ErrorMetadata;
    use cloudbots_shared::finding::from_cloudguard;
    use cloudbots_shared::plan::{plan, Mode, PlannerConfig};
    use serde_json::json;

    const ACCOUNT: &str = "123456789012";
    const BOUNDARY: &str = "arn:aws:iam::aws:policy/ReadOnlyAccess";

    /// The step running `AUTO: <line>` on the IAM user `bob`, planned as the intake plans it.
    fn step(line: &str, mode: Mode) -> BotInput {
        let message = json!({
            "reportTime": "2026-11-30T10:00:00.000Z",
            "rule": {"name": "Overprivileged IamUser", "complianceTags": format!("AUTO: {line}")},
            "status": "Failed",
            "account": {"id": ACCOUNT, "vendor": "AWS"},
            "entity": {"id": "", "name": "bob", "type": "IamUser", "region": "us_east_1", "accountNumber": ACCOUNT}
        });
        let finding = from_cloudguard(&message).expect("a valid finding");
        let config = PlannerConfig {
            snapshot_before_change: false,
            mode,
            ..Default::default()
        }
        .with_every_destroy_bot();
        let planned = plan(&finding, &config);
        assert!(planned.rejected.is_empty(), "{:?}", planned.rejected);
        BotInput {
            execution: planned.execution_name,
            step: planned.steps[0].clone(),
            finding: planned.finding,
            target: planned.target,
            mode,
        }
    }

    fn interceptor(rules: &[&Rule]) -> MockResponseInterceptor {
        rules.iter().fold(
            MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny),
            |interceptor, rule| interceptor.with_rule(rule),
        )
    }

    /// An IAM client answered by `rules` instead of the network.
    fn mocked_iam(rules: &[&Rule]) -> Iam {
        Iam::from_conf(
            aws_sdk_iam::Config::builder()
                .behavior_version(aws_sdk_iam::config::BehaviorVersion::latest())
                .region(aws_sdk_iam::config::Region::new("us-east-1"))
                .credentials_provider(aws_sdk_iam::config::Credentials::new(
                    "test", "test", None, None, "test",
                ))
                .http_client(create_mock_http_client())
                .interceptor(interceptor(rules))
                .build(),
        )
    }

    /// An STS client that answers nothing: the user paths must not ask it.
    fn unused_sts() -> aws_sdk_sts::Client {
        aws_sdk_sts::Client::from_conf(
            aws_sdk_sts::Config::builder()
                .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
                .region(aws_sdk_sts::config::Region::new("us-east-1"))
                .credentials_provider(aws_sdk_sts::config::Credentials::new(
                    "test", "test", None, None, "test",
                ))
                .http_client(create_mock_http_client())
                .interceptor(MockResponseInterceptor::new())
                .build(),
        )
    }

    fn bob(boundary: Option<&str>) -> GetUserOutput {
        let user = User::builder()
            .path("/")
            .user_name("bob")
            .user_id("AIDAEXAMPLE")
            .arn(format!("arn:aws:iam::{ACCOUNT}:user/bob"))
            .create_date(aws_smithy_types::DateTime::from_secs(0))
            .set_permissions_boundary(boundary.map(|arn| {
                AttachedPermissionsBoundary::builder()
                    .permissions_boundary_type(PermissionsBoundaryAttachmentType::Policy)
                    .permissions_boundary_arn(arn)
                    .build()
            }))
            .build()
            .expect("a user");
        GetUserOutput::builder().user(user).build()
    }

    #[tokio::test]
    async fn remove_permission_boundary_of_a_user() {
        let line = format!(
            "iam_entity_remove_permission_boundary entity_arn=arn:aws:iam::{ACCOUNT}:user/bob"
        );
        let bounded = mock!(Iam::get_user)
            .match_requests(|r| r.user_name() == Some("bob"))
            .then_output(|| bob(Some(BOUNDARY)));
        let delete = mock!(Iam::delete_user_permissions_boundary)
            .match_requests(|r| r.user_name() == Some("bob"))
            .then_output(|| DeleteUserPermissionsBoundaryOutput::builder().build());
        let iam = mocked_iam(&[&bounded, &delete]);

        let dry = entity_remove_permission_boundary_with(&step(&line, Mode::DryRun), &iam)
            .await
            .unwrap();
        assert_eq!(
            dry.changes,
            vec![format!(
                "remove permissions boundary {BOUNDARY} from IAM user bob"
            )]
        );
        assert_eq!(delete.num_calls(), 0, "dry-run changes nothing");

        let done = entity_remove_permission_boundary_with(&step(&line, Mode::Enforce), &iam)
            .await
            .unwrap();
        assert_eq!(done.status, OutcomeStatus::Remediated);
        assert_eq!(delete.num_calls(), 1);

        let unbounded = mock!(Iam::get_user).then_output(|| bob(None));
        let again = entity_remove_permission_boundary_with(
            &step(&line, Mode::Enforce),
            &mocked_iam(&[&unbounded]),
        )
        .await
        .unwrap();
        assert_eq!(again.status, OutcomeStatus::AlreadyCompliant);
        assert_eq!(again.message, "IAM user bob has no permissions boundary");
    }

    #[tokio::test]
    async fn create_and_attach_permission_boundary_bounds_a_user() {
        let policy_arn = format!("arn:aws:iam::{ACCOUNT}:policy/Bound-bob");
        let suggestion = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]});
        let input = |mode| {
            let mut input = step(
                "iam_entity_create_and_attach_permission_boundary policy_name=Bound",
                mode,
            );
            input.step.context.suggested_policy = Some(json!(suggestion.to_string()));
            input
        };
        let user = mock!(Iam::get_user).then_output(|| bob(None));
        let no_policy = mock!(Iam::get_policy).then_error(|| {
            GetPolicyError::generic(ErrorMetadata::builder().code("NoSuchEntity").build())
        });
        let expected_document = suggestion.clone();
        let create = mock!(Iam::create_policy)
            .match_requests(move |r| {
                r.policy_name() == Some("Bound-bob")
                    && r.policy_document()
                        .and_then(|d| serde_json::from_str::<Value>(d).ok())
                        == Some(expected_document.clone())
                    && r.tags()
                        .iter()
                        .any(|t| t.key() == "Owner" && t.value() == "CloudGuard")
            })
            .then_output(|| CreatePolicyOutput::builder().build());
        let wanted = policy_arn.clone();
        let put = mock!(Iam::put_user_permissions_boundary)
            .match_requests(move |r| {
                r.user_name() == Some("bob") && r.permissions_boundary() == Some(wanted.as_str())
            })
            .then_output(|| PutUserPermissionsBoundaryOutput::builder().build());
        let iam = mocked_iam(&[&user, &no_policy, &create, &put]);

        let dry = entity_create_and_attach_permission_boundary_with(
            &input(Mode::DryRun),
            &iam,
            &unused_sts(),
        )
        .await
        .unwrap();
        assert_eq!(
            dry.changes,
            vec![
                format!("create policy {policy_arn} from the CIEM suggested policy"),
                format!("set {policy_arn} as the permissions boundary of IAM user bob"),
            ]
        );
        assert_eq!(
            create.num_calls() + put.num_calls(),
            0,
            "dry-run changes nothing"
        );

        let done = entity_create_and_attach_permission_boundary_with(
            &input(Mode::Enforce),
            &iam,
            &unused_sts(),
        )
        .await
        .unwrap();
        assert_eq!(done.status, OutcomeStatus::Remediated, "{}", done.message);
        assert_eq!((create.num_calls(), put.num_calls()), (1, 1));
        assert_eq!(done.artifacts, vec![policy_arn]);
    }

    #[test]
    fn caller_roles_and_clone_names() {
        assert_eq!(
            assumed_role("arn:aws:sts::123456789012:assumed-role/cloudbots-fn/session"),
            Some(("123456789012", "cloudbots-fn"))
        );
        assert_eq!(assumed_role("arn:aws:iam::123456789012:user/moto"), None);
        let long = "r".repeat(60);
        assert_eq!(clone_base(&long).len(), 43, "<base>-<20 chars> fits 64");
        let suffix = random_suffix();
        assert_eq!(suffix.len(), 20);
        assert_ne!(suffix, random_suffix());
        assert!(looks_like_clone(&format!("app-{suffix}"), "app"));
        assert!(!looks_like_clone("app-short", "app"));
    }
}
