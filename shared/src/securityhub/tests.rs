use super::resources::{entity_of, RESOURCE_KINDS};
use super::*;
use crate::plan::{plan, PlannerConfig};

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/../tests/fixtures/securityhub/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).expect(&path)).unwrap()
}

fn mappings() -> Mappings {
    Mappings::guardduty(
        r#"{"UnauthorizedAccess:EC2/SSHBruteForce": "AUTO: ec2_stop_instance",
            "Execution:Runtime/NewBinaryExecuted": "AUTO: ec2_quarantine_instance"}"#,
    )
    .unwrap()
    .with_securityhub(
        r#"{"S3.8": "AUTO: s3_block_all_public_access",
            "S3.12": "AUTO: s3_delete_acls",
            "EC2.2": "AUTO: sg_rules_delete",
            "EC2.19": "AUTO: sg_single_rule_delete split=true protocol=TCP scope=0.0.0.0/0 direction=inbound port=22",
            "CloudTrail.4": "AUTO: cloudtrail_enable_log_file_validation",
            "SQS.1": "AUTO: sqs_enforce_sse",
            "SQS.3": "AUTO: sqs_enforce_sse"}"#,
    )
    .unwrap()
}

fn one(event: &Value) -> Finding {
    let mut read = from_eventbridge(event, &mappings());
    assert_eq!(read.len(), 1);
    read.remove(0).unwrap()
}

/// The bots a fixture plans, or its skip reason.
fn planned(name: &str) -> Result<Vec<String>, String> {
    let planned = plan(&one(&fixture(name)), &PlannerConfig::default());
    match planned.skipped {
        Some(reason) => Err(reason),
        None => Ok(planned.steps.iter().map(|s| s.bot.clone()).collect()),
    }
}

#[test]
fn every_fixture_plans_its_bots_or_says_why_not() {
    assert_eq!(
        planned("asff_s3.8_bucket-public-access-block_failed_consolidated.json"),
        Ok(vec!["s3_block_all_public_access".to_string()])
    );
    assert_eq!(
        planned("asff_ec2.2_default-sg_failed_fsbp-unconsolidated.json"),
        Ok(vec!["sg_rules_delete".to_string()])
    );
    assert_eq!(
        planned("asff_cloudtrail.4_log-file-validation_failed_consolidated.json"),
        Ok(vec!["cloudtrail_enable_log_file_validation".to_string()])
    );
    assert_eq!(
        planned("asff_guardduty_ec2-ssh-bruteforce.json"),
        Ok(vec![
            "ec2_create_snapshot".to_string(),
            "ec2_stop_instance".to_string()
        ])
    );
    assert_eq!(
        planned("asff_s3.12_bucket-acls_PASSED_consolidated.json"),
        Err("control S3.12 is PASSED: nothing to remediate".to_string())
    );
    assert_eq!(
        planned("ocsf_sqs.1_queue-encryption_failed.json"),
        Ok(vec!["sqs_enforce_sse".to_string()])
    );
    assert_eq!(
        planned("ocsf_ec2.19_sg-high-risk-ports_failed.json"),
        Ok(vec!["sg_single_rule_delete".to_string()])
    );
    assert_eq!(
        planned("ocsf_s3.8_bucket-public-access-block_failed.json"),
        Ok(vec!["s3_block_all_public_access".to_string()])
    );
    assert_eq!(
        planned("ocsf_guardduty_ec2-runtime-new-binary-executed.json"),
        Ok(vec![
            "ec2_create_snapshot".to_string(),
            "ec2_quarantine_instance".to_string()
        ])
    );
    assert_eq!(
        planned("ocsf_sqs.3_queue-public-access_PASSED.json"),
        Err("the finding is already resolved (status Resolved): nothing to remediate".to_string())
    );
}

