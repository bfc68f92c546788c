//! The `restore_topic_attributes` restorer function (undo of the sns bots).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::restorer::serve_restorer(cloudbots_messaging::sns::RESTORE_TOPIC_ATTRIBUTES)
        .await
}
