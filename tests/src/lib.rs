//! Test support: one local stack (moto + the Lambda gateway) per test binary, and helpers to
//! build findings and run a bot the way the state machine runs it.
//!
//! Test setup and assertions sign as the stack's administrator ([`aws`]). A bot runs as a
//! user allowed exactly its role's actions ([`iam::bot_credentials`]), and the first bot run
//! of a binary turns moto's IAM enforcement on, so a bot calling an undeclared action fails
//! with `AccessDenied`. A binary that runs the state machine ([`e2e`]) runs no bot directly
//! and keeps the stack unenforced: moto's Step Functions engine cannot sign as an IAM user.

pub mod alarms;
pub mod cloudtrail;
pub mod containers;
pub mod e2e;
pub mod iam;
pub mod logging;
pub mod network_acl;
pub mod network_logging;
pub mod resources;
pub mod security_groups;
pub mod wire;

use aws_smithy_runtime_api::client::http::SharedHttpClient;
use cloudbots_cli::local::{LocalStack, LOCAL_ACCOUNT, LOCAL_REGION};
use cloudbots_functions::bots;
use cloudbots_functions::lambda::run_step;
use cloudbots_functions::restorer::run_restore;
use cloudbots_functions::session::Sessions;
use cloudbots_shared::error::{BotError, ErrorName};
use cloudbots_shared::finding::from_cloudguard;
use cloudbots_shared::outcome::{BotInput, BotOutcome, OutcomeStatus};
use cloudbots_shared::plan::{plan, Mode, PlannerConfig, DEFAULT_EXCLUDE_TAG_KEY};
use cloudbots_shared::restore::{RestoreInput, RestoreOutcome, UndoStep};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

/// The stack shared by every test of this binary (started on first use).
pub fn stack() -> &'static LocalStack {
    static STACK: OnceLock<LocalStack> = OnceLock::new();
    STACK.get_or_init(|| {
        LocalStack::start_with_admins(&[MEMBER_ACCOUNT]).expect("the local stack starts")
    })
}

/// A second account of the stack, for bots acting through a member-account role.
pub const MEMBER_ACCOUNT: &str = "210987654321";

/// An AWS configuration for the shared stack in the local region, as its administrator.
pub async fn aws() -> aws_config::SdkConfig {
    stack().sdk_config(LOCAL_REGION).await
}

/// A CloudGuard "JSON - Full entity" finding in the local account with these tags.
pub fn finding(compliance_tags: &str, entity: Value) -> Value {
    json!({
        "reportTime": "2026-11-30T10:00:00.000Z",
        "findingKey": format!("test-{}", entity.get("id").and_then(Value::as_str).unwrap_or("x")),
        "rule": {"name": "test rule", "ruleId": "TEST.1", "complianceTags": compliance_tags, "severity": "High"},
        "status": "Failed",
        "account": {"id": LOCAL_ACCOUNT, "vendor": "AWS"},
        "entity": entity,
    })
}

/// A CloudGuard entity of `kind` (e.g. `SecurityGroup`, `IamUser`) in the local region.
pub fn entity(kind: &str, id: &str, name: &str) -> Value {
    json!({"id": id, "name": name, "type": kind, "region": "us_east_1", "accountNumber": LOCAL_ACCOUNT})
}

/// A CloudGuard entity of `kind` named `name`, known by the bot through one more `field`
/// (`topicArn`, `queueUrl`, `arn`, …) set to `value`.
pub fn entity_with(kind: &str, name: &str, field: &str, value: &str) -> Value {
    let mut entity = entity(kind, name, name);
    entity[field] = json!(value);
    entity
}

