//! The EC2 bots (instances, AMIs, key pairs, EC2 tags): one Lambda binary per bot under
//! `src/bin/`, thin mains over this library. An area of its own so that changing one of its
//! bots relinks its binaries only.

pub mod ec2_resources;
pub mod instance;

/// The bots of this area, one binary each under `src/bin/`.
pub const BOTS: &[&[cloudbots_runtime::bot::Bot]] = &[instance::BOTS, ec2_resources::BOTS];
