//! Verify and undo, bot by bot, on the local stack, each bot and each restorer running as a user
//! allowed exactly its own role's actions (IAM enforced).
//!
//! For every bot with a restorer: the change is verified after it is made, the restorer puts
//! the resource back (its full describe output equals its state before the bot ran), a second
//! undo finds nothing to restore, and an undo after someone changed the resource is refused
//! with the difference unless forced, and then leaves that other change alone. A change that
//! does not show when the resource is read again (the call answered "done" but nothing
//! changed, injected on the wire) fails the step `NotVerified`.

use aws_sdk_ec2::types::{IpPermission, IpRange, UserIdGroupPair};
use cloudbots_shared::catalogue::RESTORERS;
use cloudbots_shared::error::ErrorName;
use cloudbots_shared::outcome::OutcomeStatus;
use cloudbots_shared::plan::Mode;
use cloudbots_shared::restore::RestoreStatus;
use cloudbots_tests::resources::running_instance;
use cloudbots_tests::security_groups::{allow_inbound, default_group, described, rule};
use cloudbots_tests::wire::faulty_json_client;
use cloudbots_tests::{
    assert_not_as_intended, assert_not_verified, assert_refused, assert_refused_then_forced,
    assert_undone, aws, entity, run_ok, run_restorer, run_with_no_op, unique_name,
};

async fn ec2() -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::new(&aws().await)
}

/// A security-group bot's case: its `AUTO:` line and the inbound rules the group gets first.
struct GroupCase {
    line: &'static str,
    inbound: fn(group: &str) -> Vec<IpPermission>,
}

fn described_rule(protocol: &str, port: i32, cidr: &str, description: &str) -> IpPermission {
    IpPermission::builder()
        .ip_protocol(protocol)
        .from_port(port)
        .to_port(port)
        .ip_ranges(
            IpRange::builder()
                .cidr_ip(cidr)
                .description(description)
                .build(),
        )
        .build()
}

const GROUP_CASES: &[GroupCase] = &[
    GroupCase {
        line: "sg_rules_delete",
        inbound: |group| {
            vec![
                described_rule("tcp", 22, "0.0.0.0/0", "ssh from anywhere"),
                rule("tcp", 443, 443, "::/0"),
                IpPermission::builder()
                    .ip_protocol("tcp")
                    .from_port(5432)
                    .to_port(5432)
                    .user_id_group_pairs(UserIdGroupPair::builder().group_id(group).build())
                    .build(),
            ]
        },
    },
    GroupCase {
        line: "sg_single_rule_delete split=true protocol=TCP scope=0.0.0.0/0 direction=inbound port=22",
        inbound: |_| vec![rule("tcp", 0, 1024, "0.0.0.0/0")],
    },
    GroupCase {
        line: "sg_rules_delete_by_scope 0.0.0.0/0 inbound 22 tcp",
        inbound: |_| {
            vec![
                described_rule("tcp", 22, "0.0.0.0/0", "ssh"),
                rule("tcp", 22, 22, "10.0.0.0/8"),
            ]
        },
    },
    GroupCase {
        line: "intelligence_sg_rules_delete_by_scope 0.0.0.0/0 inbound * *",
        inbound: |_| {
            vec![
                rule("tcp", 22, 22, "0.0.0.0/0"),
                rule("udp", 53, 53, "0.0.0.0/0"),
            ]
        },
    },
    GroupCase {
        line: "sg_delete_not_matching_cidr 22 10.163.0.0/16 inbound",
        inbound: |_| {
            vec![
                rule("tcp", 22, 22, "0.0.0.0/0"),
                rule("tcp", 22, 22, "10.163.1.0/24"),
            ]
        },
    },
    GroupCase {
        line: "sg_clear_rules_for_any_scope 22 tcp inbound 10.0.0.1/32,10.0.0.2/32",
        inbound: |_| {
            vec![
                rule("tcp", 22, 22, "0.0.0.0/0"),
                rule("tcp", 22, 22, "10.0.0.1/32"),
            ]
        },
    },
    GroupCase {
        line: "sg_modify_scope_by_port 22 0.0.0.0/0 10.0.0.0/24 inbound",
        inbound: |_| vec![described_rule("tcp", 22, "0.0.0.0/0", "admin")],
    },
];