/// A resource name no other test of this binary uses (buckets, users and keys share the stack).
pub fn unique_name(prefix: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!("{prefix}-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// Plan `AUTO: <line>` for `entity` and return the input of the step running `bot`.
pub fn step_input(line: &str, entity: Value, bot: &str, mode: Mode) -> BotInput {
    let finding =
        from_cloudguard(&finding(&format!("AUTO: {line}"), entity)).expect("a valid finding");
    let config = PlannerConfig {
        snapshot_before_change: false,
        mode,
        ..Default::default()
    }
    .with_every_destroy_bot();
    let planned = plan(&finding, &config);
    assert!(
        planned.rejected.is_empty(),
        "rejected: {:?}",
        planned.rejected
    );
    let step = planned
        .steps
        .iter()
        .find(|s| s.bot == bot)
        .unwrap_or_else(|| panic!("no {bot} step planned"))
        .clone();
    BotInput {
        execution: planned.execution_name.clone(),
        step,
        finding: planned.finding,
        target: planned.target,
        mode,
    }
}

/// Run a bot on the local stack exactly as its Lambda would (through `run_step`), with IAM
/// enforced and only its role's actions allowed.
pub async fn run_bot(input: BotInput) -> Result<BotOutcome, BotError> {
    let role = input.target.role_arn.as_deref();
    let credentials = iam::bot_credentials(&input.step.bot, role).await;
    run_bot_as(credentials, input).await
}

/// Run a bot as [`run_bot`] does, but with the actions `removed` taken out of its role.
pub async fn run_bot_without(input: BotInput, removed: &[&str]) -> Result<BotOutcome, BotError> {
    let credentials = iam::bot_credentials_without(&input.step.bot, removed).await;
    run_bot_as(credentials, input).await
}

/// An AWS configuration signed as the user `bot` runs as (single-account mode), with IAM
/// enforced: for the bots whose tests call their inner functions with some clients mocked.
pub async fn bot_aws(bot: &str) -> aws_config::SdkConfig {
    let credentials = iam::bot_credentials(bot, None).await;
    enforced(credentials).await
}

async fn enforced(credentials: aws_sdk_iam::config::Credentials) -> aws_config::SdkConfig {
    stack()
        .enforce_iam()
        .await
        .expect("IAM enforcement turns on");
    stack().sdk_config_as(LOCAL_REGION, credentials).await
}

async fn run_bot_as(
    credentials: aws_sdk_iam::config::Credentials,
    input: BotInput,
) -> Result<BotOutcome, BotError> {
    let bot = bots::find(&input.step.bot).expect("an implemented bot");
    let sessions = Sessions::new(enforced(credentials).await, None);
    run_step(bot, &sessions, input).await
}

/// Undo the change `outcome` recorded the way its restorer's Lambda does, with IAM enforced
/// and only the restorer role's actions allowed.
pub async fn run_restorer(
    outcome: &BotOutcome,
    mode: Mode,
    force: bool,
) -> Result<RestoreOutcome, BotError> {
    let input = restore_input(outcome, mode, force);
    let restorer =
        bots::find_restorer(&input.step.prior.restorer).expect("an implemented restorer");
    let credentials = iam::bot_credentials(restorer.name, None).await;
    let sessions = Sessions::new(enforced(credentials).await, None);
    run_restore(restorer, &sessions, input).await
}

/// The undo step of `outcome`'s recorded change, as the undo state machine gives it to the
/// restorer: for a restorer called directly with a mocked client.
pub fn restore_input(outcome: &BotOutcome, mode: Mode, force: bool) -> RestoreInput {
    let prior = *outcome.prior.clone().unwrap_or_else(|| {
        panic!(
            "{} recorded no prior state: {}",
            outcome.bot, outcome.message
        )
    });
    RestoreInput {
        execution: "undo-test".to_string(),
        undoes: "test".to_string(),
        step: UndoStep {
            index: 0,
            audit_id: "undo#000".to_string(),
            record_id: "step#000".to_string(),
            bot: outcome.bot.clone(),
            prior,
        },
        mode,
        force,
    }
}

/// Undo `outcome`'s change as its restorer's Lambda does and assert the resource is back: the
/// step is `restored`, `describe()` (the resource's full description) equals `before`, and a
/// second undo finds nothing to restore. `case` names the case in failures. The first undo's
/// outcome, for further checks.
pub async fn assert_undone<T, F, Fut>(
    outcome: &BotOutcome,
    case: &str,
    before: &T,
    describe: F,
) -> RestoreOutcome
where
    T: PartialEq + std::fmt::Debug,
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let undone = run_restorer(outcome, Mode::Enforce, false)
        .await
        .unwrap_or_else(|e| panic!("{case}: {e}"));
    assert_eq!(
        undone.status,
        cloudbots_shared::restore::RestoreStatus::Restored,
        "{case}: {}",
        undone.message
    );
    assert_eq!(
        &describe().await,
        before,
        "{case}: not as before the bot ran"
    );
    let again = run_restorer(outcome, Mode::Enforce, false)
        .await
        .unwrap_or_else(|e| panic!("{case}: {e}"));
    assert_eq!(
        again.status,
        cloudbots_shared::restore::RestoreStatus::NothingToRestore,
        "{case}: a second undo: {}",
        again.message
    );
    undone
}

/// After someone changed the resource `outcome`'s bot left: assert undo refuses with exactly
/// `differences` and leaves the resource as it found it, then that a forced undo restores it so
/// that `describe()` equals `before`. The refusal, for further checks.
pub async fn assert_refused_then_forced<T, F, Fut>(
    outcome: &BotOutcome,
    differences: &[&str],
    before: &T,
    describe: F,
) -> RestoreOutcome
where
    T: PartialEq + std::fmt::Debug,
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    use cloudbots_shared::restore::RestoreStatus;
    let changed = describe().await;
    let refused = run_restorer(outcome, Mode::Enforce, false)
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", outcome.bot));
    assert_refused(&refused, differences);
    assert_eq!(
        describe().await,
        changed,
        "{}: a refused undo changes nothing",
        outcome.bot
    );
    let forced = run_restorer(outcome, Mode::Enforce, true)
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", outcome.bot));
    assert_eq!(forced.status, RestoreStatus::Restored, "{}", forced.message);
    assert_eq!(&describe().await, before, "{}: forced undo", outcome.bot);
    refused
}

