//! The `sqs_enforce_sse` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_messaging::sqs::ENFORCE_SSE).await
}
