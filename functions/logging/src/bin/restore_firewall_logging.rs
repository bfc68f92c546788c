//! The `restore_firewall_logging` restorer function (undo of `network_firewall_enable_logging`).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::restorer::serve_restorer(
        cloudbots_logging::network_firewall::RESTORE_FIREWALL_LOGGING,
    )
    .await
}