#[test]
fn the_findings_account_and_resource_region_are_used_never_the_envelopes() {
    let event = fixture("asff_ec2.2_default-sg_failed_fsbp-unconsolidated.json");
    assert_eq!(event["account"], "444455556666");
    let f = one(&event);
    assert_eq!(f.source, Source::SecurityHub);
    assert_eq!(f.account_id, "111122223333");
    assert_eq!(f.region, "us-east-1");
    assert_eq!(f.entity_id, "sg-1234123f");
    assert_eq!(f.rule.id.as_deref(), Some("EC2.2"));
    let record = f.securityhub.unwrap();
    assert_eq!(record.format, Format::Asff);
    assert_eq!(record.account_id, "111122223333");
    assert_eq!(record.region, "us-east-1");
    assert_eq!(
        record.product_arn,
        "arn:aws:securityhub:us-east-1::product/aws/securityhub"
    );

    let mut moved = fixture("ocsf_sqs.1_queue-encryption_failed.json");
    moved["region"] = json!("eu-west-1"); // the aggregation region that received it
    let f = one(&moved);
    assert_eq!(
        (f.account_id.as_str(), f.region.as_str()),
        ("111122223333", "us-east-2")
    );
    assert_eq!(f.securityhub.as_ref().unwrap().region, "eu-west-1");
    assert_eq!(
        f.entity["queueUrl"],
        "https://sqs.us-east-2.amazonaws.com/111122223333/securityhubfinding"
    );
    let planned = plan(
        &f,
        &PlannerConfig {
            home_account: Some("444455556666".into()),
            ..PlannerConfig::default()
        },
    );
    assert!(planned.rejected[0]
        .reason
        .starts_with("This finding was found in account id 111122223333."));
}

#[test]
fn archived_suppressed_resolved_and_closed_findings_run_nothing_and_say_why() {
    let s38 = fixture("asff_s3.8_bucket-public-access-block_failed_consolidated.json");
    let cases = [
        (
            "/detail/findings/0/RecordState",
            json!("ARCHIVED"),
            "the finding is archived (RecordState ARCHIVED): nothing to remediate",
        ),
        (
            "/detail/findings/0/Workflow/Status",
            json!("SUPPRESSED"),
            "the finding is suppressed (Workflow SUPPRESSED): nothing to remediate",
        ),
        (
            "/detail/findings/0/Workflow/Status",
            json!("RESOLVED"),
            "the finding is already resolved (Workflow RESOLVED): nothing to remediate",
        ),
        (
            "/detail/findings/0/Compliance/Status",
            json!("WARNING"),
            "control S3.8 is WARNING: nothing to remediate",
        ),
        (
            "/detail/findings/0/Compliance/SecurityControlId",
            json!("S3.1"),
            "no bots are mapped to Security Hub control S3.1 (SECURITYHUB_ACTIONS)",
        ),
    ];
    for (pointer, value, reason) in cases {
        let mut event = s38.clone();
        *event.pointer_mut(pointer).unwrap() = value;
        assert_eq!(
            one(&event).skip_reason.as_deref(),
            Some(reason),
            "{pointer}"
        );
    }
    let sqs = fixture("ocsf_sqs.1_queue-encryption_failed.json");
    let cases = [
        (
            "/detail/findings/0/activity_id",
            json!(3),
            "the finding is closed (activity Close): nothing to remediate",
        ),
        (
            "/detail/findings/0/status_id",
            json!(5),
            "the finding is archived (status New): nothing to remediate",
        ),
        (
            "/detail/findings/0/status_id",
            json!(3),
            "the finding is suppressed (status New): nothing to remediate",
        ),
    ];
    for (pointer, value, reason) in cases {
        let mut event = sqs.clone();
        *event.pointer_mut(pointer).unwrap() = value;
        assert_eq!(
            one(&event).skip_reason.as_deref(),
            Some(reason),
            "{pointer}"
        );
    }
    // A NOTIFIED finding (someone looked at it) is still acted on.
    let mut notified = s38.clone();
    notified["detail"]["findings"][0]["Workflow"]["Status"] = json!("NOTIFIED");
    assert_eq!(one(&notified).skip_reason, None);
}

#[test]
fn the_control_id_is_the_security_control_id_never_a_standards_own() {
    let mut event = fixture("asff_ec2.2_default-sg_failed_fsbp-unconsolidated.json");
    let finding = &mut event["detail"]["findings"][0];
    finding["Compliance"]
        .as_object_mut()
        .unwrap()
        .remove("SecurityControlId");
    // Parsed from the FSBP finding id.
    assert_eq!(one(&event).rule.id.as_deref(), Some("EC2.2"));
    let finding = &mut event["detail"]["findings"][0];
    finding["Id"] = json!("arn:aws:securityhub:us-east-1:111122223333:subscription/pci-dss/v/3.2.1/PCI.KMS.1/finding/0d3e0a1b-1111-4222-8333-444455556666");
    finding["ProductFields"]["ControlId"] = json!("PCI.KMS.1");
    assert_eq!(
        one(&event).skip_reason.as_deref(),
        Some("a Security Hub finding without a security control id (Compliance.SecurityControlId / compliance.control)")
    );
}

