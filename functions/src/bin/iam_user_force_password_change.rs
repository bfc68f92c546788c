//! The `iam_user_force_password_change` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_functions::runtime::serve_bot(cloudbots_functions::bots::iam::FORCE_PASSWORD_CHANGE)
        .await
}
