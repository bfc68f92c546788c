//! The `cloudtrail_send_to_cloudwatch` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_logging::cloudtrail::SEND_TO_CLOUDWATCH).await
}
