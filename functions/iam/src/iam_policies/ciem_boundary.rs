//! `iam_entity_create_and_attach_permission_boundary` (CloudGuard CIEM): write the finding's
//! suggested policy into a managed policy and make it the role's or user's permissions
//! boundary. The boundary it replaces (or its absence) is recorded, verified and put back by
//! undo; the managed policy it writes stays (undo changes principals, not policies).

use super::*;
use crate::principal::all_items;
use cloudbots_shared::params::CreateBoundaryParams;
use cloudbots_shared::policy::decode_policy_document;
use restore::Setting;

/// IAM keeps at most five versions of a managed policy.
const MAX_POLICY_VERSIONS: usize = 5;

/// The role a caller identity acts as: `arn:aws:sts::<account>:assumed-role/<role>/<session>`
/// → (account, role name).
pub(super) fn assumed_role(caller_arn: &str) -> Option<(&str, &str)> {
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
    let versions = all_items!(iam.list_policy_versions().policy_arn(policy_arn))
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
pub(super) async fn entity_create_and_attach_permission_boundary(
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
    let principal = Principal::new(kind, name);
    let identity = principal.to_string();
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
    let Some(current_boundary) = principal.boundary(iam).await? else {
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
    let artifacts = match policy_change {
        PolicyChange::Create => vec![policy_arn.clone()],
        _ => Vec::new(),
    };
    let boundary = |arn| vec![PrincipalSetting::of(&principal, Setting::boundary(arn))];
    let bounded = change_principals(
        input,
        iam,
        name,
        (
            boundary(current_boundary.as_deref()),
            boundary(Some(&policy_arn)),
        ),
        format!("{identity} is bounded by {policy_arn} holding the CIEM suggested policy"),
        changes,
    )
    .await?;
    Ok(bounded.with_artifacts(artifacts))
}
