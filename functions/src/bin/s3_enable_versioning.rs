//! The `s3_enable_versioning` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_functions::runtime::serve_bot(cloudbots_functions::bots::s3::ENABLE_VERSIONING).await
}
