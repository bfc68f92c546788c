//! The `sg_modify_scope_by_port` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_functions::runtime::serve_bot(
        cloudbots_functions::bots::security_group::SG_MODIFY_SCOPE_BY_PORT,
    )
    .await
}
