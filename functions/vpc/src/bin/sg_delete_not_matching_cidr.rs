//! The `sg_delete_not_matching_cidr` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_vpc::security_group::SG_DELETE_NOT_MATCHING_CIDR).await
}
