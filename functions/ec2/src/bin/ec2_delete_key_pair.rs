//! The `ec2_delete_key_pair` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_ec2::ec2_resources::DELETE_KEY_PAIR).await
}
