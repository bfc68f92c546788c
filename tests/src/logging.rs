//! Fixtures of the CloudTrail, CloudWatch metric filter and Config bots' tests on the local
//! stack: plain trails (with or without a log group), their CloudGuard entities and Config
//! clients of a region.

use crate::{aws, entity, unique_name};
use serde_json::Value;

/// The local stack's account.
pub const ACCOUNT: &str = "123456789012";

pub async fn cloudtrail() -> aws_sdk_cloudtrail::Client {
    aws_sdk_cloudtrail::Client::new(&aws().await)
}

/// A single-region trail, not logging, without validation, encryption or CloudWatch Logs,
/// into a bucket of its own: its ARN.
pub async fn plain_trail(name: &str) -> String {
    let config = aws().await;
    let bucket = unique_name("cloudbots-trail-logs");
    aws_sdk_s3::Client::new(&config)
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("create_bucket");
    aws_sdk_cloudtrail::Client::new(&config)
        .create_trail()
        .name(name)
        .s3_bucket_name(&bucket)
        .send()
        .await
        .expect("create_trail")
        .trail_arn
        .unwrap()
}

/// The CloudGuard entity of a trail, as its findings carry it (the id is the trail's ARN).
pub fn trail_entity(name: &str, arn: &str) -> Value {
    entity("CloudTrail", arn, name)
}

/// A trail sending its events to a new log group: the trail's ARN and the group's name.
pub async fn trail_with_log_group(name: &str) -> (String, String) {
    let arn = plain_trail(name).await;
    let group = unique_name("trail/events");
    let config = aws().await;
    aws_sdk_cloudwatchlogs::Client::new(&config)
        .create_log_group()
        .log_group_name(&group)
        .send()
        .await
        .expect("create_log_group");
    aws_sdk_cloudtrail::Client::new(&config)
        .update_trail()
        .name(&arn)
        .cloud_watch_logs_log_group_arn(format!(
            "arn:aws:logs:us-east-1:{ACCOUNT}:log-group:{group}:*"
        ))
        .cloud_watch_logs_role_arn(format!(
            "arn:aws:iam::{ACCOUNT}:role/CloudTrail_CloudWatchLogs_Role"
        ))
        .send()
        .await
        .expect("update_trail");
    (arn, group)
}

/// A Config client of `region`.
pub async fn config_in(region: &str) -> aws_sdk_config::Client {
    let config = aws()
        .await
        .to_builder()
        .region(aws_config::Region::new(region.to_string()))
        .build();
    aws_sdk_config::Client::new(&config)
}
