//! The `iam_quarantine_role` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_functions::runtime::serve_bot(cloudbots_functions::bots::iam::QUARANTINE_ROLE).await
}
