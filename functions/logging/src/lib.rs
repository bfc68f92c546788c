//! The CloudTrail, CloudWatch, Config, load balancer and Network Firewall logging bots: one Lambda binary per bot under `src/bin/`,
//! thin mains over this library. An area of its own so that changing one of its bots relinks
//! its binaries only.

pub mod cloudtrail;
pub mod cloudwatch;
pub mod config;
pub mod load_balancer;
pub mod network_firewall;

/// The bots of this area, one binary each under `src/bin/`.
pub const BOTS: &[&[cloudbots_runtime::bot::Bot]] = &[
    cloudtrail::BOTS,
    cloudwatch::BOTS,
    config::BOTS,
    load_balancer::BOTS,
    network_firewall::BOTS,
];
