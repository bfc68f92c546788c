//! The `restore_trail_settings` restorer function (undo of the CloudTrail bots).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::restorer::serve_restorer(
        cloudbots_logging::trail_setting::RESTORE_TRAIL_SETTINGS,
    )
    .await
}
