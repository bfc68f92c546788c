//! The `iam_turn_on_password_policy` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_iam::iam::TURN_ON_PASSWORD_POLICY).await
}
