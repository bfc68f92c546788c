//! The `ecs_delete_repository_image` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_containers::ecr::DELETE_REPOSITORY_IMAGE).await
}
