//! The `restore_bucket_settings` restorer function (undo of the S3 bucket-setting bots).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::restorer::serve_restorer(cloudbots_s3::s3::settings::RESTORE_BUCKET_SETTINGS)
        .await
}
