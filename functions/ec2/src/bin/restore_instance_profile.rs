//! The `restore_instance_profile` restorer function (undo of the instance profile bots).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::restorer::serve_restorer(
        cloudbots_ec2::instance::role::RESTORE_INSTANCE_PROFILE,
    )
    .await
}
