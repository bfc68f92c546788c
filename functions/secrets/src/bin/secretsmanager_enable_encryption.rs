//! The `secretsmanager_enable_encryption` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_secrets::secretsmanager::ENABLE_ENCRYPTION).await
}
