//! The `igw_delete` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_vpc::internet_gateway::IGW_DELETE).await
}
