//! EC2 resource bots beyond the instance: AMIs, key pairs, and the tags of any EC2 resource.

use super::{parse_as, BotSpec, ParamSpec, Phase};
use crate::params::{MarkForStopParams, NoParams, TagParams};

/// The EC2 resource bots of the catalogue.
pub const BOTS: &[BotSpec] = &[
    BotSpec {
        name: "ami_set_to_private",
        summary: "Remove the public launch permission of the AMI, so only its owner and the accounts it is shared with can launch it.",
        phase: Phase::Contain,
        guard: false,
        entity_type: "AMI",
        changes_instance: false,
        iam_actions: &[
            "ec2:DescribeImageAttribute",
            "ec2:DescribeImages",
            "ec2:ModifyImageAttribute",
        ],
        params: &[],
        example: "AUTO: ami_set_to_private",
        differences: "Reads the AMI first: a private AMI is already compliant; removes only the public (group all) permission and leaves explicit account shares alone (the original also asked to remove the owner's own account id); a missing AMI is skipped with a reason.",
        parse: parse_as::<NoParams>,
    },
    BotSpec {
        name: "ec2_delete_key_pair",
        summary: "Delete the EC2 key pair.",
        phase: Phase::Destroy,
        guard: false,
        entity_type: "KeyPair",
        changes_instance: false,
        iam_actions: &["ec2:DeleteKeyPair", "ec2:DescribeKeyPairs"],
        params: &[],
        example: "AUTO: ec2_delete_key_pair",
        differences: "Accepts the key pair's name or its key-... id as the entity id; names the deleted key pair's id and fingerprint in the outcome; a key pair that does not exist is already compliant (nothing left to delete), so a second run reports that instead of failing.",
        parse: parse_as::<NoParams>,
    },
    BotSpec {
        name: "mark_for_stop_ec2_resource",
        summary: "Tag the EC2 resource with marked_for_stop = the epoch second after which a follow-up rule stops it (now + the delay).",
        phase: Phase::Modify,
        guard: false,
        entity_type: "any EC2 resource",
        changes_instance: false,
        iam_actions: &["ec2:CreateTags", "ec2:DescribeTags"],
        params: &[ParamSpec { name: "delay", description: "<N><m|h|d>: minutes, hours or days from now (e.g. 3h)", required: true }],
        example: "AUTO: mark_for_stop_ec2_resource 3h",
        differences: "The delay must be exactly <N><m|h|d> (the original took the first match anywhere in the token) and is checked at plan time; a resource already marked keeps its mark (already compliant), so a finding delivered again never pushes the stop time out; a missing resource is skipped with a reason.",
        parse: parse_as::<MarkForStopParams>,
    },
    BotSpec {
        name: "tag_ec2_resource",
        summary: "Set one tag on the EC2 resource; a key or value with spaces is written in double quotes.",
        phase: Phase::Modify,
        guard: false,
        entity_type: "any EC2 resource",
        changes_instance: false,
        iam_actions: &["ec2:CreateTags", "ec2:DescribeTags"],
        params: &[
            ParamSpec { name: "key", description: "tag key, in double quotes when it has spaces", required: true },
            ParamSpec { name: "value", description: "tag value, in double quotes when it has spaces", required: true },
        ],
        example: "AUTO: tag_ec2_resource \"owner\" \"security team\"",
        differences: "Quotes are honoured however the tokens fall (the original split \"security team\" alone into a key and a value) and any character EC2 allows may be quoted; a line that is not exactly one key and one value is rejected at plan time instead of tagging with the first two parts; a resource that already has the tag is already compliant, a different value is replaced and the old one named; a missing resource is skipped with a reason.",
        parse: parse_as::<TagParams>,
    },
];
