//! What the IAM policy bots change on a principal, read, written, compared and put in words in
//! one place: every bot verifies and records its change the same way, and one restorer,
//! `restore_iam_principal_policies`, undoes them all (and the quarantine bots' attachment of
//! the deny-all policy, recorded the same way).
//!
//! A change is a list of [`PrincipalSetting`]s, each one thing about one principal: whether a
//! managed policy is attached, an inline policy and its whole document, the permissions
//! boundary, a user's membership of a group. A bot records them as it found them (`before`),
//! writes them as it wants them (`after`), reads them back until they are so (else the step
//! fails `NotVerified`) and records both. The restorer reads them again: when they are still as
//! the bot left them (or the undo is forced) it writes `before` back, and reads it back too.
//!
//! Only what the bot changed is recorded and restored: a policy someone else attached since is
//! none of undo's business. Managed policies a bot created (a CIEM boundary policy, the
//! quarantine policy) are not deleted by undo: it restores principals, and says so when it
//! takes such a boundary off.

use super::*;
use cloudbots_runtime::restorer::{recorded, restore, Restorer};
use cloudbots_runtime::verify::reread;
use cloudbots_shared::restore::{PriorState, RestoreInput, RestoreOutcome, RestoreStatus};
use serde::{Deserialize, Serialize};
use serde_json::json;

pub const RESTORE_IAM_PRINCIPAL_POLICIES: Restorer = Restorer {
    name: "restore_iam_principal_policies",
    run: |input, aws| Box::pin(restore_principals(input, aws)),
};

/// One thing about a principal that a bot changes, in full.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "setting", rename_all = "snake_case")]
pub enum Setting {
    /// Whether the managed policy `arn` is attached.
    ManagedPolicy { arn: String, attached: bool },
    /// The inline policy `name` and its whole document; none when there is no such policy.
    InlinePolicy {
        name: String,
        document: Option<Value>,
    },
    /// The permissions boundary's policy ARN; none when there is no boundary.
    Boundary { arn: Option<String> },
    /// Whether the user is a member of `group`.
    Membership { group: String, member: bool },
}

/// A setting of one principal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrincipalSetting {
    pub principal: Principal,
    pub setting: Setting,
}

impl Setting {
    pub fn managed(arn: &str, attached: bool) -> Setting {
        Setting::ManagedPolicy {
            arn: arn.to_string(),
            attached,
        }
    }

    /// The inline policy `name` with `document` (JSON as IAM returns it, decoded).
    pub fn inline(name: &str, document: Option<&str>) -> Setting {
        Setting::InlinePolicy {
            name: name.to_string(),
            document: document.map(|text| {
                serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string()))
            }),
        }
    }

    pub fn boundary(arn: Option<&str>) -> Setting {
        Setting::Boundary {
            arn: arn.map(str::to_string),
        }
    }

    pub fn membership(group: &str, member: bool) -> Setting {
        Setting::Membership {
            group: group.to_string(),
            member,
        }
    }

    /// Whether this is the setting's "nothing" (detached, deleted, unbounded, not a member):
    /// what a principal that no longer exists has too.
    fn absent(&self) -> bool {
        match self {
            Setting::ManagedPolicy { attached, .. } => !attached,
            Setting::InlinePolicy { document, .. } => document.is_none(),
            Setting::Boundary { arn } => arn.is_none(),
            Setting::Membership { member, .. } => !member,
        }
    }

    /// The value as people read it.
    fn value(&self) -> String {
        let or_none = |value: Option<String>| value.unwrap_or_else(|| "none".to_string());
        match self {
            Setting::ManagedPolicy { attached: true, .. } => "attached".to_string(),
            Setting::ManagedPolicy { .. } => "detached".to_string(),
            Setting::InlinePolicy { document, .. } => or_none(document.as_ref().map(text)),
            Setting::Boundary { arn } => or_none(arn.clone()),
            Setting::Membership { member: true, .. } => "present".to_string(),
            Setting::Membership { .. } => "none".to_string(),
        }
    }
}

/// An inline policy document as IAM takes it.
fn text(document: &Value) -> String {
    match document {
        Value::String(text) => text.clone(),
        json => json.to_string(),
    }
}

impl PrincipalSetting {
    pub fn of(principal: &Principal, setting: Setting) -> Self {
        PrincipalSetting {
            principal: principal.clone(),
            setting,
        }
    }

