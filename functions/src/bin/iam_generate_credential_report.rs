//! The `iam_generate_credential_report` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_functions::runtime::serve_bot(
        cloudbots_functions::bots::iam::GENERATE_CREDENTIAL_REPORT,
    )
    .await
}
