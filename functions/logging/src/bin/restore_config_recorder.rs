//! The `restore_config_recorder` restorer function (undo of `config_enable`).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::restorer::serve_restorer(
        cloudbots_logging::config_setting::RESTORE_CONFIG_RECORDER,
    )
    .await
}
