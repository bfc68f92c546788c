//! The `iam_entity_create_and_attach_permission_boundary` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(
        cloudbots_iam::iam_policies::ENTITY_CREATE_AND_ATTACH_PERMISSION_BOUNDARY,
    )
    .await
}
