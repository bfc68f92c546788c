//! The `restore_instance_state` restorer function (undo of `ec2_stop_instance`).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::restorer::serve_restorer(
        cloudbots_ec2::instance::restore::RESTORE_INSTANCE_STATE,
    )
    .await
}
