//! `iam_role_clone_with_non_enumerable_name`: copy a role under a name nobody can guess, with
//! its trust policy, settings, tags, inline and attached policies. The original is left as it
//! is, so undo has nothing to put back; the clone is not deleted by undo (see the catalogue).

use super::*;
use crate::principal::all_roles;
use cloudbots_runtime::verify::reread;
use cloudbots_shared::policy::decode_policy_document;

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
pub(super) fn clone_base(role: &str) -> &str {
    let max = MAX_ROLE_NAME - 1 - SUFFIX_LEN;
    match role.char_indices().nth(max) {
        Some((cut, _)) => &role[..cut],
        None => role,
    }
}

/// A suffix of 20 characters drawn from the role-name alphabet. The randomness comes from
/// the standard library's per-process random hash keys (seeded by the OS), mixed with the
/// clock, so no extra crate is needed.
pub(super) fn random_suffix() -> String {
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
pub(super) fn looks_like_clone(name: &str, base: &str) -> bool {
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
    let role = Principal::role(role);
    let Some(names) = role.inline_policy_names(iam).await? else {
        return Ok(None);
    };
    let mut inline = Vec::new();
    for name in names {
        if let Some(document) = role.inline_policy(iam, &name).await? {
            inline.push((name, document)); // else deleted meanwhile
        }
    }
    let Some(attached) = role.attached_policies(iam).await? else {
        return Ok(None);
    };
    Ok(Some(RolePolicies { inline, attached }))
}

/// The existing clone of `role`, found by its name shape and its clone-of tag.
async fn find_clone(iam: &Iam, role: &str) -> Result<Option<String>, BotError> {
    let base = clone_base(role);
    for candidate in all_roles(iam).await? {
        if !looks_like_clone(&candidate, base) {
            continue;
        }
        let tags = none_if_missing(
            &format!("reading the tags of IAM role {candidate}"),
            iam.list_role_tags().role_name(&candidate).send().await,
        )?;
        let is_clone = tags.is_some_and(|t| {
            t.tags()
                .iter()
                .any(|tag| tag.key() == CLONE_OF_TAG && tag.value() == role)
        });
        if is_clone {
            return Ok(Some(candidate));
        }
    }
    Ok(None)
}

pub(super) async fn role_clone_with_non_enumerable_name(
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

    let trust = decode_policy_document(original.assume_role_policy_document().unwrap_or_default());
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
            .assume_role_policy_document(&trust)
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
    let copy = Principal::role(&clone);
    for (name, document) in &missing.inline {
        copy.put_inline_policy(&iam, name, document).await?;
    }
    for arn in &missing.attached {
        copy.attach(&iam, arn).await?;
    }
    let created_with = existing.is_none().then_some(trust.as_str());
    let verified = verify_clone(&iam, role, &clone, created_with, &missing).await?;
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
        .with_verified(verified)
        .with_artifacts(created))
}

/// Whether two policy documents say the same, whatever their layout.
fn same_document(a: &str, b: &str) -> bool {
    let parse = |text: &str| serde_json::from_str::<Value>(text).ok();
    match (parse(a), parse(b)) {
        (Some(a), Some(b)) => a == b,
        _ => a == b,
    }
}

/// Read back what this run gave the clone, one read per thing: its trust policy when it was
/// `created` with it, each inline policy `copied`, its attached policies when some were
/// attached; until it is all there (else `NotVerified`). What was checked.
async fn verify_clone(
    iam: &Iam,
    role: &str,
    clone: &str,
    created: Option<&str>,
    copied: &RolePolicies,
) -> Result<Vec<String>, BotError> {
    let copy = Principal::role(clone);
    let read = || async {
        let mut wrong = Vec::new();
        if let Some(trust) = created {
            let read = none_if_missing(
                &format!("reading IAM role {clone}"),
                iam.get_role().role_name(clone).send().await,
            )?;
            match read.as_ref().and_then(|o| o.role()) {
                None => wrong.push(format!("IAM role {clone} does not exist")),
                Some(now) => {
                    let now = decode_policy_document(
                        now.assume_role_policy_document().unwrap_or_default(),
                    );
                    if !same_document(&now, trust) {
                        wrong.push(format!(
                            "the trust policy of IAM role {clone} is not the one of IAM role {role}"
                        ));
                    }
                }
            }
        }
        for (name, document) in &copied.inline {
            match copy.inline_policy(iam, name).await? {
                None => wrong.push(format!("IAM role {clone} has no inline policy {name}")),
                Some(now) if !same_document(&now, document) => wrong.push(format!(
                    "inline policy {name} of IAM role {clone} is not the one of IAM role {role}"
                )),
                Some(_) => {}
            }
        }
        if !copied.attached.is_empty() {
            let now = copy.attached_policies(iam).await?.unwrap_or_default();
            wrong.extend(
                copied
                    .attached
                    .iter()
                    .filter(|arn| !now.contains(arn))
                    .map(|arn| format!("policy {arn} is not attached to IAM role {clone}")),
            );
        }
        Ok(wrong)
    };
    reread(
        &format!("clone {clone} of IAM role {role}"),
        read,
        Vec::clone,
    )
    .await?;
    let mut verified = Vec::new();
    if created.is_some() {
        verified.push(format!(
            "IAM role {clone} exists with the trust policy of IAM role {role}"
        ));
    }
    verified.extend(
        copied.inline.iter().map(|(name, _)| {
            format!("IAM role {clone} has inline policy {name} of IAM role {role}")
        }),
    );
    verified.extend(
        copied
            .attached
            .iter()
            .map(|arn| format!("policy {arn} is attached to IAM role {clone}")),
    );
    Ok(verified)
}
