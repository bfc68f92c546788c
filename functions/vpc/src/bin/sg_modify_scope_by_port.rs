//! The `sg_modify_scope_by_port` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_vpc::security_group::SG_MODIFY_SCOPE_BY_PORT).await
}
