//! The `cloudtrail_enable` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_logging::cloudtrail::ENABLE).await
}
