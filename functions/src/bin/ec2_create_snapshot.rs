//! The `ec2_create_snapshot` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_functions::runtime::serve_bot(cloudbots_functions::bots::instance::CREATE_SNAPSHOT)
        .await
}
