//! The `s3_block_all_public_access` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_s3::s3::BLOCK_ALL_PUBLIC_ACCESS).await
}
