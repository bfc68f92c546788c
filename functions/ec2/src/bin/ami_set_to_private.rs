//! The `ami_set_to_private` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_ec2::ec2_resources::AMI_SET_TO_PRIVATE).await
}
