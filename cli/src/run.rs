//! Sending findings through the intake of a local deployment and reading back what each
//! execution did: its status, the states it entered, its audit records and its output
//! message — what the Step Functions console and the output topic would show.

use crate::local::deploy::Deployment;
use crate::local::gateway::SNS_CAPTURE_PATH;
use crate::local::{local_sdk_config, LOCAL_REGION};
use crate::operate::{execution_error, wait_for_end, Operated};
use cloudbots_functions::audit_store::AuditStore;
use cloudbots_functions::intake::{Disposition, Intake};
use cloudbots_shared::audit::{AuditRecord, AuditStatus};
use cloudbots_shared::budget::Limits;
use cloudbots_shared::mapping::Mappings;
use cloudbots_shared::plan::PlannerConfig;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::time::Duration;

/// Where a local stack listens, and what is deployed in it (kept in the state file of
/// `cloudbots local up`, so other commands can use a running stack).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LocalTarget {
    pub moto_port: u16,
    pub gateway_port: u16,
    pub state_machine_arn: String,
    /// Older state files have none: the undo commands then ask for a new `local up`.
    #[serde(default)]
    pub undo_state_machine_arn: String,
    pub audit_table: String,
    pub output_topic_arn: String,
    pub output_topic_name: String,
}

impl LocalTarget {
    pub fn new(moto_port: u16, gateway_port: u16, deployment: &Deployment) -> Self {
        LocalTarget {
            moto_port,
            gateway_port,
            state_machine_arn: deployment.state_machine_arn.clone(),
            undo_state_machine_arn: deployment.undo_state_machine_arn.clone(),
            audit_table: deployment.audit_table.clone(),
            output_topic_arn: deployment.output_topic_arn.clone(),
            output_topic_name: deployment.output_topic_name.clone(),
        }
    }

    async fn config(&self) -> aws_config::SdkConfig {
        local_sdk_config(self.moto_port, LOCAL_REGION).await
    }

    /// This deployment's state machines and audit table, for the operating commands.
    pub async fn operated(&self) -> Result<Operated, String> {
        if self.undo_state_machine_arn.is_empty() {
            return Err(
                "this local stack was started by an older cloudbots, without the undo state machine: restart it with `cloudbots local up`".to_string(),
            );
        }
        let config = self.config().await;
        Ok(Operated {
            sfn: aws_sdk_sfn::Client::new(&config),
            audit: AuditStore::new(aws_sdk_dynamodb::Client::new(&config), &self.audit_table),
            remediation_arn: self.state_machine_arn.clone(),
            undo_arn: self.undo_state_machine_arn.clone(),
            options: String::new(),
        })
    }

    /// The intake of this deployment, in-process.
    pub async fn intake(&self, planner: PlannerConfig, mappings: Mappings) -> Intake {
        let config = self.config().await;
        Intake {
            sfn: aws_sdk_sfn::Client::new(&config),
            audit: AuditStore::new(aws_sdk_dynamodb::Client::new(&config), &self.audit_table),
            state_machine_arn: self.state_machine_arn.clone(),
            planner,
            mappings,
            limits: Limits::default(),
        }
    }
}

/// One execution, as it ended.
#[derive(Debug, Clone)]
pub struct ExecutionView {
    pub name: String,
    pub status: String,
    /// The error and cause of a failed execution.
    pub error: Option<String>,
    /// Every state entered, in order (Map iterations included).
    pub states: Vec<String>,
    pub records: Vec<AuditRecord>,
    /// The output messages published for this execution.
    pub output: Vec<Value>,
}