#[test]
fn other_products_are_not_acted_on() {
    let mut event = fixture("asff_s3.8_bucket-public-access-block_failed_consolidated.json");
    event["detail"]["findings"][0]["ProductArn"] =
        json!("arn:aws:securityhub:us-east-1::product/aws/inspector");
    event["detail"]["findings"][0]["ProductName"] = json!("Inspector");
    assert_eq!(
        one(&event).skip_reason.as_deref(),
        Some("findings of Inspector are not acted on: cloudbots acts on Security Hub control findings and GuardDuty findings")
    );
    let mut coverage = fixture("ocsf_s3.8_bucket-public-access-block_failed.json");
    coverage["detail"]["findings"][0]["metadata"]["product"]["uid"] =
        json!("arn:aws:securityhub:us-east-2::productv2/aws/securityhub-coverage");
    coverage["detail"]["findings"][0]["metadata"]["product"]["name"] =
        json!("Security Hub Coverage");
    assert!(one(&coverage)
        .skip_reason
        .unwrap()
        .starts_with("findings of Security Hub Coverage are not acted on"));
}

/// The direct GuardDuty event of the finding an ASFF/OCSF fixture relays.
fn direct_guardduty(id: &str, updated_at: Value, count: u64, instance: &str, vpc: &str) -> Value {
    json!({
        "version": "0", "id": "direct-delivery", "detail-type": "GuardDuty Finding",
        "source": "aws.guardduty", "account": "111122223333", "region": "us-east-1",
        "detail": {
            "schemaVersion": "2.0", "accountId": "111122223333", "region": "us-east-1",
            "id": id, "type": "UnauthorizedAccess:EC2/SSHBruteForce", "updatedAt": updated_at,
            "createdAt": "2024-01-10T00:00:00.000Z", "severity": 2,
            "resource": {"resourceType": "Instance", "instanceDetails": {
                "instanceId": instance, "networkInterfaces": [{"vpcId": vpc}]}},
            "service": {"count": count},
        }
    })
}

#[test]
fn a_guardduty_finding_through_security_hub_is_the_direct_one() {
    let relayed = one(&fixture("asff_guardduty_ec2-ssh-bruteforce.json"));
    let direct = guardduty::from_eventbridge(
        &direct_guardduty(
            "a1b2c3d4e5f60718293a4b5c6d7e8f90",
            json!("2024-01-12T07:45:57.163Z"),
            7,
            "i-0a1b2c3d4e5f67890",
            "vpc-0a1b2c3d4e5f67890",
        ),
        &mappings(),
    )
    .unwrap();
    assert_eq!(relayed.source, Source::GuardDuty);
    assert_eq!(relayed.fingerprint, direct.fingerprint);
    assert_eq!(
        crate::plan::execution_name(&relayed),
        crate::plan::execution_name(&direct)
    );
    assert_eq!(
        relayed.rule.id.as_deref(),
        Some("UnauthorizedAccess:EC2/SSHBruteForce")
    );
    assert_eq!(relayed.entity["vpc"]["id"], "vpc-0a1b2c3d4e5f67890");
    assert_eq!(relayed.entity_name, "example-web-server");

    // OCSF writes the update time in milliseconds: the same instant is the same generation.
    let relayed = one(&fixture(
        "ocsf_guardduty_ec2-runtime-new-binary-executed.json",
    ));
    let mut event = direct_guardduty(
        "b2c3d4e5f60718293a4b5c6d7e8f90a1",
        json!("2025-10-03T20:49:21.464Z"),
        1,
        "i-0123456789abcdef0",
        "",
    );
    event["detail"]["type"] = json!("Execution:Runtime/NewBinaryExecuted");
    let direct = guardduty::from_eventbridge(&event, &mappings()).unwrap();
    assert_eq!(relayed.fingerprint, direct.fingerprint);
    // A later update of the finding is a new generation.
    event["detail"]["updatedAt"] = json!("2025-10-03T21:49:21.464Z");
    let later = guardduty::from_eventbridge(&event, &mappings()).unwrap();
    assert_ne!(relayed.fingerprint, later.fingerprint);
}

