//! The CloudTrail, CloudWatch, Config, load balancer and Network Firewall logging bots: one Lambda binary per bot under `src/bin/`,
//! thin mains over this library. An area of its own so that changing one of its bots relinks
//! its binaries only.

pub mod alarm_setting;
pub mod cloudtrail;
pub mod cloudwatch;
pub mod config;
pub mod config_setting;
pub mod load_balancer;
pub mod network_firewall;
pub mod trail_setting;

/// The bots of this area, one binary each under `src/bin/`.
pub const BOTS: &[&[cloudbots_runtime::bot::Bot]] = &[
    cloudtrail::BOTS,
    cloudwatch::BOTS,
    config::BOTS,
    load_balancer::BOTS,
    network_firewall::BOTS,
];

/// The restorers of this area, one binary each under `src/bin/`.
pub const RESTORERS: &[cloudbots_runtime::restorer::Restorer] = &[
    trail_setting::RESTORE_TRAIL_SETTINGS,
    config_setting::RESTORE_CONFIG_RECORDER,
    alarm_setting::RESTORE_METRIC_ALARMS,
    load_balancer::RESTORE_LOAD_BALANCER_ATTRIBUTES,
    network_firewall::RESTORE_FIREWALL_LOGGING,
];
