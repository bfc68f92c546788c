//! The `ec2_delete_key_pair` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_functions::runtime::serve_bot(
        cloudbots_functions::bots::ec2_resources::DELETE_KEY_PAIR,
    )
    .await
}
