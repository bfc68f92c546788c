//! The `restore_iam_user_credentials` restorer function (undo of the access-key and password
//! bots).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::restorer::serve_restorer(cloudbots_iam::iam::RESTORE_IAM_USER_CREDENTIALS)
        .await
}
