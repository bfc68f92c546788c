//! Lambda function bots on the local stack, run as their Lambdas run them (through `run_step`)
//! with IAM enforced and only their roles' actions allowed: the function's real concurrency,
//! tags and role policies after each run.
//!
//! What the local stack cannot show is mocked, and only that: CloudTrail LookupEvents (not
//! served); a layer of another account on a function (the stack rewrites every layer ARN to
//! the function's own account), so the detaching update is asserted on a mocked Lambda; the
//! tracing mode (accepted by the stack but not kept, so the stack's enforcing run fails
//! `NotVerified`), likewise. A mocked Lambda answers each read in turn, as the function is
//! before the change and then after it, since the bots read their change back.

use aws_sdk_cloudtrail::operation::lookup_events::LookupEventsOutput;
use aws_sdk_cloudtrail::primitives::{DateTime, DateTimeFormat};
use aws_sdk_cloudtrail::types::Event;
use aws_sdk_lambda::operation::get_function_configuration::GetFunctionConfigurationOutput;
use aws_sdk_lambda::operation::update_function_configuration::{
    UpdateFunctionConfigurationInput, UpdateFunctionConfigurationOutput,
};
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{FunctionCode, Layer, Runtime, TracingConfigResponse, TracingMode};
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use cloudbots_cli::local::LOCAL_ACCOUNT;
use cloudbots_functions::bots::lambda::{
    detach_external_layer_with, enable_active_tracing_with, restore_function_with,
};
use cloudbots_shared::error::ErrorName;
use cloudbots_shared::outcome::{BotInput, BotOutcome, OutcomeStatus};
use cloudbots_shared::plan::{Mode, DEFAULT_EXCLUDE_TAG_KEY};
use cloudbots_shared::restore::{RestoreOutcome, RestoreStatus};
use cloudbots_tests::iam::{new_role, role_policies};
use cloudbots_tests::{
    assert_not_as_intended, assert_remediated, assert_skipped_by_live_opt_out, aws, bot_aws,
    entity, restore_input, run_line, run_ok, step_input, unique_name,
};
use serde_json::{json, Value};

async fn lambda() -> aws_sdk_lambda::Client {
    aws_sdk_lambda::Client::new(&aws().await)
}

async fn iam() -> aws_sdk_iam::Client {
    aws_sdk_iam::Client::new(&aws().await)
}

/// A new function with a new execution role: its name, ARN and role name.
async fn new_function(prefix: &str) -> (String, String, String) {
    let role = new_role(&iam().await, "cloudbots-fn-role").await;
    let name = unique_name(prefix);
    let created = lambda()
        .await
        .create_function()
        .function_name(&name)
        .runtime(Runtime::Python312)
        .handler("index.handler")
        .role(format!("arn:aws:iam::{LOCAL_ACCOUNT}:role/{role}"))
        .code(
            FunctionCode::builder()
                .zip_file(Blob::new(b"not a zip".to_vec()))
                .build(),
        )
        .send()
        .await
        .expect("create_function");
    (name, created.function_arn.unwrap(), role)
}

/// The CloudGuard entity of a function: its ARN as id, its name.
fn function_entity(name: &str, arn: &str) -> Value {
    entity("Lambda", arn, name)
}

async fn reserved_concurrency(name: &str) -> Option<i32> {
    lambda()
        .await
        .get_function_concurrency()
        .function_name(name)
        .send()
        .await
        .expect("get_function_concurrency")
        .reserved_concurrent_executions
}

async fn tags(arn: &str) -> Vec<(String, String)> {
    let mut tags: Vec<_> = lambda()
        .await
        .list_tags()
        .resource(arn)
        .send()
        .await
        .expect("list_tags")
        .tags
        .unwrap_or_default()
        .into_iter()
        .collect();
    tags.sort();
    tags
}

// ---- lambda_disable ----

