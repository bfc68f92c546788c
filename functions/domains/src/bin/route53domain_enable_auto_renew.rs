//! The `route53domain_enable_auto_renew` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_domains::route53domains::ENABLE_AUTO_RENEW).await
}
