//! Blast-radius limits on the local stack, through the intake and the real state machine: the
//! budget of remediations per account and region holds under concurrent executions, and a
//! bot that keeps failing on a resource is not run again until its circuit closes.

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_ec2::types::InstanceStateName;
use cloudbots_cli::local::deploy::{deploy, DeployOptions};
use cloudbots_cli::local::{LOCAL_ACCOUNT, LOCAL_REGION};
use cloudbots_cli::run::{send, ExecutionView, LocalTarget, Sent};
use cloudbots_shared::audit::AuditStatus;
use cloudbots_shared::budget::Limits;
use cloudbots_shared::error::ErrorName;
use cloudbots_shared::mapping::Mappings;
use cloudbots_shared::plan::{Mode, PlannerConfig};
use cloudbots_tests::e2e::{invoked, local_planner};
use cloudbots_tests::resources::{instance_state, running_instance};
use cloudbots_tests::{aws, entity, finding, stack};
use serde_json::{json, Value};

/// A deployment of its own (its own audit table, so its own budget and circuits).
async fn deployment(name: &str) -> LocalTarget {
    let stack = stack();
    let options = DeployOptions {
        name: name.to_string(),
        ..Default::default()
    };
    let deployment = deploy(stack, &options)
        .await
        .expect("deploys into the local stack");
    LocalTarget::new(stack.moto_port, stack.gateway_port, &deployment)
}

/// Send `event` through the intake of `target` with these limits; wait for every execution.
async fn send_limited(target: &LocalTarget, limits: Limits, event: &Value) -> Sent {
    let mut intake = target.intake(local_planner(), Mappings::default()).await;
    intake.limits = limits;
    send(target, &intake, event)
        .await
        .expect("the intake accepts the event")
}

/// An SNS delivery of `AUTO: ec2_stop_instance` findings, one record per instance.
fn stop_findings(instances: &[String], report_time: &str) -> Value {
    let records: Vec<Value> = instances
        .iter()
        .map(|id| {
            let mut message = finding("AUTO: ec2_stop_instance", entity("Instance", id, "web"));
            message["reportTime"] = json!(report_time);
            json!({"EventSource": "aws:sns", "Sns": {"MessageId": format!("m-{id}-{report_time}"), "Message": message.to_string()}})
        })
        .collect();
    json!({ "Records": records })
}

fn record<'a>(view: &'a ExecutionView, bot: &str) -> &'a cloudbots_shared::audit::AuditRecord {
    view.records
        .iter()
        .find(|r| r.bot == bot)
        .unwrap_or_else(|| panic!("no {bot} record in {view:?}"))
}

/// The instance a view's finding was about.
fn instance_of(view: &ExecutionView) -> String {
    view.output[0]["Rules violations found"][0]["ID"]
        .as_str()
        .expect("an ID")
        .to_string()
}

/// The sum of `CloudBots/StepsThrottled` over the last hour. There is no CloudWatch client
/// among the test dependencies: a Query API call to moto (which checks no signature) does.
async fn throttled_data_points() -> f64 {
    let now = chrono::Utc::now();
    let iso =
        |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let form = [
        ("Action", "GetMetricStatistics".to_string()),
        ("Version", "2010-08-01".to_string()),
        ("Namespace", "CloudBots".to_string()),
        ("MetricName", "StepsThrottled".to_string()),
        ("StartTime", iso(now - chrono::Duration::hours(1))),
        ("EndTime", iso(now + chrono::Duration::minutes(1))),
        ("Period", "86400".to_string()),
        ("Statistics.member.1", "Sum".to_string()),
    ];
    let body = reqwest::Client::new()
        .post(stack().endpoint())
        .header(
            "authorization",
            format!("AWS4-HMAC-SHA256 Credential=testing/20261130/{LOCAL_REGION}/monitoring/aws4_request, SignedHeaders=host, Signature=0"),
        )
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            form.iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect::<Vec<_>>()
                .join("&"),
        )
        .send()
        .await
        .expect("GetMetricStatistics")
        .text()
        .await
        .expect("a response");
    body.split("<Sum>")
        .skip(1)
        .filter_map(|rest| rest.split("</Sum>").next()?.trim().parse::<f64>().ok())
        .sum()
}