#[tokio::test]
async fn disable_sets_reserved_concurrency_to_zero_once_and_says_how_to_undo() {
    let (name, arn, _) = new_function("cloudbots-disable").await;

    let dry = run_ok("lambda_disable", function_entity(&name, &arn), Mode::DryRun).await;
    assert_eq!(dry.status, OutcomeStatus::DryRun);
    assert_eq!(
        dry.changes,
        vec![format!(
            "set the reserved concurrency of function {name} to 0 (was no reserved concurrency)"
        )]
    );
    assert_eq!(reserved_concurrency(&name).await, None);

    let first = run_ok(
        "lambda_disable",
        function_entity(&name, &arn),
        Mode::Enforce,
    )
    .await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert_eq!(
        first.message,
        format!("Function {name} disabled: reserved concurrency 0, was no reserved concurrency (to undo, delete its reserved concurrency)")
    );
    assert_eq!(reserved_concurrency(&name).await, Some(0));

    let second = run_ok(
        "lambda_disable",
        function_entity(&name, &arn),
        Mode::Enforce,
    )
    .await;
    assert_eq!(second.status, OutcomeStatus::AlreadyCompliant);
    assert_eq!(
        second.message,
        format!("Function {name} is already disabled: reserved concurrency 0")
    );
}

#[tokio::test]
async fn disable_records_a_previous_reserved_concurrency() {
    let (name, arn, _) = new_function("cloudbots-reserved").await;
    lambda()
        .await
        .put_function_concurrency()
        .function_name(&name)
        .reserved_concurrent_executions(5)
        .send()
        .await
        .expect("put_function_concurrency");

    let outcome = run_ok(
        "lambda_disable",
        function_entity(&name, &arn),
        Mode::Enforce,
    )
    .await;
    assert_eq!(
        outcome.message,
        format!("Function {name} disabled: reserved concurrency 0, was reserved concurrency 5 (to undo, set its reserved concurrency back to 5)")
    );
    assert_eq!(reserved_concurrency(&name).await, Some(0));
}

#[tokio::test]
async fn disable_skips_a_function_that_is_gone() {
    let name = unique_name("cloudbots-never-created");
    let arn = format!("arn:aws:lambda:us-east-1:{LOCAL_ACCOUNT}:function:{name}");
    let outcome = run_ok(
        "lambda_disable",
        function_entity(&name, &arn),
        Mode::Enforce,
    )
    .await;
    assert_eq!(outcome.status, OutcomeStatus::Skipped);
    assert_eq!(
        outcome.message,
        format!("Function {name} does not exist (any more): nothing to do")
    );
}

// ---- lambda_tag ----

#[tokio::test]
async fn tag_sets_the_tag_once_and_a_key_alone_gets_an_empty_value() {
    let (name, arn, _) = new_function("cloudbots-tag").await;
    let line = "lambda_tag owner \"security-team\"";

    let dry = run_ok(line, function_entity(&name, &arn), Mode::DryRun).await;
    assert_eq!(
        dry.changes,
        vec![format!("tag function {name} with owner=security-team")]
    );
    assert_eq!(tags(&arn).await, vec![]);

    let first = run_ok(line, function_entity(&name, &arn), Mode::Enforce).await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert_eq!(
        first.message,
        format!("Function {name} tagged owner=security-team")
    );
    let second = run_ok(line, function_entity(&name, &arn), Mode::Enforce).await;
    assert_eq!(second.status, OutcomeStatus::AlreadyCompliant);

    let retag = run_ok(
        "lambda_tag owner ops",
        function_entity(&name, &arn),
        Mode::Enforce,
    )
    .await;
    assert_eq!(
        retag.changes,
        vec![format!(
            "tag function {name} with owner=ops (was owner=security-team)"
        )]
    );
    run_ok(
        "lambda_tag quarantined",
        function_entity(&name, &arn),
        Mode::Enforce,
    )
    .await;
    assert_eq!(
        tags(&arn).await,
        vec![
            ("owner".to_string(), "ops".to_string()),
            ("quarantined".to_string(), String::new())
        ]
    );
}

#[tokio::test]
async fn a_function_tagged_to_opt_out_after_its_finding_is_left_alone() {
    let (name, arn, _) = new_function("cloudbots-optout").await;
    lambda()
        .await
        .tag_resource()
        .resource(&arn)
        .tags(DEFAULT_EXCLUDE_TAG_KEY, "lambda_disable")
        .send()
        .await
        .expect("tag_resource");
    assert_skipped_by_live_opt_out("lambda_disable", function_entity(&name, &arn)).await;
    assert_eq!(reserved_concurrency(&name).await, None);
}

