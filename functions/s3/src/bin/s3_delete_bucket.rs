//! The `s3_delete_bucket` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_s3::s3::DELETE_BUCKET).await
}
