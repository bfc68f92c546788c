//! The `kms_cmk_enable_key` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_kms::kms::CMK_ENABLE_KEY).await
}
