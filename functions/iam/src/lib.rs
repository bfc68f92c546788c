//! The IAM bots (users, roles, groups, policies, permission boundaries, the account's password
//! policy): one Lambda binary per bot under `src/bin/`, thin mains over this library. An area of
//! its own so that changing one of its bots relinks its binaries only.

pub mod iam;
pub mod iam_policies;
pub mod principal;

/// The bots of this area, one binary each under `src/bin/`.
pub const BOTS: &[&[cloudbots_runtime::bot::Bot]] = &[iam::BOTS, iam_policies::BOTS];

/// The restorers of this area, one binary each under `src/bin/`.
pub const RESTORERS: &[cloudbots_runtime::restorer::Restorer] = &[
    iam_policies::restore::RESTORE_IAM_PRINCIPAL_POLICIES,
    iam::RESTORE_IAM_USER_CREDENTIALS,
    iam::RESTORE_ACCOUNT_PASSWORD_POLICY,
];
