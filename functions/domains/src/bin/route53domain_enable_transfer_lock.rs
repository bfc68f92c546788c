//! The `route53domain_enable_transfer_lock` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_domains::route53domains::ENABLE_TRANSFER_LOCK).await
}
