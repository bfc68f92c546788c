//! The `iam_delete_default_policy_version` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_functions::runtime::serve_bot(
        cloudbots_functions::bots::iam_policies::DELETE_DEFAULT_POLICY_VERSION,
    )
    .await
}
