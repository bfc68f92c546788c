//! The `iam_user_delete_inline_policies` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_iam::iam_policies::USER_DELETE_INLINE_POLICIES).await
}
