//! S3 bucket bots.

use super::{parse_as, BotSpec, Phase};
use crate::params::NoParams;

/// The s3 bots of the catalogue.
pub const BOTS: &[BotSpec] = &[
    BotSpec {
        name: "s3_block_all_public_access",
        summary: "Turn on all four S3 Block Public Access settings of the bucket.",
        phase: Phase::Contain,
        guard: false,
        entity_type: "S3Bucket",
        changes_instance: false,
        iam_actions: &["s3:GetBucketPublicAccessBlock", "s3:PutBucketPublicAccessBlock"],
        params: &[],
        example: "AUTO: s3_block_all_public_access",
        differences: "Uses the correct IAM action (s3:PutBucketPublicAccessBlock); a bucket already fully blocked is already compliant; a missing bucket is skipped.",
        parse: parse_as::<NoParams>,
    },
];
