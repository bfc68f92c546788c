//! The `sns_enforce_sse` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_messaging::sns::ENFORCE_SSE).await
}
