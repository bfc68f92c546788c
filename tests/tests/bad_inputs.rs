//! A catalogue of hostile and broken inputs sent through the intake of a local deployment:
//! each gets its exact error in the audit trail (the intake's refused-inputs partition, or the
//! rejected entries of an execution that runs no bot), and nothing it names changes.
//!
//! Also: no secret of a finding (the CloudGuard feedback key) or of the credentials in use
//! appears in the logs, the execution input, the audit records or the output message, and
//! every line written while a bot or the report runs names its execution.

use aws_sdk_ec2::types::InstanceStateName;
use cloudbots_cli::local::{local_sdk_config, LOCAL_ACCOUNT, LOCAL_REGION};
use cloudbots_cli::run::view_execution;
use cloudbots_functions::audit_store::AuditStore;
use cloudbots_functions::intake::{Disposition, Intake};
use cloudbots_functions::lambda::json_logs;
use cloudbots_shared::audit::{AuditRecord, AuditStatus};
use cloudbots_shared::mapping::Mappings;
use cloudbots_tests::e2e::{audit_store, json_deployment, local_planner};
use cloudbots_tests::resources::{instance_state, running_instance, snapshots_of};
use cloudbots_tests::security_groups::{inbound, open_ssh_group};
use cloudbots_tests::{aws, stack};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tracing_subscriber::EnvFilter;

/// What a bad input must get.
enum Outcome {
    /// Refused at intake: the intake call fails with this reason, recorded in the audit trail.
    Refused(Reason),
    /// Read, but every entry rejected: an execution that records these reasons and runs no bot.
    Rejected(Vec<Reason>),
}

/// An exact message, or one with a size in the middle (prefix, suffix).
enum Reason {
    Exact(String),
    Around(&'static str, &'static str),
}

impl Reason {
    fn matches(&self, message: &str) -> bool {
        match self {
            Reason::Exact(text) => message == text,
            Reason::Around(prefix, suffix) => {
                message.starts_with(prefix) && message.ends_with(suffix)
            }
        }
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::Exact(text) => f.write_str(text),
            Reason::Around(prefix, suffix) => write!(f, "{prefix}…{suffix}"),
        }
    }
}

fn exact(text: impl Into<String>) -> Reason {
    Reason::Exact(text.into())
}

fn refused(text: impl Into<String>) -> Outcome {
    Outcome::Refused(exact(text))
}

fn rejected(text: impl Into<String>) -> Outcome {
    Outcome::Rejected(vec![exact(text)])
}

struct Case {
    name: &'static str,
    event: Value,
    /// How the intake names the delivery (`sns:<name>`, `eventbridge:<id>`, `record`).
    delivery: String,
    outcome: Outcome,
}

/// The resources the cases point at, which must be left exactly as they were.
struct Targets {
    instance: String,
    group: String,
}

const SECRET_KEY: &str = "cg-feedback-key-3f9a1c77e2";
const AWS_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY";

fn sns_text(name: &str, text: &str) -> (Value, String) {
    (
        json!({"Records": [{"EventSource": "aws:sns", "Sns": {"MessageId": name, "Message": text}}]}),
        format!("sns:{name}"),
    )
}

fn sns(name: &str, message: &Value) -> (Value, String) {
    sns_text(name, &message.to_string())
}

/// A CloudGuard finding of the local account about the test instance; its key is the case's.
fn instance_finding(name: &str, targets: &Targets, tags: &str) -> Value {
    json!({
        "reportTime": "2026-11-30T10:00:00.000Z",
        "findingKey": format!("bad-{name}"),
        "rule": {"name": "Instance should be stopped", "ruleId": "BAD.1", "complianceTags": tags},
        "status": "Failed",
        "account": {"id": LOCAL_ACCOUNT, "vendor": "AWS"},
        "entity": {"id": targets.instance, "name": "web-1", "type": "Instance", "region": "us_east_1"},
    })
}

fn group_finding(name: &str, targets: &Targets, tags: &str) -> Value {
    let mut finding = instance_finding(name, targets, tags);
    finding["entity"] = json!({"id": targets.group, "name": "open-ssh", "type": "SecurityGroup", "region": "us_east_1"});
    finding
}

fn guardduty(id: &str, change: impl FnOnce(&mut Value)) -> (Value, String) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/guardduty/recon_portprobe_eventbridge.json"
    );
    let mut event: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    event["id"] = json!(id);
    event["detail"]["id"] = json!(id);
    change(&mut event);
    (event, format!("eventbridge:{id}"))
}

/// A Security Hub event of the fixture `name`, in the local account, changed by `change`.
fn securityhub(id: &str, name: &str, change: impl FnOnce(&mut Value)) -> (Value, String) {
    let path = format!("{}/fixtures/securityhub/{name}", env!("CARGO_MANIFEST_DIR"));
    let mut event: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    event["id"] = json!(id);
    event["region"] = json!(LOCAL_REGION);
    change(&mut event);
    (event, format!("eventbridge:{id}"))
}

const ASFF_S3_8: &str = "asff_s3.8_bucket-public-access-block_failed_consolidated.json";
const OCSF_SQS_1: &str = "ocsf_sqs.1_queue-encryption_failed.json";

