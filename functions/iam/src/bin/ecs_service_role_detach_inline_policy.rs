//! The `ecs_service_role_detach_inline_policy` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_iam::iam_policies::ECS_SERVICE_ROLE_DETACH_INLINE_POLICY)
        .await
}
