//! The `config_enable` bot function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::serve_bot(cloudbots_logging::config::ENABLE).await
}