#[test]
fn the_echo_of_cloudbots_own_update_is_recognised_and_a_later_generation_is_not() {
    let event = fixture("asff_s3.8_bucket-public-access-block_failed_consolidated.json");
    let first = one(&event);
    let execution = crate::plan::execution_name(&first);
    let mut echo = event.clone();
    echo["detail"]["findings"][0]["Workflow"]["Status"] = json!("NOTIFIED");
    echo["detail"]["findings"][0]["Note"] = json!({"Text": note(&execution, "s3_block_all_public_access failed"), "UpdatedBy": "cloudbots"});
    assert_eq!(
        one(&echo).skip_reason,
        Some(format!(
            "the echo of cloudbots' own update of this finding (execution {execution}): nothing to do"
        ))
    );
    // Security Hub checks again a day later: a new generation, acted on.
    echo["detail"]["findings"][0]["UpdatedAt"] = json!("2023-02-25T16:33:18.102Z");
    let later = one(&echo);
    assert_eq!(later.skip_reason, None);
    assert_ne!(later.fingerprint, first.fingerprint);

    let ocsf = fixture("ocsf_sqs.1_queue-encryption_failed.json");
    let execution = crate::plan::execution_name(&one(&ocsf));
    let mut echo = ocsf.clone();
    echo["detail"]["findings"][0]["status_id"] = json!(2);
    echo["detail"]["findings"][0]["comment"] = json!(note(&execution, "sqs_enforce_sse failed"));
    assert!(one(&echo)
        .skip_reason
        .unwrap()
        .starts_with("the echo of cloudbots' own update"));
}

#[test]
fn notes_name_the_execution_within_security_hubs_limit() {
    assert_eq!(
        note("sh-b-1", "s3_block_all_public_access: remediated"),
        "[cloudbots] execution sh-b-1: s3_block_all_public_access: remediated"
    );
    let long = note("sh-b-1", &"x".repeat(2000));
    assert_eq!(long.chars().count(), MAX_NOTE_CHARS);
    assert!(long.ends_with('…'));
}

#[test]
fn every_finding_of_an_event_is_read_and_bad_ones_say_why() {
    let mut event = fixture("asff_s3.8_bucket-public-access-block_failed_consolidated.json");
    let second = event["detail"]["findings"][0].clone();
    let mut third = second.clone();
    third.as_object_mut().unwrap().remove("AwsAccountId");
    let findings = event["detail"]["findings"].as_array_mut().unwrap();
    findings.push(second);
    findings.push(third);
    findings.push(json!("text"));
    let read = from_eventbridge(&event, &mappings());
    assert_eq!(read.len(), 4);
    assert!(read[0].is_ok() && read[1].is_ok());
    assert_eq!(
        read[2].as_ref().unwrap_err(),
        "ASFF finding without AwsAccountId"
    );
    assert_eq!(
        read[3].as_ref().unwrap_err(),
        "an ASFF finding must be a JSON object"
    );

    let mut custom = event.clone();
    custom["detail-type"] = json!("Security Hub Findings - Custom Action");
    assert_eq!(
        from_eventbridge(&custom, &mappings())[0].as_ref().unwrap_err(),
        "Security Hub event 'Security Hub Findings - Custom Action' is not read: cloudbots acts on imported findings (Security Hub Findings - Imported, Findings Imported V2)"
    );
    let mut empty = event.clone();
    empty["detail"]["findings"] = json!([]);
    assert_eq!(
        from_eventbridge(&empty, &mappings())[0]
            .as_ref()
            .unwrap_err(),
        "Security Hub Findings - Imported event without detail.findings (a list of findings)"
    );
    let mut ocsf = fixture("ocsf_sqs.1_queue-encryption_failed.json");
    ocsf["detail"]["findings"][0]["cloud"]["account"]["uid"] = json!("4444");
    assert_eq!(
        from_eventbridge(&ocsf, &mappings())[0]
            .as_ref()
            .unwrap_err(),
        "account id must be 12 digits, got '4444'"
    );
}

#[test]
fn an_unsupported_resource_type_refuses_every_entry_with_the_type_named() {
    let mut event = fixture("asff_s3.8_bucket-public-access-block_failed_consolidated.json");
    event["detail"]["findings"][0]["Resources"][0]["Type"] = json!("AwsDynamoDbTable");
    let planned = plan(&one(&event), &PlannerConfig::default());
    assert!(planned.steps.is_empty());
    assert!(
        planned.rejected[0]
            .reason
            .starts_with("resource type 'AwsDynamoDbTable' is not supported by the Security Hub intake (supported: AwsEc2SecurityGroup, "),
        "{}",
        planned.rejected[0].reason
    );
}