#[tokio::test]
async fn concurrent_executions_never_exceed_the_budget() {
    const EXECUTIONS: usize = 8;
    const BUDGET: u32 = 3;
    let target = deployment("blast-budget").await;
    let ec2 = aws_sdk_ec2::Client::new(&aws().await);
    let mut instances = Vec::new();
    for _ in 0..EXECUTIONS {
        instances.push(running_instance(&ec2).await);
    }
    let limits = Limits {
        budget_per_window: BUDGET,
        // One window for the whole test, wherever the clock is.
        budget_window_minutes: 1_000_000,
        ..Default::default()
    };
    let metric_before = throttled_data_points().await;
    // One delivery of 8 findings: the intake starts 8 executions, which run at the same time.
    let sent = send_limited(
        &target,
        limits,
        &stop_findings(&instances, "2026-11-30T11:00:00.000Z"),
    )
    .await;
    assert_eq!(sent.executions.len(), EXECUTIONS, "{:?}", sent.dispositions);

    let (ran, throttled): (Vec<&ExecutionView>, Vec<&ExecutionView>) = sent
        .executions
        .iter()
        .partition(|view| record(view, "ec2_stop_instance").status == AuditStatus::Remediated);
    for view in &throttled {
        assert_eq!(
            record(view, "ec2_stop_instance").status,
            AuditStatus::Throttled,
            "{view:?}"
        );
    }
    assert_eq!(ran.len(), BUDGET as usize, "exactly the budget ran");
    assert_eq!(throttled.len(), EXECUTIONS - BUDGET as usize);

    for view in &ran {
        assert_eq!(view.status, "SUCCEEDED", "{view:?}");
        assert_eq!(
            invoked(&view.name),
            ["ec2_create_snapshot", "ec2_stop_instance", "report"]
        );
        assert!(matches!(
            instance_state(&ec2, &instance_of(view)).await,
            InstanceStateName::Stopped | InstanceStateName::Stopping
        ));
    }
    let message = format!(
        "Throttled: the budget of {BUDGET} remediations per 1000000 minutes in account {LOCAL_ACCOUNT}, region {LOCAL_REGION} is used up"
    );
    for view in &throttled {
        // The snapshot only keeps evidence and spends no budget; the stop never ran.
        assert_eq!(invoked(&view.name), ["ec2_create_snapshot", "report"]);
        assert_eq!(
            instance_state(&ec2, &instance_of(view)).await,
            InstanceStateName::Running,
            "a throttled step leaves its resource as it was"
        );
        let stop = record(view, "ec2_stop_instance");
        assert!(stop.message.starts_with(&message), "{}", stop.message);
        assert!(stop.message.ends_with("; not run"), "{}", stop.message);
        assert_eq!(
            view.status, "FAILED",
            "a throttled step shows in the console"
        );
        let reported = &view.output[0]["Rules violations found"][1];
        assert_eq!(reported["Remediation"], "ec2_stop_instance");
        assert_eq!(reported["Execution status"], "failed");
        assert_eq!(reported["Bot message"], json!(stop.message));
    }

    let dynamodb = aws_sdk_dynamodb::Client::new(&aws().await);
    let budget = dynamodb
        .query()
        .table_name(&target.audit_table)
        .key_condition_expression("execution_name = :pk")
        .expression_attribute_values(
            ":pk",
            AttributeValue::S(format!("budget#{LOCAL_ACCOUNT}#{LOCAL_REGION}")),
        )
        .send()
        .await
        .expect("query the budget");
    let used: Vec<&str> = budget
        .items()
        .iter()
        .map(|item| item["used"].as_n().expect("a number").as_str())
        .collect();
    assert_eq!(used, [BUDGET.to_string()], "one window, fully used");

    assert_eq!(
        throttled_data_points().await - metric_before,
        (EXECUTIONS - BUDGET as usize) as f64,
        "one StepsThrottled data point per throttled step"
    );
}

