//! The `intelligence_sg_rules_delete_by_scope` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_functions::runtime::serve_bot(
        cloudbots_functions::bots::security_group::INTELLIGENCE_SG_RULES_DELETE_BY_SCOPE,
    )
    .await
}
