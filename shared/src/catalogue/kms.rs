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
    BotSpec {
        name: "kms_cmk_enable_key",
        summary: "Enable the disabled customer-managed KMS key, cancelling its scheduled deletion first when there is one.",
        phase: Phase::Modify,
        guard: false,
        entity_type: "KMS",
        changes_instance: false,
        iam_actions: &["kms:CancelKeyDeletion", "kms:DescribeKey", "kms:EnableKey"],
        params: &[],
        example: "AUTO: kms_cmk_enable_key",
        differences: "Reads the key's live state (the original trusted entity.keyState); an enabled key is already compliant; a missing key, and a key in a state enabling cannot fix (pending import, unavailable, creating, pending replica deletion), are skipped with the reason; the key is named by entity.id (id or ARN).",
        parse: parse_as::<NoParams>,
    },
];
