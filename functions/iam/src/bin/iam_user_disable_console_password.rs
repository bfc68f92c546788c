//! The `iam_user_disable_console_password` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_iam::iam::DISABLE_CONSOLE_PASSWORD).await
}
