//! The `ec2_quarantine_instance` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_functions::runtime::serve_bot(
        cloudbots_functions::bots::instance::QUARANTINE_INSTANCE,
    )
    .await
}