    /// What the setting is about: `policy P on IAM role r`, `the permissions boundary of …`.
    fn subject(&self) -> String {
        let principal = &self.principal;
        match &self.setting {
            Setting::ManagedPolicy { arn, .. } => format!("policy {arn} on {principal}"),
            Setting::InlinePolicy { name, .. } => format!("inline policy {name} of {principal}"),
            Setting::Boundary { .. } => format!("the permissions boundary of {principal}"),
            Setting::Membership { group, .. } => {
                format!("the membership of {principal} in IAM group {group}")
            }
        }
    }

    /// `policy P on IAM role r is attached`, `inline policy N of IAM user u is none`, `the
    /// membership of IAM user u in IAM group g is present`, …
    fn words(&self) -> String {
        format!("{} is {}", self.subject(), self.setting.value())
    }

    /// The same setting as the principal has it now; `None` when the principal is gone.
    async fn read(&self, iam: &Iam) -> Result<Option<PrincipalSetting>, BotError> {
        let principal = &self.principal;
        let now = match &self.setting {
            Setting::ManagedPolicy { arn, .. } => principal
                .attached_policies(iam)
                .await?
                .map(|arns| Setting::managed(arn, arns.contains(arn))),
            Setting::InlinePolicy { name, .. } => match principal.inline_policy(iam, name).await? {
                Some(document) => Some(Setting::inline(name, Some(&document))),
                None => principal
                    .inline_policy_names(iam)
                    .await?
                    .map(|_| Setting::inline(name, None)),
            },
            Setting::Boundary { .. } => principal
                .boundary(iam)
                .await?
                .map(|arn| Setting::boundary(arn.as_deref())),
            Setting::Membership { group, .. } => principal
                .groups(iam)
                .await?
                .map(|groups| Setting::membership(group, groups.contains(group))),
        };
        Ok(now.map(|setting| PrincipalSetting::of(principal, setting)))
    }

    /// Give the principal this setting.
    async fn write(&self, iam: &Iam) -> Result<(), BotError> {
        let principal = &self.principal;
        match &self.setting {
            Setting::ManagedPolicy {
                arn,
                attached: true,
            } => principal.attach(iam, arn).await,
            Setting::ManagedPolicy { arn, .. } => principal.detach(iam, arn).await,
            Setting::InlinePolicy {
                name,
                document: Some(document),
            } => {
                principal
                    .put_inline_policy(iam, name, &text(document))
                    .await
            }
            Setting::InlinePolicy { name, .. } => principal.delete_inline_policy(iam, name).await,
            Setting::Boundary { arn: Some(arn) } => principal.put_boundary(iam, arn).await,
            Setting::Boundary { arn: None } => principal.delete_boundary(iam).await,
            Setting::Membership {
                group,
                member: true,
            } => principal.add_to_group(iam, group).await,
            Setting::Membership { group, .. } => principal.remove_from_group(iam, group).await,
        }
    }

    /// Putting this setting back, where the bot left `left`, in words.
    fn restoring_words(&self, left: &PrincipalSetting) -> String {
        let principal = &self.principal;
        match (&self.setting, &left.setting) {
            (
                Setting::ManagedPolicy {
                    arn,
                    attached: true,
                },
                _,
            ) => {
                format!("attach policy {arn} to {principal} again")
            }
            (Setting::ManagedPolicy { arn, .. }, _) => {
                format!("detach policy {arn} from {principal}")
            }
            (
                Setting::InlinePolicy {
                    name,
                    document: Some(_),
                },
                _,
            ) => {
                format!("put inline policy {name} of {principal} back, with its recorded document")
            }
            (Setting::InlinePolicy { name, .. }, _) => {
                format!("delete inline policy {name} of {principal}")
            }
            (Setting::Boundary { arn }, Setting::Boundary { arn: Some(left) }) => {
                let back = match arn {
                    Some(arn) => {
                        format!("set the permissions boundary of {principal} back to {arn}")
                    }
                    None => format!("remove the permissions boundary of {principal} (it had none)"),
                };
                format!("{back}; policy {left} itself stays, undo does not delete policies")
            }
            (Setting::Boundary { arn: Some(arn) }, _) => {
                format!("set the permissions boundary of {principal} back to {arn}")
            }
            (Setting::Boundary { .. }, _) => {
                format!("remove the permissions boundary of {principal} (it had none)")
            }
            (
                Setting::Membership {
                    group,
                    member: true,
                },
                _,
            ) => {
                format!("add {principal} to IAM group {group} again")
            }
            (Setting::Membership { group, .. }, _) => {
                format!("remove {principal} from IAM group {group}")
            }
        }
    }
}

