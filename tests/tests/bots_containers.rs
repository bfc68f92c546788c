//! ECS and ECR bots on the local stack, run as their Lambdas run them (through `run_step`)
//! with IAM enforced and only their roles' actions allowed: the tasks' real status, the
//! container instances' state, the role's inline policies and the repository's images after
//! each run. CloudTrail LookupEvents is not served by the local stack, so the image bot runs
//! through its inner function with a mocked CloudTrail and the stack's ECR.

use aws_sdk_ecs::types::{ContainerInstanceStatus, DesiredStatus, LaunchType};
use cloudbots_cli::local::LOCAL_ACCOUNT;
use cloudbots_functions::bots::ecr::delete_repository_image_with;
use cloudbots_functions::bots::ecs::STOP_REASON;
use cloudbots_shared::outcome::OutcomeStatus;
use cloudbots_shared::plan::{Mode, DEFAULT_EXCLUDE_TAG_KEY};
use cloudbots_tests::cloudtrail::ALERT;
use cloudbots_tests::containers::{
    cloudtrail_with_scan, ecs, image_input, new_cluster_and_definition, run_fargate, short,
};
use cloudbots_tests::iam::new_role;
use cloudbots_tests::resources::running_instance;
use cloudbots_tests::{assert_skipped_by_live_opt_out, aws, bot_aws, entity, run_ok, unique_name};
use serde_json::{json, Value};

/// The task's desired status and the reason it was stopped.
async fn task_status(cluster: &str, task: &str) -> (String, Option<String>) {
    let out = ecs()
        .await
        .describe_tasks()
        .cluster(cluster)
        .tasks(task)
        .send()
        .await
        .expect("describe_tasks");
    let task = &out.tasks()[0];
    (
        task.desired_status().unwrap_or_default().to_string(),
        task.stopped_reason().map(str::to_string),
    )
}

/// The finding's entity of a RegisterTaskDefinition Log.ic finding: the role ARN first.
fn definition_entity(role: &str) -> Value {
    entity(
        "EcsTaskDefinition",
        &format!("{role},arn:aws:ecs:us-east-1:{LOCAL_ACCOUNT}:task-definition/x:1"),
        "x",
    )
}

// ---- ecs_reboot ----

#[tokio::test]
async fn reboot_stops_the_running_tasks_of_the_role_and_leaves_the_others() {
    let (cluster, definition, role) = new_cluster_and_definition().await;
    let (_, other_definition, _) = new_cluster_and_definition().await;
    let first = run_fargate(&cluster, &definition, &[]).await;
    let second = run_fargate(&cluster, &definition, &[]).await;
    let unrelated = run_fargate(&cluster, &other_definition, &[]).await;

    let dry = run_ok("ecs_reboot", definition_entity(&role), Mode::DryRun).await;
    assert_eq!(dry.status, OutcomeStatus::DryRun);
    let mut planned = dry.changes.clone();
    planned.sort();
    let mut expected: Vec<String> = [&first, &second]
        .iter()
        .map(|task| {
            format!(
                "stop task {} of cluster {cluster} (task definition {})",
                short(task),
                short(&definition)
            )
        })
        .collect();
    expected.sort();
    assert_eq!(planned, expected);
    assert_eq!(task_status(&cluster, &first).await.0, "RUNNING");

    let done = run_ok("ecs_reboot", definition_entity(&role), Mode::Enforce).await;
    assert_eq!(done.status, OutcomeStatus::Remediated, "{}", done.message);
    assert_eq!(
        done.message,
        format!("Stopped 2 task(s) using execution role {role}; the services that ran them start new ones")
    );
    for task in [&first, &second] {
        assert_eq!(
            task_status(&cluster, task).await,
            ("STOPPED".to_string(), Some(STOP_REASON.to_string()))
        );
    }
    assert_eq!(task_status(&cluster, &unrelated).await.0, "RUNNING");

    let again = run_ok("ecs_reboot", definition_entity(&role), Mode::Enforce).await;
    assert_eq!(again.status, OutcomeStatus::AlreadyCompliant);
    assert_eq!(
        again.message,
        format!("No running task in us-east-1 uses execution role {role}")
    );
}

#[tokio::test]
async fn reboot_leaves_a_task_tagged_to_opt_out_and_names_it() {
    let (cluster, definition, role) = new_cluster_and_definition().await;
    let kept = run_fargate(
        &cluster,
        &definition,
        &[(DEFAULT_EXCLUDE_TAG_KEY, "ecs_reboot")],
    )
    .await;
    let stopped = run_fargate(&cluster, &definition, &[]).await;

    let done = run_ok("ecs_reboot", definition_entity(&role), Mode::Enforce).await;
    assert_eq!(done.status, OutcomeStatus::Remediated, "{}", done.message);
    assert!(
        done.message.ends_with(&format!(
            "; left alone: task {} (excluded by tag {DEFAULT_EXCLUDE_TAG_KEY}=\"ecs_reboot\": the resource opts out of ecs_reboot)",
            short(&kept)
        )),
        "{}",
        done.message
    );
    assert_eq!(task_status(&cluster, &kept).await.0, "RUNNING");
    assert_eq!(task_status(&cluster, &stopped).await.0, "STOPPED");
}