/// Wait for an execution to end and gather what it did.
pub async fn view_execution(
    target: &LocalTarget,
    execution_arn: &str,
    timeout: Duration,
) -> Result<ExecutionView, String> {
    let config = target.config().await;
    let sfn = aws_sdk_sfn::Client::new(&config);
    let described = wait_for_end(&sfn, execution_arn, execution_arn, timeout)
        .await?
        .ok_or_else(|| format!("execution {execution_arn} still running after {timeout:?}"))?;
    let name = described.name().unwrap_or_default().to_string();
    let history = sfn
        .get_execution_history()
        .execution_arn(execution_arn)
        .max_results(1000)
        .send()
        .await
        .map_err(|e| {
            format!(
                "reading the history of {name}: {}",
                aws_sdk_sfn::error::DisplayErrorContext(e)
            )
        })?;
    let states = history
        .events()
        .iter()
        .filter_map(|e| {
            e.state_entered_event_details()
                .map(|d| d.name().to_string())
        })
        .collect();
    let audit = AuditStore::new(aws_sdk_dynamodb::Client::new(&config), &target.audit_table);
    let records = audit.records(&name).await.map_err(|e| e.to_string())?;
    let error = execution_error(&described);
    Ok(ExecutionView {
        status: described.status().as_str().to_string(),
        error,
        states,
        records,
        output: output_messages(target, &name).await?,
        name,
    })
}

/// The messages the output topic delivered for an execution (JSON or text).
pub async fn output_messages(target: &LocalTarget, execution: &str) -> Result<Vec<Value>, String> {
    let url = format!(
        "http://127.0.0.1:{}{SNS_CAPTURE_PATH}/{}",
        target.gateway_port, target.output_topic_name
    );
    // The report publishes before the execution ends; delivery to the capture endpoint is
    // synchronous in moto, so the message is there once the execution has ended.
    let all: Vec<Value> = reqwest::get(&url)
        .await
        .map_err(|e| format!("reading the output topic: {e}"))?
        .json()
        .await
        .map_err(|e| format!("reading the output topic: {e}"))?;
    Ok(all
        .into_iter()
        .filter(|m| match m {
            Value::String(text) => text.contains(execution),
            other => other.get("Execution name").and_then(Value::as_str) == Some(execution),
        })
        .collect())
}

/// What sending one event did.
pub struct Sent {
    pub dispositions: Vec<Disposition>,
    pub executions: Vec<ExecutionView>,
}

/// Send an event through the intake and wait for every execution it started.
pub async fn send(target: &LocalTarget, intake: &Intake, event: &Value) -> Result<Sent, String> {
    let dispositions = match intake.handle(event).await {
        Ok(d) => d,
        Err(e) => return Err(format!("the intake refused the event: {e}")),
    };
    let mut executions = Vec::new();
    for d in &dispositions {
        if let Disposition::Started { execution_arn, .. } = d {
            executions.push(view_execution(target, execution_arn, Duration::from_secs(120)).await?);
        }
    }
    Ok(Sent {
        dispositions,
        executions,
    })
}

/// Print an intake result and its executions the way the console would show them.
pub fn print_sent(sent: &Sent) {
    for d in &sent.dispositions {
        match d {
            Disposition::Started {
                delivery,
                execution_name,
                steps,
                rejected,
                ..
            } => {
                println!("intake  {delivery}: started {execution_name} ({steps} step(s), {rejected} rejected entr(ies))")
            }
            Disposition::Duplicate {
                delivery,
                execution_name,
            } => {
                println!(
                    "intake  {delivery}: duplicate of {execution_name}: recorded, nothing re-run"
                )
            }
            Disposition::Skipped {
                delivery, reason, ..
            } => println!("intake  {delivery}: skipped: {reason}"),
            Disposition::Invalid { delivery, reason } => {
                println!("intake  {delivery}: invalid: {reason}")
            }
        }
    }
    for execution in &sent.executions {
        print_execution(execution);
    }
}

/// Print one execution.
pub fn print_execution(e: &ExecutionView) {
    println!("execution {}  {}", e.name, e.status);
    if let Some(error) = &e.error {
        println!("  error: {error}");
    }
    println!("  states entered: {}", e.states.join(" → "));
    println!("  audit records:");
    for r in &e.records {
        println!(
            "    {:<12} {:<28} {:<9} {:<17} {}",
            r.record_id,
            r.bot,
            r.phase,
            status_name(r.status),
            r.message.trim_end()
        );
    }
    for message in &e.output {
        match message {
            Value::String(text) => println!("  output message (text):\n{}", indent(text)),
            json => println!(
                "  output message (JSON):\n{}",
                indent(&serde_json::to_string_pretty(json).unwrap_or_default())
            ),
        }
    }
}

/// An audit status as the audit table spells it (`already_compliant`).
pub fn status_name(status: AuditStatus) -> String {
    serde_json::to_value(status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
