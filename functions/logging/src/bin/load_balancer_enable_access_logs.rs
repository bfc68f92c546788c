//! The `load_balancer_enable_access_logs` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_logging::load_balancer::ENABLE_ACCESS_LOGS).await
}