/// `[[[...]]]` nested `depth` levels, as text (building it as a `Value` would recurse).
fn nested(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

fn catalogue(t: &Targets) -> Vec<Case> {
    let mut cases = Vec::new();
    let mut add = |name: &'static str, (event, delivery): (Value, String), outcome: Outcome| {
        cases.push(Case {
            name,
            event,
            delivery,
            outcome,
        })
    };
    let not_a_finding = "not a finding: expected a CloudGuard finding (rule, entity, account), a GuardDuty or Security Hub EventBridge event, or an SNS event carrying one";
    let finding = |name: &str, tags: &str| instance_finding(name, t, tags);
    let with = |name: &str, change: &dyn Fn(&mut Value)| {
        let mut f = instance_finding(name, t, "AUTO: ec2_stop_instance");
        change(&mut f);
        f
    };
    let unknown = |bot: &str| format!("unknown bot '{bot}': no such bot in the catalogue");

    // Not JSON, or not a finding.
    add(
        "invalid-json",
        sns_text("invalid-json", "{not json"),
        refused("the SNS message is not valid JSON: key must be a string at line 1 column 2"),
    );
    add(
        "empty-message",
        sns_text("empty-message", ""),
        refused("the SNS message is not valid JSON: EOF while parsing a value at line 1 column 0"),
    );
    add(
        "truncated-json",
        sns_text("truncated-json", r#"{"rule": {"name": "r""#),
        refused(
            "the SNS message is not valid JSON: EOF while parsing an object at line 1 column 21",
        ),
    );
    add(
        "trailing-garbage",
        sns_text("trailing-garbage", r#"{"rule": {}} rm -rf /"#),
        refused("the SNS message is not valid JSON: trailing characters at line 1 column 14"),
    );
    add(
        "message-is-a-number",
        (
            json!({"Records": [{"Sns": {"MessageId": "message-is-a-number", "Message": 42}}]}),
            "sns:message-is-a-number".into(),
        ),
        refused("the SNS record has no Message"),
    );
    add(
        "record-without-sns",
        (
            json!({"Records": [{"eventSource": "aws:sqs", "body": "{}"}]}),
            "record".into(),
        ),
        refused("a record without an Sns message (only SNS records are read)"),
    );
    add(
        "message-is-an-array",
        sns_text("message-is-an-array", "[1, 2, 3]"),
        refused(not_a_finding),
    );
    add(
        "message-is-a-string",
        sns_text("message-is-a-string", r#""AUTO: ec2_stop_instance""#),
        refused(not_a_finding),
    );
    add(
        "empty-object",
        sns_text("empty-object", "{}"),
        refused(not_a_finding),
    );
    add(
        "deep-nesting-10000",
        sns_text("deep-nesting-10000", &nested(10_000)),
        refused("the SNS message is not valid JSON: recursion limit exceeded at line 1 column 128"),
    );
    let deep_entity = format!(
        r#"{{"account": {{"id": "{LOCAL_ACCOUNT}"}}, "rule": {{"name": "r"}}, "status": "Failed", "entity": {{"id": "{}", "deep": {}}}}}"#,
        t.instance,
        nested(10_000)
    );
    add(
        "deep-nesting-in-entity",
        sns_text("deep-nesting-in-entity", &deep_entity),
        refused("the SNS message is not valid JSON: recursion limit exceeded at line 1 column 253"),
    );
    add(
        "huge-invalid-message-300kb",
        sns_text(
            "huge-invalid-message-300kb",
            &format!("{{{}", "x".repeat(300_000)),
        ),
        refused("the SNS message is not valid JSON: key must be a string at line 1 column 2"),
    );
    add(
        "huge-finding-300kb",
        sns(
            "huge-finding-300kb",
            &with("huge-finding-300kb", &|f| {
                f["entity"]["description"] = json!("x".repeat(300_000))
            }),
        ),
        Outcome::Refused(Reason::Around(
            "the finding is too large: its execution input would be ",
            " bytes, Step Functions accepts at most 262144",
        )),
    );

    // Missing fields and wrong types.
    add(
        "missing-account",
        sns(
            "missing-account",
            &with("missing-account", &|f| {
                f.as_object_mut().unwrap().remove("account");
            }),
        ),
        refused("missing account.id"),
    );
    add(
        "account-id-is-an-object",
        sns(
            "account-id-is-an-object",
            &with("account-id-is-an-object", &|f| {
                f["account"]["id"] = json!({"$ne": 1})
            }),
        ),
        refused("missing account.id"),
    );
    add(
        "account-id-too-short",
        sns(
            "account-id-too-short",
            &with("account-id-too-short", &|f| {
                f["account"]["id"] = json!("12345")
            }),
        ),
        refused("account id must be 12 digits, got '12345'"),
    );
    add(
        "account-id-with-shell",
        sns(
            "account-id-with-shell",
            &with("account-id-with-shell", &|f| {
                f["account"]["id"] = json!("12345678901;")
            }),
        ),
        refused("account id must be 12 digits, got '12345678901;'"),
    );
    add(
        "missing-rule",
        sns(
            "missing-rule",
            &with("missing-rule", &|f| {
                f.as_object_mut().unwrap().remove("rule");
            }),
        ),
        refused("missing rule"),
    );
    add(
        "rule-is-a-string",
        sns(
            "rule-is-a-string",
            &with("rule-is-a-string", &|f| {
                f["rule"] = json!("AUTO: ec2_stop_instance")
            }),
        ),
        refused("missing rule.name"),
    );
    add(
        "rule-name-is-a-list",
        sns(
            "rule-name-is-a-list",
            &with("rule-name-is-a-list", &|f| f["rule"]["name"] = json!(["r"])),
        ),
        refused("missing rule.name"),
    );
    add(
        "compliance-tags-is-a-list",
        sns(
            "compliance-tags-is-a-list",
            &with("compliance-tags-is-a-list", &|f| {
                f["rule"]["complianceTags"] = json!(["AUTO: ec2_stop_instance"])
            }),
        ),
        refused("rule.complianceTags must be a string"),
    );
    add(
        "entity-is-a-string",
        sns(
            "entity-is-a-string",
            &with("entity-is-a-string", &|f| f["entity"] = json!(t.instance)),
        ),
        refused("missing entity (an object)"),
    );
    add(
        "missing-status",
        sns(
            "missing-status",
            &with("missing-status", &|f| {
                f.as_object_mut().unwrap().remove("status");
            }),
        ),
        refused("missing status"),
    );
    add(
        "remediation-actions-is-an-object",
        sns(
            "remediation-actions-is-an-object",
            &with("remediation-actions-is-an-object", &|f| {
                f["remediationActions"] = json!({"0": "ec2_stop_instance"})
            }),
        ),
        refused("remediationActions must be a list"),
    );

    // GuardDuty events.
    add(
        "guardduty-detail-not-an-object",
        guardduty("gd-detail-string", |e| e["detail"] = json!("x")),
        refused("GuardDuty event without a detail object"),
    );
    add(
        "guardduty-missing-type",
        guardduty("gd-missing-type", |e| {
            e["detail"].as_object_mut().unwrap().remove("type");
        }),
        refused("GuardDuty finding without detail.type"),
    );
    add(
        "guardduty-id-is-an-object",
        guardduty("gd-id-object", |e| e["detail"]["id"] = json!({})),
        refused("GuardDuty finding without detail.id"),
    );
    add(
        "guardduty-foreign-looking-account",
        guardduty("gd-bad-account", |e| {
            e["detail"]["accountId"] = json!("93664305429x");
        }),
        refused("account id must be 12 digits, got '93664305429x'"),
    );

    // Security Hub events, ASFF and OCSF.
    add(
        "securityhub-asff-without-account",
        securityhub("sh-no-account", ASFF_S3_8, |e| {
            e["detail"]["findings"][0]
                .as_object_mut()
                .unwrap()
                .remove("AwsAccountId");
        }),
        refused("ASFF finding without AwsAccountId"),
    );
    add(
        "securityhub-ocsf-short-account",
        securityhub("sh-short-account", OCSF_SQS_1, |e| {
            e["detail"]["findings"][0]["cloud"]["account"]["uid"] = json!("4444")
        }),
        refused("account id must be 12 digits, got '4444'"),
    );
    add(
        "securityhub-ocsf-without-resources",
        securityhub("sh-no-resources", OCSF_SQS_1, |e| {
            e["detail"]["findings"][0]["resources"] = json!([])
        }),
        refused("OCSF finding without resources (a list of resources)"),
    );
    add(
        "securityhub-findings-not-a-list",
        securityhub("sh-findings-object", ASFF_S3_8, |e| {
            e["detail"]["findings"] = json!({"Id": "x"})
        }),
        refused(
            "Security Hub Findings - Imported event without detail.findings (a list of findings)",
        ),
    );
    add(
        "securityhub-custom-action",
        securityhub("sh-custom-action", ASFF_S3_8, |e| {
            e["detail-type"] = json!("Security Hub Findings - Custom Action")
        }),
        refused("Security Hub event 'Security Hub Findings - Custom Action' is not read: cloudbots acts on imported findings (Security Hub Findings - Imported, Findings Imported V2)"),
    );
    add(
        "securityhub-unsupported-resource-type",
        securityhub("sh-dynamodb", ASFF_S3_8, |e| {
            let f = &mut e["detail"]["findings"][0];
            f["AwsAccountId"] = json!(LOCAL_ACCOUNT);
            f["Resources"][0]["Type"] = json!("AwsDynamoDbTable");
            f["Resources"][0]["Id"] = json!("arn:aws:dynamodb:us-east-1:123456789012:table/orders");
            f["Resources"][0]["Region"] = json!(LOCAL_REGION);
        }),
        Outcome::Rejected(vec![Reason::Around(
            "resource type 'AwsDynamoDbTable' is not supported by the Security Hub intake (supported: AwsEc2SecurityGroup, ",
            ", AwsAccount)",
        )]),
    );
    add(
        "sns-event-without-records",
        (json!({"Records": []}), "sns".to_string()),
        refused("an SNS event with no records: there is no finding to read"),
    );
    add(
        "status-not-a-string",
        sns(
            "status-not-a-string",
            &with("status-not-a-string", &|f| f["status"] = json!(1)),
        ),
        refused("status must be a string (\"Failed\" or \"Passed\"), got 1"),
    );

    // A feedback endpoint that would make us post elsewhere (SSRF).
    let endpoint = |name: &'static str, url: &str| {
        let mut f = with(name, &|_| {});
        f["logsHttpEndpoint"] = json!(url);
        f["logsHttpEndpointKey"] = json!(SECRET_KEY);
        f["logsHttpEndpointStreamName"] = json!("remediation_feedback");
        f["logsHttpEndpointStreamPartitionKey"] = json!("1");
        sns(name, &f)
    };
    add(
        "feedback-endpoint-http",
        endpoint(
            "feedback-endpoint-http",
            "http://abc123.execute-api.us-east-1.amazonaws.com/feedback",
        ),
        refused("logsHttpEndpoint: the feedback endpoint is not https"),
    );
    add("feedback-endpoint-metadata-ip", endpoint("feedback-endpoint-metadata-ip", "https://169.254.169.254/latest/meta-data/iam/security-credentials/"),
        refused("logsHttpEndpoint: the feedback endpoint host '169.254.169.254' is not an AWS API Gateway host"));
    add("feedback-endpoint-userinfo", endpoint("feedback-endpoint-userinfo", "https://abc.execute-api.us-east-1.amazonaws.com@evil.example/f"),
        refused("logsHttpEndpoint: the feedback endpoint host 'abc.execute-api.us-east-1.amazonaws.com@evil.example' is not an AWS API Gateway host"));
    add("feedback-endpoint-lookalike-suffix", endpoint("feedback-endpoint-lookalike-suffix", "https://abc.execute-api.us-east-1.amazonaws.com.evil.example/f"),
        refused("logsHttpEndpoint: the feedback endpoint host 'abc.execute-api.us-east-1.amazonaws.com.evil.example' is not an AWS API Gateway host"));
    add("feedback-endpoint-port", endpoint("feedback-endpoint-port", "https://abc.execute-api.us-east-1.amazonaws.com:8443/f"),
        refused("logsHttpEndpoint: the feedback endpoint host 'abc.execute-api.us-east-1.amazonaws.com:8443' is not an AWS API Gateway host"));

    // Secrets inside input that cannot be read: refused, and masked in the excerpt.
    add(
        "secret-in-unreadable-message",
        sns_text(
            "secret-in-unreadable-message",
            &format!(
                r#"{{"logsHttpEndpointKey": "{SECRET_KEY}", "creds": {{"SecretAccessKey": "{AWS_SECRET}"}}"#
            ),
        ),
        refused(
            "the SNS message is not valid JSON: EOF while parsing an object at line 1 column 127",
        ),
    );

    // Bot names with path, shell or look-alike characters; the reason quotes the name with
    // control and non-ASCII characters escaped, so a look-alike is visible.
    for (name, bot, quoted) in [
        ("unknown-bot", "no_such_bot", "no_such_bot"),
        ("bot-name-path", "../../bin/sh", "../../bin/sh"),
        (
            "bot-name-shell-separator",
            "ec2_stop_instance;reboot",
            "ec2_stop_instance;reboot",
        ),
        ("bot-name-subshell", "$(curl", "$(curl"),
        ("bot-name-backticks", "`id`", "`id`"),
        (
            "bot-name-homoglyph",
            "ec2_st\u{43e}p_instance",
            "ec2_st\\u{43e}p_instance",
        ),
        (
            "bot-name-wrong-case",
            "EC2_STOP_INSTANCE",
            "EC2_STOP_INSTANCE",
        ),
        (
            "bot-name-control-char",
            "ec2_stop_instance\u{7}",
            "ec2_stop_instance\\u{7}",
        ),
    ] {
        add(
            name,
            sns(
                name,
                &finding(name, &format!("AUTO: {bot} $(curl evil.example)")),
            ),
            rejected(unknown(quoted)),
        );
    }
    add(
        "auto-without-space",
        sns(
            "auto-without-space",
            &finding("auto-without-space", "AUTO:ec2_stop_instance"),
        ),
        rejected("'AUTO:' must be followed by a space and a bot name"),
    );
    add(
        "auto-two-spaces",
        sns(
            "auto-two-spaces",
            &finding("auto-two-spaces", "AUTO:  ec2_stop_instance"),
        ),
        rejected("empty bot name (two spaces before the bot name?)"),
    );
    add(
        "remediation-action-not-a-string",
        sns(
            "remediation-action-not-a-string",
            &with("remediation-action-not-a-string", &|f| {
                f["rule"]["complianceTags"] = json!("");
                f["remediationActions"] = json!([{"bot": "ec2_stop_instance"}]);
            }),
        ),
        rejected("a remediation action must be a string"),
    );

    // Params with shell syntax, quotes, unicode; malformed CIDRs, ports and ARNs.
    let sg = |name: &'static str, line: &str, reason: &str| {
        (
            name,
            sns(name, &group_finding(name, t, &format!("AUTO: {line}"))),
            rejected(reason.to_string()),
        )
    };
    for (name, event, outcome) in [
        sg("param-semicolon", "sg_rules_delete_by_scope 0.0.0.0/0 inbound 22;reboot tcp", "bad parameters for sg_rules_delete_by_scope: port must be a number from 0 to 65535, got '22;reboot' (or * for any port)"),
        sg("param-subshell", "sg_rules_delete_by_scope $(reboot) inbound 22 tcp", "bad parameters for sg_rules_delete_by_scope: scope must be a CIDR block such as 0.0.0.0/0 or ::/0, got '$(reboot)'"),
        sg("param-backticks", "sg_rules_delete_by_scope 0.0.0.0/0 `id` 22 tcp", "bad parameters for sg_rules_delete_by_scope: direction must be inbound or outbound, got '`id`'"),
        sg("param-quotes", "sg_rules_delete_by_scope '0.0.0.0/0' inbound \"22\" tcp", "bad parameters for sg_rules_delete_by_scope: scope must be a CIDR block such as 0.0.0.0/0 or ::/0, got ''0.0.0.0/0''"),
        sg("param-unicode-digits", "sg_rules_delete_by_scope 0.0.0.0/0 inbound \u{ff12}\u{ff12} tcp", "bad parameters for sg_rules_delete_by_scope: port must be a number from 0 to 65535, got '\u{ff12}\u{ff12}' (or * for any port)"),
        sg("cidr-prefix-too-long", "sg_rules_delete_by_scope 10.0.0.1/33 inbound 22 tcp", "bad parameters for sg_rules_delete_by_scope: scope must be a CIDR block such as 0.0.0.0/0 or ::/0, got '10.0.0.1/33'"),
        sg("cidr-octet-too-big", "sg_delete_not_matching_cidr 22 300.0.0.0/8 inbound", "bad parameters for sg_delete_not_matching_cidr: scope must be a CIDR block such as 0.0.0.0/0 or ::/0, got '300.0.0.0/8'"),
        sg("cidr-ipv6-garbage", "sg_modify_scope_by_port 22 0.0.0.0/0 ::g/64 inbound", "bad parameters for sg_modify_scope_by_port: change_scope_to: scope must be a CIDR block such as 0.0.0.0/0 or ::/0, got '::g/64'"),
        sg("port-too-big", "sg_rules_delete_by_scope 0.0.0.0/0 inbound 70000 tcp", "bad parameters for sg_rules_delete_by_scope: port must be a number from 0 to 65535, got '70000' (or * for any port)"),
        sg("port-negative", "sg_delete_not_matching_cidr -1 10.0.0.0/8 inbound", "bad parameters for sg_delete_not_matching_cidr: port must be a number from 0 to 65535, got '-1'"),
        sg("port-range-text", "sg_single_rule_delete split=false protocol=TCP scope=0.0.0.0/0 direction=inbound port=22-23", "bad parameters for sg_single_rule_delete: port must be a number from 0 to 65535, got '22-23'"),
        sg("direction-unknown", "sg_rules_delete_by_scope 0.0.0.0/0 sideways 22 tcp", "bad parameters for sg_rules_delete_by_scope: direction must be inbound or outbound, got 'sideways'"),
    ] {
        add(name, event, outcome);
    }
    let user = |name: &'static str, line: &str, reason: &str| {
        let mut f = finding(name, &format!("AUTO: {line}"));
        f["entity"] = json!({"id": "AIDAEXAMPLE", "name": "bad-input-user", "type": "IamUser", "region": null});
        (name, sns(name, &f), rejected(reason.to_string()))
    };
    for (name, event, outcome) in [
        user("arn-not-an-arn", "iam_user_attach_policy policy_arn=not-an-arn", "bad parameters for iam_user_attach_policy: policy ARN must look like arn:aws:iam::aws:policy/<name> or arn:aws:iam::$ACCOUNT_ID:policy/<name>, got 'not-an-arn'"),
        user("arn-wrong-service", "iam_user_attach_policy policy_arn=arn:aws:s3:::bucket", "bad parameters for iam_user_attach_policy: policy ARN must look like arn:aws:iam::aws:policy/<name> or arn:aws:iam::$ACCOUNT_ID:policy/<name>, got 'arn:aws:s3:::bucket'"),
        user("arn-bad-account", "iam_user_attach_policy policy_arn=arn:aws:iam::12ab:policy/P", "bad parameters for iam_user_attach_policy: policy ARN must look like arn:aws:iam::aws:policy/<name> or arn:aws:iam::$ACCOUNT_ID:policy/<name>, got 'arn:aws:iam::12ab:policy/P'"),
    ] {
        add(name, event, outcome);
    }

    // Where it would act: unknown regions, foreign accounts, bots the deployment refuses.
    add(
        "region-unknown",
        sns(
            "region-unknown",
            &with("region-unknown", &|f| {
                f["entity"]["region"] = json!("mars_west_1")
            }),
        ),
        rejected("not valid region: mars_west_1"),
    );
    add(
        "region-ambiguous",
        sns(
            "region-ambiguous",
            &with("region-ambiguous", &|f| {
                f["entity"]["region"] = json!("Central")
            }),
        ),
        rejected("ambiguous region name 'Central': matches ca-central-1, mx-central-1"),
    );
    add(
        "region-shell",
        sns(
            "region-shell",
            &with("region-shell", &|f| {
                f["entity"]["region"] = json!("us-east-1; curl evil")
            }),
        ),
        rejected("not valid region: us-east-1; curl evil"),
    );
    add("foreign-account", sns("foreign-account", &with("foreign-account", &|f| f["account"]["id"] = json!("999988887777"))),
        rejected(format!("This finding was found in account id 999988887777. cloudbots is running in account id {LOCAL_ACCOUNT} in single-account mode: remediations run only in their own account (deploy in multi-account mode with a member role to remediate other accounts)")));
    add("destroy-bot-not-enabled", sns("destroy-bot-not-enabled", &finding("destroy-bot-not-enabled", "AUTO: ec2_terminate_instance")),
        rejected("ec2_terminate_instance deletes resources and is opt-in: the deployment does not enable it (add it to the DestroyBots parameter, DESTROY_BOTS)"));
    add(
        "guardduty-unknown-region",
        guardduty("gd-unknown-region", |e| {
            e["detail"]["region"] = json!("xx-nowhere-9");
            e["detail"]["accountId"] = json!(LOCAL_ACCOUNT);
        }),
        rejected("not valid region: xx-nowhere-9"),
    );

    // Thousands of tags.
    let plain_tags = (0..5000)
        .map(|i| format!("PCI {i}.1"))
        .collect::<Vec<_>>()
        .join("|");
    add(
        "thousands-of-plain-tags",
        sns(
            "thousands-of-plain-tags",
            &finding(
                "thousands-of-plain-tags",
                &format!("{plain_tags}|AUTO: no_such_bot"),
            ),
        ),
        rejected(unknown("no_such_bot")),
    );
    let auto_tags = (0..3000)
        .map(|i| format!("AUTO: no_such_bot_{i}"))
        .collect::<Vec<_>>()
        .join("|");
    let mut too_many: Vec<Reason> = (0..32)
        .map(|i| exact(unknown(&format!("no_such_bot_{i}"))))
        .collect();
    too_many.push(exact("too many AUTO: entries: a finding may carry at most 32, this one has 3000; the ones after the first 32 are not run"));
    add(
        "thousands-of-auto-tags",
        sns(
            "thousands-of-auto-tags",
            &finding("thousands-of-auto-tags", &auto_tags),
        ),
        Outcome::Rejected(too_many),
    );
    cases
}