/// The stop bot's failures in a row on an instance, and the time of the last one.
async fn stop_circuit(target: &LocalTarget, instance: &str) -> Option<(String, String)> {
    let dynamodb = aws_sdk_dynamodb::Client::new(&aws().await);
    let item = dynamodb
        .get_item()
        .table_name(&target.audit_table)
        .key(
            "execution_name",
            AttributeValue::S(format!("circuit#{LOCAL_ACCOUNT}#{LOCAL_REGION}#{instance}")),
        )
        .key(
            "record_id",
            AttributeValue::S("circuit#ec2_stop_instance".into()),
        )
        .consistent_read(true)
        .send()
        .await
        .expect("get_item")
        .item?;
    match (item.get("failures"), item.get("last_failure_at")) {
        (Some(AttributeValue::N(failures)), Some(AttributeValue::S(at))) => {
            Some((failures.clone(), at.clone()))
        }
        _ => None,
    }
}

#[tokio::test]
async fn a_bot_failing_three_times_in_a_row_on_a_resource_is_not_run_again_until_its_circuit_closes(
) {
    let target = deployment("blast-circuit").await;
    let ec2 = aws_sdk_ec2::Client::new(&aws().await);
    let id = running_instance(&ec2).await;
    let instances = [id.clone()];
    // The stop is denied three times (a permanent error: the state machine does not retry it).
    stack().inject_fault("ec2_stop_instance", &id, ErrorName::AccessDenied, 3);
    let mut generation = 0;
    let mut next = || {
        generation += 1;
        stop_findings(&instances, &format!("2026-11-30T12:0{generation}:00.000Z"))
    };
    for attempt in 1..=3 {
        let sent = send_limited(&target, Limits::default(), &next()).await;
        let view = &sent.executions[0];
        assert_eq!(
            invoked(&view.name),
            ["ec2_create_snapshot", "ec2_stop_instance", "report"],
            "attempt {attempt} runs the stop"
        );
        assert_eq!(
            record(view, "ec2_stop_instance").status,
            AuditStatus::Failed
        );
        assert_eq!(
            stop_circuit(&target, &id).await.map(|c| c.0),
            Some(attempt.to_string()),
            "failures in a row after attempt {attempt}"
        );
    }

    // The fourth finding: the circuit is open, the stop is not run, the snapshot (another
    // bot, whose own steps succeed) still is.
    let sent = send_limited(&target, Limits::default(), &next()).await;
    let view = &sent.executions[0];
    assert_eq!(invoked(&view.name), ["ec2_create_snapshot", "report"]);
    let refused = record(view, "ec2_stop_instance");
    assert_eq!(refused.status, AuditStatus::CircuitOpen);
    assert_eq!(
        refused.message,
        format!("Circuit open: ec2_stop_instance failed 3 times in a row on {id} (account {LOCAL_ACCOUNT}, region {LOCAL_REGION}); not run. One step is let through 60 minutes after the last failure and closes the circuit if it succeeds; deleting the circuit's item from the audit table (circuit#{LOCAL_ACCOUNT}#{LOCAL_REGION}#{id}, circuit#<bot>) closes it now")
    );
    assert_eq!(view.status, "FAILED");
    assert_eq!(
        view.output[0]["Rules violations found"][1]["Bot message"],
        json!(refused.message)
    );
    assert_eq!(instance_state(&ec2, &id).await, InstanceStateName::Running);

    // An hour later (the last failure moved back in time), one step is let through; it
    // succeeds, which closes the circuit.
    let dynamodb = aws_sdk_dynamodb::Client::new(&aws().await);
    dynamodb
        .update_item()
        .table_name(&target.audit_table)
        .key(
            "execution_name",
            AttributeValue::S(format!("circuit#{LOCAL_ACCOUNT}#{LOCAL_REGION}#{id}")),
        )
        .key(
            "record_id",
            AttributeValue::S("circuit#ec2_stop_instance".into()),
        )
        .update_expression("SET last_failure_at = :earlier")
        .expression_attribute_values(
            ":earlier",
            AttributeValue::S(
                (chrono::Utc::now() - chrono::Duration::minutes(61))
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            ),
        )
        .send()
        .await
        .expect("update_item");
    let sent = send_limited(&target, Limits::default(), &next()).await;
    let view = &sent.executions[0];
    assert_eq!(view.status, "SUCCEEDED", "{view:?}");
    assert_eq!(
        invoked(&view.name),
        ["ec2_create_snapshot", "ec2_stop_instance", "report"]
    );
    assert!(matches!(
        instance_state(&ec2, &id).await,
        InstanceStateName::Stopped | InstanceStateName::Stopping
    ));
    assert_eq!(
        stop_circuit(&target, &id).await,
        None,
        "the circuit is closed"
    );
}

