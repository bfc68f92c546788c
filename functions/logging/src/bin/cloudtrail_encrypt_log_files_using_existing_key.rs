//! The `cloudtrail_encrypt_log_files_using_existing_key` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_logging::cloudtrail::ENCRYPT_WITH_EXISTING_KEY).await
}
