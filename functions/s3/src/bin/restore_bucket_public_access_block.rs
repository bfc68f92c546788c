//! The `restore_bucket_public_access_block` restorer function (undo of
//! `s3_block_all_public_access`).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::restorer::serve_restorer(
        cloudbots_s3::s3::public_access::RESTORE_BUCKET_PUBLIC_ACCESS_BLOCK,
    )
    .await
}