/// The principals of `settings`, once each, in words: `IAM role r`, `IAM group g and IAM user u`.
fn principals(settings: &[PrincipalSetting]) -> String {
    let mut names: Vec<String> = Vec::new();
    for setting in settings {
        let name = setting.principal.to_string();
        if !names.contains(&name) {
            names.push(name);
        }
    }
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => names.concat(),
    }
}

/// These settings as the principals have them now, in order (`None` for a principal gone).
async fn read_all(
    iam: &Iam,
    settings: &[PrincipalSetting],
) -> Result<Vec<Option<PrincipalSetting>>, BotError> {
    let mut now = Vec::new();
    for setting in settings {
        now.push(setting.read(iam).await?);
    }
    Ok(now)
}

/// How `now` differs from `wanted`, setting by setting. A principal gone has every setting
/// absent.
fn differences(
    now: &[Option<PrincipalSetting>],
    wanted: &[PrincipalSetting],
    as_: &str,
) -> Vec<String> {
    now.iter()
        .zip(wanted)
        .filter_map(|(now, wanted)| match now {
            Some(now) if now != wanted => Some(format!(
                "{}, not {}{as_}",
                now.words(),
                wanted.setting.value()
            )),
            None if !wanted.setting.absent() => {
                Some(format!("{} does not exist (any more)", wanted.principal))
            }
            _ => None,
        })
        .collect()
}

/// Read the settings until they are `wanted` (else `NotVerified`); what was checked.
async fn settle(iam: &Iam, wanted: &[PrincipalSetting]) -> Result<Vec<String>, BotError> {
    reread(
        &principals(wanted),
        || read_all(iam, wanted),
        |now| differences(now, wanted, ""),
    )
    .await?;
    Ok(wanted.iter().map(PrincipalSetting::words).collect())
}

/// The end of every changing IAM policy bot: write what `after` changes from `before`, read the
/// settings back until they are as intended (else the step fails `NotVerified`), and record
/// `before` and `after` for undo; `resource` names what the step acted on.
pub async fn change_principals(
    input: &BotInput,
    iam: &Iam,
    resource: &str,
    (before, after): (Vec<PrincipalSetting>, Vec<PrincipalSetting>),
    message: String,
    changes: Vec<String>,
) -> Result<BotOutcome, BotError> {
    for (before, after) in before.iter().zip(&after) {
        if before != after {
            after.write(iam).await?;
        }
    }
    let verified = settle(iam, &after).await?;
    let prior = PriorState::of(
        input,
        RESTORE_IAM_PRINCIPAL_POLICIES.name,
        resource,
        json!(before),
        json!(after),
    );
    Ok(BotOutcome::new(input, OutcomeStatus::Remediated, message)
        .with_changes(changes)
        .with_verified(verified)
        .with_prior(prior))
}

async fn restore_principals(
    input: &RestoreInput,
    aws: &SdkConfig,
) -> Result<RestoreOutcome, BotError> {
    restore_principals_with(input, &Iam::new(aws)).await
}

/// Undo one recorded change, with this IAM client.
pub(super) async fn restore_principals_with(
    input: &RestoreInput,
    iam: &Iam,
) -> Result<RestoreOutcome, BotError> {
    let prior = &input.step.prior;
    let before: Vec<PrincipalSetting> = recorded(input, &prior.before)?;
    let left: Vec<PrincipalSetting> = recorded(input, &prior.after)?;
    let now = read_all(iam, &left).await?;
    let what = principals(&left);
    let compared: Vec<_> = now.iter().zip(&before).zip(&left).collect();
    if let Some(((_, gone), _)) = compared
        .iter()
        .find(|((now, before), _)| now.is_none() && !before.setting.absent())
    {
        return Ok(RestoreOutcome::new(
            input,
            RestoreStatus::Refused,
            format!(
                "{} does not exist (any more): what {} changed on it cannot be put back",
                gone.principal, input.step.bot
            ),
        ));
    }
    // A principal gone whose setting was absent before has nothing to restore.
    let to_restore: Vec<(&PrincipalSetting, &PrincipalSetting)> = compared
        .iter()
        .filter(|((now, before), _)| now.is_some() && now.as_ref() != Some(*before))
        .map(|((_, before), left)| (*before, *left))
        .collect();
    let drift = differences(&now, &left, " as the bot left it");
    let changes = to_restore
        .iter()
        .map(|(before, left)| before.restoring_words(left))
        .collect();
    let apply = async {
        for (before, _) in &to_restore {
            before.write(iam).await?;
        }
        settle(iam, &before).await
    };
    restore(input, &what, drift, changes, apply).await
}
