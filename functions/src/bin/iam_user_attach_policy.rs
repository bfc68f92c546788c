//! The `iam_user_attach_policy` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_functions::runtime::serve_bot(
        cloudbots_functions::bots::iam_policies::USER_ATTACH_POLICY,
    )
    .await
}
