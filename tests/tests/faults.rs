//! Faults between the functions and AWS: throttling and 5xx answers retried by the SDK with
//! the functions' own retry configuration, and a bot that failed half-way is safe to run again.
//!
//! moto never throttles nor fails on its own, so the bots here run (through `run_step`, as in
//! their Lambda) with an HTTP client that answers chosen calls itself and sends every other
//! call to moto: the faults are injected on the wire, and everything else is moto's real state.
//! The state machine's side: a throttled audit write is retried by the state machine, on the
//! local stack, without running the bot again (its Retry on a `Transient` bot error is tested
//! in `end_to_end.rs`). The intake's side of the dead-letter contract: a delivery it could not
//! start fails whole, and its retry starts the execution once.

use aws_sdk_ec2::types::InstanceStateName;
use cloudbots_functions::bots;
use cloudbots_functions::intake::Disposition;
use cloudbots_functions::lambda::AWS_MAX_ATTEMPTS;
use cloudbots_shared::audit::AuditStatus;
use cloudbots_shared::error::ErrorName;
use cloudbots_shared::mapping::Mappings;
use cloudbots_shared::outcome::OutcomeStatus;
use cloudbots_tests::e2e::{json_deployment, local_planner, send_event, sns_event};
use cloudbots_tests::resources::{instance_state, running_instance};
use cloudbots_tests::wire::{faulty_client, functions_config};
use cloudbots_tests::{aws, entity, finding, run_with_config, stack};
use std::time::{Duration, Instant};

/// EC2's answer when it throttles a caller.
const THROTTLED: (u16, &str) = (
    503,
    "<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>f1</RequestID></Response>",
);
/// An EC2 server error.
const INTERNAL_ERROR: (u16, &str) = (
    500,
    "<Response><Errors><Error><Code>InternalError</Code><Message>An internal error has occurred.</Message></Error></Errors><RequestID>f2</RequestID></Response>",
);
/// A refusal the SDK does not retry.
const UNAUTHORIZED: (u16, &str) = (
    403,
    "<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not authorized to perform this operation.</Message></Error></Errors><RequestID>f3</RequestID></Response>",
);

fn instance(id: &str) -> serde_json::Value {
    entity("Instance", id, "web")
}

#[tokio::test]
async fn a_call_throttled_then_failing_with_a_server_error_is_retried_and_the_bot_succeeds() {
    let ec2 = aws_sdk_ec2::Client::new(&aws().await);
    let id = running_instance(&ec2).await;
    let (client, faults) = faulty_client("StopInstances", &[THROTTLED, INTERNAL_ERROR]).await;
    let outcome = run_with_config(
        functions_config(client).await,
        "ec2_stop_instance",
        instance(&id),
    )
    .await
    .expect("the bot succeeds after the retries");
    assert_eq!(
        outcome.status,
        OutcomeStatus::Remediated,
        "{}",
        outcome.message
    );
    assert_eq!(
        faults.seen(),
        3,
        "throttled, server error, then the call that stopped it"
    );
    assert!(matches!(
        instance_state(&ec2, &id).await,
        InstanceStateName::Stopped | InstanceStateName::Stopping
    ));
}

#[tokio::test]
async fn a_call_still_throttled_after_every_attempt_fails_the_step_as_transient() {
    let ec2 = aws_sdk_ec2::Client::new(&aws().await);
    let id = running_instance(&ec2).await;
    let throttled = vec![THROTTLED; AWS_MAX_ATTEMPTS as usize];
    let (client, faults) = faulty_client("StopInstances", &throttled).await;
    let started = Instant::now();
    let error = run_with_config(
        functions_config(client).await,
        "ec2_stop_instance",
        instance(&id),
    )
    .await
    .expect_err("still throttled");
    // Transient is what the state machine's Retry on RunBot matches: the step runs again later.
    assert_eq!(error.name, ErrorName::Transient, "{}", error.message);
    assert!(
        error.message.contains("RequestLimitExceeded"),
        "{}",
        error.message
    );
    assert_eq!(faults.seen(), AWS_MAX_ATTEMPTS as usize);
    assert!(
        started.elapsed() < Duration::from_secs(40),
        "backoff is capped: {:?}",
        started.elapsed()
    );
    assert_eq!(instance_state(&ec2, &id).await, InstanceStateName::Running);
}

/// The security groups of an instance, and the quarantine groups of its VPC.
async fn groups(ec2: &aws_sdk_ec2::Client, instance: &str) -> (Vec<String>, Vec<String>) {
    let described = ec2
        .describe_instances()
        .instance_ids(instance)
        .send()
        .await
        .expect("describe_instances");
    let instance = &described.reservations()[0].instances()[0];
    let vpc = instance.vpc_id().expect("a VPC").to_string();
    let of_instance = instance
        .security_groups()
        .iter()
        .filter_map(|g| g.group_id().map(str::to_string))
        .collect();
    let quarantine = ec2
        .describe_security_groups()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("vpc-id")
                .values(vpc)
                .build(),
        )
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("group-name")
                .values(bots::instance::QUARANTINE_GROUP_NAME)
                .build(),
        )
        .send()
        .await
        .expect("describe_security_groups")
        .security_groups()
        .iter()
        .filter_map(|g| g.group_id().map(str::to_string))
        .collect();
    (of_instance, quarantine)
}