/// A new group in its own VPC (EC2's default outbound rule) with the case's inbound rules.
async fn group_for(ec2: &aws_sdk_ec2::Client, case: &GroupCase) -> String {
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.0.0.0/16")
        .send()
        .await
        .expect("create_vpc");
    let group = ec2
        .create_security_group()
        .group_name(unique_name("undo"))
        .description("undo test group")
        .vpc_id(vpc.vpc().unwrap().vpc_id().unwrap())
        .send()
        .await
        .expect("create_security_group")
        .group_id()
        .unwrap()
        .to_string();
    allow_inbound(ec2, &group, (case.inbound)(&group)).await;
    group
}

fn sg(id: &str) -> serde_json::Value {
    entity("SecurityGroup", id, "undo test group")
}

#[tokio::test]
async fn every_security_group_rule_bot_is_verified_and_undone_to_the_exact_group_it_found() {
    let ec2 = ec2().await;
    let restorer = RESTORERS
        .iter()
        .find(|r| r.name == "restore_security_group_rules")
        .unwrap();
    let covered: Vec<&str> = GROUP_CASES
        .iter()
        .map(|c| c.line.split(' ').next().unwrap())
        .collect();
    assert_eq!(
        covered, restorer.bots,
        "a case for every bot of the restorer"
    );

    for case in GROUP_CASES {
        let group = group_for(&ec2, case).await;
        let before = described(&ec2, &group).await;

        let outcome = run_ok(case.line, sg(&group), Mode::Enforce).await;
        assert_eq!(
            outcome.status,
            OutcomeStatus::Remediated,
            "{}: {}",
            case.line,
            outcome.message
        );
        assert!(
            !outcome.verified.is_empty(),
            "{}: nothing verified",
            case.line
        );
        let changed = described(&ec2, &group).await;
        assert_ne!(changed, before, "{}", case.line);

        let undone = assert_undone(&outcome, case.line, &before, || described(&ec2, &group)).await;
        assert_eq!(
            undone.changes.len(),
            undone.verified.len(),
            "{}: each change re-read",
            case.line
        );
    }
}

#[tokio::test]
async fn an_undo_after_someone_changed_the_group_is_refused_unless_forced_and_keeps_their_change() {
    let ec2 = ec2().await;
    let case = &GROUP_CASES[1]; // sg_single_rule_delete: re-adds two pieces, revokes one range
    let group = group_for(&ec2, case).await;
    let before = described(&ec2, &group).await;
    let outcome = run_ok(case.line, sg(&group), Mode::Enforce).await;
    // Someone opens another port by hand after the bot ran.
    allow_inbound(&ec2, &group, vec![rule("tcp", 8080, 8080, "10.9.9.9/32")]).await;
    let changed = described(&ec2, &group).await;

    let dry = run_restorer(&outcome, Mode::DryRun, true).await.unwrap();
    assert_eq!(dry.status, RestoreStatus::DryRun, "{}", dry.message);
    assert_eq!(
        dry.changes,
        [
            "authorize inbound tcp ports 0-1024 from 0.0.0.0/0",
            "revoke inbound tcp ports 0-21 from 0.0.0.0/0",
            "revoke inbound tcp ports 23-1024 from 0.0.0.0/0",
        ]
    );
    assert_eq!(
        described(&ec2, &group).await,
        changed,
        "a dry run changes nothing"
    );

    let refused = run_restorer(&outcome, Mode::Enforce, false).await.unwrap();
    assert_refused(
        &refused,
        &["added since: inbound tcp port 8080 from 10.9.9.9/32"],
    );
    assert_eq!(
        refused.message,
        format!("security group {group} changed since sg_single_rule_delete left it, so it is not restored (undo --force restores it anyway): added since: inbound tcp port 8080 from 10.9.9.9/32")
    );
    assert_eq!(
        described(&ec2, &group).await,
        changed,
        "a refusal changes nothing"
    );

    let forced = run_restorer(&outcome, Mode::Enforce, true).await.unwrap();
    assert_eq!(forced.status, RestoreStatus::Restored, "{}", forced.message);
    // The bot's change is reversed; the hand-made rule stays.
    let ours = described(&ec2, &group).await;
    assert!(ours.contains("10.9.9.9/32"), "{ours}");
    ec2.revoke_security_group_ingress()
        .group_id(&group)
        .ip_permissions(rule("tcp", 8080, 8080, "10.9.9.9/32"))
        .send()
        .await
        .unwrap();
    assert_eq!(described(&ec2, &group).await, before);
}

