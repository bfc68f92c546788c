//! The `iam_entity_remove_permission_boundary` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_iam::iam_policies::ENTITY_REMOVE_PERMISSION_BOUNDARY)
        .await
}
