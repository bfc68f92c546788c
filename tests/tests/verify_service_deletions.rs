//! The service deletion bots (`s3_delete_bucket`, `sns_topic_delete`, `acm_delete_certificate`,
//! `ecs_reboot`, `ecs_stop`, `ecs_delete_repository_image`) read their resource again after the
//! change: a normal run lists exactly what was checked in the outcome's `verified`, and a change
//! call answered "done" on the wire but never made fails the step `NotVerified`.

use cloudbots_functions::bots::ecr::delete_repository_image_with;
use cloudbots_shared::plan::Mode;
use cloudbots_tests::containers::{
    cloudtrail_with_scan, image_input, new_cluster_and_definition, run_fargate, short,
};
use cloudbots_tests::wire::{faulty_json_client, faulty_rest_client, functions_config};
use cloudbots_tests::{
    assert_not_verified, assert_remediated, assert_still_exists, aws, bot_aws, entity, entity_with,
    run_ok, run_with_no_op, still_exists, unique_name,
};
use serde_json::{json, Value};

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
    assert_remediated(&done, &[format!("{what} no longer exists")]);
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
    assert_still_exists(&error, &what);

    let done = run_ok("sns_topic_delete", topic(), Mode::Enforce).await;
    assert_remediated(&done, &[format!("{what} no longer exists")]);
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
    assert_remediated(&done, &[format!("{what} no longer exists")]);
}

/// A new cluster running one Fargate task whose task definition has a new execution role: the
/// role's ARN, the finding's entity (the role ARN first), the cluster's name and the task's id.
async fn role_task() -> (String, Value, String, String) {
    let (cluster, definition, role) = new_cluster_and_definition().await;
    let task = short(&run_fargate(&cluster, &definition, &[]).await).to_string();
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
        assert_remediated(
            &done,
            &[format!(
                "task {task} of cluster {cluster} has desired status STOPPED"
            )],
        );
    }
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
    let input = image_input(&repository, Mode::Enforce);
    let cloudtrail = cloudtrail_with_scan(&repository, "v1");
    let what = format!("image {repository}@{digest}");

    let (client, faults) = faulty_json_client("BatchDeleteImage", &[(200, "{}")]).await;
    let faulty_ecr = aws_sdk_ecr::Client::new(&functions_config(client).await);
    let error = delete_repository_image_with(&input, &cloudtrail, &faulty_ecr)
        .await
        .unwrap_err();
    assert_eq!(faults.seen(), 1);
    assert_still_exists(&error, &what);

    let bot_ecr = aws_sdk_ecr::Client::new(&bot_aws(bot).await);
    let done = delete_repository_image_with(&input, &cloudtrail, &bot_ecr)
        .await
        .unwrap_or_else(|e| panic!("{bot}: {e}"));
    assert_remediated(&done, &[format!("{what} no longer exists")]);
}