/// An instance's describe output without what EC2 rewrites on every stop and start: the
/// reason and time of the last transition, and the auto-assigned public address (a new one
/// on every start, on AWS too).
async fn described_instance(ec2: &aws_sdk_ec2::Client, id: &str) -> String {
    let out = ec2
        .describe_instances()
        .instance_ids(id)
        .send()
        .await
        .unwrap();
    let mut instance = out.reservations()[0].instances()[0].clone();
    instance.state_transition_reason = None;
    instance.state_reason = None;
    instance.launch_time = None;
    instance.public_ip_address = None;
    instance.public_dns_name = None;
    for interface in instance.network_interfaces.iter_mut().flatten() {
        interface.association = None;
        for address in interface.private_ip_addresses.iter_mut().flatten() {
            address.association = None;
        }
    }
    format!("{instance:?}")
}

#[tokio::test]
async fn a_stopped_instance_is_verified_stopped_and_undo_starts_it_again() {
    let ec2 = ec2().await;
    let id = running_instance(&ec2).await;
    let before = described_instance(&ec2, &id).await;
    let outcome = run_ok(
        "ec2_stop_instance",
        entity("Instance", &id, "web"),
        Mode::Enforce,
    )
    .await;
    assert_eq!(
        outcome.status,
        OutcomeStatus::Remediated,
        "{}",
        outcome.message
    );
    assert_eq!(outcome.verified, [format!("instance {id} is stopped")]);
    let prior = outcome.prior.clone().unwrap();
    assert_eq!(prior.before, serde_json::json!({"state": "running"}));

    let undone = run_restorer(&outcome, Mode::Enforce, false).await.unwrap();
    assert_eq!(undone.status, RestoreStatus::Restored, "{}", undone.message);
    assert_eq!(
        undone.changes,
        [format!("start instance {id} (now stopped)")]
    );
    assert_eq!(described_instance(&ec2, &id).await, before);
    let again = run_restorer(&outcome, Mode::Enforce, false).await.unwrap();
    assert_eq!(
        again.status,
        RestoreStatus::NothingToRestore,
        "{}",
        again.message
    );

    ec2.terminate_instances()
        .instance_ids(&id)
        .send()
        .await
        .unwrap();
    let gone = run_restorer(&outcome, Mode::Enforce, true).await.unwrap();
    assert_eq!(gone.status, RestoreStatus::Refused);
    assert_eq!(
        gone.message,
        format!("instance {id} is terminated: it cannot be started again")
    );
}

