//! The `restore_vpc_settings` restorer function (undo of the flow-log and isolation bots).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::restorer::serve_restorer(cloudbots_vpc::vpc::RESTORE_VPC_SETTINGS).await
}
