//! Least privilege, proven: every bot test runs its bot with IAM enforced and only the
//! actions its role gets, so these tests show that taking one needed action away makes the
//! run fail with `AccessDenied` and change nothing.

use aws_sdk_ec2::types::InstanceStateName;
use cloudbots_cli::local::LOCAL_ACCOUNT;
use cloudbots_shared::error::ErrorName;
use cloudbots_shared::plan::Mode;
use cloudbots_tests::resources::{instance_state, running_instance};
use cloudbots_tests::{aws, entity, run_bot_without, step_input, unique_name};

#[tokio::test]
async fn stop_instance_without_ec2_stop_instances_is_denied_and_the_instance_keeps_running() {
    let ec2 = aws_sdk_ec2::Client::new(&aws().await);
    let id = running_instance(&ec2).await;
    let input = step_input(
        "ec2_stop_instance",
        entity("Instance", &id, "web"),
        "ec2_stop_instance",
        Mode::Enforce,
    );

    let error = run_bot_without(input, &["ec2:StopInstances"])
        .await
        .unwrap_err();

    assert_eq!(error.name, ErrorName::AccessDenied, "{}", error.message);
    let denied = format!("stopping instance {id}: AccessDenied: User: arn:aws:iam::{LOCAL_ACCOUNT}:user/bot-ec2_stop_instance-less-");
    assert!(error.message.starts_with(&denied), "{}", error.message);
    assert!(
        error
            .message
            .ends_with(" is not authorized to perform: ec2:StopInstances"),
        "{}",
        error.message
    );
    assert_eq!(instance_state(&ec2, &id).await, InstanceStateName::Running);
}

#[tokio::test]
async fn block_public_access_without_its_put_is_denied_and_the_bucket_stays_open() {
    let s3 = aws_sdk_s3::Client::new(&aws().await);
    let bucket = unique_name("cloudbots-open");
    s3.create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("create_bucket");
    let input = step_input(
        "s3_block_all_public_access",
        entity("S3Bucket", &bucket, &bucket),
        "s3_block_all_public_access",
        Mode::Enforce,
    );

    let error = run_bot_without(input, &["s3:PutBucketPublicAccessBlock"])
        .await
        .unwrap_err();

    assert_eq!(error.name, ErrorName::AccessDenied, "{}", error.message);
    assert_eq!(
        error.message,
        format!("writing the public access block of bucket {bucket}: AccessDenied: Access Denied")
    );
    let config = s3.get_public_access_block().bucket(&bucket).send().await;
    assert!(config.is_err(), "no public access block was written");
}
