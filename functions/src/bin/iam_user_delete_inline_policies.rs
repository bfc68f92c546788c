//! The `iam_user_delete_inline_policies` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_functions::runtime::serve_bot(
        cloudbots_functions::bots::iam_policies::USER_DELETE_INLINE_POLICIES,
    )
    .await
}
