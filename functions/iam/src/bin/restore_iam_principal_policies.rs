//! The `restore_iam_principal_policies` restorer function (undo of the IAM policy bots).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::restorer::serve_restorer(
        cloudbots_iam::iam_policies::restore::RESTORE_IAM_PRINCIPAL_POLICIES,
    )
    .await
}
