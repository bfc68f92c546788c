//! The `iam_user_deactivate_unused_access_key` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_iam::iam::DEACTIVATE_UNUSED_ACCESS_KEY).await
}
