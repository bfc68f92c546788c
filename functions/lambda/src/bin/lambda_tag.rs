//! The `lambda_tag` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_lambda::lambda::TAG).await
}