// ---- lambda_detach_blanket_permissions ----

async fn new_policy(document: Value) -> String {
    iam()
        .await
        .create_policy()
        .policy_name(unique_name("cloudbots-fn-policy"))
        .policy_document(document.to_string())
        .send()
        .await
        .expect("create_policy")
        .policy
        .unwrap()
        .arn
        .unwrap()
}

async fn attach(role: &str, policy: &str) {
    iam()
        .await
        .attach_role_policy()
        .role_name(role)
        .policy_arn(policy)
        .send()
        .await
        .expect("attach_role_policy");
}

#[tokio::test]
async fn detach_blanket_permissions_detaches_only_policies_allowing_every_resource() {
    let (name, arn, role) = new_function("cloudbots-blanket").await;
    let blanket = new_policy(json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Logs", "Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "arn:aws:logs:*:*:*"},
        {"Sid": "Everything", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}
    ]}))
    .await;
    let narrow = new_policy(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*"},
        {"Effect": "Deny", "Action": "*", "Resource": "*"}
    ]}))
    .await;
    attach(&role, &blanket).await;
    attach(&role, &narrow).await;
    let blanket_name = blanket.rsplit('/').next().unwrap();
    let line = "lambda_detach_blanket_permissions";

    let dry = run_ok(line, function_entity(&name, &arn), Mode::DryRun).await;
    assert_eq!(dry.status, OutcomeStatus::DryRun);
    assert_eq!(
        dry.changes,
        vec![format!(
            "detach policy {blanket_name} ({blanket}) from role {role}: statement Everything allow actions on all resources"
        )]
    );
    assert_eq!(role_policies(&iam().await, &role).await.len(), 2);

    let first = run_ok(line, function_entity(&name, &arn), Mode::Enforce).await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert_eq!(
        first.message,
        format!("Detached {blanket_name} from role {role} of function {name} (to undo, attach them to the role again)")
    );
    assert_eq!(role_policies(&iam().await, &role).await, vec![narrow]);

    let second = run_ok(line, function_entity(&name, &arn), Mode::Enforce).await;
    assert_eq!(second.status, OutcomeStatus::AlreadyCompliant);
    assert_eq!(
        second.message,
        format!("Role {role} of function {name} has no attached policy that allows actions on all resources")
    );
}

// ---- lambda_detach_external_layer ----

const ALERT: &str = "2026-11-30T10:00:00Z";
const FOREIGN: &str = "999999999999";

fn alert_secs() -> i64 {
    DateTime::from_str(ALERT, DateTimeFormat::DateTime)
        .expect("an RFC 3339 time")
        .secs()
}

fn layer(account: &str, name: &str, version: u32) -> String {
    format!("arn:aws:lambda:us-east-1:{account}:layer:{name}:{version}")
}

/// CloudTrail answering with one UpdateFunctionConfiguration event of `function` that set
/// `layers`, and one of another function closer to the alert.
fn cloudtrail_with_update(function: &str, layers: &[String]) -> aws_sdk_cloudtrail::Client {
    let event = |function: &str, layers: &[String], offset: i64| {
        let record = json!({
            "eventName": "UpdateFunctionConfiguration20150331v2",
            "requestParameters": {"functionName": function, "layers": layers}
        });
        Event::builder()
            .event_name("UpdateFunctionConfiguration20150331v2")
            .event_time(DateTime::from_secs(alert_secs() + offset))
            .cloud_trail_event(record.to_string())
            .build()
    };
    let ours = event(function, layers, 5);
    let other = event("someone-elses-function", &[layer(FOREIGN, "x", 1)], 1);
    let rule = mock!(aws_sdk_cloudtrail::Client::lookup_events).then_output(move || {
        LookupEventsOutput::builder()
            .events(other.clone())
            .events(ours.clone())
            .build()
    });
    mock_client!(aws_sdk_cloudtrail, RuleMode::MatchAny, [&rule])
}