/// Assert the undo was refused for exactly the differences `changes`.
pub fn assert_refused<S>(refused: &RestoreOutcome, changes: &[S])
where
    S: std::fmt::Debug,
    String: PartialEq<S>,
{
    assert_eq!(
        refused.status,
        cloudbots_shared::restore::RestoreStatus::Refused,
        "{}",
        refused.message
    );
    assert_eq!(refused.changes, changes, "{}", refused.message);
}

/// Plan and run `AUTO: <line>` on `entity` (enforce mode) the way its Lambda does, with the AWS
/// configuration `config` (a wire-faulty one, or the tests' own), without IAM enforcement.
pub async fn run_with_config(
    config: aws_config::SdkConfig,
    line: &str,
    entity: Value,
) -> Result<BotOutcome, BotError> {
    let bot = line.split(' ').next().expect("a bot name");
    let input = step_input(line, entity, bot, Mode::Enforce);
    let bot = bots::find(bot).expect("an implemented bot");
    run_step(bot, &Sessions::new(config, None), input).await
}

/// Run `AUTO: <line>` on `entity` as its Lambda does, with the calls of the query-protocol
/// `action` answered "done" without reaching the local stack: the error it fails with (the
/// step must fail, and `action` must have been called).
pub async fn run_with_no_op(line: &str, entity: Value, action: &str) -> BotError {
    let (client, faults) = wire::faulty_client(action, &[wire::query_no_op(action); 4]).await;
    let error = run_with_config(wire::functions_config(client).await, line, entity)
        .await
        .expect_err("a change that never shows is not remediated");
    assert!(faults.seen() >= 1, "{line}: {action} was called");
    error
}

/// Assert `outcome` is remediated and verified exactly `verified`.
pub fn assert_remediated(outcome: &BotOutcome, verified: &[String]) {
    assert_eq!(
        outcome.status,
        OutcomeStatus::Remediated,
        "{}",
        outcome.message
    );
    assert_eq!(outcome.verified, verified, "{}", outcome.bot);
}

