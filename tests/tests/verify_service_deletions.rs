//! The service deletion bots (`s3_delete_bucket`, `sns_topic_delete`, `acm_delete_certificate`,
//! `ecs_reboot`, `ecs_stop`, `ecs_delete_repository_image`) read their resource again after the
//! change: a normal run lists exactly what was checked in the outcome's `verified`, and a change
//! call answered "done" on the wire but never made fails the step `NotVerified`.

use aws_sdk_cloudtrail::operation::lookup_events::LookupEventsOutput;
use aws_sdk_cloudtrail::primitives::{DateTime, DateTimeFormat};
use aws_sdk_cloudtrail::types::Event;
use aws_sdk_ecs::types::{ContainerDefinition, LaunchType};
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use cloudbots_cli::local::LOCAL_ACCOUNT;
use cloudbots_functions::bots::ecr::delete_repository_image_with;
use cloudbots_shared::error::ErrorName;
use cloudbots_shared::outcome::{BotOutcome, OutcomeStatus};
use cloudbots_shared::plan::Mode;
use cloudbots_tests::wire::{faulty_json_client, faulty_rest_client, functions_config};
use cloudbots_tests::{
    assert_not_verified, aws, bot_aws, entity, entity_with, run_ok, run_with_no_op, step_input,
    unique_name,
};
use serde_json::{json, Value};

/// The message of a `NotVerified` step whose deleted `what` still shows.
fn still_exists(what: &str) -> String {
    format!("{what} read back after the change is not as intended (3 reads): {what} still exists")
}

/// Assert a normal run remediated and checked exactly `verified`.
fn assert_verified(outcome: &BotOutcome, verified: Vec<String>) {
    assert_eq!(
        outcome.status,
        OutcomeStatus::Remediated,
        "{}",
        outcome.message
    );
    assert_eq!(outcome.verified, verified, "{}", outcome.bot);
}

#[tokio::test]
async fn s3_delete_bucket_checks_the_bucket_is_gone() {
    let s3 = aws_sdk_s3::Client::new(&aws().await);
    let bucket = unique_name("cloudbots-verify");
    s3.create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("create_bucket");
    let bucket_entity = || entity("S3Bucket", &bucket, &bucket);
    let what = format!("bucket {bucket}");

    let faulty = faulty_rest_client("DELETE", &bucket, &[(204, "")]).await;
    assert_not_verified(
        faulty,
        "s3_delete_bucket",
        bucket_entity(),
        still_exists(&what),
    )
    .await;

    let done = run_ok("s3_delete_bucket", bucket_entity(), Mode::Enforce).await;
    assert_verified(&done, vec![format!("{what} no longer exists")]);
}

#[tokio::test]
async fn sns_topic_delete_checks_the_topic_is_gone() {
    let sns = aws_sdk_sns::Client::new(&aws().await);
    let name = unique_name("cloudbots-verify");
    let arn = sns
        .create_topic()
        .name(&name)
        .send()
        .await
        .expect("create_topic")
        .topic_arn
        .unwrap();
    let topic = || entity_with("SnsTopic", &name, "topicArn", &arn);
    let what = format!("topic {name}");

    let error = run_with_no_op("sns_topic_delete", topic(), "DeleteTopic").await;
    assert_eq!(error.name, ErrorName::NotVerified, "{error}");
    assert_eq!(error.message, still_exists(&what));

    let done = run_ok("sns_topic_delete", topic(), Mode::Enforce).await;
    assert_verified(&done, vec![format!("{what} no longer exists")]);
}

#[tokio::test]
async fn acm_delete_certificate_checks_the_certificate_is_gone() {
    let acm = aws_sdk_acm::Client::new(&aws().await);
    let arn = acm
        .request_certificate()
        .domain_name(format!("{}.example.com", unique_name("verify")))
        .send()
        .await
        .expect("request_certificate")
        .certificate_arn
        .unwrap();
    let certificate = || entity_with("AcmCertificate", &arn, "certificateArn", &arn);
    let what = format!("certificate {arn}");

    let faulty = faulty_json_client("DeleteCertificate", &[(200, "{}")]).await;
    assert_not_verified(
        faulty,
        "acm_delete_certificate",
        certificate(),
        still_exists(&what),
    )
    .await;

    let done = run_ok("acm_delete_certificate", certificate(), Mode::Enforce).await;
    assert_verified(&done, vec![format!("{what} no longer exists")]);
}

