//! The `restore_secret_encryption` restorer function (undo of `secretsmanager_enable_encryption`).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::restorer::serve_restorer(
        cloudbots_secrets::secretsmanager::RESTORE_SECRET_ENCRYPTION,
    )
    .await
}
