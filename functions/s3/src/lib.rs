//! The S3 bots: one Lambda binary per bot under `src/bin/`, thin mains over this library. An
//! area of its own so that changing one of its bots relinks its binaries only.

pub mod s3;

/// The bots of this area, one binary each under `src/bin/`.
pub const BOTS: &[&[cloudbots_runtime::bot::Bot]] = &[s3::BOTS];

/// The restorers of this area, one binary each under `src/bin/`.
pub const RESTORERS: &[cloudbots_runtime::restorer::Restorer] =
    &[s3::settings::RESTORE_BUCKET_SETTINGS];
