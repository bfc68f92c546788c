//! End-to-end support: cloudbots deployed once per test binary into the shared local stack,
//! and findings sent through the in-process intake to the real state machine.

use crate::stack;
use cloudbots_cli::local::deploy::{deploy, DeployOptions};
use cloudbots_cli::local::{local_sdk_config, LOCAL_ACCOUNT, LOCAL_REGION};
use cloudbots_cli::run::{send, LocalTarget, Sent};
use cloudbots_functions::audit_store::AuditStore;
use cloudbots_shared::mapping::Mappings;
use cloudbots_shared::output::OutputType;
use cloudbots_shared::plan::PlannerConfig;
use serde_json::{json, Value};
use tokio::sync::OnceCell;

/// The JSON-output deployment shared by the tests of a binary.
pub async fn json_deployment() -> &'static LocalTarget {
    static TARGET: OnceCell<LocalTarget> = OnceCell::const_new();
    TARGET
        .get_or_init(|| deploy_named("e2e-json", OutputType::Json))
        .await
}

/// A second deployment in the same stack whose report publishes text.
pub async fn text_deployment() -> &'static LocalTarget {
    static TARGET: OnceCell<LocalTarget> = OnceCell::const_new();
    TARGET
        .get_or_init(|| deploy_named("e2e-text", OutputType::Text))
        .await
}

async fn deploy_named(name: &str, output_type: OutputType) -> LocalTarget {
    let stack = stack();
    let options = DeployOptions {
        name: name.to_string(),
        output_type,
    };
    let deployment = deploy(stack, &options)
        .await
        .expect("deploys into the local stack");
    LocalTarget::new(stack.moto_port, stack.gateway_port, &deployment)
}

/// The planner of a single-account deployment in the local account that enables one
/// destroy-phase bot, `igw_delete`.
pub fn local_planner() -> PlannerConfig {
    PlannerConfig {
        home_account: Some(LOCAL_ACCOUNT.to_string()),
        destroy_bots: ["igw_delete".to_string()].into(),
        ..Default::default()
    }
}

/// Send `event` through the intake of `target` with these settings and wait for its executions.
pub async fn send_with(
    target: &LocalTarget,
    planner: PlannerConfig,
    mappings: Mappings,
    event: &Value,
) -> Sent {
    let intake = target.intake(planner, mappings).await;
    send(target, &intake, event)
        .await
        .expect("the intake accepts the event")
}

/// Send `event` through the JSON deployment as a single-account deployment would.
pub async fn send_event(event: &Value) -> Sent {
    send_with(
        json_deployment().await,
        local_planner(),
        Mappings::default(),
        event,
    )
    .await
}

/// An SNS event carrying a finding, as CloudGuard's notification delivers it.
pub fn sns_event(message_id: &str, finding: &Value) -> Value {
    json!({"Records": [{"EventSource": "aws:sns", "Sns": {"MessageId": message_id, "Message": finding.to_string()}}]})
}

/// The audit table of a deployment.
pub async fn audit_store(target: &LocalTarget) -> AuditStore {
    let config = local_sdk_config(target.moto_port, LOCAL_REGION).await;
    AuditStore::new(aws_sdk_dynamodb::Client::new(&config), &target.audit_table)
}

/// A CloudGuard finding about the local instance `instance_id` carrying `tags`.
pub fn instance_finding(instance_id: &str, tags: &str) -> Value {
    json!({
        "reportTime": "2026-11-30T10:00:00.000Z",
        "findingKey": format!("e2e-{instance_id}"),
        "rule": {"name": "Instance should be stopped", "ruleId": "E2E.1", "complianceTags": tags, "severity": "High"},
        "status": "Failed",
        "account": {"id": LOCAL_ACCOUNT, "vendor": "AWS"},
        "entity": {"id": instance_id, "name": "web-1", "type": "Instance", "region": "us_east_1"},
    })
}

/// The functions the gateway ran for an execution, in order (the report included).
pub fn invoked(execution: &str) -> Vec<String> {
    stack()
        .gateway()
        .invocations_of(execution)
        .into_iter()
        .map(|i| i.function)
        .collect()
}
