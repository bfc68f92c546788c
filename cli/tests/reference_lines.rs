//! Every bot's `AUTO:` grammar as the original documents it (positional, `key=value` with
//! positional fallback, `Name:value`, quoted values, `$ACCOUNT_ID`): these lines, written the
//! way users have them in their CloudGuard rulesets, plan cleanly; malformed variants are
//! rejected before anything runs, each with a reason naming the bot and the problem.

use cloudbots_shared::finding::from_cloudguard;
use cloudbots_shared::plan::{plan, Plan, PlannerConfig};
use serde_json::json;

fn plan_line(line: &str) -> Plan {
    let finding = json!({
        "reportTime": "2026-11-30T10:00:00Z",
        "rule": {"name": "r", "complianceTags": line},
        "status": "Failed",
        "account": {"id": "123456789012", "vendor": "AWS"},
        "entity": {"id": "res-1", "name": "res", "region": "us_east_1"},
    });
    let config = PlannerConfig {
        snapshot_before_change: false,
        ..Default::default()
    }
    .with_every_destroy_bot();
    plan(&from_cloudguard(&finding).unwrap(), &config)
}

const ACCEPTED: &[&str] = &[
    "AUTO: acl_delete",
    "AUTO: acl_revert_modification",
    "AUTO: ami_set_to_private",
    "AUTO: ec2_attach_instance_role role_arn=arn:aws:iam::$ACCOUNT_ID:instance-profile/web",
    "AUTO: ec2_attach_instance_role arn:aws:iam::123456789012:instance-profile/web",
    "AUTO: ec2_attach_sg quarantine-sg",
    "AUTO: ec2_create_snapshot",
    "AUTO: ec2_delete_key_pair",
    "AUTO: ec2_detach_instance_role",
    "AUTO: ec2_quarantine_instance",
    "AUTO: ec2_release_eips",
    "AUTO: ec2_stop_instance",
    "AUTO: ec2_terminate_instance",
    "AUTO: ec2_tag_instance_from_vpc Owner",
    "AUTO: ec2_update_instance_role policy_arn=arn:aws:iam::aws:policy/ReadOnlyAccess",
    "AUTO: ec2_update_instance_role arn:aws:iam::$ACCOUNT_ID:policy/app",
    "AUTO: igw_delete",
    "AUTO: intelligence_sg_rules_delete_by_scope 0.0.0.0/0 inbound 22 tcp",
    "AUTO: intelligence_sg_rules_delete_by_scope 10.0.0.0/8 outbound * *",
    "AUTO: mark_for_stop_ec2_resource 3h",
    "AUTO: mark_for_stop_ec2_resource 45m",
    "AUTO: sg_clear_rules_for_any_scope 22 tcp inbound",
    "AUTO: sg_clear_rules_for_any_scope 22 tcp inbound 10.0.0.0/8,192.168.0.0/16",
    "AUTO: sg_delete",
    "AUTO: sg_delete_not_matching_cidr 22 10.0.0.0/8 inbound",
    "AUTO: sg_modify_scope_by_port 22 0.0.0.0/0 10.0.0.0/8 inbound",
    "AUTO: sg_rules_delete",
    "AUTO: sg_rules_delete_by_scope 0.0.0.0/0 inbound 22 tcp",
    "AUTO: sg_rules_delete_by_scope 0.0.0.0/0 inbound * *",
    "AUTO: sg_single_rule_delete split=false protocol=TCP scope=0.0.0.0/0 direction=inbound port=22",
    "AUTO: sg_single_rule_delete true UDP 0.0.0.0/0 outbound 53",
    "AUTO: tag_ec2_resource owner alice",
    "AUTO: tag_ec2_resource \"owner\" \"security team\"",
    "AUTO: vpc_delete",
    "AUTO: vpc_isolate",
    "AUTO: vpc_turn_on_flow_logs",
    "AUTO: vpc_turn_on_flow_logs traffic_type=all destination=logs",
    "AUTO: vpc_turn_on_flow_logs reject s3 arn:aws:s3:::flow-log-bucket",
    "AUTO: s3_block_all_public_access",
    "AUTO: s3_delete_acls",
    "AUTO: s3_delete_bucket",
    "AUTO: s3_delete_permissions",
    "AUTO: s3_disable_static_website_hosting",
    "AUTO: s3_enable_encryption s3",
    "AUTO: s3_enable_encryption kms arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "AUTO: s3_enable_logging",
    "AUTO: s3_enable_versioning",
    "AUTO: s3_limit_access",
    "AUTO: s3_only_allow_ssl",
    "AUTO: iam_delete_access_key",
    "AUTO: iam_delete_default_policy_version",
    "AUTO: iam_detach_policy",
    "AUTO: iam_entity_create_and_attach_permission_boundary",
    "AUTO: iam_entity_create_and_attach_permission_boundary policy_name=Boundary --dryRun",
    "AUTO: iam_entity_remove_permission_boundary entity_arn=arn:aws:iam::123456789012:role/app",
    "AUTO: iam_entity_remove_permission_boundary entity_arn=all cloud_account_id=123456789012 --dryRun",
    "AUTO: iam_generate_credential_report",
    "AUTO: iam_group_delete_inline_policy",
    "AUTO: iam_quarantine_role",
    "AUTO: iam_quarantine_user",
    "AUTO: iam_revoke_access_key",
    "AUTO: iam_role_attach_policy policy_arn=arn:aws:iam::$ACCOUNT_ID:policy/limits",
    "AUTO: iam_role_clone_with_non_enumerable_name",
    "AUTO: iam_turn_on_password_policy MinimumPasswordLength:15 RequireSymbols:True RequireNumbers:True RequireUppercaseCharacters:True RequireLowercaseCharacters:True AllowUsersToChangePassword:True MaxPasswordAge:90 PasswordReusePrevention:24 HardExpiry:False",
    "AUTO: iam_turn_on_password_policy 14 true true true true true 90 24 false",
    "AUTO: iam_user_attach_policy arn:aws:iam::aws:policy/ReadOnlyAccess",
    "AUTO: iam_user_deactivate_unused_access_key",
    "AUTO: iam_user_deactivate_unused_access_key 30",
    "AUTO: iam_user_delete_inline_policies",
    "AUTO: iam_user_delete_inline_policies arn:aws:iam::aws:policy/ReadOnlyAccess",
    "AUTO: iam_user_detach",
    "AUTO: iam_user_disable_console_password",
    "AUTO: iam_user_force_password_change",
    "AUTO: kms_cmk_enable_key",
    "AUTO: kms_enable_rotation",
    "AUTO: acm_delete_certificate",
    "AUTO: lambda_detach_blanket_permissions",
    "AUTO: lambda_detach_external_layer",
    "AUTO: lambda_disable",
    "AUTO: lambda_enable_active_tracing",
    "AUTO: lambda_tag owner security-team",
    "AUTO: lambda_tag \"quarantined\"",
    "AUTO: rds_quarantine_instance",
    "AUTO: ecs_reboot",
    "AUTO: ecs_stop",
    "AUTO: ecs_service_role_detach_inline_policy",
    "AUTO: ecs_delete_repository_image",
    "AUTO: route53domain_enable_auto_renew",
    "AUTO: route53domain_enable_transfer_lock",
    "AUTO: load_balancer_enable_access_logs",
    "AUTO: network_firewall_enable_logging FLOW S3 create",
    "AUTO: network_firewall_enable_logging ALERT S3 my-logs/firewall",
    "AUTO: network_firewall_enable_logging ALERT CloudWatchLogs create",
    "AUTO: network_firewall_enable_logging FLOW KinesisDataFirehose firewall-stream",
    "AUTO: cloudtrail_enable",
    "AUTO: cloudtrail_enable trail_name=allRegionTrail bucket_name=my-trail-logs",
    "AUTO: cloudtrail_enable '' my-trail-logs",
    "AUTO: cloudtrail_enable_log_file_validation",
    "AUTO: cloudtrail_encrypt_log_files_using_existing_key alias/cloudtrail",
    "AUTO: cloudtrail_encrypt_log_files_using_new_key_creation",
    "AUTO: cloudtrail_send_to_cloudwatch",
    "AUTO: cloudtrail_send_to_cloudwatch CloudTrail/DefaultLogGroup",
    "AUTO: cloudwatch_create_metric_filter secops@example.com UnauthorizedApiCalls NoMfaConsoleLogins RootAccountLogins IamPolicyChanges CloudTrailConfigurationChanges FailedConsoleLogins DisabledOrDeletedCmks S3BucketPolicyChanges AwsConfigChanges SecurityGroupChanges NetworkAccessControlListChanges NetworkGatewayChanges RouteTableChanges VpcChanges",
    "AUTO: config_enable",
    "AUTO: config_enable bucket_name=my-config-logs bucket_region=us-west-1 include_global_resource_types_region=us-east-1",
    "AUTO: config_enable my-config-logs us-west-1 us-east-1",
    "AUTO: secretsmanager_enable_encryption alias/secrets",
    "AUTO: secretsmanager_enable_encryption arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "AUTO: ssm_document_set_private",
    "AUTO: ssm_document_set_private AccountIdToAdd=111122223333,444455556666",
    "AUTO: sns_enforce_sse 1234abcd-12ab-34cd-56ef-1234567890ab",
    "AUTO: sns_enforce_sse kmsKeyId=alias/topics kmsRegion=eu-west-1",
    "AUTO: sns_set_topic_private",
    r#"AUTO: sns_set_topic_private policy={"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sns:Publish", "Resource": "*"}]}"#,
    "AUTO: sns_topic_delete",
    "AUTO: sqs_configure_dlq",
    "AUTO: sqs_enforce_sse",
    "AUTO: sqs_enforce_sse kms 1234abcd-12ab-34cd-56ef-1234567890ab",
    "AUTO: sqs_enforce_sse 1234abcd-12ab-34cd-56ef-1234567890ab us-west-2",
    "AUTO: sqs_enforce_sse kmsKeyId=alias/queues kmsRegion=eu-west-1",
];

