//! KMS key bots.

use super::{parse_as, BotSpec, Phase};
use crate::params::NoParams;

/// The kms bots of the catalogue.
pub const BOTS: &[BotSpec] = &[
    BotSpec {
        name: "kms_enable_rotation",
        summary: "Enable automatic rotation of the customer-managed KMS key.",
        phase: Phase::Modify,
        guard: false,
        entity_type: "KMS",
        changes_instance: false,
        iam_actions: &["kms:DescribeKey", "kms:EnableKeyRotation", "kms:GetKeyRotationStatus"],
        params: &[],
        example: "AUTO: kms_enable_rotation",
        differences: "Skips AWS-managed, asymmetric, imported-material, missing and not-enabled keys with a reason instead of failing; a key already rotating is already compliant.",
        parse: parse_as::<NoParams>,
    },
];