/// The step of a Log.ic finding on the function, alerted at `ALERT`.
fn log_ic_input(bot: &str, name: &str, arn: &str, mode: Mode) -> BotInput {
    let mut input = step_input(bot, function_entity(name, arn), bot, mode);
    input.finding.event_time = Some(ALERT.to_string());
    input
}

/// GetFunctionConfiguration answering each configuration in turn, the last one from then on.
fn configuration_reads(configurations: Vec<GetFunctionConfigurationOutput>) -> Rule {
    let (last, first) = configurations.split_last().expect("a configuration");
    let sequence = first.iter().fold(
        mock!(aws_sdk_lambda::Client::get_function_configuration).sequence(),
        |sequence, configuration| {
            let configuration = configuration.clone();
            sequence.output(move || configuration.clone())
        },
    );
    let last = last.clone();
    sequence.output(move || last.clone()).repeatedly().build()
}

/// A configuration with these layers.
fn with_layers(layers: &[String]) -> GetFunctionConfigurationOutput {
    let mut config = GetFunctionConfigurationOutput::builder();
    for arn in layers {
        config = config.layers(Layer::builder().arn(arn).build());
    }
    config.build()
}

/// A configuration with this tracing mode.
fn traced(mode: TracingMode) -> GetFunctionConfigurationOutput {
    GetFunctionConfigurationOutput::builder()
        .tracing_config(TracingConfigResponse::builder().mode(mode).build())
        .build()
}

/// A mocked Lambda whose function has each configuration of `reads` in turn (the last from
/// then on) and which accepts the updates `accepts` matches; it and the update rule, to count
/// the updates.
async fn mocked_lambda(
    reads: Vec<GetFunctionConfigurationOutput>,
    accepts: impl Fn(&UpdateFunctionConfigurationInput) -> bool + Send + Sync + 'static,
) -> (aws_sdk_lambda::Client, Rule) {
    let read = configuration_reads(reads);
    let update = mock!(aws_sdk_lambda::Client::update_function_configuration)
        .match_requests(accepts)
        .then_output(|| UpdateFunctionConfigurationOutput::builder().build());
    let lambda = mock_client!(aws_sdk_lambda, RuleMode::MatchAny, [&read, &update]);
    (lambda, update)
}

/// A Lambda whose function has each layer list of `reads` in turn, and which accepts setting
/// its layers to exactly `set`.
async fn lambda_layers(reads: &[&[String]], set: &[String]) -> (aws_sdk_lambda::Client, Rule) {
    let set = set.to_vec();
    let reads = reads.iter().map(|layers| with_layers(layers)).collect();
    mocked_lambda(reads, move |r| r.layers() == set.as_slice()).await
}

/// A Lambda whose function has `layers` until it accepts one update to exactly `kept`, then
/// has `kept`.
async fn lambda_with_layers(layers: &[String], kept: Vec<String>) -> aws_sdk_lambda::Client {
    lambda_layers(&[layers, &kept], &kept).await.0
}

#[tokio::test]
async fn detach_external_layer_keeps_the_other_layers_in_order() {
    let name = "billing";
    let arn = format!("arn:aws:lambda:us-east-1:{LOCAL_ACCOUNT}:function:{name}");
    let own = layer(LOCAL_ACCOUNT, "shared-libs", 4);
    let miner = layer(FOREIGN, "miner", 2);
    let tools = layer(LOCAL_ACCOUNT, "tools", 1);
    let cloudtrail = cloudtrail_with_update(name, &[own.clone(), layer(FOREIGN, "miner", 1)]);
    let live = [own.clone(), miner.clone(), tools.clone()];
    let bot = "lambda_detach_external_layer";

    let kept = vec![own.clone(), tools.clone()];
    let dry = detach_external_layer_with(
        &log_ic_input(bot, name, &arn, Mode::DryRun),
        &cloudtrail,
        &lambda_with_layers(&live, kept.clone()).await,
    )
    .await
    .unwrap();
    assert_eq!(dry.status, OutcomeStatus::DryRun);
    let change = format!(
        "detach layer(s) {miner} from function {name}, keeping {own}, {tools} in that order"
    );
    assert_eq!(dry.changes, vec![change.clone()]);

    let done = detach_external_layer_with(
        &log_ic_input(bot, name, &arn, Mode::Enforce),
        &cloudtrail,
        &lambda_with_layers(&live, kept).await,
    )
    .await
    .unwrap();
    assert_eq!(done.status, OutcomeStatus::Remediated, "{}", done.message);
    assert_eq!(done.changes, vec![change]);
    assert_eq!(
        done.message,
        format!("Detached layer(s) {miner} of another account from function {name} (to undo, set its layers back to {own}, {miner}, {tools})")
    );
}

