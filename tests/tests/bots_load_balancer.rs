//! `load_balancer_enable_access_logs` on the local stack, run as its Lambda runs it (through
//! `run_step`) with IAM enforced and only its role's actions allowed: the load balancers'
//! real logging attributes and the log bucket's policy and public access block after each run.

use cloudbots_shared::outcome::OutcomeStatus;
use cloudbots_shared::plan::{Mode, DEFAULT_EXCLUDE_TAG_KEY};
use cloudbots_tests::network_logging::{
    classic, new_application_load_balancer, new_classic_load_balancer, LOG_BUCKET,
};
use cloudbots_tests::{assert_skipped_by_live_opt_out, aws, entity, run_ok, unique_name};
use serde_json::{json, Value};

async fn classic_logging(name: &str) -> (bool, Option<String>) {
    let out = classic()
        .await
        .describe_load_balancer_attributes()
        .load_balancer_name(name)
        .send()
        .await
        .expect("describe_load_balancer_attributes");
    let log = out.load_balancer_attributes().and_then(|a| a.access_log());
    (
        log.is_some_and(|l| l.enabled()),
        log.and_then(|l| l.s3_bucket_name().map(str::to_string)),
    )
}

async fn application_attribute(arn: &str, key: &str) -> Option<String> {
    aws_sdk_elasticloadbalancingv2::Client::new(&aws().await)
        .describe_load_balancer_attributes()
        .load_balancer_arn(arn)
        .send()
        .await
        .expect("describe_load_balancer_attributes")
        .attributes()
        .iter()
        .find(|a| a.key() == Some(key))
        .and_then(|a| a.value().map(str::to_string))
}

async fn bucket_policy(bucket: &str) -> Value {
    let policy = aws_sdk_s3::Client::new(&aws().await)
        .get_bucket_policy()
        .bucket(bucket)
        .send()
        .await
        .expect("get_bucket_policy")
        .policy
        .unwrap();
    serde_json::from_str(&policy).unwrap()
}

fn classic_entity(name: &str) -> Value {
    entity("ELB", name, name)
}

fn application_entity(arn: &str) -> Value {
    entity(
        "ApplicationLoadBalancer",
        arn,
        arn.split('/').nth(2).unwrap(),
    )
}

/// Both kinds in one test, one after the other: they share the account's log bucket, which
/// the first run creates and the second finds ready.
#[tokio::test]
async fn access_logs_go_to_the_accounts_log_bucket_for_both_kinds_once() {
    let line = "load_balancer_enable_access_logs";
    let name = new_classic_load_balancer().await;

    let dry = run_ok(line, classic_entity(&name), Mode::DryRun).await;
    assert_eq!(dry.status, OutcomeStatus::DryRun);
    assert_eq!(
        dry.changes,
        vec![
            format!("create bucket {LOG_BUCKET} in us-east-1 with all public access blocked"),
            format!("add statement ELBAccessLogs to the policy of bucket {LOG_BUCKET}: Elastic Load Balancing of us-east-1 may put account 123456789012's access logs"),
            format!("log the requests of the classic load balancer {name} into bucket {LOG_BUCKET}"),
        ]
    );
    assert_eq!(classic_logging(&name).await, (false, None));

    let done = run_ok(line, classic_entity(&name), Mode::Enforce).await;
    assert_eq!(done.status, OutcomeStatus::Remediated, "{}", done.message);
    assert_eq!(
        done.message,
        format!("The classic load balancer {name} now logs its requests into bucket {LOG_BUCKET}")
    );
    assert_eq!(
        classic_logging(&name).await,
        (true, Some(LOG_BUCKET.to_string()))
    );
    assert_eq!(
        bucket_policy(LOG_BUCKET).await["Statement"],
        json!([{
            "Sid": "ELBAccessLogs",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::127311923021:root"},
            "Action": "s3:PutObject",
            "Resource": format!("arn:aws:s3:::{LOG_BUCKET}/AWSLogs/123456789012/*"),
        }])
    );
    let again = run_ok(line, classic_entity(&name), Mode::Enforce).await;
    assert_eq!(again.status, OutcomeStatus::AlreadyCompliant);

    let arn = new_application_load_balancer(30).await;
    let alb_name = arn.split('/').nth(2).unwrap().to_string();
    assert_ne!(
        application_attribute(&arn, "access_logs.s3.enabled")
            .await
            .as_deref(),
        Some("true")
    );
    let done = run_ok(line, application_entity(&arn), Mode::Enforce).await;
    assert_eq!(done.status, OutcomeStatus::Remediated, "{}", done.message);
    assert_eq!(
        done.changes,
        vec![format!(
            "log the requests of the load balancer {alb_name} into bucket {LOG_BUCKET}"
        )],
        "the bucket is ready: only the load balancer changes"
    );
    assert_eq!(
        application_attribute(&arn, "access_logs.s3.enabled")
            .await
            .as_deref(),
        Some("true")
    );
    assert_eq!(
        application_attribute(&arn, "access_logs.s3.bucket")
            .await
            .as_deref(),
        Some(LOG_BUCKET)
    );
    let again = run_ok(line, application_entity(&arn), Mode::Enforce).await;
    assert_eq!(again.status, OutcomeStatus::AlreadyCompliant);
    assert_eq!(
        again.message,
        format!("The load balancer {alb_name} already logs its requests into bucket {LOG_BUCKET}")
    );
}

#[tokio::test]
async fn a_load_balancer_that_is_gone_or_opted_out_is_left_alone() {
    // (The local stack fails with an internal error for a classic load balancer that does
    // not exist, where AWS says LoadBalancerNotFound: an application one stands in.)
    let gone = format!(
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/{}/50dc6c495c0c9188",
        unique_name("cloudbots-never-created")
    );
    let outcome = run_ok(
        "load_balancer_enable_access_logs",
        application_entity(&gone),
        Mode::Enforce,
    )
    .await;
    assert_eq!(outcome.status, OutcomeStatus::Skipped);
    assert_eq!(
        outcome.message,
        format!(
            "The load balancer {} does not exist (any more): nothing to do",
            gone.split('/').nth(2).unwrap()
        )
    );

    let name = new_classic_load_balancer().await;
    classic()
        .await
        .add_tags()
        .load_balancer_names(&name)
        .tags(
            aws_sdk_elasticloadbalancing::types::Tag::builder()
                .key(DEFAULT_EXCLUDE_TAG_KEY)
                .value("load_balancer_enable_access_logs")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("add_tags");
    assert_skipped_by_live_opt_out("load_balancer_enable_access_logs", classic_entity(&name)).await;
    assert!(!classic_logging(&name).await.0);
}
