//! The `iam_user_force_password_change` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_iam::iam::FORCE_PASSWORD_CHANGE).await
}