const REJECTED: &[&str] = &[
    "AUTO: ec2_attach_instance_role",
    "AUTO: ec2_attach_sg",
    "AUTO: ec2_update_instance_role policy_arn=ReadOnlyAccess",
    "AUTO: intelligence_sg_rules_delete_by_scope 0.0.0.0/0 sideways 22 tcp",
    "AUTO: mark_for_stop_ec2_resource soon",
    "AUTO: sg_clear_rules_for_any_scope http tcp inbound",
    "AUTO: sg_delete_not_matching_cidr 22 10.0.0.0 inbound",
    "AUTO: sg_modify_scope_by_port 22 0.0.0.0/0 inbound",
    "AUTO: sg_rules_delete_by_scope 0.0.0.0/0 inbound 70000 tcp",
    "AUTO: sg_single_rule_delete split=maybe protocol=TCP scope=0.0.0.0/0 direction=inbound port=22",
    "AUTO: tag_ec2_resource onlyOneToken",
    "AUTO: vpc_turn_on_flow_logs traffic_type=some",
    "AUTO: s3_enable_encryption kms",
    "AUTO: s3_enable_encryption aes",
    "AUTO: iam_entity_remove_permission_boundary entity_arn=all",
    "AUTO: iam_role_attach_policy",
    "AUTO: iam_turn_on_password_policy MinimumPasswordLength:15",
    "AUTO: iam_turn_on_password_policy 3 true true true true true 90 24 false",
    "AUTO: iam_user_deactivate_unused_access_key soon",
    "AUTO: kms_enable_rotation now",
    "AUTO: acm_delete_certificate now",
    "AUTO: lambda_tag",
    "AUTO: lambda_tag owner security team",
    "AUTO: lambda_tag aws:owner security",
    "AUTO: lambda_disable now",
    "AUTO: rds_quarantine_instance now",
    "AUTO: ecs_stop now",
    "AUTO: ecs_delete_repository_image latest",
    "AUTO: route53domain_enable_auto_renew 1",
    "AUTO: load_balancer_enable_access_logs my-bucket",
    "AUTO: network_firewall_enable_logging FLOW S3",
    "AUTO: network_firewall_enable_logging flow S3 create",
    "AUTO: network_firewall_enable_logging FLOW s3 create",
    "AUTO: network_firewall_enable_logging FLOW KinesisDataFirehose create",
    "AUTO: network_firewall_enable_logging FLOW S3 create extra",
    "AUTO: cloudtrail_enable -bad-name",
    "AUTO: cloudtrail_encrypt_log_files_using_existing_key",
    "AUTO: cloudtrail_encrypt_log_files_using_existing_key alias/aws/cloudtrail",
    "AUTO: cloudwatch_create_metric_filter secops@example.com RootLogins",
    "AUTO: cloudwatch_create_metric_filter RootAccountLogins",
    "AUTO: config_enable my-config-logs Oregon",
    "AUTO: secretsmanager_enable_encryption",
    "AUTO: secretsmanager_enable_encryption alias/aws/secretsmanager",
    "AUTO: secretsmanager_enable_encryption alias/secrets us-east-1",
    "AUTO: ssm_document_set_private AccountIdToAdd=All",
    "AUTO: sns_enforce_sse",
    "AUTO: sns_enforce_sse alias/aws/sns",
    r#"AUTO: sns_set_topic_private policy={"Statement":[{"Effect":"Allow","Principal":"*","Action":"sns:Publish"}]}"#,
    "AUTO: sns_set_topic_private private",
    "AUTO: sns_topic_delete now",
    "AUTO: sqs_configure_dlq now",
    "AUTO: sqs_enforce_sse kms",
    "AUTO: sqs_enforce_sse alias/queues Oregon",
];

