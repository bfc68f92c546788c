//! Instance bots: the snapshot guard and the instance changes it protects.

use super::{parse_as, BotSpec, Phase};
use crate::params::NoParams;

/// The instance bots of the catalogue.
pub const BOTS: &[BotSpec] = &[
    BotSpec {
        name: "ec2_create_snapshot",
        summary: "Snapshot every EBS volume attached to the instance, tagged with the instance id and the execution.",
        phase: Phase::Preserve,
        guard: true,
        entity_type: "Instance",
        changes_instance: false,
        iam_actions: &["ec2:CreateSnapshot", "ec2:CreateTags", "ec2:DescribeInstances", "ec2:DescribeSnapshots"],
        params: &[],
        example: "AUTO: ec2_create_snapshot",
        differences: "Reads the attached volumes from EC2, not from the finding's copy; a second run of the same execution finds its snapshots and creates none; a guard step: if it fails, no later step of the plan runs.",
        parse: parse_as::<NoParams>,
    },
    BotSpec {
        name: "ec2_stop_instance",
        summary: "Stop the instance.",
        phase: Phase::Contain,
        guard: false,
        entity_type: "Instance",
        changes_instance: true,
        iam_actions: &["ec2:DescribeInstances", "ec2:StopInstances"],
        params: &[],
        example: "AUTO: ec2_stop_instance",
        differences: "Checks the instance state first: a stopped or stopping instance is already compliant, a terminated or missing one is skipped with a reason. The planner snapshots the instance first.",
        parse: parse_as::<NoParams>,
    },
];
