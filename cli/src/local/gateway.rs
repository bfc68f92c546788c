//! The local Lambda gateway: answers `POST /2015-03-31/functions/{name}/invocations` by
//! running our function code in-process, the way Lambda would answer moto's Step Functions
//! engine, and forwards every other request to moto.
//!
//! Function errors come back as Lambda returns them: HTTP 200, `X-Amz-Function-Error:
//! Unhandled`, body `{"errorType", "errorMessage"}` with our stable error name, so the state
//! machine's `Retry` and `Catch` see exactly what they would see on AWS. It also receives the
//! output topic's notifications (an HTTP subscription), so a run can show the output message.
//!
//! Security Hub's `BatchUpdateFindings` and `BatchUpdateFindingsV2`, which moto lacks, are the
//! only AWS calls answered here rather than by moto: each request is kept, so a run shows how
//! its finding was marked, and a test can refuse them as Security Hub would.

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::Response;
use cloudbots_functions::bots::{self, Bot, Restorer};
use cloudbots_functions::lambda::run_step;
use cloudbots_functions::report::Report;
use cloudbots_functions::restorer::run_restore;
use cloudbots_functions::session::Sessions;
use cloudbots_functions::undo_planner::UndoPlanner;
use cloudbots_shared::error::{BotError, ErrorName};
use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

/// The report function's name after its deployment's prefix (`cloudbots-report`).
pub const REPORT_FUNCTION: &str = "report";
/// The undo planner's function name, after the deployment's prefix.
pub const UNDO_PLANNER_FUNCTION: &str = "plan_undo";
/// Where the output topic's HTTP subscription delivers.
pub const SNS_CAPTURE_PATH: &str = "/local/sns";

/// One Lambda invocation the gateway answered.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// The function name without prefix (`ec2_stop_instance`, `report`).
    pub function: String,
    pub payload: Value,
    /// The response payload, or the error name and message.
    pub result: Result<Value, (String, String)>,
    /// How long the function took to answer.
    pub duration: std::time::Duration,
}

/// A Security Hub finding update the gateway answered.
#[derive(Debug, Clone)]
pub struct SecurityHubUpdate {
    /// `BatchUpdateFindings` or `BatchUpdateFindingsV2`.
    pub operation: &'static str,
    /// The region the request was signed for.
    pub region: String,
    /// The request body.
    pub request: Value,
}

/// The Security Hub paths answered here, and their operations.
const SECURITYHUB_UPDATES: &[(&str, &str)] = &[
    ("/findings/batchupdate", "BatchUpdateFindings"),
    ("/findingsv2/batchupdatev2", "BatchUpdateFindingsV2"),
];

/// What a function name resolves to: a bot runs with its deployment's sessions.
enum Function {
    Bot(Bot, Arc<Sessions>),
    Restorer(Restorer, Arc<Sessions>),
    Report(Arc<DeploymentFunctions>),
    UndoPlanner(Arc<DeploymentFunctions>),
}

/// The functions of a deployment that are not bots: they read its own audit table.
pub struct DeploymentFunctions {
    pub report: Report,
    pub undo_planner: UndoPlanner,
}

/// The gateway's state.
pub struct Gateway {
    moto: String,
    http: reqwest::Client,
    base: aws_config::SdkConfig,
    /// The bots' sessions of a deployment that set an external id, by function-name prefix;
    /// bots of any other prefix use `sessions`.
    deployment_sessions: Mutex<HashMap<String, Arc<Sessions>>>,
    sessions: Arc<Sessions>,
    /// The report and undo planner of each deployment, by function-name prefix (`cloudbots-`).
    deployments: Mutex<HashMap<String, Arc<DeploymentFunctions>>>,
    /// Injected failures, by (function, entity id of the finding).
    faults: Mutex<HashMap<(String, String), VecDeque<ErrorName>>>,
    /// Injected DynamoDB errors for calls forwarded to moto (the state machine's own service
    /// calls), by (operation, text in the request): how many calls are still to fail.
    dynamodb_faults: Mutex<HashMap<(String, String), usize>>,
    invocations: Mutex<Vec<Invocation>>,
    notifications: Mutex<Vec<(String, Value)>>,
    securityhub_updates: Mutex<Vec<SecurityHubUpdate>>,
    /// Security Hub updates to refuse with `AccessDeniedException`, by text in the request:
    /// how many are still to be refused.
    securityhub_refusals: Mutex<HashMap<String, usize>>,
}

