//! The `s3_limit_access` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_s3::s3::LIMIT_ACCESS).await
}
