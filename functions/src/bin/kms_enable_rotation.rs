//! The `kms_enable_rotation` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_functions::runtime::serve_bot(cloudbots_functions::bots::kms::ENABLE_ROTATION).await
}
