//! The `s3_enable_logging` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_s3::s3::ENABLE_LOGGING).await
}