#[tokio::test]
async fn detach_external_layer_on_the_stack_leaves_own_layers_and_reports_detached_ones() {
    // The stack's function has only layers of its own account, as the stack keeps them.
    let (name, arn, _) = new_function("cloudbots-layers").await;
    let bot = "lambda_detach_external_layer";
    let lambda = aws_sdk_lambda::Client::new(&bot_aws(bot).await);

    let own_only = cloudtrail_with_update(&name, &[layer(LOCAL_ACCOUNT, "shared-libs", 1)]);
    let skipped = detach_external_layer_with(
        &log_ic_input(bot, &name, &arn, Mode::Enforce),
        &own_only,
        &lambda,
    )
    .await
    .unwrap();
    assert_eq!(skipped.status, OutcomeStatus::Skipped);
    assert_eq!(
        skipped.message,
        format!("The UpdateFunctionConfiguration20150331v2 event of function {name} at 2026-11-30T10:00:05+00:00 attached no layer of another account: nothing to detach")
    );

    let foreign = cloudtrail_with_update(&name, &[layer(FOREIGN, "miner", 1)]);
    let compliant = detach_external_layer_with(
        &log_ic_input(bot, &name, &arn, Mode::Enforce),
        &foreign,
        &lambda,
    )
    .await
    .unwrap();
    assert_eq!(
        compliant.status,
        OutcomeStatus::AlreadyCompliant,
        "{}",
        compliant.message
    );
    assert_eq!(
        compliant.message,
        format!(
            "Function {name} no longer has the layer(s) of another account arn:aws:lambda:us-east-1:{FOREIGN}:layer:miner attached"
        )
    );
}

#[tokio::test]
async fn detach_external_layer_needs_the_alert_time_and_the_functions_event() {
    let name = "billing";
    let arn = format!("arn:aws:lambda:us-east-1:{LOCAL_ACCOUNT}:function:{name}");
    let bot = "lambda_detach_external_layer";
    let lambda = lambda_with_layers(&[], vec![]).await;
    let cloudtrail = cloudtrail_with_update("another-function", &[layer(FOREIGN, "miner", 1)]);

    let mut no_time = log_ic_input(bot, name, &arn, Mode::Enforce);
    no_time.finding.event_time = None;
    let error = detach_external_layer_with(&no_time, &cloudtrail, &lambda)
        .await
        .unwrap_err();
    assert_eq!(error.name, ErrorName::InvalidInput);

    let no_event = detach_external_layer_with(
        &log_ic_input(bot, name, &arn, Mode::Enforce),
        &cloudtrail,
        &lambda,
    )
    .await
    .unwrap();
    assert_eq!(no_event.status, OutcomeStatus::Skipped);
    assert_eq!(
        no_event.message,
        format!("No UpdateFunctionConfiguration20150331v2 event of function {name} in CloudTrail within 30 s of {ALERT}: nothing to detach")
    );
}

// ---- lambda_enable_active_tracing ----

/// A Lambda whose function traces in each mode of `modes` in turn, and which accepts setting
/// the mode `set`.
async fn lambda_tracing(modes: &[TracingMode], set: TracingMode) -> (aws_sdk_lambda::Client, Rule) {
    let reads = modes.iter().cloned().map(traced).collect();
    mocked_lambda(reads, move |r| {
        r.tracing_config().and_then(|t| t.mode()) == Some(&set)
    })
    .await
}

