//! Fixtures of the ECS and ECR bots' tests on the local stack: clusters running Fargate tasks
//! of a privileged task definition with a new execution role, and the mocked CloudTrail and
//! step input of an image finding (CloudTrail LookupEvents is not served by the local stack).

use crate::cloudtrail::{alert_input, cloudtrail_with_event_after};
use crate::{aws, entity, unique_name};
use aws_sdk_ecs::types::{ContainerDefinition, LaunchType, Tag};
use cloudbots_cli::local::LOCAL_ACCOUNT;
use cloudbots_shared::outcome::BotInput;
use cloudbots_shared::plan::Mode;
use serde_json::json;

pub async fn ecs() -> aws_sdk_ecs::Client {
    aws_sdk_ecs::Client::new(&aws().await)
}

/// A new cluster and a task definition whose execution role is a new role ARN: the cluster's
/// name, the definition's ARN and the role's ARN.
pub async fn new_cluster_and_definition() -> (String, String, String) {
    let ecs = ecs().await;
    let cluster = unique_name("cloudbots-cluster");
    ecs.create_cluster()
        .cluster_name(&cluster)
        .send()
        .await
        .expect("create_cluster");
    let role = format!(
        "arn:aws:iam::{LOCAL_ACCOUNT}:role/{}",
        unique_name("cloudbots-exec")
    );
    let definition = ecs
        .register_task_definition()
        .family(unique_name("cloudbots-privileged"))
        .execution_role_arn(&role)
        .container_definitions(
            ContainerDefinition::builder()
                .name("app")
                .image("nginx")
                .memory(128)
                .privileged(true)
                .build(),
        )
        .send()
        .await
        .expect("register_task_definition")
        .task_definition
        .unwrap()
        .task_definition_arn
        .unwrap();
    (cluster, definition, role)
}

/// Run one Fargate task of the definition, with `tags`: its ARN.
pub async fn run_fargate(cluster: &str, definition: &str, tags: &[(&str, &str)]) -> String {
    let mut run = ecs()
        .await
        .run_task()
        .cluster(cluster)
        .task_definition(definition)
        .launch_type(LaunchType::Fargate);
    for (key, value) in tags {
        run = run.tags(Tag::builder().key(*key).value(*value).build());
    }
    let out = run.send().await.expect("run_task");
    out.tasks()[0].task_arn().unwrap().to_string()
}

/// The last part of an ARN (a task's id).
pub fn short(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap()
}

/// CloudTrail answering with one DescribeImageScanFindings event on `repository:tag`, 2 s
/// after the alert.
pub fn cloudtrail_with_scan(repository: &str, tag: &str) -> aws_sdk_cloudtrail::Client {
    let record = json!({
        "eventName": "DescribeImageScanFindings",
        "requestParameters": {"repositoryName": repository, "imageId": {"imageTag": tag}}
    });
    cloudtrail_with_event_after(2, "DescribeImageScanFindings", record, None)
}

/// The step of `ecs_delete_repository_image` on `repository`, for a finding raised at the
/// alert.
pub fn image_input(repository: &str, mode: Mode) -> BotInput {
    alert_input(
        "ecs_delete_repository_image",
        entity("EcrRepository", repository, repository),
        mode,
    )
}
