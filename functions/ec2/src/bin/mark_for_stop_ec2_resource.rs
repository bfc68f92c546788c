//! The `mark_for_stop_ec2_resource` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_ec2::ec2_resources::MARK_FOR_STOP).await
}
