//! The `lambda_detach_blanket_permissions` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_lambda::lambda::DETACH_BLANKET_PERMISSIONS).await
}
