//! The `iam_turn_on_password_policy` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_functions::runtime::serve_bot(cloudbots_functions::bots::iam::TURN_ON_PASSWORD_POLICY)
        .await
}
