//! IAM bots.

use super::{parse_as, BotSpec, Phase};
use crate::params::NoParams;

/// The iam bots of the catalogue.
pub const BOTS: &[BotSpec] = &[
    BotSpec {
        name: "iam_quarantine_user",
        summary: "Attach the deny-all policy quarantine_deny_all_policy to the IAM user (creating the policy once per account).",
        phase: Phase::Contain,
        guard: false,
        entity_type: "IamUser",
        changes_instance: false,
        iam_actions: &["iam:AttachUserPolicy", "iam:CreatePolicy", "iam:GetPolicy", "iam:ListAttachedUserPolicies"],
        params: &[],
        example: "AUTO: iam_quarantine_user",
        differences: "Builds the policy ARN from the finding's account (the account the step acts in), not entity.accountNumber; a user that already has the policy is already compliant; a missing user is skipped before any policy is created.",
        parse: parse_as::<NoParams>,
    },
];
