//! The `ec2_detach_instance_role` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_ec2::instance::DETACH_INSTANCE_ROLE).await
}
