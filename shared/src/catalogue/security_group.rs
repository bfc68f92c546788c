//! Security-group bots.

use super::{parse_as, BotSpec, ParamSpec, Phase};
use crate::params::{NoParams, SgSingleRuleDeleteParams};

/// The security group bots of the catalogue.
pub const BOTS: &[BotSpec] = &[
    BotSpec {
        name: "sg_rules_delete",
        summary: "Revoke every inbound and outbound rule of the security group, listing each removed rule for forensics.",
        phase: Phase::Contain,
        guard: false,
        entity_type: "SecurityGroup",
        changes_instance: false,
        iam_actions: &["ec2:DescribeSecurityGroups", "ec2:RevokeSecurityGroupEgress", "ec2:RevokeSecurityGroupIngress"],
        params: &[],
        example: "AUTO: sg_rules_delete",
        differences: "Strips the group name from every group pair, not only the first; a group with no rules left is already compliant; a missing group is skipped with a reason.",
        parse: parse_as::<NoParams>,
    },
    BotSpec {
        name: "sg_single_rule_delete",
        summary: "Remove one rule (protocol, scope, direction, port) from the security group; with split=true, cut one port out of a range and keep the rest.",
        phase: Phase::Contain,
        guard: false,
        entity_type: "SecurityGroup",
        changes_instance: false,
        iam_actions: &[
            "ec2:AuthorizeSecurityGroupEgress",
            "ec2:AuthorizeSecurityGroupIngress",
            "ec2:DescribeSecurityGroups",
            "ec2:RevokeSecurityGroupEgress",
            "ec2:RevokeSecurityGroupIngress",
        ],
        params: &[
            ParamSpec { name: "split", description: "true: when the port lies inside a wider range, re-add the rest of the range; false: only remove an exact match", required: true },
            ParamSpec { name: "protocol", description: "TCP, UDP or ALL", required: true },
            ParamSpec { name: "scope", description: "CIDR block of the rule, IPv4 or IPv6 (0.0.0.0/0, ::/0)", required: true },
            ParamSpec { name: "direction", description: "inbound or outbound", required: true },
            ParamSpec { name: "port", description: "port number; 0 with split=true means all ports; optional for ALL", required: true },
        ],
        example: "AUTO: sg_single_rule_delete split=false protocol=TCP scope=0.0.0.0/0 direction=inbound port=22",
        differences: "Matches against the group's live rules, not the finding's copy; accepts IPv6 scopes; rejects invalid split/protocol/scope values at plan time instead of guessing; the remaining ranges are added before the original range is revoked, in one call each, and a remaining range the group already has is not added twice; a port only inside a wider range with split=false is skipped with that reason; a missing group is skipped.",
        parse: parse_as::<SgSingleRuleDeleteParams>,
    },
];
