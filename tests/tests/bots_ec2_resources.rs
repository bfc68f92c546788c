//! AMI, key-pair and tagging bots on the local stack: the AMI's launch permissions, the key
//! pairs of the region and the resource's tags after each run.
//!
//! The tagging bots' missing-resource case is not tested here: the local stack's CreateTags
//! accepts ids of resources that do not exist, where EC2 answers `Invalid...NotFound`.

use aws_sdk_ec2::types::{
    Filter, ImageAttributeName, LaunchPermission, LaunchPermissionModifications, PermissionGroup,
};
use cloudbots_shared::outcome::OutcomeStatus;
use cloudbots_shared::plan::Mode;
use cloudbots_tests::resources::running_instance;
use cloudbots_tests::{aws, entity, run_ok, unique_name};
use serde_json::Value;
use std::time::{SystemTime, UNIX_EPOCH};

async fn ec2() -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::new(&aws().await)
}

fn instance(id: &str) -> Value {
    entity("Instance", id, "web")
}

// ---- ami_set_to_private ----

/// A public AMI made from a new instance.
async fn public_ami(ec2: &aws_sdk_ec2::Client) -> String {
    let instance = running_instance(ec2).await;
    let image = ec2
        .create_image()
        .instance_id(instance)
        .name(unique_name("golden"))
        .send()
        .await
        .expect("create_image")
        .image_id()
        .unwrap()
        .to_string();
    ec2.modify_image_attribute()
        .image_id(&image)
        .launch_permission(
            LaunchPermissionModifications::builder()
                .add(
                    LaunchPermission::builder()
                        .group(PermissionGroup::All)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("modify_image_attribute");
    image
}

async fn is_public(ec2: &aws_sdk_ec2::Client, image: &str) -> bool {
    ec2.describe_image_attribute()
        .image_id(image)
        .attribute(ImageAttributeName::LaunchPermission)
        .send()
        .await
        .expect("describe_image_attribute")
        .launch_permissions()
        .iter()
        .any(|p| p.group() == Some(&PermissionGroup::All))
}

#[tokio::test]
async fn ami_set_to_private_removes_the_public_launch_permission() {
    let ec2 = ec2().await;
    let image = public_ami(&ec2).await;
    assert!(is_public(&ec2, &image).await);
    let ami = entity("AMI", &image, "golden");

    let dry = run_ok("ami_set_to_private", ami.clone(), Mode::DryRun).await;
    assert_eq!(dry.status, OutcomeStatus::DryRun);
    assert_eq!(
        dry.changes,
        [format!(
            "remove the public launch permission (group all) of AMI {image}"
        )]
    );
    assert!(is_public(&ec2, &image).await, "dry-run changes nothing");

    let first = run_ok("ami_set_to_private", ami.clone(), Mode::Enforce).await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert!(!is_public(&ec2, &image).await);

    let second = run_ok("ami_set_to_private", ami, Mode::Enforce).await;
    assert_eq!(second.status, OutcomeStatus::AlreadyCompliant);
    assert_eq!(second.message, format!("AMI {image} is already private"));

    let missing = run_ok(
        "ami_set_to_private",
        entity("AMI", "ami-0123456789abcdef0", "gone"),
        Mode::Enforce,
    )
    .await;
    assert_eq!(missing.status, OutcomeStatus::Skipped);
    assert_eq!(
        missing.message,
        "AMI ami-0123456789abcdef0 does not exist (any more): nothing to do"
    );
}

// ---- ec2_delete_key_pair ----

/// The key pair's id, when a key pair of that name exists.
async fn key_pair_id(ec2: &aws_sdk_ec2::Client, name: &str) -> Option<String> {
    let out = ec2
        .describe_key_pairs()
        .filters(Filter::builder().name("key-name").values(name).build())
        .send()
        .await
        .expect("describe_key_pairs");
    out.key_pairs()
        .first()
        .map(|k| k.key_pair_id().unwrap_or_default().to_string())
}

#[tokio::test]
async fn delete_key_pair_deletes_it_by_name_or_id() {
    let ec2 = ec2().await;
    let name = unique_name("leaked-key");
    ec2.create_key_pair()
        .key_name(&name)
        .send()
        .await
        .expect("create_key_pair");
    let key = entity("KeyPair", &name, &name);

    let dry = run_ok("ec2_delete_key_pair", key.clone(), Mode::DryRun).await;
    assert_eq!(dry.status, OutcomeStatus::DryRun);
    assert!(
        dry.changes[0].starts_with(&format!("delete key pair {name} (")),
        "{:?}",
        dry.changes
    );
    assert!(key_pair_id(&ec2, &name).await.is_some(), "dry-run keeps it");

    let first = run_ok("ec2_delete_key_pair", key.clone(), Mode::Enforce).await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert_eq!(first.changes, dry.changes);
    assert_eq!(key_pair_id(&ec2, &name).await, None);

    // Gone is what the bot leaves: a second run (or a key deleted by hand) is compliant.
    let second = run_ok("ec2_delete_key_pair", key, Mode::Enforce).await;
    assert_eq!(second.status, OutcomeStatus::AlreadyCompliant);
    assert_eq!(
        second.message,
        format!("Key pair {name} does not exist: nothing to delete")
    );

    let by_id = unique_name("leaked-key");
    ec2.create_key_pair()
        .key_name(&by_id)
        .send()
        .await
        .expect("create_key_pair");
    let id = key_pair_id(&ec2, &by_id).await.unwrap();
    let outcome = run_ok(
        "ec2_delete_key_pair",
        entity("KeyPair", &id, &by_id),
        Mode::Enforce,
    )
    .await;
    assert_eq!(outcome.status, OutcomeStatus::Remediated);
    assert_eq!(key_pair_id(&ec2, &by_id).await, None);
}

// ---- mark_for_stop_ec2_resource and tag_ec2_resource ----

/// The value of one tag of the resource now.
async fn tag(ec2: &aws_sdk_ec2::Client, resource: &str, key: &str) -> Option<String> {
    let out = ec2
        .describe_tags()
        .filters(
            Filter::builder()
                .name("resource-id")
                .values(resource)
                .build(),
        )
        .send()
        .await
        .expect("describe_tags");
    out.tags()
        .iter()
        .find(|t| t.key() == Some(key))
        .and_then(|t| t.value().map(str::to_string))
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test]
async fn mark_for_stop_tags_the_deadline_once() {
    let ec2 = ec2().await;
    let id = running_instance(&ec2).await;

    let dry = run_ok("mark_for_stop_ec2_resource 3h", instance(&id), Mode::DryRun).await;
    assert_eq!(dry.status, OutcomeStatus::DryRun);
    assert!(
        dry.changes[0].starts_with(&format!("tag {id} with marked_for_stop=")),
        "{:?}",
        dry.changes
    );
    assert!(dry.changes[0].ends_with(", 3h from now"));
    assert_eq!(tag(&ec2, &id, "marked_for_stop").await, None, "dry-run");

    let before = now();
    let first = run_ok(
        "mark_for_stop_ec2_resource 3h",
        instance(&id),
        Mode::Enforce,
    )
    .await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    let mark: i64 = tag(&ec2, &id, "marked_for_stop")
        .await
        .expect("tagged")
        .parse()
        .expect("epoch seconds");
    assert!(
        (before + 10_800..=now() + 10_800).contains(&mark),
        "now + 3h"
    );

    let second = run_ok(
        "mark_for_stop_ec2_resource 1m",
        instance(&id),
        Mode::Enforce,
    )
    .await;
    assert_eq!(second.status, OutcomeStatus::AlreadyCompliant);
    assert_eq!(
        tag(&ec2, &id, "marked_for_stop").await,
        Some(mark.to_string()),
        "the deadline is never moved"
    );
}

#[tokio::test]
async fn tag_ec2_resource_sets_a_quoted_tag_and_replaces_a_different_value() {
    let ec2 = ec2().await;
    let id = running_instance(&ec2).await;
    let line = "tag_ec2_resource \"owner\" \"security team\"";

    let dry = run_ok(line, instance(&id), Mode::DryRun).await;
    assert_eq!(dry.status, OutcomeStatus::DryRun);
    assert_eq!(dry.changes, [format!("tag {id} with owner=security team")]);
    assert_eq!(tag(&ec2, &id, "owner").await, None, "dry-run");

    let first = run_ok(line, instance(&id), Mode::Enforce).await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert_eq!(
        tag(&ec2, &id, "owner").await.as_deref(),
        Some("security team")
    );

    let second = run_ok(line, instance(&id), Mode::Enforce).await;
    assert_eq!(second.status, OutcomeStatus::AlreadyCompliant);

    let plain = run_ok("tag_ec2_resource owner alice", instance(&id), Mode::Enforce).await;
    assert_eq!(plain.status, OutcomeStatus::Remediated);
    assert_eq!(
        plain.changes,
        [format!("tag {id} with owner=alice (was 'security team')")]
    );
    assert_eq!(tag(&ec2, &id, "owner").await.as_deref(), Some("alice"));
}
