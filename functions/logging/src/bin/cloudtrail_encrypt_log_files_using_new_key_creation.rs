//! The `cloudtrail_encrypt_log_files_using_new_key_creation` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_logging::cloudtrail::ENCRYPT_WITH_NEW_KEY).await
}
