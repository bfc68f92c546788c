//! The `restore_queue_attributes` restorer function (undo of the sqs bots).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::restorer::serve_restorer(cloudbots_messaging::sqs::RESTORE_QUEUE_ATTRIBUTES)
        .await
}
