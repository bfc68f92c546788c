//! The `restore_domain_settings` restorer function (undo of the Route 53 Domains bots).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::restorer::serve_restorer(
        cloudbots_domains::route53domains::RESTORE_DOMAIN_SETTINGS,
    )
    .await
}
