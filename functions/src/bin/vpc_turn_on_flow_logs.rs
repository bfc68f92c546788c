//! The `vpc_turn_on_flow_logs` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_functions::runtime::serve_bot(
        cloudbots_functions::bots::network::VPC_TURN_ON_FLOW_LOGS,
    )
    .await
}
