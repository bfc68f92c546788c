//! The `lambda_detach_external_layer` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_lambda::lambda::DETACH_EXTERNAL_LAYER).await
}
