//! The `tag_ec2_resource` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_functions::runtime::serve_bot(
        cloudbots_functions::bots::ec2_resources::TAG_EC2_RESOURCE,
    )
    .await
}
