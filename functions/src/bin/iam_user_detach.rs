//! The `iam_user_detach` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_functions::runtime::serve_bot(cloudbots_functions::bots::iam_policies::USER_DETACH)
        .await
}
