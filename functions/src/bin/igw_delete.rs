//! The `igw_delete` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_functions::runtime::serve_bot(cloudbots_functions::bots::internet_gateway::IGW_DELETE)
        .await
}
