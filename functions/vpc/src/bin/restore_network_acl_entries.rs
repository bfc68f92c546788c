//! The `restore_network_acl_entries` restorer function (undo of `acl_revert_modification`).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::restorer::serve_restorer(
        cloudbots_vpc::network_acl::RESTORE_NETWORK_ACL_ENTRIES,
    )
    .await
}
