//! The `ec2_release_eips` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_ec2::instance::RELEASE_EIPS).await
}
