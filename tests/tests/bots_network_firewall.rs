//! `network_firewall_enable_logging` on the local stack, run as its Lambda runs it (through
//! `run_step`) with IAM enforced and only its role's actions allowed: the firewall's real
//! logging configuration, the created bucket's policy and the created log group after each run.

use cloudbots_shared::outcome::OutcomeStatus;
use cloudbots_shared::plan::{Mode, DEFAULT_EXCLUDE_TAG_KEY};
use cloudbots_tests::network_logging::new_firewall;
use cloudbots_tests::{aws, entity, run_ok, unique_name, LIVE_OPT_OUT};
use serde_json::Value;

fn firewall_entity(name: &str, arn: &str) -> Value {
    entity("NetworkFirewall", arn, name)
}

/// The firewall's logging: (log type, destination type, destination as `k=v,...`), sorted.
async fn logging(arn: &str) -> Vec<(String, String, String)> {
    let out = aws_sdk_networkfirewall::Client::new(&aws().await)
        .describe_logging_configuration()
        .firewall_arn(arn)
        .send()
        .await
        .expect("describe_logging_configuration");
    let mut configs: Vec<(String, String, String)> = out
        .logging_configuration()
        .map(|c| c.log_destination_configs())
        .unwrap_or_default()
        .iter()
        .map(|c| {
            let mut destination: Vec<String> = c
                .log_destination()
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            destination.sort();
            (
                c.log_type().as_str().to_string(),
                c.log_destination_type().as_str().to_string(),
                destination.join(","),
            )
        })
        .collect();
    configs.sort();
    configs
}

fn config(log_type: &str, kind: &str, destination: &str) -> (String, String, String) {
    (log_type.into(), kind.into(), destination.into())
}

#[tokio::test]
async fn flow_logs_go_to_a_created_bucket_once_and_alert_logs_join_them() {
    let (name, arn) = new_firewall(&[]).await;
    let bucket = "123456789012-s3-network-firewall-flow-logs-us-east-1";
    let line = "network_firewall_enable_logging FLOW S3 create";

    let dry = run_ok(line, firewall_entity(&name, &arn), Mode::DryRun).await;
    assert_eq!(dry.status, OutcomeStatus::DryRun);
    assert_eq!(
        dry.changes,
        vec![
            format!("create bucket {bucket} in us-east-1 with all public access blocked"),
            format!("add statements AWSLogDeliveryWrite, AWSLogDeliveryAclCheck to the policy of bucket {bucket}: the log delivery service may put account 123456789012's logs"),
            format!("send FLOW logs to S3 bucketName={bucket} from firewall {name}"),
        ]
    );
    assert_eq!(logging(&arn).await, vec![]);

    let done = run_ok(line, firewall_entity(&name, &arn), Mode::Enforce).await;
    assert_eq!(done.status, OutcomeStatus::Remediated, "{}", done.message);
    assert_eq!(
        logging(&arn).await,
        vec![config("FLOW", "S3", &format!("bucketName={bucket}"))]
    );
    let policy = aws_sdk_s3::Client::new(&aws().await)
        .get_bucket_policy()
        .bucket(bucket)
        .send()
        .await
        .expect("get_bucket_policy")
        .policy
        .unwrap();
    let policy: Value = serde_json::from_str(&policy).unwrap();
    assert_eq!(
        policy["Statement"][0]["Principal"]["Service"],
        "delivery.logs.amazonaws.com"
    );

    let again = run_ok(line, firewall_entity(&name, &arn), Mode::Enforce).await;
    assert_eq!(again.status, OutcomeStatus::AlreadyCompliant);
    assert_eq!(
        again.message,
        format!("Firewall {name} already sends FLOW logs to S3 bucketName={bucket}")
    );

    let alert_line = "network_firewall_enable_logging ALERT CloudWatchLogs create";
    let group = "123456789012-cloudwatch-network-firewall-alert-logs-us-east-1";
    let planned = run_ok(alert_line, firewall_entity(&name, &arn), Mode::DryRun).await;
    assert_eq!(
        planned.changes,
        vec![
            format!("create log group {group}"),
            format!("send ALERT logs to CloudWatchLogs logGroup={group} from firewall {name}"),
        ]
    );
    let alerts = run_ok(alert_line, firewall_entity(&name, &arn), Mode::Enforce).await;
    assert_eq!(
        alerts.status,
        OutcomeStatus::Remediated,
        "{}",
        alerts.message
    );
    assert_eq!(
        alerts.message,
        format!("Firewall {name} now sends ALERT logs to CloudWatchLogs logGroup={group}; the other log type's destination is kept")
    );
    assert_eq!(
        logging(&arn).await,
        vec![
            config("ALERT", "CloudWatchLogs", &format!("logGroup={group}")),
            config("FLOW", "S3", &format!("bucketName={bucket}")),
        ]
    );
    let groups = aws_sdk_cloudwatchlogs::Client::new(&aws().await)
        .describe_log_groups()
        .log_group_name_prefix(group)
        .send()
        .await
        .expect("describe_log_groups");
    assert_eq!(groups.log_groups().len(), 1);

    // A second firewall finds the group there: nothing to create.
    let (second, second_arn) = new_firewall(&[]).await;
    let planned = run_ok(
        alert_line,
        firewall_entity(&second, &second_arn),
        Mode::DryRun,
    )
    .await;
    assert_eq!(
        planned.changes,
        vec![format!(
            "send ALERT logs to CloudWatchLogs logGroup={group} from firewall {second}"
        )]
    );
}

