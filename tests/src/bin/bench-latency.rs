//! End-to-end latency on the local stack: finding in → execution finished.
//!
//! Findings of several kinds (an instance to stop, with the snapshot the planner puts first; a
//! security group rule to delete; an IAM user to quarantine), each on a resource of its own,
//! go through the intake and the real state machine definition running in moto's Step
//! Functions engine, whose Lambda calls reach our functions through the local gateway. The
//! time of each finding is split into ours (the intake, and every function invocation of its
//! execution as the gateway timed it) and the rest, which is moto's engine: its scheduling,
//! the state machine's own DynamoDB and SNS calls, and the polling that notices the end (every
//! 20 ms). First one finding at a time, then with 10 in flight.
//!
//! `scripts/bench-latency.sh [N]` runs it; it prints p50/p95/max of each share.

use cloudbots_functions::intake::{Disposition, Intake};
use cloudbots_shared::budget::Limits;
use cloudbots_shared::mapping::Mappings;
use cloudbots_tests::e2e::{json_deployment, local_planner, sns_event};
use cloudbots_tests::iam::{new_user, user_entity};
use cloudbots_tests::resources::running_instance;
use cloudbots_tests::security_groups::open_ssh_group;
use cloudbots_tests::{aws, entity, finding, stack, unique_name};
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How one finding went.
struct Timing {
    total: Duration,
    ours: Duration,
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let count: usize = match std::env::args().nth(1) {
        None => 60,
        Some(n) => n
            .parse()
            .ok()
            .filter(|n| *n >= 10)
            .ok_or("usage: bench-latency [N] (N >= 10 findings per round)")?,
    };
    let target = json_deployment().await;
    let mut intake = target.intake(local_planner(), Mappings::default()).await;
    // The budget would throttle a burst of this size: this measures latency, not the rails.
    intake.limits = Limits {
        budget_per_window: 100_000,
        ..Limits::default()
    };
    let intake = Arc::new(intake);
    let sfn = Arc::new(aws_sdk_sfn::Client::new(&aws().await));

    println!("end-to-end latency, finding -> execution finished, {count} findings per round");
    let events = findings(count, "one").await;
    let mut sequential = Vec::new();
    for event in &events {
        sequential.push(time_finding(&intake, &sfn, event).await?);
    }
    report("one finding at a time", &sequential);

    let events = findings(count, "ten").await;
    let in_flight = Arc::new(tokio::sync::Semaphore::new(10));
    let mut tasks = Vec::new();
    for event in events {
        let (intake, sfn, in_flight) = (intake.clone(), sfn.clone(), in_flight.clone());
        tasks.push(tokio::spawn(async move {
            let _slot = in_flight.acquire().await.expect("semaphore open");
            time_finding(&intake, &sfn, &event).await
        }));
    }
    let mut concurrent = Vec::new();
    for task in tasks {
        concurrent.push(task.await.map_err(|e| e.to_string())??);
    }
    report("10 findings in flight", &concurrent);
    Ok(())
}

/// `count` SNS events, each a CloudGuard finding about a resource of its own, of three kinds.
async fn findings(count: usize, round: &str) -> Vec<Value> {
    let config = aws().await;
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let iam = aws_sdk_iam::Client::new(&config);
    let mut events = Vec::new();
    for n in 0..count {
        let (tags, entity) = match n % 3 {
            0 => {
                let instance = running_instance(&ec2).await;
                (
                    "AUTO: ec2_stop_instance",
                    entity("Instance", &instance, "bench"),
                )
            }
            1 => {
                let group = open_ssh_group(&ec2, &unique_name(&format!("bench-{round}"))).await;
                (
                    "AUTO: sg_single_rule_delete split=false protocol=TCP scope=0.0.0.0/0 direction=inbound port=22",
                    entity("SecurityGroup", &group, "bench"),
                )
            }
            _ => {
                let user = new_user(&iam, &format!("bench-{round}")).await;
                ("AUTO: iam_quarantine_user", user_entity(&user))
            }
        };
        let mut finding = finding(tags, entity);
        finding["findingKey"] = format!("bench-latency-{round}-{n}").into();
        events.push(sns_event(&format!("bench-{round}-{n}"), &finding));
    }
    events
}

/// Send one event and wait for its execution to end.
async fn time_finding(
    intake: &Intake,
    sfn: &aws_sdk_sfn::Client,
    event: &Value,
) -> Result<Timing, String> {
    let started = Instant::now();
    let dispositions = intake.handle(event).await.map_err(|e| e.to_string())?;
    let intake_time = started.elapsed();
    let Some(Disposition::Started {
        execution_arn,
        execution_name,
        ..
    }) = dispositions.first()
    else {
        return Err(format!("no execution started: {dispositions:?}"));
    };
    loop {
        let described = sfn
            .describe_execution()
            .execution_arn(execution_arn)
            .send()
            .await
            .map_err(|e| format!("describing {execution_name}: {e}"))?;
        match described.status().as_str() {
            "RUNNING" => tokio::time::sleep(Duration::from_millis(20)).await,
            "SUCCEEDED" => break,
            other => return Err(format!("{execution_name} ended {other}")),
        }
        if started.elapsed() > Duration::from_secs(120) {
            return Err(format!("{execution_name} still running after 120 s"));
        }
    }
    let total = started.elapsed();
    let functions: Duration = stack()
        .gateway()
        .invocations_of(execution_name)
        .iter()
        .map(|invocation| invocation.duration)
        .sum();
    Ok(Timing {
        total,
        ours: intake_time + functions,
    })
}

/// Print p50/p95/max of the total, our share and the engine's.
fn report(name: &str, timings: &[Timing]) {
    let line = |label: &str, pick: &dyn Fn(&Timing) -> Duration| {
        let mut ms: Vec<f64> = timings
            .iter()
            .map(|t| pick(t).as_secs_f64() * 1e3)
            .collect();
        ms.sort_by(f64::total_cmp);
        let at = |q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
        println!(
            "  {label:<34} p50 {:>7.0} ms  p95 {:>7.0} ms  max {:>7.0} ms",
            at(0.5),
            at(0.95),
            at(1.0)
        );
    };
    println!("{name} ({} findings):", timings.len());
    line("finding -> execution finished", &|t| t.total);
    line("ours (intake + function calls)", &|t| t.ours);
    line("moto's engine and polling", &|t| {
        t.total.saturating_sub(t.ours)
    });
}
