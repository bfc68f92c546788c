//! What undo can do for each bot: put back the state it replaced, or why it cannot.
//!
//! A bot is reversible when the state it replaces can be recorded in full before it acts and
//! restored afterwards — rules, policies, settings, attachments, a stopped instance, deleted
//! inline policy documents. It is irreversible when what it removes cannot be recreated as it
//! was: deleted resources whose identity or secret is lost, released addresses, stopped tasks.
//! Evidence it creates (snapshots) is never undone. Kept apart from the bot entries so the
//! whole answer reads as one table; a test holds it to exactly the catalogue.

use serde::Serialize;

/// Whether undo can restore what a bot changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "undo", content = "why", rename_all = "snake_case")]
pub enum Undo {
    /// The state the bot replaces can be recorded and restored.
    Reversible,
    /// What the bot changes cannot be put back, and why.
    Irreversible(&'static str),
    /// The bot changes nothing undo would restore, and why.
    NothingToUndo(&'static str),
}

impl Undo {
    /// `reversible`, `irreversible` or `nothing to undo`.
    pub fn word(self) -> &'static str {
        match self {
            Undo::Reversible => "reversible",
            Undo::Irreversible(_) => "irreversible",
            Undo::NothingToUndo(_) => "nothing to undo",
        }
    }

    /// For people: the word, and why when it is not reversible.
    pub fn describe(self) -> String {
        match self {
            Undo::Reversible => self.word().to_string(),
            Undo::Irreversible(why) | Undo::NothingToUndo(why) => {
                format!("{}: {why}", self.word())
            }
        }
    }
}

/// The bots undo cannot reverse, or has nothing to reverse for; every other bot is reversible.
pub const NOT_REVERSIBLE: &[(&str, Undo)] = &[
    (
        "ec2_create_snapshot",
        Undo::NothingToUndo("the snapshots are evidence, and undo never deletes evidence"),
    ),
    (
        "iam_generate_credential_report",
        Undo::NothingToUndo("it only asks IAM to generate the account's credential report"),
    ),
    (
        "ec2_release_eips",
        Undo::Irreversible("a released Elastic IP address returns to AWS's pool and cannot be claimed back"),
    ),
    (
        "ec2_terminate_instance",
        Undo::Irreversible("a terminated instance cannot be started again (the snapshot taken before is kept)"),
    ),
    (
        "ec2_delete_key_pair",
        Undo::Irreversible("the private key is gone with the key pair"),
    ),
    (
        "sg_delete",
        Undo::Irreversible("a deleted security group cannot be restored: a new one would have another id, and what referred to the old one no longer does"),
    ),
    (
        "igw_delete",
        Undo::Irreversible("deleted internet gateways cannot be restored, and the stopped instances' public IP addresses are released"),
    ),
    (
        "vpc_delete",
        Undo::Irreversible("a deleted VPC cannot be restored: a new one would have another id"),
    ),
    (
        "acl_delete",
        Undo::Irreversible("a deleted network ACL cannot be restored: a new one would have another id"),
    ),
    (
        "s3_delete_bucket",
        Undo::Irreversible("a deleted bucket's name is free for anyone to take"),
    ),
    (
        "sns_topic_delete",
        Undo::Irreversible("the topic's subscriptions are deleted with it, and each endpoint would have to confirm a new one"),
    ),
    (
        "acm_delete_certificate",
        Undo::Irreversible("the certificate's private key is gone with it"),
    ),
    (
        "ecs_reboot",
        Undo::Irreversible("stopped tasks cannot be resumed (their services start new ones)"),
    ),
    (
        "ecs_stop",
        Undo::Irreversible("stopped tasks cannot be resumed"),
    ),
    (
        "ecs_delete_repository_image",
        Undo::Irreversible("a deleted image is gone from the repository: only whoever built it can push it again"),
    ),
    (
        "iam_delete_access_key",
        Undo::Irreversible("a deleted access key's secret cannot be restored"),
    ),
    (
        "iam_user_disable_console_password",
        Undo::Irreversible("the deleted login profile's password is not known, so it cannot be recreated"),
    ),
    (
        "iam_delete_default_policy_version",
        Undo::Irreversible("a deleted policy version cannot be given back: IAM never reuses a version id, so its document could only return as a new version with another id, and the policy's versions would not be as before"),
    ),
    (
        "iam_role_clone_with_non_enumerable_name",
        Undo::NothingToUndo("it changes nothing of the original role, only creates the clone, which undo does not delete (it may already be in use; delete it by hand if unwanted)"),
    ),
];

/// A restorer: the function that puts one kind of resource back in the state a bot replaced,
/// the bots whose recorded changes it reverses, and every IAM action its own role needs.
/// Bots' roles never hold these inverse actions; a restorer's role holds only them.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct RestorerSpec {
    pub name: &'static str,
    pub summary: &'static str,
    pub bots: &'static [&'static str],
    pub iam_actions: &'static [&'static str],
}

