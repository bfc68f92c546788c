//! The `restore_db_instance_security_groups` restorer function (undo of `rds_quarantine_instance`).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::restorer::serve_restorer(
        cloudbots_ec2::rds::RESTORE_DB_INSTANCE_SECURITY_GROUPS,
    )
    .await
}
