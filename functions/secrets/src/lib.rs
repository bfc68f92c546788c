//! The Secrets Manager, ACM and Systems Manager document bots: one Lambda binary per bot under
//! `src/bin/`, thin mains over this library. An area of its own so that changing one of its
//! bots relinks its binaries only.

pub mod acm;
pub mod secretsmanager;
pub mod ssm;

/// The bots of this area, one binary each under `src/bin/`.
pub const BOTS: &[&[cloudbots_runtime::bot::Bot]] = &[acm::BOTS, secretsmanager::BOTS, ssm::BOTS];

/// The restorers of this area, one binary each under `src/bin/`.
pub const RESTORERS: &[cloudbots_runtime::restorer::Restorer] = &[
    secretsmanager::RESTORE_SECRET_ENCRYPTION,
    ssm::RESTORE_DOCUMENT_PERMISSIONS,
];
