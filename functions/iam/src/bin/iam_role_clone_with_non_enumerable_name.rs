//! The `iam_role_clone_with_non_enumerable_name` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_iam::iam_policies::ROLE_CLONE_WITH_NON_ENUMERABLE_NAME)
        .await
}
