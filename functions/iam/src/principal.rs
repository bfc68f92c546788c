//! An IAM principal (user, group or role) and the calls every IAM bot makes on one: its managed
//! policies, inline policies, permissions boundary and (for a user) group memberships.
//!
//! IAM names each of these calls once per kind (`AttachUserPolicy`, `AttachGroupPolicy`,
//! `AttachRolePolicy`, …). They are dispatched here, once, so that the bots, their
//! verification and their undo are written once for every kind of principal.
//!
//! Reads answer `None` when the principal does not exist (IAM's `NoSuchEntity`); removals of
//! something already gone succeed, so a retried step does not fail on its own earlier work.

use crate::iam::none_if_missing;
use aws_sdk_iam::Client as Iam;
use cloudbots_runtime::aws_error::bot_error;
use cloudbots_shared::error::BotError;
use cloudbots_shared::outcome::{BotInput, BotOutcome};
use cloudbots_shared::params::IdentityKind;
use cloudbots_shared::policy::decode_policy_document;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The kinds of IAM principal that hold policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PrincipalKind {
    User,
    Group,
    Role,
}

impl From<IdentityKind> for PrincipalKind {
    fn from(kind: IdentityKind) -> Self {
        match kind {
            IdentityKind::Role => PrincipalKind::Role,
            IdentityKind::User => PrincipalKind::User,
        }
    }
}

/// One IAM user, group or role, by name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Principal {
    pub kind: PrincipalKind,
    pub name: String,
}

impl fmt::Display for Principal {
    /// `IAM user bob`, `IAM group admins`, `IAM role app`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            PrincipalKind::User => "user",
            PrincipalKind::Group => "group",
            PrincipalKind::Role => "role",
        };
        write!(f, "IAM {kind} {}", self.name)
    }
}

/// The call `$user`, `$group` or `$role` of the IAM client for the principal's kind, with its
/// name set, continued by `$then` (one expression, typed per kind).
macro_rules! per_kind {
    ($principal:expr, $iam:expr, $user:ident, $group:ident, $role:ident, |$call:ident| $then:expr) => {
        match $principal.kind {
            PrincipalKind::User => {
                let $call = $iam.$user().user_name(&$principal.name);
                $then
            }
            PrincipalKind::Group => {
                let $call = $iam.$group().group_name(&$principal.name);
                $then
            }
            PrincipalKind::Role => {
                let $call = $iam.$role().role_name(&$principal.name);
                $then
            }
        }
    };
}

/// Every item of a paginated list call.
macro_rules! all_items {
    ($call:expr) => {
        $call
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
    };
}

pub(crate) use all_items;

/// The names of every role of the account.
pub async fn all_roles(iam: &Iam) -> Result<Vec<String>, BotError> {
    let roles = all_items!(iam.list_roles()).map_err(|e| bot_error("listing the IAM roles", e))?;
    Ok(roles.iter().map(|r| r.role_name().to_string()).collect())
}

/// The names of every user of the account.
pub async fn all_users(iam: &Iam) -> Result<Vec<String>, BotError> {
    let users = all_items!(iam.list_users()).map_err(|e| bot_error("listing the IAM users", e))?;
    Ok(users.iter().map(|u| u.user_name().to_string()).collect())
}

impl Principal {
    pub fn new(kind: impl Into<PrincipalKind>, name: &str) -> Self {
        Principal {
            kind: kind.into(),
            name: name.to_string(),
        }
    }

    pub fn user(name: &str) -> Self {
        Principal::new(PrincipalKind::User, name)
    }

    pub fn group(name: &str) -> Self {
        Principal::new(PrincipalKind::Group, name)
    }

    pub fn role(name: &str) -> Self {
        Principal::new(PrincipalKind::Role, name)
    }

    /// The error for a group asked about a permissions boundary (IAM gives groups none).
    fn unboundable(&self) -> BotError {
        BotError::invalid_input(format!("{self} cannot have a permissions boundary"))
    }

    /// The ARNs of the managed policies attached to it; `None` when it is gone.
    pub async fn attached_policies(&self, iam: &Iam) -> Result<Option<Vec<String>>, BotError> {
        let doing = format!("listing the policies attached to {self}");
        let attached = per_kind!(
            self,
            iam,
            list_attached_user_policies,
            list_attached_group_policies,
            list_attached_role_policies,
            |call| none_if_missing(&doing, all_items!(call))?
        );
        Ok(attached.map(|policies| policies.into_iter().filter_map(|p| p.policy_arn).collect()))
    }

    /// The ARNs of the managed policies attached to it, before a bot attaches one; when it is
    /// gone, the step's outcome that there is nothing to attach the policy to.
    pub async fn policies_before_attach(
        &self,
        input: &BotInput,
        iam: &Iam,
    ) -> Result<Result<Vec<String>, BotOutcome>, BotError> {
        Ok(self.attached_policies(iam).await?.ok_or_else(|| {
            BotOutcome::gone(input, &self.to_string(), "nothing to attach the policy to")
        }))
    }

    pub async fn attach(&self, iam: &Iam, policy_arn: &str) -> Result<(), BotError> {
        let doing = format!("attaching {policy_arn} to {self}");
        per_kind!(
            self,
            iam,
            attach_user_policy,
            attach_group_policy,
            attach_role_policy,
            |call| call
                .policy_arn(policy_arn)
                .send()
                .await
                .map(drop)
                .map_err(|e| bot_error(&doing, e))
        )
    }

    /// Detach; a principal that is gone or no longer has the policy needs nothing more.
    pub async fn detach(&self, iam: &Iam, policy_arn: &str) -> Result<(), BotError> {
        let doing = format!("detaching {policy_arn} from {self}");
        per_kind!(
            self,
            iam,
            detach_user_policy,
            detach_group_policy,
            detach_role_policy,
            |call| none_if_missing(&doing, call.policy_arn(policy_arn).send().await).map(drop)
        )
    }

