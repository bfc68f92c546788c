//! The `s3_disable_static_website_hosting` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_s3::s3::DISABLE_STATIC_WEBSITE_HOSTING).await
}