/// The restorers, one per kind of resource.
pub const RESTORERS: &[RestorerSpec] = &[
    RestorerSpec {
        name: "restore_security_group_rules",
        summary: "Authorizes again the rules a security-group bot revoked and revokes the rules it added, when the group still has exactly the rules the bot left",
        bots: &[
            "sg_rules_delete",
            "sg_single_rule_delete",
            "sg_rules_delete_by_scope",
            "intelligence_sg_rules_delete_by_scope",
            "sg_delete_not_matching_cidr",
            "sg_clear_rules_for_any_scope",
            "sg_modify_scope_by_port",
        ],
        iam_actions: &[
            "ec2:AuthorizeSecurityGroupEgress",
            "ec2:AuthorizeSecurityGroupIngress",
            "ec2:DescribeSecurityGroups",
            "ec2:RevokeSecurityGroupEgress",
            "ec2:RevokeSecurityGroupIngress",
        ],
    },
    RestorerSpec {
        name: "restore_vpc_settings",
        summary: "Deletes the flow log a bot created, or gives an isolated VPC back its DNS support, each subnet its previous network ACL and detaches the deny policy from the users it was attached to, when the VPC still is as the bot left it; the delivery role, log group, deny-all network ACL and deny policy the bots created stay",
        bots: &["vpc_turn_on_flow_logs", "vpc_isolate"],
        iam_actions: &[
            "ec2:DeleteFlowLogs",
            "ec2:DescribeFlowLogs",
            "ec2:DescribeNetworkAcls",
            "ec2:DescribeVpcAttribute",
            "ec2:ModifyVpcAttribute",
            "ec2:ReplaceNetworkAclAssociation",
            "iam:DetachUserPolicy",
            "iam:ListEntitiesForPolicy",
        ],
    },
    RestorerSpec {
        name: "restore_load_balancer_attributes",
        summary: "Sets back the access-log attributes (enabled, bucket, prefix) a bot changed on a classic or application load balancer, when it still has them as the bot left them; the log bucket and its delivery statement stay, with the logs delivered",
        bots: &["load_balancer_enable_access_logs"],
        iam_actions: &[
            "elasticloadbalancing:DescribeLoadBalancerAttributes",
            "elasticloadbalancing:ModifyLoadBalancerAttributes",
        ],
    },
    // Network Firewall checks the caller's right to manage log delivery to the destinations
    // it adds or removes (CloudWatch Logs deliveries, the bucket policy, a Firehose stream's
    // service-linked role), as for the bot.
    RestorerSpec {
        name: "restore_firewall_logging",
        summary: "Puts back the logging configuration a bot replaced on a Network Firewall, when the firewall still has the configuration the bot left; a bucket or log group the bot created stays, with the logs delivered",
        bots: &["network_firewall_enable_logging"],
        iam_actions: &[
            "firehose:TagDeliveryStream",
            "iam:CreateServiceLinkedRole",
            "logs:CreateLogDelivery",
            "logs:DeleteLogDelivery",
            "logs:DescribeLogGroups",
            "logs:DescribeResourcePolicies",
            "logs:GetLogDelivery",
            "logs:ListLogDeliveries",
            "logs:PutResourcePolicy",
            "logs:UpdateLogDelivery",
            "network-firewall:DescribeLoggingConfiguration",
            "network-firewall:UpdateLoggingConfiguration",
            "s3:GetBucketPolicy",
            "s3:PutBucketPolicy",
        ],
    },
    RestorerSpec {
        name: "restore_network_acl_entries",
        summary: "Puts a network ACL's entries back exactly as they were before acl_revert_modification, when the ACL still has the entries the bot left",
        bots: &["acl_revert_modification"],
        iam_actions: &[
            "ec2:CreateNetworkAclEntry",
            "ec2:DeleteNetworkAclEntry",
            "ec2:DescribeNetworkAcls",
            "ec2:ReplaceNetworkAclEntry",
        ],
    },
    RestorerSpec {
        name: "restore_instance_state",
        summary: "Starts again an instance a bot stopped, when it still is stopped",
        bots: &["ec2_stop_instance"],
        iam_actions: &["ec2:DescribeInstances", "ec2:StartInstances"],
    },
    RestorerSpec {
        name: "restore_instance_security_groups",
        summary: "Gives an instance back the security groups a bot replaced, when it still is in exactly the group the bot left it in",
        bots: &["ec2_quarantine_instance", "ec2_attach_sg"],
        iam_actions: &["ec2:DescribeInstances", "ec2:ModifyInstanceAttribute"],
    },
    RestorerSpec {
        name: "restore_instance_profile",
        summary: "Takes back the instance profile a bot associated with an instance, or puts back in an instance profile the role a bot removed, when the instance or profile still is as the bot left it; the instance profile and role themselves stay",
        bots: &["ec2_attach_instance_role", "ec2_detach_instance_role"],
        iam_actions: &[
            "ec2:DescribeIamInstanceProfileAssociations",
            "ec2:DisassociateIamInstanceProfile",
            "iam:AddRoleToInstanceProfile",
            "iam:GetInstanceProfile",
            "iam:PassRole",
            "iam:RemoveRoleFromInstanceProfile",
        ],
    },
    RestorerSpec {
        name: "restore_image_permissions",
        summary: "Gives an AMI back exactly the launch permissions a bot replaced (public, and every account, organization or organizational unit it was shared with), when the AMI still has them as the bot left them",
        bots: &["ami_set_to_private"],
        iam_actions: &["ec2:DescribeImageAttribute", "ec2:ModifyImageAttribute"],
    },
    RestorerSpec {
        name: "restore_db_instance_security_groups",
        summary: "Gives an RDS instance back the VPC security groups a bot replaced, applied immediately, when it still is in exactly the group the bot left it in; the quarantine group stays",
        bots: &["rds_quarantine_instance"],
        iam_actions: &["rds:DescribeDBInstances", "rds:ModifyDBInstance"],
    },
    RestorerSpec {
        name: "restore_ec2_tags",
        summary: "Sets back, or removes, the tag a bot put on an EC2 resource, when the resource still has it as the bot left it",
        bots: &["mark_for_stop_ec2_resource", "tag_ec2_resource", "ec2_tag_instance_from_vpc"],
        iam_actions: &["ec2:CreateTags", "ec2:DeleteTags", "ec2:DescribeTags"],
    },
    RestorerSpec {
        name: "restore_kms_key",
        summary: "Turns automatic rotation off again, or disables again a key a bot enabled (a deletion the bot cancelled is never scheduled again), when the key still is as the bot left it",
        bots: &["kms_cmk_enable_key", "kms_enable_rotation"],
        iam_actions: &[
            "kms:DescribeKey",
            "kms:DisableKey",
            "kms:DisableKeyRotation",
            "kms:GetKeyRotationStatus",
        ],
    },
    RestorerSpec {
        name: "restore_topic_attributes",
        summary: "Sets back the SNS topic attribute a bot changed (its KMS key, its policy), when the topic still has it as the bot left it",
        bots: &["sns_enforce_sse", "sns_set_topic_private"],
        iam_actions: &["sns:GetTopicAttributes", "sns:SetTopicAttributes"],
    },
    RestorerSpec {
        name: "restore_queue_attributes",
        summary: "Sets back the SQS queue attributes a bot changed (its encryption, its redrive policy; a dead-letter queue it created stays), when the queue still has them as the bot left them",
        bots: &["sqs_configure_dlq", "sqs_enforce_sse"],
        iam_actions: &["sqs:GetQueueAttributes", "sqs:SetQueueAttributes"],
    },
    RestorerSpec {
        name: "restore_lambda_function",
        summary: "Sets back what a bot changed on a Lambda function (its reserved concurrency, a tag, its tracing mode, its layers in their order), when the function still is as the bot left it",
        bots: &[
            "lambda_detach_external_layer",
            "lambda_disable",
            "lambda_enable_active_tracing",
            "lambda_tag",
        ],
        iam_actions: &[
            "lambda:DeleteFunctionConcurrency",
            "lambda:GetFunctionConcurrency",
            "lambda:GetFunctionConfiguration",
            "lambda:ListTags",
            "lambda:PutFunctionConcurrency",
            "lambda:TagResource",
            "lambda:UntagResource",
            "lambda:UpdateFunctionConfiguration",
        ],
    },
    RestorerSpec {
        name: "restore_domain_settings",
        summary: "Turns automatic renewal or the transfer lock of a registered domain off again, when the domain still is as the bot left it",
        bots: &[
            "route53domain_enable_auto_renew",
            "route53domain_enable_transfer_lock",
        ],
        iam_actions: &[
            "route53domains:DisableDomainAutoRenew",
            "route53domains:DisableDomainTransferLock",
            "route53domains:GetDomainDetail",
        ],
    },
    RestorerSpec {
        name: "restore_secret_encryption",
        summary: "Encrypts a secret again with the KMS key it had before a bot changed it (the AWS-managed key aws/secretsmanager when it named none), when it still is on the key the bot left; the key the bot used stays",
        bots: &["secretsmanager_enable_encryption"],
        iam_actions: &[
            "kms:Decrypt",
            "kms:GenerateDataKey",
            "secretsmanager:DescribeSecret",
            "secretsmanager:UpdateSecret",
        ],
    },
    RestorerSpec {
        name: "restore_document_permissions",
        summary: "Shares a Systems Manager document again with exactly the accounts (or everyone) it was shared with before a bot changed it, when it still is shared as the bot left it",
        bots: &["ssm_document_set_private"],
        iam_actions: &[
            "ssm:DescribeDocumentPermission",
            "ssm:ModifyDocumentPermission",
        ],
    },
    RestorerSpec {
        name: "restore_trail_settings",
        summary: "Puts back the trail settings a CloudTrail bot changed (logging, every region, log file validation, KMS key, CloudWatch Logs delivery), or deletes the trail cloudtrail_enable created, when the trail still is as the bot left it; the log bucket and the logs in it, a KMS key, log group or delivery role a bot created stay",
        bots: &[
            "cloudtrail_enable",
            "cloudtrail_enable_log_file_validation",
            "cloudtrail_encrypt_log_files_using_existing_key",
            "cloudtrail_encrypt_log_files_using_new_key_creation",
            "cloudtrail_send_to_cloudwatch",
        ],
        iam_actions: &[
            "cloudtrail:DeleteTrail",
            "cloudtrail:GetTrail",
            "cloudtrail:GetTrailStatus",
            "cloudtrail:StartLogging",
            "cloudtrail:StopLogging",
            "cloudtrail:UpdateTrail",
        ],
    },
    RestorerSpec {
        name: "restore_config_recorder",
        summary: "Puts AWS Config of a region back as config_enable found it: the recorder and delivery channel it created deleted, a recorder it redefined given its previous definition, recording stopped when it was, when Config still is as the bot left it; the Config bucket with the history delivered and the Config role stay",
        bots: &["config_enable"],
        iam_actions: &[
            "config:DeleteConfigurationRecorder",
            "config:DeleteDeliveryChannel",
            "config:DescribeConfigurationRecorderStatus",
            "config:DescribeConfigurationRecorders",
            "config:DescribeDeliveryChannels",
            "config:PutConfigurationRecorder",
            "config:PutDeliveryChannel",
            "config:StartConfigurationRecorder",
            "config:StopConfigurationRecorder",
            "iam:PassRole",
        ],
    },
    RestorerSpec {
        name: "restore_metric_alarms",
        summary: "Deletes the metric filters and alarms cloudwatch_create_metric_filter created on a trail's log group, or puts back a filter or alarm definition it replaced, when they still are as the bot left them; the alarm topic and its subscription stay",
        bots: &["cloudwatch_create_metric_filter"],
        iam_actions: &[
            "cloudwatch:DeleteAlarms",
            "cloudwatch:DescribeAlarms",
            "cloudwatch:PutMetricAlarm",
            "logs:DeleteMetricFilter",
            "logs:DescribeMetricFilters",
            "logs:PutMetricFilter",
        ],
    },
    RestorerSpec {
        name: "restore_bucket_settings",
        summary: "Puts back the bucket settings an S3 bot replaced (public access block, policy, ACL, static website, default encryption, access logging, versioning), when the bucket still has them as the bot left them",
        bots: &[
            "s3_block_all_public_access",
            "s3_delete_acls",
            "s3_delete_permissions",
            "s3_disable_static_website_hosting",
            "s3_enable_encryption",
            "s3_enable_logging",
            "s3_enable_versioning",
            "s3_limit_access",
            "s3_only_allow_ssl",
        ],
        iam_actions: &[
            "s3:DeleteBucketPolicy",
            "s3:DeleteBucketWebsite",
            "s3:GetBucketAcl",
            "s3:GetBucketLogging",
            "s3:GetBucketPolicy",
            "s3:GetBucketPublicAccessBlock",
            "s3:GetBucketVersioning",
            "s3:GetBucketWebsite",
            "s3:GetEncryptionConfiguration",
            "s3:PutBucketAcl",
            "s3:PutBucketLogging",
            "s3:PutBucketPolicy",
            "s3:PutBucketPublicAccessBlock",
            "s3:PutBucketVersioning",
            "s3:PutBucketWebsite",
            "s3:PutEncryptionConfiguration",
        ],
    },
    RestorerSpec {
        name: "restore_iam_principal_policies",
        summary: "Gives IAM users, groups and roles back what an IAM policy bot changed (managed policies attached or detached, the quarantine policy detached, deleted inline policies with their recorded documents, the permissions boundary, a user's group membership), when they still are as the bot left them; a boundary policy or the quarantine policy a bot created is kept",
        bots: &[
            "iam_role_attach_policy",
            "iam_user_attach_policy",
            "iam_detach_policy",
            "iam_group_delete_inline_policy",
            "ecs_service_role_detach_inline_policy",
            "iam_user_delete_inline_policies",
            "iam_user_detach",
            "iam_entity_remove_permission_boundary",
            "iam_entity_create_and_attach_permission_boundary",
            "iam_quarantine_role",
            "iam_quarantine_user",
            "ec2_update_instance_role",
            "lambda_detach_blanket_permissions",
        ],
        iam_actions: &[
            "iam:AddUserToGroup",
            "iam:AttachGroupPolicy",
            "iam:AttachRolePolicy",
            "iam:AttachUserPolicy",
            "iam:DeleteRolePermissionsBoundary",
            "iam:DeleteUserPermissionsBoundary",
            "iam:DetachRolePolicy",
            "iam:DetachUserPolicy",
            "iam:GetGroupPolicy",
            "iam:GetRole",
            "iam:GetRolePolicy",
            "iam:GetUser",
            "iam:GetUserPolicy",
            "iam:ListAttachedGroupPolicies",
            "iam:ListAttachedRolePolicies",
            "iam:ListAttachedUserPolicies",
            "iam:ListGroupPolicies",
            "iam:ListGroupsForUser",
            "iam:ListRolePolicies",
            "iam:ListUserPolicies",
            "iam:PutGroupPolicy",
            "iam:PutRolePermissionsBoundary",
            "iam:PutRolePolicy",
            "iam:PutUserPermissionsBoundary",
            "iam:PutUserPolicy",
        ],
    },
    RestorerSpec {
        name: "restore_iam_user_credentials",
        summary: "Gives an IAM user back the access-key statuses and the password-reset requirement a bot changed (keys active again, no new password required), when they still are as the bot left them; a key or console password deleted since cannot be recreated",
        bots: &[
            "iam_revoke_access_key",
            "iam_user_deactivate_unused_access_key",
            "iam_user_force_password_change",
        ],
        iam_actions: &[
            "iam:GetLoginProfile",
            "iam:ListAccessKeys",
            "iam:UpdateAccessKey",
            "iam:UpdateLoginProfile",
        ],
    },
    RestorerSpec {
        name: "restore_account_password_policy",
        summary: "Puts the account password policy back exactly as it was before iam_turn_on_password_policy, or deletes it when the account had none, when it still is as the bot left it",
        bots: &["iam_turn_on_password_policy"],
        iam_actions: &[
            "iam:DeleteAccountPasswordPolicy",
            "iam:GetAccountPasswordPolicy",
            "iam:UpdateAccountPasswordPolicy",
        ],
    },
];

