//! The VPC bots (security groups, network ACLs, VPCs, internet gateways): one Lambda binary
//! per bot under `src/bin/`, thin mains over this library. An area of its own so that changing
//! one of its bots relinks its binaries only.

pub mod internet_gateway;
pub mod network_acl;
pub mod security_group;
pub mod vpc;

/// The bots of this area, one binary each under `src/bin/`.
pub const BOTS: &[&[cloudbots_runtime::bot::Bot]] = &[
    security_group::BOTS,
    vpc::BOTS,
    network_acl::BOTS,
    internet_gateway::BOTS,
];

/// The restorers of this area, one binary each under `src/bin/`.
pub const RESTORERS: &[cloudbots_runtime::restorer::Restorer] = &[
    security_group::restore::RESTORE_SECURITY_GROUP_RULES,
    vpc::RESTORE_VPC_SETTINGS,
    network_acl::RESTORE_NETWORK_ACL_ENTRIES,
];
