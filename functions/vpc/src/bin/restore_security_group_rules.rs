//! The `restore_security_group_rules` restorer function (undo of the security-group rule bots).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::restorer::serve_restorer(
        cloudbots_vpc::security_group::restore::RESTORE_SECURITY_GROUP_RULES,
    )
    .await
}