impl RestorerSpec {
    /// The scope of the restorer's `iam:PassRole`, when it passes roles.
    pub fn pass_role(&self) -> Option<super::PassRole> {
        super::pass_role_of(self.name)
    }
}

/// The restorer of `bot`'s changes, when it has one.
pub fn restorer_of(bot: &str) -> Option<&'static RestorerSpec> {
    RESTORERS.iter().find(|r| r.bots.contains(&bot))
}

/// The restorer named `name`.
pub fn lookup_restorer(name: &str) -> Option<&'static RestorerSpec> {
    RESTORERS.iter().find(|r| r.name == name)
}

/// What undo can do for `bot`.
pub fn undo_of(bot: &str) -> Undo {
    NOT_REVERSIBLE
        .iter()
        .find(|(name, _)| *name == bot)
        .map_or(Undo::Reversible, |(_, undo)| *undo)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::{lookup, Phase, CATALOGUE};

    #[test]
    fn the_table_names_catalogued_bots_once_each() {
        for (i, (name, _)) in NOT_REVERSIBLE.iter().enumerate() {
            assert!(lookup(name).is_some(), "{name} is not a bot");
            assert!(
                NOT_REVERSIBLE[..i].iter().all(|(n, _)| n != name),
                "{name} twice"
            );
        }
    }

    #[test]
    fn each_restorer_serves_reversible_catalogued_bots_no_bot_has_two() {
        for (i, restorer) in RESTORERS.iter().enumerate() {
            assert!(
                lookup(restorer.name).is_none(),
                "{} is a bot's name",
                restorer.name
            );
            for bot in restorer.bots {
                assert!(lookup(bot).is_some(), "{bot} is not a bot");
                assert_eq!(undo_of(bot), Undo::Reversible, "{bot}");
                assert!(
                    RESTORERS[..i].iter().all(|r| !r.bots.contains(bot)),
                    "{bot} has two restorers"
                );
            }
            let mut sorted = restorer.iam_actions.to_vec();
            sorted.sort_unstable();
            assert_eq!(
                sorted, restorer.iam_actions,
                "{} actions sorted",
                restorer.name
            );
        }
        assert_eq!(
            restorer_of("sg_single_rule_delete").map(|r| r.name),
            Some("restore_security_group_rules")
        );
        assert!(restorer_of("ec2_terminate_instance").is_none());
    }

    #[test]
    fn evidence_is_never_undone_and_most_deletions_cannot_be() {
        let preserve: Vec<_> = CATALOGUE
            .iter()
            .filter(|b| b.phase == Phase::Preserve)
            .collect();
        assert!(!preserve.is_empty());
        for bot in preserve {
            assert!(
                matches!(undo_of(bot.name), Undo::NothingToUndo(_)),
                "{}",
                bot.name
            );
        }
        // Destroy-phase bots are irreversible, except those that delete documents the outcome
        // records in full (inline policies), which undo puts back.
        let reversible_deletions: Vec<&str> = CATALOGUE
            .iter()
            .filter(|b| b.phase == Phase::Destroy && undo_of(b.name) == Undo::Reversible)
            .map(|b| b.name)
            .collect();
        assert_eq!(
            reversible_deletions,
            [
                "ecs_service_role_detach_inline_policy",
                "iam_group_delete_inline_policy",
                "iam_user_delete_inline_policies",
            ]
        );
        assert_eq!(undo_of("ec2_stop_instance").describe(), "reversible");
        assert_eq!(
            undo_of("ec2_delete_key_pair").describe(),
            "irreversible: the private key is gone with the key pair"
        );
    }
}
