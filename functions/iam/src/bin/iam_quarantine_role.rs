//! The `iam_quarantine_role` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_iam::iam::QUARANTINE_ROLE).await
}
