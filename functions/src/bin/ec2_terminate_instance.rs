//! The `ec2_terminate_instance` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_functions::runtime::serve_bot(cloudbots_functions::bots::instance::TERMINATE_INSTANCE)
        .await
}
