//! The `kms_enable_rotation` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_kms::kms::ENABLE_ROTATION).await
}
