//! The EC2 bots (instances, AMIs, key pairs, EC2 tags) and the RDS instance quarantine, which
//! shares the VPC's quarantine security group with the EC2 one: one Lambda binary per bot under
//! `src/bin/`, thin mains over this library. An area of its own so that changing one of its
//! bots relinks its binaries only.

pub mod ec2_resources;
pub mod instance;
mod quarantine_group;
pub mod rds;

/// The bots of this area, one binary each under `src/bin/`.
pub const BOTS: &[&[cloudbots_runtime::bot::Bot]] =
    &[instance::BOTS, ec2_resources::BOTS, rds::BOTS];

/// The restorers of this area, one binary each under `src/bin/`.
pub const RESTORERS: &[cloudbots_runtime::restorer::Restorer] = &[
    instance::restore::RESTORE_INSTANCE_STATE,
    instance::restore::RESTORE_INSTANCE_SECURITY_GROUPS,
    ec2_resources::RESTORE_EC2_TAGS,
    instance::role::RESTORE_INSTANCE_PROFILE,
    ec2_resources::RESTORE_IMAGE_PERMISSIONS,
    rds::RESTORE_DB_INSTANCE_SECURITY_GROUPS,
];
