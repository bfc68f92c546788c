//! Route 53 Domains bots: a registered domain's renewal and transfer lock.

use super::{parse_as, BotSpec, Phase};
use crate::params::NoParams;

/// The domain bots of the catalogue.
pub const BOTS: &[BotSpec] = &[
    BotSpec {
        name: "route53domain_enable_auto_renew",
        summary: "Turn on automatic renewal of the registered domain.",
        phase: Phase::Modify,
        guard: false,
        entity_type: "Route53Domain",
        changes_instance: false,
        iam_actions: &[
            "route53domains:EnableDomainAutoRenew",
            "route53domains:GetDomainDetail",
        ],
        params: &[],
        example: "AUTO: route53domain_enable_auto_renew",
        differences: "Reads the domain first (in us-east-1, where the service lives): a domain already renewing automatically is already compliant, one not registered in the account is skipped with what the service said; the outcome gives the expiry date. Its enabling call is tested on a mocked Route 53 Domains (the local stack lacks it); the reading runs on the local stack under its role.",
        parse: parse_as::<NoParams>,
    },
    BotSpec {
        name: "route53domain_enable_transfer_lock",
        summary: "Lock the registered domain against transfer (clientTransferProhibited).",
        phase: Phase::Modify,
        guard: false,
        entity_type: "Route53Domain",
        changes_instance: false,
        iam_actions: &[
            "route53domains:EnableDomainTransferLock",
            "route53domains:GetDomainDetail",
        ],
        params: &[],
        example: "AUTO: route53domain_enable_transfer_lock",
        differences: "Reads the domain's status first (in us-east-1): a domain already locked is already compliant, one not registered in the account is skipped, one whose top-level domain has no transfer lock is skipped with the service's reason; the outcome gives the operation id. Its locking call is tested on a mocked Route 53 Domains (the local stack lacks it); the reading runs on the local stack under its role.",
        parse: parse_as::<NoParams>,
    },
];
