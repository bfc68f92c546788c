//! The `iam_user_attach_policy` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_iam::iam_policies::USER_ATTACH_POLICY).await
}
