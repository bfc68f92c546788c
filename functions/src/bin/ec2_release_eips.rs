//! The `ec2_release_eips` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_functions::runtime::serve_bot(cloudbots_functions::bots::instance::RELEASE_EIPS).await
}
