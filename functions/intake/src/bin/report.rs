//! The report function: the output message and CloudGuard feedback of an execution, and the
//! output message of an undo.

use cloudbots_intake::audit_store::AuditStore;
use cloudbots_intake::report::{Report, ReportRequest};
use cloudbots_runtime::lambda::{aws_config_loader, init_logging, required_env, FunctionError};
use cloudbots_shared::output::OutputType;
use lambda_runtime::{service_fn, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_logging();
    let config = aws_config_loader().load().await;
    let report = Report {
        sns: aws_sdk_sns::Client::new(&config),
        audit: AuditStore::new(
            aws_sdk_dynamodb::Client::new(&config),
            required_env("AUDIT_TABLE")?,
        ),
        output_topic_arn: required_env("OUTPUT_TOPIC_ARN")?,
        output_type: OutputType::from_var(std::env::var("OUTPUT_TYPE").ok().as_deref()),
        http: reqwest::Client::builder()
            .tls_backend_preconfigured(cloudbots_runtime::https::rustls_config())
            .build()?,
        securityhub: aws_sdk_securityhub::Client::new(&config),
    };
    let report = &report;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<ReportRequest>| async move {
            report.run(event.payload).await.map_err(FunctionError)
        },
    ))
    .await
}
