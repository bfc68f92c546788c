//! The `kms_cmk_enable_key` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_functions::runtime::serve_bot(cloudbots_functions::bots::kms::CMK_ENABLE_KEY).await
}
