//! The `ec2_create_snapshot` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_ec2::instance::CREATE_SNAPSHOT).await
}
