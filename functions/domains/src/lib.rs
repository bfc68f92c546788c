//! The Route 53 Domains bots: one Lambda binary per bot under `src/bin/`, thin mains over this
//! library. An area of its own so that changing one of its bots relinks its binaries only.

pub mod route53domains;

/// The bots of this area, one binary each under `src/bin/`.
pub const BOTS: &[&[cloudbots_runtime::bot::Bot]] = &[route53domains::BOTS];

/// The restorers of this area, one binary each under `src/bin/`.
pub const RESTORERS: &[cloudbots_runtime::restorer::Restorer] =
    &[route53domains::RESTORE_DOMAIN_SETTINGS];
