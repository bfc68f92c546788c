//! The opt-out tag re-read from the live resource by each kind of bot, run as its Lambda runs
//! it (through `run_step`) with IAM enforced and only its role's actions allowed: the tag is
//! added after the finding was produced, so only the live check can see it. (The end-to-end
//! safety tests live in `safety.rs`: IAM enforcement is switched on for a whole local stack.)

use aws_sdk_s3::types::{IndexDocument, Tag, Tagging, WebsiteConfiguration};
use cloudbots_shared::outcome::OutcomeStatus;
use cloudbots_shared::plan::{Mode, DEFAULT_EXCLUDE_TAG_KEY};
use cloudbots_tests::iam::{
    new_role, new_user, role_entity, role_policies, user_entity, user_policies,
};
use cloudbots_tests::{aws, entity, run_ok, unique_name, LIVE_OPT_OUT};

#[tokio::test]
async fn a_bucket_tagged_all_is_skipped_until_the_tag_is_removed() {
    let s3 = aws_sdk_s3::Client::new(&aws().await);
    let bucket = unique_name("cloudbots-excluded");
    s3.create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("create_bucket");
    let index = IndexDocument::builder()
        .suffix("index.html")
        .build()
        .unwrap();
    s3.put_bucket_website()
        .bucket(&bucket)
        .website_configuration(
            WebsiteConfiguration::builder()
                .index_document(index)
                .build(),
        )
        .send()
        .await
        .expect("put_bucket_website");
    let tag = Tag::builder()
        .key(DEFAULT_EXCLUDE_TAG_KEY)
        .value("all")
        .build()
        .unwrap();
    s3.put_bucket_tagging()
        .bucket(&bucket)
        .tagging(Tagging::builder().tag_set(tag).build().unwrap())
        .send()
        .await
        .expect("put_bucket_tagging");
    let hosts_website = || async { s3.get_bucket_website().bucket(&bucket).send().await.is_ok() };
    let bot = "s3_disable_static_website_hosting";
    let bucket_entity = || entity("S3Bucket", &bucket, &bucket);

    let skipped = run_ok(bot, bucket_entity(), Mode::Enforce).await;
    assert_eq!(skipped.status, OutcomeStatus::Skipped);
    assert_eq!(
        skipped.message,
        format!(
            "excluded by tag cloudbots:exclude=\"all\": the resource opts out of every bot {LIVE_OPT_OUT}"
        )
    );
    assert!(hosts_website().await, "the website is untouched");

    s3.delete_bucket_tagging()
        .bucket(&bucket)
        .send()
        .await
        .expect("delete_bucket_tagging");
    let acted = run_ok(bot, bucket_entity(), Mode::Enforce).await;
    assert_eq!(acted.status, OutcomeStatus::Remediated, "{}", acted.message);
    assert!(!hosts_website().await, "without the tag the bot acts");
}

#[tokio::test]
async fn iam_users_and_roles_tagged_after_the_finding_are_not_quarantined() {
    let iam = aws_sdk_iam::Client::new(&aws().await);
    let tag = |value: &str| {
        aws_sdk_iam::types::Tag::builder()
            .key(DEFAULT_EXCLUDE_TAG_KEY)
            .value(value)
            .build()
            .unwrap()
    };
    let user = new_user(&iam, "cloudbots-excluded").await;
    iam.tag_user()
        .user_name(&user)
        .tags(tag("iam_quarantine_user, iam_quarantine_role"))
        .send()
        .await
        .expect("tag_user");
    let role = new_role(&iam, "cloudbots-excluded").await;
    iam.tag_role()
        .role_name(&role)
        .tags(tag("all"))
        .send()
        .await
        .expect("tag_role");

    let user_run = run_ok("iam_quarantine_user", user_entity(&user), Mode::Enforce).await;
    assert_eq!(user_run.status, OutcomeStatus::Skipped);
    assert_eq!(
        user_run.message,
        format!("excluded by tag cloudbots:exclude=\"iam_quarantine_user, iam_quarantine_role\": the resource opts out of iam_quarantine_user {LIVE_OPT_OUT}")
    );
    assert!(user_policies(&iam, &user).await.is_empty());

    let role_run = run_ok("iam_quarantine_role", role_entity(&role), Mode::Enforce).await;
    assert_eq!(role_run.status, OutcomeStatus::Skipped);
    assert!(
        role_run
            .message
            .starts_with("excluded by tag cloudbots:exclude=\"all\""),
        "{}",
        role_run.message
    );
    assert!(role_policies(&iam, &role).await.is_empty());
}

#[tokio::test]
async fn a_kms_key_is_skipped_while_excluded_and_remediated_once_the_exclusion_expired() {
    let kms = aws_sdk_kms::Client::new(&aws().await);
    let new_key = |value: &'static str| {
        let kms = kms.clone();
        async move {
            let key = kms
                .create_key()
                .tags(
                    aws_sdk_kms::types::Tag::builder()
                        .tag_key(DEFAULT_EXCLUDE_TAG_KEY)
                        .tag_value(value)
                        .build()
                        .unwrap(),
                )
                .send()
                .await
                .expect("create_key");
            key.key_metadata().unwrap().key_id().to_string()
        }
    };
    let rotation = |key: String| {
        let kms = kms.clone();
        async move {
            kms.get_key_rotation_status()
                .key_id(key)
                .send()
                .await
                .expect("get_key_rotation_status")
                .key_rotation_enabled()
        }
    };
    let excluded = new_key("kms_enable_rotation;until=2099-12-31").await;
    let expired = new_key("kms_enable_rotation;until=2001-01-31").await;
    let key_entity = |id: &str| entity("KMS", id, "cloudbots-test-key");

    let skipped = run_ok("kms_enable_rotation", key_entity(&excluded), Mode::Enforce).await;
    assert_eq!(skipped.status, OutcomeStatus::Skipped);
    assert!(
        skipped.message.ends_with(&format!(
            "opts out of kms_enable_rotation until 2099-12-31 {LIVE_OPT_OUT}"
        )),
        "{}",
        skipped.message
    );
    assert!(!rotation(excluded).await, "rotation left off");

    let acted = run_ok("kms_enable_rotation", key_entity(&expired), Mode::Enforce).await;
    assert_eq!(acted.status, OutcomeStatus::Remediated, "{}", acted.message);
    assert!(rotation(expired).await, "an expired exclusion is ignored");
}