impl Gateway {
    pub fn new(moto_port: u16, base: aws_config::SdkConfig) -> Self {
        Gateway {
            moto: format!("http://127.0.0.1:{moto_port}"),
            http: reqwest::Client::new(),
            sessions: Arc::new(Sessions::new(base.clone(), None)),
            base,
            deployment_sessions: Mutex::new(HashMap::new()),
            deployments: Mutex::new(HashMap::new()),
            faults: Mutex::new(HashMap::new()),
            dynamodb_faults: Mutex::new(HashMap::new()),
            invocations: Mutex::new(Vec::new()),
            notifications: Mutex::new(Vec::new()),
            securityhub_updates: Mutex::new(Vec::new()),
            securityhub_refusals: Mutex::new(HashMap::new()),
        }
    }

    /// The Security Hub finding updates received, in order.
    pub fn securityhub_updates(&self) -> Vec<SecurityHubUpdate> {
        self.securityhub_updates.lock().expect("lock").clone()
    }

    /// Refuse the next `times` Security Hub finding updates whose request contains `text` (a
    /// finding id), as Security Hub does when the caller lacks `securityhub:BatchUpdateFindings`.
    pub fn refuse_securityhub_update(&self, text: &str, times: usize) {
        *self
            .securityhub_refusals
            .lock()
            .expect("lock")
            .entry(text.to_string())
            .or_default() += times;
    }