#[tokio::test]
async fn dry_run_steps_and_snapshots_spend_no_budget() {
    let target = deployment("blast-dry-run").await;
    let ec2 = aws_sdk_ec2::Client::new(&aws().await);
    let limits = Limits {
        budget_per_window: 1,
        budget_window_minutes: 1_000_000,
        ..Default::default()
    };
    let mut instances = Vec::new();
    for _ in 0..2 {
        instances.push(running_instance(&ec2).await);
    }
    // Two findings in dry-run: each step runs (snapshot and stop both report what they would do).
    let mut intake = target
        .intake(
            PlannerConfig {
                mode: Mode::DryRun,
                ..local_planner()
            },
            Mappings::default(),
        )
        .await;
    intake.limits = limits;
    let dry = send(
        &target,
        &intake,
        &stop_findings(&instances, "2026-11-30T13:00:00.000Z"),
    )
    .await
    .expect("the intake accepts the event");
    assert_eq!(dry.executions.len(), 2, "{:?}", dry.dispositions);
    for view in &dry.executions {
        assert_eq!(
            record(view, "ec2_stop_instance").status,
            AuditStatus::DryRun,
            "{view:?}"
        );
    }
    // The budget of one is still whole: the first enforced stop runs, with its snapshot; the
    // second is throttled.
    let enforced = send_limited(
        &target,
        limits,
        &stop_findings(&instances[..1], "2026-11-30T13:01:00.000Z"),
    )
    .await;
    assert_eq!(
        record(&enforced.executions[0], "ec2_stop_instance").status,
        AuditStatus::Remediated
    );
    let over = send_limited(
        &target,
        limits,
        &stop_findings(&instances[1..2], "2026-11-30T13:02:00.000Z"),
    )
    .await;
    let view = &over.executions[0];
    assert_eq!(
        record(view, "ec2_create_snapshot").status,
        AuditStatus::Remediated
    );
    assert_eq!(
        record(view, "ec2_stop_instance").status,
        AuditStatus::Throttled
    );
    assert_eq!(
        instance_state(&ec2, &instances[1]).await,
        InstanceStateName::Running
    );
}

#[tokio::test]
async fn a_snapshot_that_keeps_failing_opens_its_circuit_and_the_stop_never_runs() {
    let target = deployment("blast-guard").await;
    let ec2 = aws_sdk_ec2::Client::new(&aws().await);
    let id = running_instance(&ec2).await;
    let instances = [id.clone()];
    stack().inject_fault("ec2_create_snapshot", &id, ErrorName::AccessDenied, 3);
    for minute in 1..=3 {
        let sent = send_limited(
            &target,
            Limits::default(),
            &stop_findings(&instances, &format!("2026-11-30T14:0{minute}:00.000Z")),
        )
        .await;
        let view = &sent.executions[0];
        assert_eq!(invoked(&view.name), ["ec2_create_snapshot", "report"]);
        assert_eq!(
            record(view, "ec2_create_snapshot").status,
            AuditStatus::Failed
        );
    }
    let sent = send_limited(
        &target,
        Limits::default(),
        &stop_findings(&instances, "2026-11-30T14:04:00.000Z"),
    )
    .await;
    let view = &sent.executions[0];
    assert_eq!(invoked(&view.name), ["report"], "nothing ran");
    assert_eq!(
        record(view, "ec2_create_snapshot").status,
        AuditStatus::CircuitOpen
    );
    assert_eq!(view.status, "FAILED");
    let stop = &view.output[0]["Rules violations found"][1];
    assert_eq!(stop["Remediation"], "ec2_stop_instance");
    assert_eq!(stop["Execution status"], "failed");
    assert_eq!(
        stop["Bot message"],
        "Not run: the guard step ec2_create_snapshot was refused by its circuit breaker, so no later step ran"
    );
    assert_eq!(instance_state(&ec2, &id).await, InstanceStateName::Running);
}
