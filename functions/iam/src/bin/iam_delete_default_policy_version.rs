//! The `iam_delete_default_policy_version` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_iam::iam_policies::DELETE_DEFAULT_POLICY_VERSION).await
}
