//! The `restore_account_password_policy` restorer function (undo of the password policy bot).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::restorer::serve_restorer(cloudbots_iam::iam::RESTORE_ACCOUNT_PASSWORD_POLICY)
        .await
}
