//! `iam_entity_remove_permission_boundary`: remove the permissions boundary of one role or user,
//! or of every role and user of the account. Each boundary removed is recorded, read back, and
//! put back by undo.

use super::*;
use crate::principal::{all_roles, all_users};
use cloudbots_shared::params::{BoundaryHolders, RemoveBoundaryParams};
use restore::Setting;

/// Every role and user of the account.
async fn all_identities(iam: &Iam) -> Result<Vec<Principal>, BotError> {
    let roles = all_roles(iam).await?;
    let users = all_users(iam).await?;
    Ok(roles
        .iter()
        .map(|r| Principal::role(r))
        .chain(users.iter().map(|u| Principal::user(u)))
        .collect())
}

pub(super) async fn entity_remove_permission_boundary(
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
    let (candidates, resource) = match &params.holders {
        BoundaryHolders::One(identity) => (
            vec![Principal::new(identity.kind, &identity.name)],
            identity.arn.clone(),
        ),
        BoundaryHolders::All { account_id } => {
            (all_identities(iam).await?, format!("account {account_id}"))
        }
    };
    let mut bounded = Vec::new();
    for principal in candidates {
        match principal.boundary(iam).await? {
            Some(Some(boundary)) => bounded.push((principal, boundary)),
            Some(None) => {}
            None if matches!(params.holders, BoundaryHolders::One(_)) => {
                return Ok(BotOutcome::gone(
                    input,
                    &principal.to_string(),
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
        .map(|(principal, boundary)| {
            format!("remove permissions boundary {boundary} from {principal}")
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
    let before = bounded
        .iter()
        .map(|(principal, boundary)| {
            PrincipalSetting::of(principal, Setting::boundary(Some(boundary)))
        })
        .collect();
    let after = bounded
        .iter()
        .map(|(principal, _)| PrincipalSetting::of(principal, Setting::boundary(None)))
        .collect();
    change_principals(
        input,
        iam,
        &resource,
        (before, after),
        format!(
            "Removed the permissions boundary of {}",
            identities(bounded.len())
        ),
        changes,
    )
    .await
}
