//! The `cloudtrail_enable_log_file_validation` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_logging::cloudtrail::ENABLE_LOG_FILE_VALIDATION).await
}
