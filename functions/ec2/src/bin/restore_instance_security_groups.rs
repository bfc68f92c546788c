//! The `restore_instance_security_groups` restorer function (undo of `ec2_quarantine_instance`
//! and `ec2_attach_sg`).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::restorer::serve_restorer(
        cloudbots_ec2::instance::restore::RESTORE_INSTANCE_SECURITY_GROUPS,
    )
    .await
}
