//! The `restore_kms_key` restorer function (undo of the KMS bots).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::restorer::serve_restorer(cloudbots_kms::kms::RESTORE_KMS_KEY).await
}
