//! The `ec2_detach_instance_role` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_functions::runtime::serve_bot(
        cloudbots_functions::bots::instance::DETACH_INSTANCE_ROLE,
    )
    .await
}
