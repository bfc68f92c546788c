//! The `sg_delete_not_matching_cidr` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_functions::runtime::serve_bot(
        cloudbots_functions::bots::security_group::SG_DELETE_NOT_MATCHING_CIDR,
    )
    .await
}