/// Run `AUTO: <line>` on `entity` as its Lambda does, with `faulty` (a wire-faulty client and
/// its faults) answering the change "done" without making it: assert the change went out once
/// and the step failed `NotVerified`. The error, for its message.
pub async fn run_not_verified(
    (client, faults): (SharedHttpClient, Arc<wire::Faults>),
    line: &str,
    entity: Value,
) -> BotError {
    let error = run_with_config(wire::functions_config(client).await, line, entity)
        .await
        .unwrap_err();
    assert_eq!(faults.seen(), 1, "{line}");
    assert_eq!(error.name, ErrorName::NotVerified, "{line}: {error}");
    error
}

/// [`run_not_verified`], and assert the step failed with exactly `message`.
pub async fn assert_not_verified(
    faulty: (SharedHttpClient, Arc<wire::Faults>),
    line: &str,
    entity: Value,
    message: String,
) {
    let error = run_not_verified(faulty, line, entity).await;
    assert_eq!(error.message, message, "{line}");
}

/// What every `NotVerified` message of `what` starts with.
pub fn not_as_intended(what: &str) -> String {
    format!("{what} read back after the change is not as intended (3 reads): ")
}

/// The `NotVerified` message of a deleted `what` that still shows.
pub fn still_exists(what: &str) -> String {
    format!("{}{what} still exists", not_as_intended(what))
}

/// Assert the step failed `NotVerified`: `what` read back after the change is not as intended,
/// by `difference`.
pub fn assert_not_as_intended(error: &BotError, what: &str, difference: &str) {
    assert_eq!(error.name, ErrorName::NotVerified, "{error}");
    assert_eq!(
        error.message,
        format!("{}{difference}", not_as_intended(what))
    );
}

/// Assert the step failed `NotVerified` because the deleted `what` still shows.
pub fn assert_still_exists(error: &BotError, what: &str) {
    assert_not_as_intended(error, what, &format!("{what} still exists"));
}

/// Undo `outcome`'s change after its resource was deleted: assert the restorer fails
/// `NotFound` with `message`.
pub async fn assert_undo_not_found(outcome: &BotOutcome, message: String) {
    let error = run_restorer(outcome, Mode::Enforce, false)
        .await
        .unwrap_err();
    assert_eq!(error.name, ErrorName::NotFound, "{error}");
    assert_eq!(error.message, message);
}

/// Plan and run `AUTO: <line>` on `entity` (enforce mode) and return the outcome.
pub async fn run_line(line: &str, entity: Value, mode: Mode) -> Result<BotOutcome, BotError> {
    let bot = line.split(' ').next().expect("a bot name").to_string();
    run_bot(step_input(line, entity, &bot, mode)).await
}

/// Plan and run `AUTO: <line>` on `entity`; a bot error fails the test, naming the line.
pub async fn run_ok(line: &str, entity: Value, mode: Mode) -> BotOutcome {
    run_line(line, entity, mode)
        .await
        .unwrap_or_else(|e| panic!("{line}: {e}"))
}

/// What every skip for an opt-out tag read from the live resource ends with.
pub const LIVE_OPT_OUT: &str = "(read from the live resource just before acting)";

/// Run `bot` (enforce) on a resource tagged `cloudbots:exclude=<bot>` after its finding was
/// produced, and assert the live re-check skipped it for that tag.
pub async fn assert_skipped_by_live_opt_out(bot: &str, entity: Value) {
    let outcome = run_ok(bot, entity, Mode::Enforce).await;
    assert_eq!(
        outcome.status,
        OutcomeStatus::Skipped,
        "{}",
        outcome.message
    );
    assert_eq!(
        outcome.message,
        format!("excluded by tag {DEFAULT_EXCLUDE_TAG_KEY}=\"{bot}\": the resource opts out of {bot} {LIVE_OPT_OUT}")
    );
}
