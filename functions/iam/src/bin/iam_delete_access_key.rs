//! The `iam_delete_access_key` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_iam::iam::DELETE_ACCESS_KEY).await
}