#[test]
fn the_opt_out_tag_of_the_resource_is_honoured_from_the_finding() {
    let mut event = fixture("asff_guardduty_ec2-ssh-bruteforce.json");
    event["detail"]["findings"][0]["Resources"][0]["Tags"]["cloudbots:exclude"] = json!("all");
    let planned = plan(&one(&event), &PlannerConfig::default());
    assert!(planned.steps.is_empty());
    assert!(planned.rejected[0].reason.contains("opts out of every bot"));
}

fn asff(kind: &str, id: &str, details: Value) -> Resource {
    Resource {
        kind: kind.into(),
        id: id.into(),
        arn: Some(id.to_string()).filter(|i| i.starts_with("arn:")),
        details,
        ..Resource::default()
    }
}

fn ocsf(kind: &str, uid: &str, uid_alt: Option<&str>, data: Value) -> Resource {
    Resource {
        kind: kind.into(),
        id: uid.into(),
        arn: uid_alt
            .or(Some(uid).filter(|u| u.starts_with("arn:")))
            .map(str::to_string),
        details: data,
        ..Resource::default()
    }
}

/// One case per supported type: the resource in a finding → the entity's type, id, name and
/// the field a bot reads.
#[test]
fn every_supported_resource_type_becomes_the_entity_its_bots_read() {
    let a = "111122223333";
    /// The resource, the entity type, id and name it becomes, and a field a bot reads.
    type Case<'a> = (
        Resource,
        &'a str,
        &'a str,
        &'a str,
        Option<(&'a str, &'a str)>,
    );
    let cases: Vec<Case> = vec![
        (asff("AwsEc2SecurityGroup", "arn:aws:ec2:us-east-1:111122223333:security-group/sg-1", json!({"GroupName": "default", "VpcId": "vpc-9"})), "SecurityGroup", "sg-1", "default", Some(("/vpc/id", "vpc-9"))),
        (ocsf("AWS::EC2::SecurityGroup", "sg-2", Some("arn:aws:ec2:us-east-2:111122223333:security-group/sg-2"), Value::Null), "SecurityGroup", "sg-2", "", None),
        (asff("AwsEc2Instance", "arn:aws:ec2:us-east-1:111122223333:instance/i-1", json!({"VpcId": "vpc-1"})), "Instance", "i-1", "", Some(("/vpc/id", "vpc-1"))),
        (ocsf("AWS::EC2::Instance", "i-2", None, json!({"network_interfaces": [{"vpc_id": "vpc-2"}]})), "Instance", "i-2", "", Some(("/vpc/id", "vpc-2"))),
        (asff("AwsEc2Vpc", "arn:aws:ec2:us-east-1:111122223333:vpc/vpc-1", Value::Null), "VPC", "vpc-1", "", None),
        (ocsf("AWS::EC2::VPC", "vpc-2", None, Value::Null), "VPC", "vpc-2", "", None),
        (asff("AwsEc2NetworkAcl", "arn:aws:ec2:us-east-1:111122223333:network-acl/acl-1", Value::Null), "NACL", "acl-1", "", None),
        (asff("AwsS3Bucket", "arn:aws:s3:::logs", Value::Null), "S3Bucket", "logs", "logs", None),
        (ocsf("AWS::S3::Bucket", "logs", Some("arn:aws:s3:::logs"), Value::Null), "S3Bucket", "logs", "logs", None),
        (asff("AwsKmsKey", "arn:aws:kms:us-east-1:111122223333:key/k-1", Value::Null), "KMS", "arn:aws:kms:us-east-1:111122223333:key/k-1", "k-1", None),
        (ocsf("AWS::KMS::Key", "k-2", Some("arn:aws:kms:us-east-1:111122223333:key/k-2"), Value::Null), "KMS", "arn:aws:kms:us-east-1:111122223333:key/k-2", "k-2", None),
        (asff("AwsCloudTrailTrail", "arn:aws:cloudtrail:us-east-2:111122223333:trail/main", Value::Null), "CloudTrail", "arn:aws:cloudtrail:us-east-2:111122223333:trail/main", "main", None),
        (asff("AwsIamUser", "arn:aws:iam::111122223333:user/ops/alice", json!({"UserId": "AIDA1"})), "IamUser", "AIDA1", "alice", Some(("/arn", "arn:aws:iam::111122223333:user/ops/alice"))),
        (ocsf("AWS::IAM::User", "AIDA2", Some("arn:aws:iam::111122223333:user/bob"), Value::Null), "IamUser", "AIDA2", "bob", None),
        (asff("AwsIamRole", "arn:aws:iam::111122223333:role/app", Value::Null), "IamRole", "arn:aws:iam::111122223333:role/app", "app", None),
        (ocsf("AWS::IAM::Policy", "ANPA1", Some("arn:aws:iam::111122223333:policy/admin"), Value::Null), "IamPolicy", "ANPA1", "admin", Some(("/arn", "arn:aws:iam::111122223333:policy/admin"))),
        (asff("AwsIamAccessKey", "AWS::IAM::AccessKey:ASIAIOSFODNN7EXAMPLE", json!({"PrincipalName": "carol", "PrincipalType": "IAMUser"})), "IamUser", "ASIAIOSFODNN7EXAMPLE", "carol", None),
        (ocsf("AWS::IAM::AccessKey", "ASIAIOSFODNN7EXAMPLE", None, json!({"user_name": "dave"})), "IamUser", "ASIAIOSFODNN7EXAMPLE", "dave", None),
        (asff("AwsSqsQueue", "arn:aws:sqs:us-east-1:111122223333:jobs", Value::Null), "Sqs", "arn:aws:sqs:us-east-1:111122223333:jobs", "jobs", Some(("/queueUrl", "https://sqs.us-east-1.amazonaws.com/111122223333/jobs"))),
        (ocsf("AWS::SQS::Queue", "https://sqs.us-east-1.amazonaws.com/111122223333/q", Some("arn:aws:sqs:us-east-1:111122223333:q"), Value::Null), "Sqs", "arn:aws:sqs:us-east-1:111122223333:q", "q", Some(("/queueUrl", "https://sqs.us-east-1.amazonaws.com/111122223333/q"))),
        (asff("AwsSnsTopic", "arn:aws:sns:us-east-1:111122223333:alerts", Value::Null), "SnsTopic", "arn:aws:sns:us-east-1:111122223333:alerts", "alerts", Some(("/topicArn", "arn:aws:sns:us-east-1:111122223333:alerts"))),
        (asff("AwsLambdaFunction", "arn:aws:lambda:us-east-1:111122223333:function:resize:3", Value::Null), "Lambda", "arn:aws:lambda:us-east-1:111122223333:function:resize:3", "resize", None),
        (asff("AwsRdsDbInstance", "arn:aws:rds:us-east-1:111122223333:db:orders", Value::Null), "RDS", "arn:aws:rds:us-east-1:111122223333:db:orders", "orders", None),
        (asff("AwsSecretsManagerSecret", "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf", Value::Null), "SecretsManager", "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf", "db-AbCdEf", Some(("/arn", "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf"))),
        (asff("AwsCertificateManagerCertificate", "arn:aws:acm:us-east-1:111122223333:certificate/c-1", Value::Null), "AcmCertificate", "arn:aws:acm:us-east-1:111122223333:certificate/c-1", "c-1", Some(("/certificateArn", "arn:aws:acm:us-east-1:111122223333:certificate/c-1"))),
        (asff("AwsElbLoadBalancer", "arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/web", Value::Null), "ELB", "web", "web", None),
        (asff("AwsElbv2LoadBalancer", "arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/app/api/50dc6c495c0c9188", Value::Null), "ApplicationLoadBalancer", "arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/app/api/50dc6c495c0c9188", "api", None),
        (asff("AwsNetworkFirewallFirewall", "arn:aws:network-firewall:us-east-1:111122223333:firewall/edge", Value::Null), "NetworkFirewall", "arn:aws:network-firewall:us-east-1:111122223333:firewall/edge", "edge", None),
        (asff("AwsEcrRepository", "arn:aws:ecr:us-east-1:111122223333:repository/web", Value::Null), "EcrRepository", "arn:aws:ecr:us-east-1:111122223333:repository/web", "web", None),
        (asff("AwsAccount", "AWS::::Account:111122223333", Value::Null), "Account", a, a, None),
        (ocsf("AWS::::Account", a, None, Value::Null), "Account", a, a, None),
    ];
    for kind in RESOURCE_KINDS {
        assert!(
            cases
                .iter()
                .any(|(r, ..)| r.kind == kind.asff || r.kind == kind.ocsf),
            "no case for {}",
            kind.asff
        );
    }
    for (resource, entity_type, id, name, field) in cases {
        let entity = entity_of(&resource, a, "us-east-1").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(entity.value["type"], entity_type, "{}", resource.kind);
        assert_eq!(
            (entity.id.as_str(), entity.name.as_str()),
            (id, name),
            "{}",
            resource.kind
        );
        assert_eq!(entity.value["id"], id);
        assert_eq!(entity.value["region"], "us-east-1");
        if let Some((pointer, value)) = field {
            assert_eq!(
                entity.value.pointer(pointer).and_then(Value::as_str),
                Some(value),
                "{}",
                resource.kind
            );
        }
    }
    let nameless = asff("AwsSnsTopic", "alerts", Value::Null);
    assert_eq!(
        entity_of(&nameless, a, "us-east-1").unwrap_err(),
        "the AwsSnsTopic resource 'alerts' does not name its SnsTopic"
    );
}

