//! The `sqs_configure_dlq` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_messaging::sqs::CONFIGURE_DLQ).await
}
