//! The `iam_group_delete_inline_policy` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_iam::iam_policies::GROUP_DELETE_INLINE_POLICY).await
}