/// A new cluster running one Fargate task whose task definition has a new execution role: the
/// role's ARN, the finding's entity (the role ARN first), the cluster's name and the task's id.
async fn role_task() -> (String, Value, String, String) {
    let ecs = aws_sdk_ecs::Client::new(&aws().await);
    let cluster = unique_name("cloudbots-verify");
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
    let task = ecs
        .run_task()
        .cluster(&cluster)
        .task_definition(&definition)
        .launch_type(LaunchType::Fargate)
        .send()
        .await
        .expect("run_task")
        .tasks()[0]
        .task_arn()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    let entity = entity(
        "EcsTaskDefinition",
        &format!("{role},{definition}"),
        "privileged",
    );
    (role, entity, cluster, task)
}

#[tokio::test]
async fn ecs_reboot_and_ecs_stop_check_the_tasks_are_stopping_or_stopped() {
    for bot in ["ecs_reboot", "ecs_stop"] {
        let (role, finding_entity, cluster, task) = role_task().await;

        let faulty = faulty_json_client("StopTask", &[(200, "{}")]).await;
        assert_not_verified(
            faulty,
            bot,
            finding_entity.clone(),
            format!(
                "the tasks using execution role {role} read back after the change is not as intended (3 reads): task {task} of cluster {cluster} has desired status RUNNING"
            ),
        )
        .await;

        let done = run_ok(bot, finding_entity, Mode::Enforce).await;
        assert_verified(
            &done,
            vec![format!(
                "task {task} of cluster {cluster} has desired status STOPPED"
            )],
        );
    }
}

/// The alert time of the image finding, and its DescribeImageScanFindings event 2 s later.
const ALERT: &str = "2026-11-30T10:00:00Z";

/// CloudTrail (not served by the local stack) answering with one DescribeImageScanFindings
/// event on `repository:tag`.
fn cloudtrail_with_scan(repository: &str, tag: &str) -> aws_sdk_cloudtrail::Client {
    let record = json!({
        "eventName": "DescribeImageScanFindings",
        "requestParameters": {"repositoryName": repository, "imageId": {"imageTag": tag}}
    })
    .to_string();
    let alert = DateTime::from_str(ALERT, DateTimeFormat::DateTime)
        .expect("an RFC 3339 time")
        .secs();
    let rule = mock!(aws_sdk_cloudtrail::Client::lookup_events).then_output(move || {
        LookupEventsOutput::builder()
            .events(
                Event::builder()
                    .event_name("DescribeImageScanFindings")
                    .event_time(DateTime::from_secs(alert + 2))
                    .cloud_trail_event(record.clone())
                    .build(),
            )
            .build()
    });
    mock_client!(aws_sdk_cloudtrail, RuleMode::MatchAny, [&rule])
}

#[tokio::test]
async fn ecs_delete_repository_image_checks_the_image_is_gone() {
    let bot = "ecs_delete_repository_image";
    let ecr = aws_sdk_ecr::Client::new(&aws().await);
    let repository = unique_name("cloudbots-verify");
    ecr.create_repository()
        .repository_name(&repository)
        .send()
        .await
        .expect("create_repository");
    let manifest = json!({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json", "config": {"digest": "sha256:cccc"}, "layers": []});
    let digest = ecr
        .put_image()
        .repository_name(&repository)
        .image_manifest(manifest.to_string())
        .image_tag("v1")
        .send()
        .await
        .expect("put_image")
        .image
        .unwrap()
        .image_id
        .unwrap()
        .image_digest
        .unwrap();
    let mut input = step_input(
        bot,
        entity("EcrRepository", &repository, &repository),
        bot,
        Mode::Enforce,
    );
    input.finding.event_time = Some(ALERT.to_string());
    let cloudtrail = cloudtrail_with_scan(&repository, "v1");
    let what = format!("image {repository}@{digest}");

    let (client, faults) = faulty_json_client("BatchDeleteImage", &[(200, "{}")]).await;
    let faulty_ecr = aws_sdk_ecr::Client::new(&functions_config(client).await);
    let error = delete_repository_image_with(&input, &cloudtrail, &faulty_ecr)
        .await
        .unwrap_err();
    assert_eq!(faults.seen(), 1);
    assert_eq!(error.name, ErrorName::NotVerified, "{error}");
    assert_eq!(error.message, still_exists(&what));

    let bot_ecr = aws_sdk_ecr::Client::new(&bot_aws(bot).await);
    let done = delete_repository_image_with(&input, &cloudtrail, &bot_ecr)
        .await
        .unwrap_or_else(|e| panic!("{bot}: {e}"));
    assert_verified(&done, vec![format!("{what} no longer exists")]);
}
