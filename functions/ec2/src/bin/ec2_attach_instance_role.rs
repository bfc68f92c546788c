//! The `ec2_attach_instance_role` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_ec2::instance::ATTACH_INSTANCE_ROLE).await
}