    /// Answer a Security Hub finding update: every finding processed, or the whole call
    /// refused when a refusal is due.
    fn securityhub_update(
        &self,
        operation: &'static str,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Response {
        let text = String::from_utf8_lossy(body);
        let refused = self
            .securityhub_refusals
            .lock()
            .expect("lock")
            .iter_mut()
            .find(|(needle, left)| **left > 0 && text.contains(needle.as_str()))
            .map(|(_, left)| *left -= 1)
            .is_some();
        if refused {
            let mut response = json_response(
                StatusCode::FORBIDDEN,
                &json!({"Message": format!("User is not authorized to perform: securityhub:BatchUpdateFindings ({operation})")}),
                None,
            );
            response.headers_mut().insert(
                "x-amzn-errortype",
                HeaderValue::from_static("AccessDeniedException"),
            );
            return response;
        }
        let request: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let region = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|auth| auth.split("Credential=").nth(1))
            .and_then(|credential| credential.split('/').nth(2))
            .unwrap_or_default()
            .to_string();
        let identifiers = request
            .get("FindingIdentifiers")
            .cloned()
            .unwrap_or_else(|| json!([]));
        let processed = match operation {
            "BatchUpdateFindings" => identifiers,
            _ => Value::Array(
                identifiers
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|id| json!({"FindingIdentifier": id}))
                    .collect(),
            ),
        };
        self.securityhub_updates
            .lock()
            .expect("lock")
            .push(SecurityHubUpdate {
                operation,
                region,
                request,
            });
        json_response(
            StatusCode::OK,
            &json!({"ProcessedFindings": processed, "UnprocessedFindings": []}),
            None,
        )
    }

    /// Serve `<prefix>report` and `<prefix>plan_undo` with these (set by each deployment).
    pub fn add_deployment(&self, prefix: &str, functions: DeploymentFunctions) {
        self.deployments
            .lock()
            .expect("lock")
            .insert(prefix.to_string(), Arc::new(functions));
    }

    /// Run the bots of the deployment with function-name prefix `prefix` the way their
    /// functions run with the template's `EXTERNAL_ID`: member roles are assumed with this
    /// external id.
    pub fn set_external_id(&self, prefix: &str, external_id: &str) {
        self.deployment_sessions.lock().expect("lock").insert(
            prefix.to_string(),
            Arc::new(Sessions::new(
                self.base.clone(),
                Some(external_id.to_string()),
            )),
        );
    }

    /// Fail the next `times` invocations of `function` for findings about `entity_id`.
    pub fn inject_fault(&self, function: &str, entity_id: &str, error: ErrorName, times: usize) {
        let mut faults = self.faults.lock().expect("lock");
        let queue = faults
            .entry((function.to_string(), entity_id.to_string()))
            .or_default();
        queue.extend(std::iter::repeat_n(error, times));
    }

    /// Answer the next `times` DynamoDB `operation` calls (e.g. `PutItem`) forwarded to moto
    /// whose request contains `text` with `ProvisionedThroughputExceededException`, as DynamoDB
    /// does when it throttles: moto never does.
    pub fn inject_dynamodb_throttling(&self, operation: &str, text: &str, times: usize) {
        *self
            .dynamodb_faults
            .lock()
            .expect("lock")
            .entry((operation.to_string(), text.to_string()))
            .or_default() += times;
    }

    /// The injected DynamoDB errors not yet used.
    pub fn dynamodb_throttling_left(&self, operation: &str, text: &str) -> usize {
        self.dynamodb_faults
            .lock()
            .expect("lock")
            .get(&(operation.to_string(), text.to_string()))
            .copied()
            .unwrap_or(0)
    }

    /// The injected error for a forwarded request, if one is due.
    fn dynamodb_fault(&self, headers: &HeaderMap, body: &[u8]) -> Option<Response> {
        let operation = headers
            .get("x-amz-target")?
            .to_str()
            .ok()?
            .strip_prefix("DynamoDB_20120810.")?;
        let body = String::from_utf8_lossy(body);
        let mut faults = self.dynamodb_faults.lock().expect("lock");
        let left = faults
            .iter_mut()
            .find(|((op, text), left)| {
                op == operation && **left > 0 && body.contains(text.as_str())
            })
            .map(|(_, left)| left)?;
        *left -= 1;
        let mut response = json_response(
            StatusCode::BAD_REQUEST,
            &json!({
                "__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
                "message": "The level of configured provisioned throughput for the table was exceeded (injected)"
            }),
            None,
        );
        // Step Functions' error cause quotes the request id; DynamoDB always sends one.
        response.headers_mut().insert(
            "x-amzn-requestid",
            HeaderValue::from_static("injected-throttling"),
        );
        Some(response)
    }

    /// Every invocation so far, in order.
    pub fn invocations(&self) -> Vec<Invocation> {
        self.invocations.lock().expect("lock").clone()
    }

    /// The invocations made by one execution (its payloads carry the execution name).
    pub fn invocations_of(&self, execution: &str) -> Vec<Invocation> {
        self.invocations()
            .into_iter()
            .filter(|i| {
                i.payload.get("execution").and_then(Value::as_str) == Some(execution)
                    || i.payload.get("execution_name").and_then(Value::as_str) == Some(execution)
            })
            .collect()
    }

    /// The messages delivered to the capture endpoint of topic `topic_name`, in order.
    pub fn notifications(&self, topic_name: &str) -> Vec<Value> {
        self.notifications
            .lock()
            .expect("lock")
            .iter()
            .filter(|(topic, _)| topic == topic_name)
            .map(|(_, message)| message.clone())
            .collect()
    }

    async fn invoke(&self, raw_name: &str, body: Bytes) -> Response {
        let name = function_name(raw_name);
        let payload: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let target = self.resolve(&name);
        let function = match &target {
            Some(Function::Bot(bot, _)) => bot.name.to_string(),
            Some(Function::Restorer(restorer, _)) => restorer.name.to_string(),
            Some(Function::Report(_)) => REPORT_FUNCTION.to_string(),
            Some(Function::UndoPlanner(_)) => UNDO_PLANNER_FUNCTION.to_string(),
            None => name.clone(),
        };
        // A bot's step names the finding's entity; an undo step the resource it restores.
        let entity_id = payload
            .pointer("/finding/entity_id")
            .or_else(|| payload.pointer("/step/prior/resource"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let started = std::time::Instant::now();
        let injected = self
            .faults
            .lock()
            .expect("lock")
            .get_mut(&(function.clone(), entity_id))
            .and_then(VecDeque::pop_front);
        let result = match (injected, target) {
            (Some(error), _) => Err(BotError::new(
                error,
                format!("injected fault in {function}"),
            )),
            (None, None) => Err(BotError::new(
                ErrorName::NotFound,
                format!("Function not found: {name}"),
            )),
            (None, Some(target)) => self.run(target, payload.clone()).await,
        };
        let recorded = result
            .clone()
            .map_err(|e| (e.name.as_str().to_string(), e.message.clone()));
        self.invocations.lock().expect("lock").push(Invocation {
            function,
            payload,
            result: recorded,
            duration: started.elapsed(),
        });
        match result {
            Ok(value) => json_response(StatusCode::OK, &value, None),
            Err(error) => json_response(
                StatusCode::OK,
                &json!({"errorType": error.name.as_str(), "errorMessage": error.message}),
                Some("Unhandled"),
            ),
        }
    }

    /// `<prefix>report` is a deployment's report; `<prefix><bot>` a bot.
    fn resolve(&self, name: &str) -> Option<Function> {
        let deployment = |function: &str| {
            let prefix = name.strip_suffix(function)?;
            self.deployments.lock().expect("lock").get(prefix).cloned()
        };
        if let Some(functions) = deployment(REPORT_FUNCTION) {
            return Some(Function::Report(functions));
        }
        if let Some(functions) = deployment(UNDO_PLANNER_FUNCTION) {
            return Some(Function::UndoPlanner(functions));
        }
        let sessions = |prefix: &str| {
            self.deployment_sessions
                .lock()
                .expect("lock")
                .get(prefix)
                .unwrap_or(&self.sessions)
                .clone()
        };
        // `<prefix><function>`, the prefix empty or ending in `-`.
        let prefix_of = |function: &str| {
            name.strip_suffix(function)
                .filter(|p| p.is_empty() || p.ends_with('-'))
                .map(str::to_string)
        };
        bots::all()
            .find_map(|bot| Some(Function::Bot(bot, sessions(&prefix_of(bot.name)?))))
            .or_else(|| {
                bots::restorers().find_map(|restorer| {
                    let prefix = prefix_of(restorer.name)?;
                    Some(Function::Restorer(restorer, sessions(&prefix)))
                })
            })
    }

    async fn run(&self, target: Function, payload: Value) -> Result<Value, BotError> {
        match target {
            Function::Report(functions) => {
                let input = serde_json::from_value(payload)
                    .map_err(|e| BotError::invalid_input(format!("report input: {e}")))?;
                functions.report.run(input).await.map(|r| json!(r))
            }
            Function::UndoPlanner(functions) => {
                let input = serde_json::from_value(payload)
                    .map_err(|e| BotError::invalid_input(format!("undo request: {e}")))?;
                functions.undo_planner.run(input).await.map(|p| json!(p))
            }
            Function::Bot(bot, sessions) => {
                let input = serde_json::from_value(payload)
                    .map_err(|e| BotError::invalid_input(format!("step input: {e}")))?;
                let outcome = run_step(bot, &sessions, input).await?;
                Ok(json!(outcome))
            }
            Function::Restorer(restorer, sessions) => {
                let input = serde_json::from_value(payload)
                    .map_err(|e| BotError::invalid_input(format!("undo step input: {e}")))?;
                let outcome = run_restore(restorer, &sessions, input).await?;
                Ok(json!(outcome))
            }
        }
    }

    async fn forward(
        &self,
        method: Method,
        path_and_query: &str,
        headers: HeaderMap,
        body: Bytes,
    ) -> Response {
        if let Some(fault) = self.dynamodb_fault(&headers, &body) {
            return fault;
        }
        let url = format!("{}{}", self.moto, path_and_query);
        let mut request = self.http.request(method, &url).body(body);
        for (name, value) in &headers {
            if name != "content-length" {
                request = request.header(name, value);
            }
        }
        match request.send().await {
            Ok(response) => {
                let status = response.status();
                let headers = response.headers().clone();
                let bytes = response.bytes().await.unwrap_or_default();
                let mut out = Response::new(Body::from(bytes));
                *out.status_mut() = status;
                for (name, value) in &headers {
                    if name != "content-length" && name != "transfer-encoding" {
                        out.headers_mut().insert(name, value.clone());
                    }
                }
                out
            }
            Err(e) => json_response(
                StatusCode::BAD_GATEWAY,
                &json!({"message": format!("forwarding to moto: {e}")}),
                None,
            ),
        }
    }
}

/// A function name, ARN or partial ARN (URL-encoded) → the bare function name.
pub fn function_name(raw: &str) -> String {
    let decoded = percent_encoding::percent_decode_str(raw).decode_utf8_lossy();
    match decoded.split_once("function:") {
        Some((_, rest)) => rest.split(':').next().unwrap_or(rest).to_string(),
        None => decoded.into_owned(),
    }
}

fn json_response(status: StatusCode, value: &Value, function_error: Option<&str>) -> Response {
    let mut response = Response::new(Body::from(value.to_string()));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    if let Some(kind) = function_error {
        response.headers_mut().insert(
            "x-amz-function-error",
            HeaderValue::from_str(kind).expect("ascii"),
        );
    }
    response
}

async fn handle(State(gateway): State<Arc<Gateway>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 64 * 1024 * 1024)
        .await
        .unwrap_or_default();
    let path = parts.uri.path().to_string();
    let path_and_query = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| path.clone());
    if parts.method == Method::POST {
        if let Some(name) = path
            .strip_prefix("/2015-03-31/functions/")
            .and_then(|rest| rest.strip_suffix("/invocations"))
        {
            return gateway.invoke(name, body).await;
        }
        if let Some(topic) = path
            .strip_prefix(SNS_CAPTURE_PATH)
            .and_then(|p| p.strip_prefix('/'))
        {
            let envelope: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            if let Some(message) = envelope.get("Message").and_then(Value::as_str) {
                let message = serde_json::from_str(message)
                    .unwrap_or_else(|_| Value::String(message.to_string()));
                gateway
                    .notifications
                    .lock()
                    .expect("lock")
                    .push((topic.to_string(), message));
            }
            return json_response(StatusCode::OK, &json!({}), None);
        }
    }
    if parts.method == Method::PATCH {
        if let Some((_, operation)) = SECURITYHUB_UPDATES.iter().find(|(p, _)| *p == path) {
            return gateway.securityhub_update(operation, &parts.headers, &body);
        }
    }
    if parts.method == Method::GET {
        if let Some(topic) = path
            .strip_prefix(SNS_CAPTURE_PATH)
            .and_then(|p| p.strip_prefix('/'))
        {
            return json_response(
                StatusCode::OK,
                &Value::Array(gateway.notifications(topic)),
                None,
            );
        }
    }
    gateway
        .forward(parts.method, &path_and_query, parts.headers, body)
        .await
}

/// Listen on 127.0.0.1:`port` in the background.
pub async fn serve(gateway: Arc<Gateway>, port: u16) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| format!("binding the gateway to 127.0.0.1:{port}: {e}"))?;
    let app = axum::Router::new().fallback(handle).with_state(gateway);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_names_from_names_and_arns() {
        assert_eq!(
            function_name("cloudbots-ec2_stop_instance"),
            "cloudbots-ec2_stop_instance"
        );
        assert_eq!(
            function_name(
                "arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Acloudbots-report"
            ),
            "cloudbots-report"
        );
        assert_eq!(
            function_name(
                "arn:aws:lambda:us-east-1:123456789012:function:cloudbots-report:$LATEST"
            ),
            "cloudbots-report"
        );
    }
}
