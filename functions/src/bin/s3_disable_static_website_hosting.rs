//! The `s3_disable_static_website_hosting` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_functions::runtime::serve_bot(
        cloudbots_functions::bots::s3::DISABLE_STATIC_WEBSITE_HOSTING,
    )
    .await
}
