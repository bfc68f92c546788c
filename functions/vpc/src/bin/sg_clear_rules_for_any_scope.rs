//! The `sg_clear_rules_for_any_scope` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_vpc::security_group::SG_CLEAR_RULES_FOR_ANY_SCOPE).await
}