    /// The names of its inline policies; `None` when it is gone.
    pub async fn inline_policy_names(&self, iam: &Iam) -> Result<Option<Vec<String>>, BotError> {
        let doing = format!("listing the inline policies of {self}");
        per_kind!(
            self,
            iam,
            list_user_policies,
            list_group_policies,
            list_role_policies,
            |call| none_if_missing(&doing, all_items!(call))
        )
    }

    /// The document of its inline policy `policy`, decoded; `None` when either is gone.
    pub async fn inline_policy(&self, iam: &Iam, policy: &str) -> Result<Option<String>, BotError> {
        let doing = format!("reading inline policy {policy} of {self}");
        per_kind!(
            self,
            iam,
            get_user_policy,
            get_group_policy,
            get_role_policy,
            |call| Ok(
                none_if_missing(&doing, call.policy_name(policy).send().await)?
                    .map(|out| decode_policy_document(out.policy_document()))
            )
        )
    }

    pub async fn put_inline_policy(
        &self,
        iam: &Iam,
        policy: &str,
        document: &str,
    ) -> Result<(), BotError> {
        let doing = format!("putting inline policy {policy} of {self}");
        per_kind!(
            self,
            iam,
            put_user_policy,
            put_group_policy,
            put_role_policy,
            |call| call
                .policy_name(policy)
                .policy_document(document)
                .send()
                .await
                .map(drop)
                .map_err(|e| bot_error(&doing, e))
        )
    }

    /// Delete its inline policy `policy`; one already gone needs nothing more.
    pub async fn delete_inline_policy(&self, iam: &Iam, policy: &str) -> Result<(), BotError> {
        let doing = format!("deleting inline policy {policy} of {self}");
        per_kind!(
            self,
            iam,
            delete_user_policy,
            delete_group_policy,
            delete_role_policy,
            |call| none_if_missing(&doing, call.policy_name(policy).send().await).map(drop)
        )
    }

    /// Its permissions boundary (`Some(None)` when it has none); `None` when it is gone.
    pub async fn boundary(&self, iam: &Iam) -> Result<Option<Option<String>>, BotError> {
        let doing = format!("reading {self}");
        let boundary = match self.kind {
            PrincipalKind::User => {
                none_if_missing(&doing, iam.get_user().user_name(&self.name).send().await)?
                    .map(|out| out.user().and_then(|u| u.permissions_boundary()).cloned())
            }
            PrincipalKind::Role => {
                none_if_missing(&doing, iam.get_role().role_name(&self.name).send().await)?
                    .map(|out| out.role().and_then(|r| r.permissions_boundary()).cloned())
            }
            PrincipalKind::Group => return Err(self.unboundable()),
        };
        Ok(boundary.map(|b| b.and_then(|b| b.permissions_boundary_arn().map(str::to_string))))
    }

    pub async fn put_boundary(&self, iam: &Iam, policy_arn: &str) -> Result<(), BotError> {
        let doing = format!("setting {policy_arn} as the permissions boundary of {self}");
        match self.kind {
            PrincipalKind::User => iam
                .put_user_permissions_boundary()
                .user_name(&self.name)
                .permissions_boundary(policy_arn)
                .send()
                .await
                .map(drop)
                .map_err(|e| bot_error(&doing, e)),
            PrincipalKind::Role => iam
                .put_role_permissions_boundary()
                .role_name(&self.name)
                .permissions_boundary(policy_arn)
                .send()
                .await
                .map(drop)
                .map_err(|e| bot_error(&doing, e)),
            PrincipalKind::Group => Err(self.unboundable()),
        }
    }

    /// Remove its permissions boundary; a principal that is gone needs nothing more.
    pub async fn delete_boundary(&self, iam: &Iam) -> Result<(), BotError> {
        let doing = format!("removing the permissions boundary of {self}");
        match self.kind {
            PrincipalKind::User => none_if_missing(
                &doing,
                iam.delete_user_permissions_boundary()
                    .user_name(&self.name)
                    .send()
                    .await,
            )
            .map(drop),
            PrincipalKind::Role => none_if_missing(
                &doing,
                iam.delete_role_permissions_boundary()
                    .role_name(&self.name)
                    .send()
                    .await,
            )
            .map(drop),
            PrincipalKind::Group => Err(self.unboundable()),
        }
    }

    /// The groups a user is a member of; `None` when the user is gone.
    pub async fn groups(&self, iam: &Iam) -> Result<Option<Vec<String>>, BotError> {
        let doing = format!("listing the groups of {self}");
        let groups = none_if_missing(
            &doing,
            all_items!(iam.list_groups_for_user().user_name(&self.name)),
        )?;
        Ok(groups.map(|groups| {
            groups
                .into_iter()
                .map(|g| g.group_name().to_string())
                .collect()
        }))
    }

    /// Make the user a member of `group`.
    pub async fn add_to_group(&self, iam: &Iam, group: &str) -> Result<(), BotError> {
        iam.add_user_to_group()
            .user_name(&self.name)
            .group_name(group)
            .send()
            .await
            .map(drop)
            .map_err(|e| bot_error(&format!("adding {self} to IAM group {group}"), e))
    }

    /// Take the user out of `group`; a user or group gone needs nothing more.
    pub async fn remove_from_group(&self, iam: &Iam, group: &str) -> Result<(), BotError> {
        none_if_missing(
            &format!("removing {self} from IAM group {group}"),
            iam.remove_user_from_group()
                .user_name(&self.name)
                .group_name(group)
                .send()
                .await,
        )
        .map(drop)
    }
}
