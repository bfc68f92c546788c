//! The `restore_lambda_function` restorer function (undo of the Lambda function bots).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::restorer::serve_restorer(cloudbots_lambda::lambda::RESTORE_LAMBDA_FUNCTION)
        .await
}