#[tokio::test]
async fn enable_active_tracing_turns_on_active_mode_and_leaves_an_active_function() {
    use TracingMode::{Active, PassThrough};
    let name = "billing";
    let arn = format!("arn:aws:lambda:us-east-1:{LOCAL_ACCOUNT}:function:{name}");
    let bot = "lambda_enable_active_tracing";
    let input = |mode| step_input(bot, function_entity(name, &arn), bot, mode);

    let done = enable_active_tracing_with(
        &input(Mode::Enforce),
        &lambda_tracing(&[PassThrough, Active], Active).await.0,
    )
    .await
    .unwrap();
    assert_eq!(done.status, OutcomeStatus::Remediated);
    assert_eq!(
        done.changes,
        vec![format!(
            "set the tracing mode of function {name} to Active (was PassThrough)"
        )]
    );
    assert_eq!(
        done.message,
        format!("Function {name} now traces actively (was PassThrough); its role needs X-Ray write permission (AWSXRayDaemonWriteAccess) for the traces to arrive")
    );

    let again = enable_active_tracing_with(
        &input(Mode::Enforce),
        &lambda_tracing(&[Active], Active).await.0,
    )
    .await
    .unwrap();
    assert_eq!(again.status, OutcomeStatus::AlreadyCompliant);
    assert_eq!(
        again.message,
        format!("Function {name} already traces actively")
    );
}

#[tokio::test]
async fn enable_active_tracing_runs_on_the_stack_with_its_role_only() {
    let (name, arn, _) = new_function("cloudbots-tracing").await;
    let dry = run_ok(
        "lambda_enable_active_tracing",
        function_entity(&name, &arn),
        Mode::DryRun,
    )
    .await;
    assert_eq!(dry.status, OutcomeStatus::DryRun);
    // The stack takes the update (the role allows it) but does not keep the mode, so the
    // bot's read-back finds it unchanged.
    let error = run_line(
        "lambda_enable_active_tracing",
        function_entity(&name, &arn),
        Mode::Enforce,
    )
    .await
    .unwrap_err();
    assert_not_as_intended(
        &error,
        &format!("function {name}"),
        "its tracing mode is PassThrough, not Active",
    );
}

// ---- verify and undo of the tracing and layer bots, on a mocked Lambda ----
//
// The local stack keeps neither the tracing mode nor layers of another account (see above), so
// these bots' read-back and `restore_lambda_function`'s undo run on a mocked Lambda answering
// each read as the function is at that point. The other Lambda bots are verified and undone on
// the stack in `undo_functions.rs`.

/// `restore_lambda_function` undoing `outcome` (forced or not) with `clients`.
async fn undo(
    outcome: &BotOutcome,
    clients: &aws_sdk_lambda::Client,
    force: bool,
) -> RestoreOutcome {
    restore_function_with(&restore_input(outcome, Mode::Enforce, force), clients)
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", outcome.bot))
}

/// The function `billing` of the local account: its name and ARN.
fn billing() -> (&'static str, String) {
    let name = "billing";
    (
        name,
        format!("arn:aws:lambda:us-east-1:{LOCAL_ACCOUNT}:function:{name}"),
    )
}

#[tokio::test]
async fn active_tracing_is_verified_and_undone_to_pass_through() {
    use TracingMode::{Active, PassThrough};
    let (name, arn) = billing();
    let bot = "lambda_enable_active_tracing";
    let input = step_input(bot, function_entity(name, &arn), bot, Mode::Enforce);
    let (clients, update) = lambda_tracing(&[PassThrough, Active], Active).await;
    let done = enable_active_tracing_with(&input, &clients).await.unwrap();
    assert_remediated(
        &done,
        &[format!("the tracing mode of function {name} is Active")],
    );
    assert_eq!(update.num_calls(), 1);

    let (clients, update) = lambda_tracing(&[Active, PassThrough], PassThrough).await;
    let undone = undo(&done, &clients, false).await;
    assert_eq!(undone.status, RestoreStatus::Restored, "{}", undone.message);
    assert_eq!(
        undone.message,
        format!("Restored the tracing mode of function {name}: set the tracing mode of function {name} back to PassThrough")
    );
    assert_eq!(
        undone.verified,
        [format!(
            "the tracing mode of function {name} is PassThrough"
        )]
    );
    assert_eq!(update.num_calls(), 1);

    let (clients, update) = lambda_tracing(&[PassThrough], PassThrough).await;
    let again = undo(&done, &clients, false).await;
    assert_eq!(
        again.status,
        RestoreStatus::NothingToRestore,
        "{}",
        again.message
    );
    assert_eq!(update.num_calls(), 0);
}