#[tokio::test]
async fn a_bot_that_failed_half_way_is_safe_to_run_again() {
    let ec2 = aws_sdk_ec2::Client::new(&aws().await);
    let id = running_instance(&ec2).await;
    let (before, _) = groups(&ec2, &id).await;
    // ec2_quarantine_instance creates the quarantine group, strips its rules, then moves the
    // instance into it: the move is refused, after the group was made.
    let (client, faults) = faulty_client("ModifyInstanceAttribute", &[UNAUTHORIZED]).await;
    let error = run_with_config(
        functions_config(client).await,
        "ec2_quarantine_instance",
        instance(&id),
    )
    .await
    .expect_err("the move is refused");
    assert_eq!(error.name, ErrorName::AccessDenied, "{}", error.message);
    assert_eq!(faults.seen(), 1, "a refusal is not retried");
    let (half_way, quarantine) = groups(&ec2, &id).await;
    assert_eq!(half_way, before, "the instance was not moved");
    assert_eq!(quarantine.len(), 1, "the group was created");

    // Run again (as the state machine's retry or the next finding would): it finishes the job
    // with the group the first run made.
    let outcome = run_with_config(aws().await, "ec2_quarantine_instance", instance(&id))
        .await
        .expect("the second run succeeds");
    assert_eq!(
        outcome.status,
        OutcomeStatus::Remediated,
        "{}",
        outcome.message
    );
    let (after, quarantine_after) = groups(&ec2, &id).await;
    assert_eq!(quarantine_after, quarantine, "no second quarantine group");
    assert_eq!(
        after, quarantine,
        "the instance is only in the quarantine group"
    );

    // And once more: nothing left to do.
    let again = run_with_config(aws().await, "ec2_quarantine_instance", instance(&id))
        .await
        .expect("a third run succeeds");
    assert_eq!(
        again.status,
        OutcomeStatus::AlreadyCompliant,
        "{}",
        again.message
    );
}

#[tokio::test]
async fn a_throttled_audit_write_is_retried_by_the_state_machine_and_never_runs_the_bot_again() {
    let ec2 = aws_sdk_ec2::Client::new(&aws().await);
    let id = running_instance(&ec2).await;
    // The stop's audit record (its message names the instance) is throttled twice.
    let record = format!("Instance stopped: {id}");
    stack()
        .gateway()
        .inject_dynamodb_throttling("PutItem", &record, 2);
    let tags = "AUTO: ec2_stop_instance";
    let sent = send_event(&sns_event(
        "m-audit-throttled",
        &finding(tags, entity("Instance", &id, "web")),
    ))
    .await;
    let view = &sent.executions[0];
    assert_eq!(
        stack()
            .gateway()
            .dynamodb_throttling_left("PutItem", &record),
        0,
        "both throttled writes were made: {view:?}"
    );
    assert_eq!(view.status, "SUCCEEDED", "{view:?}");
    let stops = stack()
        .gateway()
        .invocations_of(&view.name)
        .iter()
        .filter(|i| i.function == "ec2_stop_instance")
        .count();
    assert_eq!(stops, 1, "the bot ran once");
    let stop = view
        .records
        .iter()
        .find(|r| r.bot == "ec2_stop_instance")
        .expect("the third write landed");
    assert_eq!(stop.status, AuditStatus::Remediated);
    assert!(stop.message.starts_with(&record), "{}", stop.message);
    assert_eq!(
        view.states.iter().filter(|s| *s == "AuditOutcome").count(),
        2,
        "one audit state per step (snapshot, stop): retried in place, not re-entered"
    );
    let Disposition::Started { execution_arn, .. } = &sent.dispositions[0] else {
        panic!("started: {:?}", sent.dispositions);
    };
    let history = aws_sdk_sfn::Client::new(&aws().await)
        .get_execution_history()
        .execution_arn(execution_arn)
        .max_results(1000)
        .send()
        .await
        .expect("the execution's history");
    let failed_writes = history
        .events()
        .iter()
        .filter_map(|e| e.task_failed_event_details())
        .filter(|d| d.resource() == "putItem")
        .count();
    assert_eq!(failed_writes, 2, "two throttled attempts, then the write");
}

/// The intake is invoked asynchronously (SNS, EventBridge): when it fails, Lambda retries the
/// delivery and then moves the original event to the intake's dead-letter queue (the template
/// wires it; moto cannot run that part). What the intake owes that contract: a delivery it
/// could not start fails as a whole, with the reason, and the retry after recovery starts the
/// execution exactly once.
#[tokio::test]
async fn an_intake_that_cannot_start_its_execution_fails_the_delivery_and_its_retry_starts_it_once()
{
    let target = json_deployment().await;
    let ec2 = aws_sdk_ec2::Client::new(&aws().await);
    let instance = running_instance(&ec2).await;
    let event = sns_event(
        &format!("m-dlq-{instance}"),
        &finding(
            "AUTO: ec2_stop_instance",
            entity("Instance", &instance, "web-1"),
        ),
    );

    let mut broken = target.intake(local_planner(), Mappings::default()).await;
    broken.state_machine_arn = format!("{}-missing", target.state_machine_arn);
    let error = broken
        .handle(&event)
        .await
        .expect_err("the delivery fails, so Lambda retries it and then dead-letters it");
    assert!(
        error.message.contains("StateMachineDoesNotExist"),
        "{}",
        error.message
    );
    assert_eq!(
        instance_state(&ec2, &instance).await,
        InstanceStateName::Running
    );

    let intake = target.intake(local_planner(), Mappings::default()).await;
    let first = intake.handle(&event).await.expect("the retry is accepted");
    assert!(
        matches!(first.as_slice(), [Disposition::Started { .. }]),
        "{first:?}"
    );
    let again = intake
        .handle(&event)
        .await
        .expect("a redelivery is accepted");
    assert!(
        matches!(again.as_slice(), [Disposition::Duplicate { .. }]),
        "{again:?}"
    );
}
