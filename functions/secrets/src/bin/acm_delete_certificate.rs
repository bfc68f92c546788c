//! The `acm_delete_certificate` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_secrets::acm::DELETE_CERTIFICATE).await
}
