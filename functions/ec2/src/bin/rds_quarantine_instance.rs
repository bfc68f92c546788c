//! The `rds_quarantine_instance` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_ec2::rds::QUARANTINE_INSTANCE).await
}
