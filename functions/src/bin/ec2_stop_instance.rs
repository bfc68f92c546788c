//! The `ec2_stop_instance` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_functions::runtime::serve_bot(cloudbots_functions::bots::instance::STOP_INSTANCE)
        .await
}
