//! The `s3_only_allow_ssl` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_s3::s3::ONLY_ALLOW_SSL).await
}