#[tokio::test]
async fn a_log_type_moves_to_another_destination() {
    let (name, arn) = new_firewall(&[]).await;
    run_ok(
        "network_firewall_enable_logging FLOW S3 my-logs/firewall",
        firewall_entity(&name, &arn),
        Mode::Enforce,
    )
    .await;
    assert_eq!(
        logging(&arn).await,
        vec![config("FLOW", "S3", "bucketName=my-logs,prefix=firewall")]
    );

    let moved = run_ok(
        "network_firewall_enable_logging FLOW KinesisDataFirehose firewall-stream",
        firewall_entity(&name, &arn),
        Mode::Enforce,
    )
    .await;
    assert_eq!(moved.status, OutcomeStatus::Remediated, "{}", moved.message);
    assert_eq!(
        moved.changes,
        vec![
            format!("stop sending FLOW logs to S3 bucketName=my-logs,prefix=firewall from firewall {name}"),
            format!("send FLOW logs to KinesisDataFirehose deliveryStream=firewall-stream from firewall {name}"),
        ]
    );
    assert_eq!(
        logging(&arn).await,
        vec![config(
            "FLOW",
            "KinesisDataFirehose",
            "deliveryStream=firewall-stream"
        )]
    );
}

#[tokio::test]
async fn a_firewall_that_is_gone_or_opted_out_is_left_alone() {
    let gone = unique_name("cloudbots-never-created");
    let gone_arn = format!("arn:aws:network-firewall:us-east-1:123456789012:firewall/{gone}");
    let outcome = run_ok(
        "network_firewall_enable_logging FLOW S3 my-logs",
        firewall_entity(&gone, &gone_arn),
        Mode::Enforce,
    )
    .await;
    assert_eq!(outcome.status, OutcomeStatus::Skipped);
    assert_eq!(
        outcome.message,
        format!("Firewall {gone} does not exist (any more): nothing to do")
    );

    let (name, arn) =
        new_firewall(&[(DEFAULT_EXCLUDE_TAG_KEY, "network_firewall_enable_logging")]).await;
    let bot = "network_firewall_enable_logging";
    let kept = run_ok(
        &format!("{bot} FLOW S3 my-logs"),
        firewall_entity(&name, &arn),
        Mode::Enforce,
    )
    .await;
    assert_eq!(kept.status, OutcomeStatus::Skipped);
    assert_eq!(
        kept.message,
        format!("excluded by tag {DEFAULT_EXCLUDE_TAG_KEY}=\"{bot}\": the resource opts out of {bot} {LIVE_OPT_OUT}")
    );
    assert_eq!(logging(&arn).await, vec![]);
}