#[test]
fn every_documented_line_plans_cleanly() {
    for line in ACCEPTED {
        let planned = plan_line(line);
        let bot = line.split(' ').nth(1).unwrap();
        assert!(
            planned.rejected.is_empty(),
            "{line}: {:?}",
            planned.rejected
        );
        assert_eq!(planned.steps.len(), 1, "{line}");
        assert_eq!(planned.steps[0].bot, bot, "{line}");
    }
}

#[test]
fn every_catalogued_bot_has_a_documented_line() {
    for bot in cloudbots_shared::catalogue::CATALOGUE.iter() {
        let prefix = format!("AUTO: {} ", bot.name);
        let exact = format!("AUTO: {}", bot.name);
        assert!(
            ACCEPTED
                .iter()
                .any(|l| l.starts_with(&prefix) || **l == exact),
            "{} has no line here",
            bot.name
        );
    }
}

#[test]
fn malformed_lines_are_rejected_with_a_precise_reason() {
    for line in REJECTED {
        let planned = plan_line(line);
        let bot = line.split(' ').nth(1).unwrap();
        assert!(
            planned.steps.is_empty(),
            "{line} planned {:?}",
            planned.steps
        );
        let [rejected] = planned.rejected.as_slice() else {
            panic!("{line}: {:?}", planned.rejected)
        };
        let prefix = format!("bad parameters for {bot}: ");
        assert!(
            rejected.reason.starts_with(&prefix) && rejected.reason.len() > prefix.len() + 10,
            "{line}: {}",
            rejected.reason
        );
        println!("{line}\n    → {}", rejected.reason);
    }
}