#[tokio::test]
async fn tracing_or_layers_that_do_not_show_fail_not_verified() {
    let (name, arn) = billing();
    let bot = "lambda_enable_active_tracing";
    let input = step_input(bot, function_entity(name, &arn), bot, Mode::Enforce);
    let (clients, update) = lambda_tracing(&[TracingMode::PassThrough], TracingMode::Active).await;
    let error = enable_active_tracing_with(&input, &clients)
        .await
        .unwrap_err();
    assert_eq!(update.num_calls(), 1);
    assert_not_as_intended(
        &error,
        &format!("function {name}"),
        "its tracing mode is PassThrough, not Active",
    );

    let (own, miner) = (
        layer(LOCAL_ACCOUNT, "shared-libs", 4),
        layer(FOREIGN, "miner", 1),
    );
    let live = [own.clone(), miner.clone()];
    let bot = "lambda_detach_external_layer";
    let (clients, update) = lambda_layers(&[&live], std::slice::from_ref(&own)).await;
    let error = detach_external_layer_with(
        &log_ic_input(bot, name, &arn, Mode::Enforce),
        &cloudtrail_with_update(name, std::slice::from_ref(&miner)),
        &clients,
    )
    .await
    .unwrap_err();
    assert_eq!(update.num_calls(), 1);
    assert_not_as_intended(
        &error,
        &format!("function {name}"),
        &format!("its layer list is {own}, {miner}, not {own}"),
    );
}

#[tokio::test]
async fn detached_layers_come_back_in_their_order_unless_the_list_changed_since() {
    let (name, arn) = billing();
    let own = layer(LOCAL_ACCOUNT, "shared-libs", 4);
    let miner = layer(FOREIGN, "miner", 2);
    let tools = layer(LOCAL_ACCOUNT, "tools", 1);
    let live = [own.clone(), miner.clone(), tools.clone()];
    let kept = [own.clone(), tools.clone()];
    let bot = "lambda_detach_external_layer";
    let cloudtrail = cloudtrail_with_update(name, &[own.clone(), miner.clone()]);
    let detach = || async {
        let (clients, _) = lambda_layers(&[&live, &kept], &kept).await;
        detach_external_layer_with(
            &log_ic_input(bot, name, &arn, Mode::Enforce),
            &cloudtrail,
            &clients,
        )
        .await
        .unwrap()
    };
    let done = detach().await;
    assert_remediated(
        &done,
        &[format!(
            "the layer list of function {name} is {own}, {tools}"
        )],
    );

    let (clients, update) = lambda_layers(&[&kept, &live], &live).await;
    let undone = undo(&done, &clients, false).await;
    assert_eq!(undone.status, RestoreStatus::Restored, "{}", undone.message);
    assert_eq!(
        undone.verified,
        [format!(
            "the layer list of function {name} is {own}, {miner}, {tools}"
        )]
    );
    assert_eq!(update.num_calls(), 1);
    let (clients, update) = lambda_layers(&[&live], &live).await;
    let again = undo(&done, &clients, false).await;
    assert_eq!(
        again.status,
        RestoreStatus::NothingToRestore,
        "{}",
        again.message
    );
    assert_eq!(update.num_calls(), 0);

    // Someone took `tools` off after the bot: refused, unless forced.
    let done = detach().await;
    let only_own = [own.clone()];
    let (clients, update) = lambda_layers(&[&only_own], &live).await;
    let refused = undo(&done, &clients, false).await;
    assert_eq!(
        refused.status,
        RestoreStatus::Refused,
        "{}",
        refused.message
    );
    assert_eq!(
        refused.changes,
        [format!(
            "its layer list is {own}, not {own}, {tools} as the bot left it"
        )]
    );
    assert_eq!(update.num_calls(), 0);
    let (clients, update) = lambda_layers(&[&only_own, &live], &live).await;
    let forced = undo(&done, &clients, true).await;
    assert_eq!(forced.status, RestoreStatus::Restored, "{}", forced.message);
    assert_eq!(update.num_calls(), 1);
}
