//! The `iam_generate_credential_report` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_iam::iam::GENERATE_CREDENTIAL_REPORT).await
}
