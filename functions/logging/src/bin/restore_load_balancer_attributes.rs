//! The `restore_load_balancer_attributes` restorer function (undo of
//! `load_balancer_enable_access_logs`).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::restorer::serve_restorer(
        cloudbots_logging::load_balancer::RESTORE_LOAD_BALANCER_ATTRIBUTES,
    )
    .await
}
