//! The `restore_metric_alarms` restorer function (undo of `cloudwatch_create_metric_filter`).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::restorer::serve_restorer(
        cloudbots_logging::alarm_setting::RESTORE_METRIC_ALARMS,
    )
    .await
}
