//! The `lambda_enable_active_tracing` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_lambda::lambda::ENABLE_ACTIVE_TRACING).await
}