/// The bot functions (not the report) invoked for findings about `entity`.
fn bot_invocations_about(entity: &str) -> usize {
    stack()
        .gateway()
        .invocations()
        .iter()
        .filter(|i| {
            i.function != "report"
                && i.payload
                    .pointer("/finding/entity_id")
                    .and_then(Value::as_str)
                    == Some(entity)
        })
        .count()
}

/// The kind of an error: its message up to the first `: `, without the values it quotes.
fn kind(reason: &str) -> String {
    let head = reason.split(": ").next().unwrap_or(reason);
    head.split('\'')
        .step_by(2)
        .collect::<String>()
        .trim()
        .to_string()
}

#[tokio::test]
async fn every_bad_input_gets_its_exact_error_in_the_audit_trail_and_changes_nothing() {
    let target = json_deployment().await;
    let ec2 = aws_sdk_ec2::Client::new(&aws().await);
    let instance = running_instance(&ec2).await;
    let group = open_ssh_group(&ec2, "bad-inputs-open-ssh").await;
    let rules_before = inbound(&ec2, &group).await;
    let targets = Targets { instance, group };
    let mappings =
        Mappings::guardduty(r#"{"Recon:EC2/PortProbeUnprotectedPort": "AUTO: ec2_stop_instance"}"#)
            .and_then(|m| m.with_securityhub(r#"{"S3.8": "AUTO: s3_block_all_public_access"}"#))
            .unwrap();
    let intake = Arc::new(target.intake(local_planner(), mappings).await);
    let audit = audit_store(target).await;

    let cases = catalogue(&targets);
    let mut failures = Vec::new();
    let mut panics = 0;
    let mut kinds = BTreeSet::new();
    let mut started = Vec::new();
    for case in &cases {
        let handled = {
            let intake: Arc<Intake> = intake.clone();
            let event = case.event.clone();
            tokio::spawn(async move { intake.handle(&event).await }).await
        };
        let handled = match handled {
            Ok(handled) => handled,
            Err(panic) => {
                panics += 1;
                failures.push(format!("{}: the intake panicked: {panic}", case.name));
                continue;
            }
        };
        match (&case.outcome, handled) {
            (Outcome::Refused(reason), Err(error)) => {
                let message = error
                    .message
                    .trim_start_matches("the event holds an invalid finding: ");
                if !reason.matches(message) {
                    failures.push(format!(
                        "{}: intake error\n    got:  {message}\n    want: {reason}",
                        case.name
                    ));
                }
                let records = audit.refused_today().await.expect("the refused inputs");
                match records
                    .iter()
                    .find(|r| r.entry == case.delivery && reason.matches(&r.message))
                {
                    Some(record) => {
                        kinds.insert(kind(&record.message));
                        check_refusal_record(case.name, record, &mut failures);
                    }
                    None => failures.push(format!(
                        "{}: no audit record for {}",
                        case.name, case.delivery
                    )),
                }
            }
            (Outcome::Rejected(reasons), Ok(dispositions)) => match &dispositions[..] {
                [Disposition::Started {
                    execution_arn,
                    steps: 0,
                    rejected,
                    ..
                }] if *rejected == reasons.len() => {
                    started.push((case, execution_arn.clone()));
                }
                other => failures.push(format!(
                    "{}: expected an execution with {} rejected entries, got {other:?}",
                    case.name,
                    reasons.len()
                )),
            },
            (_, other) => {
                failures.push(format!("{}: unexpected intake result {other:?}", case.name))
            }
        }
    }

    for (case, arn) in started {
        let Outcome::Rejected(reasons) = &case.outcome else {
            unreachable!()
        };
        let view = view_execution(target, &arn, Duration::from_secs(120))
            .await
            .expect("the execution ends");
        let invoked: Vec<String> = stack()
            .gateway()
            .invocations_of(&view.name)
            .into_iter()
            .map(|i| i.function)
            .collect();
        if invoked != ["report"] {
            failures.push(format!(
                "{}: functions invoked {invoked:?}, only the report may run",
                case.name
            ));
        }
        if view.status != "FAILED" {
            failures.push(format!(
                "{}: execution {} ended {}, a rejected entry fails it",
                case.name, view.name, view.status
            ));
        }
        let got: Vec<(&str, AuditStatus)> = view
            .records
            .iter()
            .map(|r| (r.message.as_str(), r.status))
            .collect();
        let all_match = got.len() == reasons.len()
            && got.iter().zip(reasons).all(|((message, status), want)| {
                *status == AuditStatus::Rejected && want.matches(message)
            });
        if all_match {
            kinds.extend(view.records.iter().map(|r| kind(&r.message)));
        } else {
            failures.push(format!(
                "{}: audit records\n    got:  {:?}\n    want: {:?}",
                case.name,
                got.iter().take(3).collect::<Vec<_>>(),
                reasons
                    .iter()
                    .take(3)
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
            ));
        }
    }

    // Nothing the cases point at changed, and no bot ran for them.
    assert_eq!(
        instance_state(&ec2, &targets.instance).await,
        InstanceStateName::Running
    );
    assert!(snapshots_of(&ec2, &targets.instance).await.is_empty());
    assert_eq!(inbound(&ec2, &targets.group).await, rules_before);
    assert_eq!(bot_invocations_about(&targets.instance), 0);
    assert_eq!(bot_invocations_about(&targets.group), 0);

    println!(
        "bad inputs: {} tried, {} refused at intake, {} rejected in a plan; {} error kinds: {:?}; panics: {panics}",
        cases.len(),
        cases.iter().filter(|c| matches!(c.outcome, Outcome::Refused(_))).count(),
        cases.iter().filter(|c| matches!(c.outcome, Outcome::Rejected(_))).count(),
        kinds.len(),
        kinds
    );
    assert!(cases.len() >= 40);
    assert_eq!(panics, 0);
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// A refusal's audit record: the intake's, rejected, with a bounded excerpt free of secrets.
fn check_refusal_record(case: &str, record: &AuditRecord, failures: &mut Vec<String>) {
    let detail: Value = serde_json::from_str(&record.detail).unwrap_or(Value::Null);
    let excerpt = detail["excerpt"].as_str().unwrap_or_default();
    if record.bot != "intake" || record.status != AuditStatus::Rejected {
        failures.push(format!(
            "{case}: refusal recorded as {} {:?}",
            record.bot, record.status
        ));
    }
    if excerpt.chars().count() > 301 {
        failures.push(format!(
            "{case}: excerpt of {} characters",
            excerpt.chars().count()
        ));
    }
    for secret in [SECRET_KEY, AWS_SECRET] {
        if record.detail.contains(secret) || record.message.contains(secret) {
            failures.push(format!(
                "{case}: a secret is in the audit record: {}",
                record.detail
            ));
        }
    }
}

/// Every log line of this test binary from the moment [`capture_logs`] is first called, in
/// the functions' JSON format, at debug level (the SDKs' lines included).
fn capture_logs() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Arc::new(Mutex::new(Vec::new()));
        let sink = logs.clone();
        let subscriber = json_logs(EnvFilter::new("debug"), move || Sink(sink.clone())).finish();
        tracing::subscriber::set_global_default(subscriber).expect("no other subscriber");
        logs
    })
    .clone()
}

struct Sink(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Sink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

const SESSION_TOKEN: &str = "IQoJb3JpZ2luX2VjEXAMPLEsessionTOKENcaptureTEST0123456789";

#[tokio::test]
async fn no_secret_reaches_logs_execution_input_audit_records_or_output() {
    let logs = capture_logs();
    let target = json_deployment().await;
    let ec2 = aws_sdk_ec2::Client::new(&aws().await);
    let instance = running_instance(&ec2).await;
    // The intake signs with credentials whose secret parts must never be written anywhere.
    let credentials = aws_sdk_sfn::config::Credentials::new(
        "AKIAEXAMPLECAPTURE01",
        AWS_SECRET,
        Some(SESSION_TOKEN.to_string()),
        None,
        "capture",
    );
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(LOCAL_REGION))
        .endpoint_url(format!("http://127.0.0.1:{}", target.moto_port))
        .credentials_provider(credentials)
        .load()
        .await;
    let intake = Intake {
        sfn: aws_sdk_sfn::Client::new(&config),
        audit: AuditStore::new(aws_sdk_dynamodb::Client::new(&config), &target.audit_table),
        ..target.intake(local_planner(), Mappings::default()).await
    };
    let targets = Targets {
        instance: instance.clone(),
        group: String::new(),
    };
    let mut finding = instance_finding("secrets", &targets, "AUTO: ec2_stop_instance");
    finding["logsHttpEndpoint"] =
        json!("https://pd3xz887wl.execute-api.us-east-1.amazonaws.com/remediation/feedback");
    finding["logsHttpEndpointKey"] = json!(SECRET_KEY);
    finding["logsHttpEndpointStreamName"] = json!("remediation_feedback");
    finding["logsHttpEndpointStreamPartitionKey"] = json!("1");
    finding["dome9AccountId"] = json!("39801");

    let dispositions = intake
        .handle(&sns("secrets-run", &finding).0)
        .await
        .expect("accepted");
    let [Disposition::Started {
        execution_arn,
        execution_name,
        ..
    }] = &dispositions[..]
    else {
        panic!("one execution: {dispositions:?}");
    };
    let view = view_execution(target, execution_arn, Duration::from_secs(120))
        .await
        .unwrap();
    assert_eq!(view.status, "SUCCEEDED", "{view:?}");
    assert!(matches!(
        instance_state(&ec2, &instance).await,
        InstanceStateName::Stopped | InstanceStateName::Stopping
    ));

    // What Step Functions keeps: the execution input and every state's input and output.
    let sfn = aws_sdk_sfn::Client::new(&local_sdk_config(target.moto_port, LOCAL_REGION).await);
    let described = sfn
        .describe_execution()
        .execution_arn(execution_arn)
        .send()
        .await
        .unwrap();
    let history = sfn
        .get_execution_history()
        .execution_arn(execution_arn)
        .max_results(1000)
        .send()
        .await
        .unwrap();
    let history = format!("{:?}", history.events());
    let input = described.input().unwrap_or_default();
    assert!(
        input.contains("remediation_feedback"),
        "the feedback channel travels: {input}"
    );

    let logs = String::from_utf8(logs.lock().unwrap().clone()).expect("UTF-8 logs");
    let records = format!("{:?}", view.records);
    let output = serde_json::to_string(&view.output).unwrap();
    assert!(!view.output.is_empty() && !view.records.is_empty());
    assert!(
        logs.contains(execution_name.as_str()),
        "the run was captured"
    );
    for (place, text) in [
        ("logs", &logs),
        ("execution input", &input.to_string()),
        ("execution history", &history),
        ("audit records", &records),
        ("output message", &output),
    ] {
        for (secret, what) in [
            (SECRET_KEY, "the CloudGuard feedback key"),
            (AWS_SECRET, "the AWS secret access key"),
            (SESSION_TOKEN, "the session token"),
        ] {
            assert!(!text.contains(secret), "{what} is in the {place}");
        }
    }

    // Every line written while the intake starts it, a bot runs or the report publishes
    // names the execution, the SDK's lines (inside their own spans) included.
    let lines: Vec<Value> = logs
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let ours = |l: &&Value| {
        l["spans"].as_array().is_some_and(|spans| {
            spans
                .iter()
                .any(|s| s["execution"].as_str() == Some(execution_name.as_str()))
        })
    };
    let of_run: Vec<&Value> = lines.iter().filter(ours).collect();
    let outer: BTreeSet<&str> = of_run
        .iter()
        .filter_map(|l| l.pointer("/spans/0/name").and_then(Value::as_str))
        .collect();
    assert_eq!(outer, BTreeSet::from(["intake", "report", "step"]));
    let messages: BTreeSet<&str> = of_run
        .iter()
        .filter_map(|l| l.pointer("/fields/message").and_then(Value::as_str))
        .collect();
    for expected in [
        "step finished",
        "report published",
        "feedback record not accepted",
    ] {
        assert!(
            messages.contains(expected),
            "no '{expected}' line under the execution's span: {messages:?}"
        );
    }
    let sdk_lines = of_run
        .iter()
        .filter(|l| {
            !matches!(
                l.pointer("/span/name").and_then(Value::as_str),
                Some("intake" | "step" | "report")
            )
        })
        .count();
    assert!(sdk_lines > 0, "the SDK's lines carry the execution too");
    for line in &lines {
        let message = line.pointer("/fields/message").and_then(Value::as_str);
        if matches!(
            message,
            Some("step finished" | "step failed" | "step skipped" | "report published")
        ) {
            assert!(
                line.pointer("/spans/0/execution").is_some(),
                "a bot or report line without its execution: {line}"
            );
        }
    }
}