#[tokio::test]
async fn a_change_that_does_not_show_when_read_again_fails_not_verified() {
    let ec2 = ec2().await;
    for case in GROUP_CASES {
        let group = group_for(&ec2, case).await;
        let error = run_with_no_op(case.line, sg(&group), "RevokeSecurityGroupIngress").await;
        assert_eq!(
            error.name,
            ErrorName::NotVerified,
            "{}: {}",
            case.line,
            error.message
        );
        assert!(
            error.message.starts_with(&format!("security group {group} read back after the change is not as intended (3 reads): inbound ")),
            "{}: {}",
            case.line,
            error.message
        );
        assert!(
            error.message.contains(" is still there"),
            "{}",
            error.message
        );
    }

    let id = running_instance(&ec2).await;
    let error = run_with_no_op(
        "ec2_stop_instance",
        entity("Instance", &id, "web"),
        "StopInstances",
    )
    .await;
    assert_eq!(error.name, ErrorName::NotVerified);
    assert_eq!(
        error.message,
        format!("instance {id} read back after the change is not as intended (3 reads): it is running, not stopping or stopped")
    );

    let id = running_instance(&ec2).await;
    let error = run_with_no_op(
        "ec2_terminate_instance",
        entity("Instance", &id, "web"),
        "TerminateInstances",
    )
    .await;
    assert_eq!(error.name, ErrorName::NotVerified);
    assert_eq!(
        error.message,
        format!("instance {id} read back after the change is not as intended (3 reads): it is running, not shutting-down or terminated")
    );

    let id = running_instance(&ec2).await;
    let error = run_with_no_op(
        "ec2_quarantine_instance",
        entity("Instance", &id, "web"),
        "ModifyInstanceAttribute",
    )
    .await;
    assert_eq!(error.name, ErrorName::NotVerified);
    assert!(
        error.message.starts_with(&format!(
            "instance {id} read back after the change is not as intended (3 reads): its security groups are "
        )),
        "{}",
        error.message
    );

    let group = group_for(&ec2, &GROUP_CASES[0]).await;
    let error = run_with_no_op("sg_delete", sg(&group), "DeleteSecurityGroup").await;
    assert_eq!(error.name, ErrorName::NotVerified);
    assert!(
        error
            .message
            .ends_with(&format!("security group {group} still exists")),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn replaced_instance_groups_are_verified_and_given_back_unless_changed_since() {
    let ec2 = ec2().await;
    let id = running_instance(&ec2).await;
    let vpc = ec2
        .describe_instances()
        .instance_ids(&id)
        .send()
        .await
        .unwrap()
        .reservations()[0]
        .instances()[0]
        .vpc_id()
        .unwrap()
        .to_string();
    let name = unique_name("restricted");
    let restricted = ec2
        .create_security_group()
        .group_name(&name)
        .description("restricted access")
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap()
        .group_id()
        .unwrap()
        .to_string();
    let instance = entity("Instance", &id, "web");
    let before = described_instance(&ec2, &id).await;

    for line in [
        "ec2_quarantine_instance".to_string(),
        format!("ec2_attach_sg {name}"),
    ] {
        let outcome = run_ok(&line, instance.clone(), Mode::Enforce).await;
        assert_eq!(
            outcome.status,
            OutcomeStatus::Remediated,
            "{line}: {}",
            outcome.message
        );
        assert_eq!(outcome.verified.len(), 1, "{line}");
        assert_ne!(described_instance(&ec2, &id).await, before, "{line}");
        assert_undone(&outcome, &line, &before, || described_instance(&ec2, &id)).await;
    }

    // Someone moves the instance to yet another group after the bot ran: refused, then forced.
    let outcome = run_ok(
        &format!("ec2_attach_sg {name}"),
        instance.clone(),
        Mode::Enforce,
    )
    .await;
    let default_group = default_group(&ec2, &vpc).await;
    ec2.modify_instance_attribute()
        .instance_id(&id)
        .groups(&restricted)
        .groups(&default_group)
        .send()
        .await
        .unwrap();
    let mut now = [restricted.clone(), default_group.clone()];
    now.sort();
    assert_refused_then_forced(
        &outcome,
        &[&format!(
            "its security groups are {}, not {restricted} as the bot left them",
            now.join(", ")
        )],
        &before,
        || described_instance(&ec2, &id),
    )
    .await;
}

async fn kms() -> aws_sdk_kms::Client {
    aws_sdk_kms::Client::new(&aws().await)
}

/// Everything KMS describes about a key: its metadata and whether it rotates.
async fn described_key(kms: &aws_sdk_kms::Client, key_id: &str) -> String {
    let metadata = kms.describe_key().key_id(key_id).send().await.unwrap();
    let rotation = kms
        .get_key_rotation_status()
        .key_id(key_id)
        .send()
        .await
        .unwrap();
    format!(
        "{:?}, rotation {}",
        metadata.key_metadata(),
        rotation.key_rotation_enabled()
    )
}

/// A new customer-managed key, prepared by `prepare`: its id.
async fn new_key(kms: &aws_sdk_kms::Client, prepare: &str) -> String {
    let key_id = kms
        .create_key()
        .send()
        .await
        .unwrap()
        .key_metadata()
        .unwrap()
        .key_id()
        .to_string();
    match prepare {
        "disabled" => drop(kms.disable_key().key_id(&key_id).send().await.unwrap()),
        "pending deletion" => drop(
            kms.schedule_key_deletion()
                .key_id(&key_id)
                .pending_window_in_days(7)
                .send()
                .await
                .unwrap(),
        ),
        _ => {}
    }
    key_id
}

fn key_entity(key_id: &str) -> serde_json::Value {
    entity("KMS", key_id, "undo test key")
}

#[tokio::test]
async fn key_rotation_and_a_disabled_key_are_verified_and_put_back() {
    let kms = kms().await;
    for (line, prepare, setting, value) in [
        ("kms_enable_rotation", "new", "automatic rotation", "on"),
        ("kms_cmk_enable_key", "disabled", "state", "Enabled"),
    ] {
        let key_id = new_key(&kms, prepare).await;
        let before = described_key(&kms, &key_id).await;
        let outcome = run_ok(line, key_entity(&key_id), Mode::Enforce).await;
        assert_eq!(outcome.status, OutcomeStatus::Remediated, "{line}");
        assert_eq!(
            outcome.verified,
            [format!("the {setting} of key {key_id} is {value}")]
        );
        assert_ne!(described_key(&kms, &key_id).await, before, "{line}");

        assert_undone(&outcome, line, &before, || described_key(&kms, &key_id)).await;
    }
}

#[tokio::test]
async fn a_key_whose_deletion_was_cancelled_is_disabled_again_never_deleted_by_undo() {
    let kms = kms().await;
    let key_id = new_key(&kms, "pending deletion").await;
    let outcome = run_ok("kms_cmk_enable_key", key_entity(&key_id), Mode::Enforce).await;
    assert_eq!(outcome.status, OutcomeStatus::Remediated);
    let undone = run_restorer(&outcome, Mode::Enforce, false).await.unwrap();
    assert_eq!(undone.status, RestoreStatus::Restored);
    assert_eq!(
        undone.message,
        format!("Restored the state of key {key_id}: disable key {key_id} (the deletion it was pending is not scheduled again: schedule it yourself if the key is still to be deleted)")
    );
    let metadata = kms.describe_key().key_id(&key_id).send().await.unwrap();
    let metadata = metadata.key_metadata().unwrap();
    assert_eq!(
        metadata.key_state(),
        Some(&aws_sdk_kms::types::KeyState::Disabled)
    );
    assert_eq!(metadata.deletion_date(), None);
    let again = run_restorer(&outcome, Mode::Enforce, false).await.unwrap();
    assert_eq!(again.status, RestoreStatus::NothingToRestore);
}

#[tokio::test]
async fn a_key_changed_since_is_refused() {
    let kms = kms().await;
    let key_id = new_key(&kms, "disabled").await;
    let outcome = run_ok("kms_cmk_enable_key", key_entity(&key_id), Mode::Enforce).await;
    kms.schedule_key_deletion()
        .key_id(&key_id)
        .pending_window_in_days(7)
        .send()
        .await
        .unwrap();
    let refused = run_restorer(&outcome, Mode::Enforce, false).await.unwrap();
    assert_refused(
        &refused,
        &["its state is PendingDeletion, not Enabled as the bot left it"],
    );
}

#[tokio::test]
async fn a_key_change_that_does_not_show_fails_not_verified() {
    let kms = kms().await;
    for (line, prepare, action, mismatch) in [
        (
            "kms_enable_rotation",
            "new",
            "EnableKeyRotation",
            "its automatic rotation is off, not on",
        ),
        (
            "kms_cmk_enable_key",
            "disabled",
            "EnableKey",
            "its state is Disabled, not Enabled",
        ),
    ] {
        let key_id = new_key(&kms, prepare).await;
        let faulty = faulty_json_client(action, &[(200, "{}"); 2]).await;
        assert_not_verified(
            faulty,
            line,
            key_entity(&key_id),
            format!(
                "key {key_id} read back after the change is not as intended (3 reads): {mismatch}"
            ),
        )
        .await;
    }
}

/// Every tag EC2 describes of the resource, sorted.
async fn described_tags(ec2: &aws_sdk_ec2::Client, resource_id: &str) -> Vec<(String, String)> {
    let out = ec2
        .describe_tags()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("resource-id")
                .values(resource_id)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let mut tags: Vec<(String, String)> = out
        .tags()
        .iter()
        .map(|t| {
            (
                t.key().unwrap_or_default().to_string(),
                t.value().unwrap_or_default().to_string(),
            )
        })
        .collect();
    tags.sort();
    tags
}

async fn tag(ec2: &aws_sdk_ec2::Client, resource_id: &str, key: &str, value: &str) {
    ec2.create_tags()
        .resources(resource_id)
        .tags(
            aws_sdk_ec2::types::Tag::builder()
                .key(key)
                .value(value)
                .build(),
        )
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn ec2_tags_are_verified_and_put_back_or_removed() {
    let ec2 = ec2().await;
    for line in [
        "tag_ec2_resource owner team-b",
        "tag_ec2_resource reviewed yes",
        "mark_for_stop_ec2_resource 3h",
        "ec2_tag_instance_from_vpc cost-center",
    ] {
        let id = running_instance(&ec2).await;
        tag(&ec2, &id, "owner", "team-a").await;
        let instance = ec2
            .describe_instances()
            .instance_ids(&id)
            .send()
            .await
            .unwrap();
        let vpc = instance.reservations()[0].instances()[0]
            .vpc_id()
            .unwrap()
            .to_string();
        tag(&ec2, &vpc, "cost-center", "42").await;
        let before = described_tags(&ec2, &id).await;
        let outcome = run_ok(line, entity("Instance", &id, "web"), Mode::Enforce).await;
        assert_eq!(outcome.status, OutcomeStatus::Remediated, "{line}");
        assert_eq!(outcome.verified.len(), 1, "{line}");
        assert!(
            outcome.verified[0].starts_with(&format!("the tag of {id} is ")),
            "{line}: {:?}",
            outcome.verified
        );
        assert_ne!(described_tags(&ec2, &id).await, before, "{line}");
        assert_undone(&outcome, line, &before, || described_tags(&ec2, &id)).await;
    }
}

#[tokio::test]
async fn a_tag_that_does_not_show_fails_not_verified() {
    let ec2 = ec2().await;
    let id = running_instance(&ec2).await;
    let error = run_with_no_op(
        "tag_ec2_resource owner team-b",
        entity("Instance", &id, "web"),
        "CreateTags",
    )
    .await;
    assert_not_as_intended(&error, &id, "its tag is owner absent, not owner=team-b");
}
