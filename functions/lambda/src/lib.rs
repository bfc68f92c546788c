//! The Lambda function bots: one Lambda binary per bot under `src/bin/`, thin mains over this
//! library. An area of its own so that changing one of its bots relinks its binaries only.

pub mod lambda;

/// The bots of this area, one binary each under `src/bin/`.
pub const BOTS: &[&[cloudbots_runtime::bot::Bot]] = &[lambda::BOTS];

/// The restorers of this area, one binary each under `src/bin/`.
pub const RESTORERS: &[cloudbots_runtime::restorer::Restorer] = &[lambda::RESTORE_LAMBDA_FUNCTION];