#[tokio::test]
async fn a_finding_without_a_role_arn_is_rejected() {
    let error = cloudbots_tests::run_line(
        "ecs_reboot",
        entity("EcsTaskDefinition", "not-a-role", "x"),
        Mode::Enforce,
    )
    .await
    .unwrap_err();
    assert_eq!(
        error.message,
        "the finding's entity id should start with the task definition's execution role ARN (arn:aws:iam::<account>:role/<name>), got 'not-a-role'"
    );
}

// ---- ecs_stop ----

#[tokio::test]
async fn stop_drains_the_hosting_container_instance_before_stopping_the_task() {
    let (cluster, definition, role) = new_cluster_and_definition().await;
    let ecs = ecs().await;
    let ec2 = aws_sdk_ec2::Client::new(&aws().await);
    let instance_id = running_instance(&ec2).await;
    let document =
        json!({"instanceId": instance_id, "region": "us-east-1", "accountId": LOCAL_ACCOUNT});
    let host = ecs
        .register_container_instance()
        .cluster(&cluster)
        .instance_identity_document(document.to_string())
        .send()
        .await
        .expect("register_container_instance")
        .container_instance
        .unwrap()
        .container_instance_arn
        .unwrap();
    let task = ecs
        .run_task()
        .cluster(&cluster)
        .task_definition(&definition)
        .launch_type(LaunchType::Ec2)
        .send()
        .await
        .expect("run_task")
        .tasks()[0]
        .task_arn()
        .unwrap()
        .to_string();

    let done = run_ok("ecs_stop", definition_entity(&role), Mode::Enforce).await;
    assert_eq!(done.status, OutcomeStatus::Remediated, "{}", done.message);
    assert_eq!(
        done.changes,
        vec![
            format!(
                "drain container instance {} of cluster {cluster}",
                short(&host)
            ),
            format!(
                "stop task {} of cluster {cluster} (task definition {})",
                short(&task),
                short(&definition)
            ),
        ]
    );
    let hosts = ecs
        .describe_container_instances()
        .cluster(&cluster)
        .container_instances(&host)
        .send()
        .await
        .expect("describe_container_instances");
    assert_eq!(
        hosts.container_instances()[0].status(),
        Some(ContainerInstanceStatus::Draining.as_str())
    );
    assert_eq!(task_status(&cluster, &task).await.0, "STOPPED");
    let running = ecs
        .list_tasks()
        .cluster(&cluster)
        .desired_status(DesiredStatus::Running)
        .send()
        .await
        .expect("list_tasks");
    assert!(running.task_arns().is_empty());
}

// ---- ecs_service_role_detach_inline_policy ----

fn service_entity(role: &str) -> Value {
    let mut entity = entity("EcsService", "web", "web");
    entity["role"] = json!({"name": role});
    entity
}

#[tokio::test]
async fn service_role_inline_policies_are_deleted_once() {
    let iam = aws_sdk_iam::Client::new(&aws().await);
    let role = new_role(&iam, "cloudbots-ecs-service").await;
    for name in ["s3-access", "logs-access"] {
        iam.put_role_policy()
            .role_name(&role)
            .policy_name(name)
            .policy_document(
                json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})
                    .to_string(),
            )
            .send()
            .await
            .expect("put_role_policy");
    }
    let bot = "ecs_service_role_detach_inline_policy";

    let mut dry = run_ok(bot, service_entity(&role), Mode::DryRun).await;
    dry.changes.sort();
    assert_eq!(
        dry.changes,
        vec![
            format!("delete inline policy logs-access of IAM role {role}"),
            format!("delete inline policy s3-access of IAM role {role}"),
        ]
    );
    let done = run_ok(bot, service_entity(&role), Mode::Enforce).await;
    assert_eq!(done.status, OutcomeStatus::Remediated, "{}", done.message);
    let left = iam
        .list_role_policies()
        .role_name(&role)
        .send()
        .await
        .expect("list_role_policies");
    assert!(left.policy_names().is_empty());
    let again = run_ok(bot, service_entity(&role), Mode::Enforce).await;
    assert_eq!(again.status, OutcomeStatus::AlreadyCompliant);
    assert_eq!(
        again.message,
        format!("IAM role {role} has no inline policies")
    );
}

