//! The `ec2_tag_instance_from_vpc` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_ec2::instance::TAG_INSTANCE_FROM_VPC).await
}
