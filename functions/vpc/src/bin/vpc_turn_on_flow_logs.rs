//! The `vpc_turn_on_flow_logs` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_vpc::vpc::VPC_TURN_ON_FLOW_LOGS).await
}
