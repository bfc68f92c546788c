//! The `sg_rules_delete` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_functions::runtime::serve_bot(cloudbots_functions::bots::ec2::SG_RULES_DELETE).await
}
