//! The `sns_topic_delete` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_messaging::sns::TOPIC_DELETE).await
}
