//! The `s3_limit_access` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_functions::runtime::serve_bot(cloudbots_functions::bots::s3::LIMIT_ACCESS).await
}
