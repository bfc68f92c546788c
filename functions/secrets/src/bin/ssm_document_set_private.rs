//! The `ssm_document_set_private` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_secrets::ssm::DOCUMENT_SET_PRIVATE).await
}
