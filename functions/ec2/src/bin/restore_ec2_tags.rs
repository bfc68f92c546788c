//! The `restore_ec2_tags` restorer function (undo of the EC2 tagging bots).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::restorer::serve_restorer(cloudbots_ec2::ec2_resources::RESTORE_EC2_TAGS)
        .await
}
