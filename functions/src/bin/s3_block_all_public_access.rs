//! The `s3_block_all_public_access` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_functions::runtime::serve_bot(cloudbots_functions::bots::s3::BLOCK_ALL_PUBLIC_ACCESS)
        .await
}