#[tokio::test]
async fn a_service_role_tagged_to_opt_out_keeps_its_policies() {
    let iam = aws_sdk_iam::Client::new(&aws().await);
    let role = new_role(&iam, "cloudbots-ecs-optout").await;
    iam.tag_role()
        .role_name(&role)
        .tags(
            aws_sdk_iam::types::Tag::builder()
                .key(DEFAULT_EXCLUDE_TAG_KEY)
                .value("all")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("tag_role");
    let bot = "ecs_service_role_detach_inline_policy";
    let outcome = run_ok(bot, service_entity(&role), Mode::Enforce).await;
    assert_eq!(
        outcome.status,
        OutcomeStatus::Skipped,
        "{}",
        outcome.message
    );
    assert!(
        outcome.message.starts_with(&format!(
            "excluded by tag {DEFAULT_EXCLUDE_TAG_KEY}=\"all\""
        )),
        "{}",
        outcome.message
    );
}

// ---- ecs_delete_repository_image ----

/// A repository with two images tagged `v1` and `v2`: their digests.
async fn new_repository(ecr: &aws_sdk_ecr::Client, repository: &str) -> Vec<String> {
    ecr.create_repository()
        .repository_name(repository)
        .send()
        .await
        .expect("create_repository");
    let mut digests = Vec::new();
    for (tag, layer) in [("v1", "sha256:aaaa"), ("v2", "sha256:bbbb")] {
        // Distinct layers give distinct digests (the emulator computes a digest from them).
        let manifest = json!({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json", "config": {"digest": layer}, "layers": [{"digest": layer}]});
        let image = ecr
            .put_image()
            .repository_name(repository)
            .image_manifest(manifest.to_string())
            .image_tag(tag)
            .send()
            .await
            .expect("put_image");
        digests.push(image.image.unwrap().image_id.unwrap().image_digest.unwrap());
    }
    digests
}

async fn image_tags(ecr: &aws_sdk_ecr::Client, repository: &str) -> Vec<String> {
    let images = ecr
        .describe_images()
        .repository_name(repository)
        .send()
        .await
        .expect("describe_images");
    let mut tags: Vec<String> = images
        .image_details()
        .iter()
        .flat_map(|d| d.image_tags().to_vec())
        .collect();
    tags.sort();
    tags
}

#[tokio::test]
async fn delete_repository_image_deletes_the_events_image_once() {
    let admin = aws_sdk_ecr::Client::new(&aws().await);
    let repository = unique_name("cloudbots-images");
    let digests = new_repository(&admin, &repository).await;
    let cloudtrail = cloudtrail_with_scan(&repository, "v1");
    let ecr = aws_sdk_ecr::Client::new(&bot_aws("ecs_delete_repository_image").await);

    let dry =
        delete_repository_image_with(&image_input(&repository, Mode::DryRun), &cloudtrail, &ecr)
            .await
            .unwrap();
    assert_eq!(dry.status, OutcomeStatus::DryRun);
    let change = format!(
        "delete image {repository}@{} (tags v1) from repository {repository}",
        digests[0]
    );
    assert_eq!(dry.changes, vec![change.clone()]);
    assert_eq!(image_tags(&admin, &repository).await, vec!["v1", "v2"]);

    let done =
        delete_repository_image_with(&image_input(&repository, Mode::Enforce), &cloudtrail, &ecr)
            .await
            .unwrap();
    assert_eq!(done.status, OutcomeStatus::Remediated, "{}", done.message);
    assert_eq!(done.changes, vec![change]);
    assert_eq!(image_tags(&admin, &repository).await, vec!["v2"]);

    let again =
        delete_repository_image_with(&image_input(&repository, Mode::Enforce), &cloudtrail, &ecr)
            .await
            .unwrap();
    assert_eq!(again.status, OutcomeStatus::AlreadyCompliant);
    assert_eq!(
        again.message,
        format!("Image {repository}:v1 does not exist (any more): nothing to delete")
    );
}

#[tokio::test]
async fn delete_repository_image_skips_an_event_of_another_repository() {
    let cloudtrail = cloudtrail_with_scan("someone-else", "v1");
    let ecr = aws_sdk_ecr::Client::new(&bot_aws("ecs_delete_repository_image").await);
    let outcome =
        delete_repository_image_with(&image_input("mine", Mode::Enforce), &cloudtrail, &ecr)
            .await
            .unwrap();
    assert_eq!(outcome.status, OutcomeStatus::Skipped);
    assert_eq!(
        outcome.message,
        format!("No DescribeImageScanFindings event naming an image of repository mine in CloudTrail within 30 s of {ALERT}: nothing to delete")
    );
}

#[tokio::test]
async fn a_repository_tagged_to_opt_out_keeps_its_images() {
    let admin = aws_sdk_ecr::Client::new(&aws().await);
    let repository = unique_name("cloudbots-kept");
    new_repository(&admin, &repository).await;
    let arn = format!("arn:aws:ecr:us-east-1:{LOCAL_ACCOUNT}:repository/{repository}");
    admin
        .tag_resource()
        .resource_arn(&arn)
        .tags(
            aws_sdk_ecr::types::Tag::builder()
                .key(DEFAULT_EXCLUDE_TAG_KEY)
                .value("ecs_delete_repository_image")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("tag_resource");
    assert_skipped_by_live_opt_out(
        "ecs_delete_repository_image",
        entity("EcrRepository", &repository, &repository),
    )
    .await;
    assert_eq!(image_tags(&admin, &repository).await, vec!["v1", "v2"]);
}
