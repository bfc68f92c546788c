//! The `restore_document_permissions` restorer function (undo of `ssm_document_set_private`).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::restorer::serve_restorer(
        cloudbots_secrets::ssm::RESTORE_DOCUMENT_PERMISSIONS,
    )
    .await
}
