//! The `iam_quarantine_user` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_iam::iam::QUARANTINE_USER).await
}
