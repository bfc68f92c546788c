//! Faults on the wire between the functions and AWS: an HTTP client to the local stack that
//! answers chosen calls itself (throttling, server errors, refusals, or a success that changed
//! nothing) and sends every other call to moto, so everything else is moto's real state.

use crate::{aws, stack, LOCAL_REGION};
use aws_sdk_ec2::config::Region;
use aws_smithy_runtime_api::client::http::{
    http_client_fn, HttpClient, HttpConnector, HttpConnectorFuture, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use cloudbots_functions::lambda::aws_config_loader;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// The calls of one action on the wire: the first ones are answered with the queued faults,
/// the others go to moto.
#[derive(Debug, Default)]
pub struct Faults {
    answers: Mutex<VecDeque<(u16, &'static str)>>,
    seen: Mutex<usize>,
}

impl Faults {
    /// How many calls of the action went out (answered here or by moto).
    pub fn seen(&self) -> usize {
        *self.seen.lock().expect("lock")
    }
}

/// Which requests are the action's calls.
#[derive(Debug, Clone)]
enum Call {
    /// A query-protocol action (EC2): `Action=<name>&` in the body.
    Query(String),
    /// A REST call (S3): the method, and a text in the path and query.
    Rest(String, String),
    /// A JSON-protocol action (KMS, SQS, Secrets Manager): `X-Amz-Target` ending in
    /// `.<name>`.
    Json(String),
}

impl Call {
    fn matches(&self, request: &HttpRequest) -> bool {
        match self {
            Call::Query(action) => {
                let body = request.body().bytes().unwrap_or_default();
                String::from_utf8_lossy(body).contains(action.as_str())
            }
            Call::Rest(method, text) => request.method() == method && request.uri().contains(text),
            Call::Json(action) => request
                .headers()
                .get("x-amz-target")
                .is_some_and(|target| target.ends_with(&format!(".{action}"))),
        }
    }
}

#[derive(Debug)]
struct FaultyConnector {
    moto: SharedHttpConnector,
    call: Call,
    faults: Arc<Faults>,
}

impl HttpConnector for FaultyConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        if self.call.matches(&request) {
            *self.faults.seen.lock().expect("lock") += 1;
            if let Some((status, error)) = self.faults.answers.lock().expect("lock").pop_front() {
                let status = StatusCode::try_from(status).expect("a status");
                return HttpConnectorFuture::ready(Ok(HttpResponse::new(
                    status,
                    SdkBody::from(error),
                )));
            }
        }
        self.moto.call(request)
    }
}

/// An HTTP client to moto that answers the first calls of EC2 `action` with `answers`.
pub async fn faulty_client(
    action: &str,
    answers: &[(u16, &'static str)],
) -> (SharedHttpClient, Arc<Faults>) {
    faulty_client_for(Call::Query(format!("Action={action}&")), answers).await
}

/// An HTTP client to moto that answers the first REST calls with `method` and `text` in their
/// path and query (`PUT`, `?publicAccessBlock`) with `answers`.
pub async fn faulty_rest_client(
    method: &str,
    text: &str,
    answers: &[(u16, &'static str)],
) -> (SharedHttpClient, Arc<Faults>) {
    faulty_client_for(Call::Rest(method.to_string(), text.to_string()), answers).await
}

/// An HTTP client to moto that answers the first calls of JSON-protocol `action` (KMS
/// `EnableKeyRotation`) with `answers`.
pub async fn faulty_json_client(
    action: &str,
    answers: &[(u16, &'static str)],
) -> (SharedHttpClient, Arc<Faults>) {
    faulty_client_for(Call::Json(action.to_string()), answers).await
}

async fn faulty_client_for(
    call: Call,
    answers: &[(u16, &'static str)],
) -> (SharedHttpClient, Arc<Faults>) {
    let moto = aws().await.http_client().expect("the SDK's HTTP client");
    let faults = Arc::new(Faults {
        answers: Mutex::new(answers.iter().copied().collect()),
        seen: Mutex::new(0),
    });
    let shared = faults.clone();
    let client = http_client_fn(move |settings, components| {
        SharedHttpConnector::new(FaultyConnector {
            moto: moto.http_connector(settings, components),
            call: call.clone(),
            faults: shared.clone(),
        })
    });
    (client, faults)
}

/// The answer of a query-protocol service (EC2, IAM, RDS: [`faulty_client`] matches their
/// calls) to a call of `action` it says succeeded, read by each of their protocols (EC2's
/// `return`, the others' empty `Result`): the injected silent no-op.
pub fn query_no_op(action: &str) -> (u16, &'static str) {
    let body = format!("<{action}Response><{action}Result></{action}Result><requestId>nv</requestId><return>true</return></{action}Response>");
    (200, Box::leak(body.into_boxed_str()))
}

/// The functions' AWS configuration (their retry settings), pointed at the local stack as the
/// tests' own configuration is (same endpoint and keys) and sending through `client`.
pub async fn functions_config(client: SharedHttpClient) -> aws_config::SdkConfig {
    let local = aws().await;
    let mut loader = aws_config_loader()
        .region(Region::new(LOCAL_REGION))
        .endpoint_url(local.endpoint_url().unwrap_or(&stack().endpoint()))
        .http_client(client);
    if let Some(credentials) = local.credentials_provider() {
        loader = loader.credentials_provider(credentials);
    }
    loader.load().await
}
