//! The `sns_set_topic_private` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_messaging::sns::SET_TOPIC_PRIVATE).await
}
