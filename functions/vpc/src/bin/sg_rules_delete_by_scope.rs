//! The `sg_rules_delete_by_scope` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_vpc::security_group::SG_RULES_DELETE_BY_SCOPE).await
}
