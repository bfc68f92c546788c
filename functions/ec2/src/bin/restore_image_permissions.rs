//! The `restore_image_permissions` restorer function (undo of `ami_set_to_private`).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cloudbots_runtime::restorer::serve_restorer(
        cloudbots_ec2::ec2_resources::RESTORE_IMAGE_PERMISSIONS,
    )
    .await
}
