//! The `cloudwatch_create_metric_filter` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_logging::cloudwatch::CREATE_METRIC_FILTER).await
}
