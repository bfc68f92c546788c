//! The SNS and SQS bots: one Lambda binary per bot under `src/bin/`, thin mains over this
//! library. An area of its own so that changing one of its bots relinks its binaries only.

pub mod attribute;
pub mod sns;
pub mod sqs;

/// The bots of this area, one binary each under `src/bin/`.
pub const BOTS: &[&[cloudbots_runtime::bot::Bot]] = &[sns::BOTS, sqs::BOTS];

/// The restorers of this area, one binary each under `src/bin/`.
pub const RESTORERS: &[cloudbots_runtime::restorer::Restorer] =
    &[sns::RESTORE_TOPIC_ATTRIBUTES, sqs::RESTORE_QUEUE_ATTRIBUTES];
