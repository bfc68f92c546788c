//! The `network_firewall_enable_logging` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_logging::network_firewall::ENABLE_LOGGING).await
}