/// The mapping shipped in `infra/securityhub-actions.json`: every entry plans cleanly (known
/// bots, valid params, none opt-in), so a deployment that chooses it gets no rejected steps.
#[test]
fn the_shipped_mapping_plans_every_control_cleanly() {
    let path = format!(
        "{}/../infra/securityhub-actions.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let shipped = Mappings::default()
        .with_securityhub(&std::fs::read_to_string(&path).expect(&path))
        .unwrap();
    let controls: Vec<&str> = shipped.securityhub.kinds().collect();
    assert_eq!(controls.len(), 30);
    for control in controls {
        let line = shipped.securityhub.action_for(control).unwrap();
        let entries = crate::grammar::entries(Some(line), &[]);
        assert!(!entries.is_empty(), "{control}");
        for entry in entries {
            let crate::grammar::ParsedEntry::Action(entry) = entry else {
                panic!("{control}: malformed {line}")
            };
            let spec = crate::catalogue::lookup(&entry.bot)
                .unwrap_or_else(|| panic!("{control}: unknown bot {}", entry.bot));
            assert_ne!(spec.phase, crate::catalogue::Phase::Destroy, "{control}");
            spec.parse_params(&entry.params)
                .unwrap_or_else(|e| panic!("{control}: {line}: {e}"));
        }
    }
}

fn record(plan: &crate::plan::Plan, index: usize, status: AuditStatus) -> AuditRecord {
    let step = &plan.steps[index];
    AuditRecord {
        execution_name: plan.execution_name.clone(),
        record_id: step.audit_id.clone(),
        bot: step.bot.clone(),
        phase: step.phase.as_str().to_string(),
        status,
        message: String::new(),
        detail: String::new(),
        recorded_at: String::new(),
        entry: step.entry.clone(),
    }
}

#[test]
fn the_finding_is_resolved_only_when_every_step_fixed_it() {
    let planned = plan(
        &one(&fixture("asff_guardduty_ec2-ssh-bruteforce.json")),
        &PlannerConfig::default(),
    );
    let name = planned.execution_name.clone();
    let done = [
        record(&planned, 0, AuditStatus::Remediated),
        record(&planned, 1, AuditStatus::Remediated),
    ];
    let marked = marking(&planned, &done);
    assert!(marked.resolved);
    assert_eq!(marked.workflow_status(), "RESOLVED");
    assert_eq!(marked.status_id(), 4);
    assert_eq!(
        marked.note,
        format!("[cloudbots] execution {name}: ec2_create_snapshot remediated; ec2_stop_instance remediated")
    );
    for second in [
        AuditStatus::Failed,
        AuditStatus::DryRun,
        AuditStatus::Skipped,
    ] {
        let marked = marking(&planned, &[done[0].clone(), record(&planned, 1, second)]);
        assert_eq!(
            (marked.workflow_status(), marked.status_id()),
            ("NOTIFIED", 2),
            "{second:?}"
        );
    }
    let marked = marking(&planned, &done[..1]);
    assert!(marked.note.ends_with("ec2_stop_instance not run"));
    assert!(!marked.resolved);
}
