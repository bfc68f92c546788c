//! Verify and undo of the instance role, AMI sharing and RDS quarantine bots on the local stack,
//! each bot and its restorer running as a user allowed exactly its own role's actions (IAM
//! enforced): the resource's full description equals what it was before the bot ran, a second
//! undo restores nothing, a resource changed since is refused unless forced, and a change
//! answered "done" on the wire but never made fails the step `NotVerified`.
//!
//! `ec2_detach_instance_role` reads CloudTrail, which the local stack does not serve: its cases
//! mock CloudTrail and use the local stack's IAM, as its bot test does.

use aws_sdk_cloudtrail::operation::lookup_events::LookupEventsOutput;
use aws_sdk_cloudtrail::primitives::DateTime;
use aws_sdk_cloudtrail::types::{Event, Resource};
use aws_sdk_ec2::types::{
    Filter, IamInstanceProfileSpecification, ImageAttributeName, LaunchPermission,
    LaunchPermissionModifications, PermissionGroup,
};
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use cloudbots_functions::bots::instance::detach_instance_role_with;
use cloudbots_shared::error::BotError;
use cloudbots_shared::outcome::{BotInput, BotOutcome};
use cloudbots_shared::plan::Mode;
use cloudbots_tests::iam::{new_policy, new_role, role_policies};
use cloudbots_tests::resources::{running_instance, vpc_with_two_subnets};
use cloudbots_tests::security_groups;
use cloudbots_tests::wire::{faulty_client, functions_config, query_no_op};
use cloudbots_tests::{
    assert_not_as_intended, assert_refused_then_forced, assert_remediated, assert_undone, aws,
    bot_aws, entity, run_ok, run_with_no_op, step_input, unique_name,
};
use serde_json::{json, Value};

async fn ec2() -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::new(&aws().await)
}

async fn iam() -> aws_sdk_iam::Client {
    aws_sdk_iam::Client::new(&aws().await)
}

async fn rds() -> aws_sdk_rds::Client {
    aws_sdk_rds::Client::new(&aws().await)
}

// ---- the instance's role: ec2_attach_instance_role, ec2_update_instance_role ----

/// A new instance profile holding a new role: the role's name, the profile's name and ARN.
async fn profile_with_role(iam: &aws_sdk_iam::Client) -> (String, String, String) {
    let role = new_role(iam, "undo-instance-role").await;
    let profile = unique_name("undo-instance-profile");
    let arn = iam
        .create_instance_profile()
        .instance_profile_name(&profile)
        .send()
        .await
        .expect("create_instance_profile")
        .instance_profile()
        .unwrap()
        .arn()
        .to_string();
    iam.add_role_to_instance_profile()
        .instance_profile_name(&profile)
        .role_name(&role)
        .send()
        .await
        .expect("add_role_to_instance_profile");
    (role, profile, arn)
}

async fn associate(ec2: &aws_sdk_ec2::Client, instance_id: &str, profile_arn: &str) {
    ec2.associate_iam_instance_profile()
        .instance_id(instance_id)
        .iam_instance_profile(
            IamInstanceProfileSpecification::builder()
                .arn(profile_arn)
                .build(),
        )
        .send()
        .await
        .expect("associate_iam_instance_profile");
}

/// Everything EC2 describes of the instance, and its instance profile associations that are
/// in force.
async fn described_instance(
    ec2: &aws_sdk_ec2::Client,
    instance_id: &str,
) -> (
    aws_sdk_ec2::types::Instance,
    Vec<aws_sdk_ec2::types::IamInstanceProfileAssociation>,
) {
    let instance = ec2
        .describe_instances()
        .instance_ids(instance_id)
        .send()
        .await
        .expect("describe_instances")
        .reservations()[0]
        .instances()[0]
        .clone();
    let associations = ec2
        .describe_iam_instance_profile_associations()
        .filters(
            Filter::builder()
                .name("instance-id")
                .values(instance_id)
                .build(),
        )
        .send()
        .await
        .expect("describe_iam_instance_profile_associations")
        .iam_instance_profile_associations()
        .iter()
        .filter(|a| a.state().is_some_and(|s| s.as_str() == "associated"))
        .cloned()
        .collect();
    (instance, associations)
}

fn instance(id: &str) -> Value {
    entity("Instance", id, "web")
}

#[tokio::test]
async fn an_attached_instance_profile_is_verified_and_taken_back() {
    let (ec2, iam) = (ec2().await, iam().await);
    let id = running_instance(&ec2).await;
    let (_, _, profile_arn) = profile_with_role(&iam).await;
    let line = format!("ec2_attach_instance_role role_arn={profile_arn}");
    let before = described_instance(&ec2, &id).await;

    let outcome = run_ok(&line, instance(&id), Mode::Enforce).await;
    assert_remediated(
        &outcome,
        &[format!(
            "the instance profile of instance {id} is {profile_arn}"
        )],
    );
    assert_ne!(described_instance(&ec2, &id).await, before);
    let undone = assert_undone(&outcome, &line, &before, || described_instance(&ec2, &id)).await;
    assert_eq!(
        undone.changes,
        [format!(
            "set the instance profile of instance {id} back to none"
        )]
    );

    // Someone replaced the profile since: refused, then taken away when forced.
    let id = running_instance(&ec2).await;
    let before = described_instance(&ec2, &id).await;
    let outcome = run_ok(&line, instance(&id), Mode::Enforce).await;
    let (_, _, other_arn) = profile_with_role(&iam).await;
    let (_, associations) = described_instance(&ec2, &id).await;
    ec2.replace_iam_instance_profile_association()
        .association_id(associations[0].association_id().unwrap())
        .iam_instance_profile(
            IamInstanceProfileSpecification::builder()
                .arn(&other_arn)
                .build(),
        )
        .send()
        .await
        .expect("replace_iam_instance_profile_association");
    assert_refused_then_forced(
        &outcome,
        &[&format!(
            "its instance profile is {other_arn}, not {profile_arn} as the bot left it"
        )],
        &before,
        || described_instance(&ec2, &id),
    )
    .await;

    // An association answered "done" but never made.
    let id = running_instance(&ec2).await;
    let error = run_with_no_op(&line, instance(&id), "AssociateIamInstanceProfile").await;
    assert_not_as_intended(
        &error,
        &format!("instance {id}"),
        &format!("its instance profile is none, not {profile_arn}"),
    );
}

/// The managed policies of the role, and the instance's profile association.
async fn described_role(
    iam: &aws_sdk_iam::Client,
    role: &str,
    ec2: &aws_sdk_ec2::Client,
    instance_id: &str,
) -> (
    Vec<String>,
    Vec<aws_sdk_ec2::types::IamInstanceProfileAssociation>,
) {
    let (_, associations) = described_instance(ec2, instance_id).await;
    (role_policies(iam, role).await, associations)
}

#[tokio::test]
async fn a_policy_attached_to_the_instance_role_is_verified_and_detached_again() {
    let (ec2, iam) = (ec2().await, iam().await);
    let id = running_instance(&ec2).await;
    let (role, _, profile_arn) = profile_with_role(&iam).await;
    associate(&ec2, &id, &profile_arn).await;
    let kept = new_policy(&iam, "undo-kept", "s3:ListBucket").await;
    iam.attach_role_policy()
        .role_name(&role)
        .policy_arn(&kept)
        .send()
        .await
        .expect("attach_role_policy");
    let policy_arn = new_policy(&iam, "undo-ssm", "ssm:DescribeParameters").await;
    let line = format!("ec2_update_instance_role policy_arn={policy_arn}");
    let before = described_role(&iam, &role, &ec2, &id).await;

    let outcome = run_ok(&line, instance(&id), Mode::Enforce).await;
    assert_remediated(
        &outcome,
        &[format!(
            "policy {policy_arn} on IAM role {role} is attached"
        )],
    );
    let attached = role_policies(&iam, &role).await;
    assert!(
        attached.contains(&kept) && attached.contains(&policy_arn),
        "{attached:?}"
    );
    let undone = assert_undone(&outcome, &line, &before, || {
        described_role(&iam, &role, &ec2, &id)
    })
    .await;
    assert_eq!(
        undone.changes,
        [format!("detach policy {policy_arn} from IAM role {role}")]
    );
    // No refused case: an attachment has two states, and the other one is the one before.

    // An attachment answered "done" but never made.
    let id = running_instance(&ec2).await;
    let (role, _, profile_arn) = profile_with_role(&iam).await;
    associate(&ec2, &id, &profile_arn).await;
    let error = run_with_no_op(&line, instance(&id), "AttachRolePolicy").await;
    assert_not_as_intended(
        &error,
        &format!("IAM role {role}"),
        &format!("policy {policy_arn} on IAM role {role} is detached, not attached"),
    );
}

// ---- the role of an instance profile: ec2_detach_instance_role (Log.ic) ----

const ALERT: &str = "2026-11-30T10:00:00Z";
const ALERT_SECS: i64 = 1_796_032_800;

/// A Log.ic finding about the role, at the alert time.
fn detach_input(role: &str) -> BotInput {
    let mut input = step_input(
        "ec2_detach_instance_role",
        entity("IamRole", role, role),
        "ec2_detach_instance_role",
        Mode::Enforce,
    );
    input.finding.event_time = Some(ALERT.to_string());
    input
}

/// A CloudTrail client that finds the AddRoleToInstanceProfile event of this role and profile,
/// 3 s after the alert.
fn cloudtrail_with(role: &str, profile: &str) -> aws_sdk_cloudtrail::Client {
    let event = Event::builder()
        .event_name("AddRoleToInstanceProfile")
        .event_time(DateTime::from_secs(ALERT_SECS + 3))
        .resources(Resource::builder().resource_name(role).build())
        .resources(Resource::builder().resource_name(profile).build())
        .cloud_trail_event(
            json!({
                "eventName": "AddRoleToInstanceProfile",
                "requestParameters": {"instanceProfileName": profile, "roleName": role},
            })
            .to_string(),
        )
        .build();
    let lookup = mock!(aws_sdk_cloudtrail::Client::lookup_events)
        .then_output(move || LookupEventsOutput::builder().events(event.clone()).build());
    mock_client!(aws_sdk_cloudtrail, RuleMode::MatchAny, [&lookup])
}

/// Run `ec2_detach_instance_role` on `role` as its bot user, with this IAM configuration
/// (the bot's own, or a wire-faulty one).
async fn detach(
    role: &str,
    profile: &str,
    config: &aws_config::SdkConfig,
) -> Result<BotOutcome, BotError> {
    detach_instance_role_with(
        &detach_input(role),
        &cloudtrail_with(role, profile),
        &aws_sdk_iam::Client::new(config),
    )
    .await
}

/// Everything IAM describes of the instance profile, its role included.
async fn described_profile(
    iam: &aws_sdk_iam::Client,
    profile: &str,
) -> aws_sdk_iam::types::InstanceProfile {
    iam.get_instance_profile()
        .instance_profile_name(profile)
        .send()
        .await
        .expect("get_instance_profile")
        .instance_profile()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn a_role_detached_from_its_instance_profile_is_verified_and_put_back() {
    let iam = iam().await;
    let bot = bot_aws("ec2_detach_instance_role").await;
    let (role, profile, _) = profile_with_role(&iam).await;
    let before = described_profile(&iam, &profile).await;

    let outcome = detach(&role, &profile, &bot).await.unwrap();
    assert_remediated(
        &outcome,
        &[format!("the role of instance profile {profile} is none")],
    );
    let undone = assert_undone(&outcome, "ec2_detach_instance_role", &before, || {
        described_profile(&iam, &profile)
    })
    .await;
    assert_eq!(
        undone.changes,
        [format!(
            "set the role of instance profile {profile} back to {role}"
        )]
    );

    // Someone put another role in the profile since: refused, then replaced when forced.
    let (role, profile, _) = profile_with_role(&iam).await;
    let before = described_profile(&iam, &profile).await;
    let outcome = detach(&role, &profile, &bot).await.unwrap();
    let other = new_role(&iam, "undo-other-role").await;
    iam.add_role_to_instance_profile()
        .instance_profile_name(&profile)
        .role_name(&other)
        .send()
        .await
        .expect("add_role_to_instance_profile");
    assert_refused_then_forced(
        &outcome,
        &[&format!("its role is {other}, not none as the bot left it")],
        &before,
        || described_profile(&iam, &profile),
    )
    .await;

    // A removal answered "done" but never made.
    let (role, profile, _) = profile_with_role(&iam).await;
    let action = "RemoveRoleFromInstanceProfile";
    let (client, faults) = faulty_client(action, &[query_no_op(action); 4]).await;
    let error = detach(&role, &profile, &functions_config(client).await)
        .await
        .unwrap_err();
    assert!(faults.seen() >= 1);
    assert_not_as_intended(
        &error,
        &format!("instance profile {profile}"),
        &format!("its role is {role}, not none"),
    );
}

// ---- ami_set_to_private ----

const SHARED_WITH: &str = "111122223333";

/// An AMI made from a new instance, launchable by everyone and shared with [`SHARED_WITH`].
async fn public_shared_ami(ec2: &aws_sdk_ec2::Client) -> String {
    let instance = running_instance(ec2).await;
    let image = ec2
        .create_image()
        .instance_id(instance)
        .name(unique_name("undo-golden"))
        .send()
        .await
        .expect("create_image")
        .image_id()
        .unwrap()
        .to_string();
    share(
        ec2,
        &image,
        &[
            LaunchPermission::builder()
                .group(PermissionGroup::All)
                .build(),
            LaunchPermission::builder().user_id(SHARED_WITH).build(),
        ],
    )
    .await;
    image
}

async fn share(ec2: &aws_sdk_ec2::Client, image: &str, with: &[LaunchPermission]) {
    ec2.modify_image_attribute()
        .image_id(image)
        .launch_permission(
            LaunchPermissionModifications::builder()
                .set_add(Some(with.to_vec()))
                .build(),
        )
        .send()
        .await
        .expect("modify_image_attribute");
}

/// Everything EC2 describes of the image, and its launch permissions in full.
async fn described_image(
    ec2: &aws_sdk_ec2::Client,
    image: &str,
) -> (aws_sdk_ec2::types::Image, Vec<LaunchPermission>) {
    let described = ec2
        .describe_images()
        .image_ids(image)
        .send()
        .await
        .expect("describe_images")
        .images()[0]
        .clone();
    let mut permissions = ec2
        .describe_image_attribute()
        .image_id(image)
        .attribute(ImageAttributeName::LaunchPermission)
        .send()
        .await
        .expect("describe_image_attribute")
        .launch_permissions()
        .to_vec();
    permissions.sort_by_key(|p| format!("{p:?}"));
    (described, permissions)
}

#[tokio::test]
async fn a_public_ami_made_private_gets_its_launch_permissions_back_exactly() {
    let ec2 = ec2().await;
    let image = public_shared_ami(&ec2).await;
    let ami = || entity("AMI", &image, "golden");
    let before = described_image(&ec2, &image).await;

    let outcome = run_ok("ami_set_to_private", ami(), Mode::Enforce).await;
    assert_remediated(
        &outcome,
        &[format!(
            "the launch permission of AMI {image} is account {SHARED_WITH}"
        )],
    );
    let undone = assert_undone(&outcome, "ami_set_to_private", &before, || {
        described_image(&ec2, &image)
    })
    .await;
    assert_eq!(
        undone.changes,
        [format!(
            "set the launch permission of AMI {image} back to everyone (public) and account {SHARED_WITH}"
        )]
    );

    // Someone shared it with one more account since: refused, then exactly as before when forced.
    let image = public_shared_ami(&ec2).await;
    let before = described_image(&ec2, &image).await;
    let outcome = run_ok(
        "ami_set_to_private",
        entity("AMI", &image, "golden"),
        Mode::Enforce,
    )
    .await;
    share(
        &ec2,
        &image,
        &[LaunchPermission::builder().user_id("444455556666").build()],
    )
    .await;
    assert_refused_then_forced(
        &outcome,
        &[&format!(
            "its launch permission is account {SHARED_WITH} and account 444455556666, not account {SHARED_WITH} as the bot left it"
        )],
        &before,
        || described_image(&ec2, &image),
    )
    .await;

    // A removal answered "done" but never made.
    let image = public_shared_ami(&ec2).await;
    let error = run_with_no_op(
        "ami_set_to_private",
        entity("AMI", &image, "golden"),
        "ModifyImageAttribute",
    )
    .await;
    assert_not_as_intended(&error, &format!("AMI {image}"), &format!("its launch permission is everyone (public) and account {SHARED_WITH}, not account {SHARED_WITH}"));
}

// ---- rds_quarantine_instance ----

/// A DB instance in a new VPC (`10.<octet>.0.0/16`) and in a new security group of it: the
/// instance's identifier and the VPC's id.
async fn new_db_instance(octet: u8) -> (String, String) {
    let (vpc, subnets) = vpc_with_two_subnets(octet).await;
    let subnet_group = unique_name("undo-db-subnets");
    rds()
        .await
        .create_db_subnet_group()
        .db_subnet_group_name(&subnet_group)
        .db_subnet_group_description("cloudbots undo tests")
        .set_subnet_ids(Some(subnets))
        .send()
        .await
        .expect("create_db_subnet_group");
    let group = new_group_in(&vpc).await;
    let identifier = unique_name("undo-orders");
    rds()
        .await
        .create_db_instance()
        .db_instance_identifier(&identifier)
        .engine("postgres")
        .db_instance_class("db.t3.micro")
        .allocated_storage(20)
        .master_username("admin1")
        .master_user_password("Sup3r-secret-pw")
        .db_subnet_group_name(&subnet_group)
        .vpc_security_group_ids(group)
        .send()
        .await
        .expect("create_db_instance");
    (identifier, vpc)
}

/// A new security group of the VPC: its id.
async fn new_group_in(vpc: &str) -> String {
    ec2()
        .await
        .create_security_group()
        .group_name(unique_name("undo-db"))
        .description("database access")
        .vpc_id(vpc)
        .send()
        .await
        .expect("create_security_group")
        .group_id
        .unwrap()
}

/// Everything RDS describes of the DB instance, but its latest restorable time: the local
/// stack answers the time of the call.
async fn described_db(identifier: &str) -> aws_sdk_rds::types::DbInstance {
    let mut described = rds()
        .await
        .describe_db_instances()
        .db_instance_identifier(identifier)
        .send()
        .await
        .expect("describe_db_instances")
        .db_instances()[0]
        .clone();
    described.latest_restorable_time = None;
    described
}

fn db_entity(identifier: &str, vpc: &str) -> Value {
    let mut entity = entity("RDS", identifier, identifier);
    entity["vpc"] = json!({"id": vpc});
    entity
}

/// The id of the VPC's quarantine group.
async fn quarantine_group(vpc: &str) -> String {
    let group = security_groups::quarantine_group(&ec2().await, vpc).await;
    group.expect("created").group_id().unwrap().to_string()
}

/// The ids of the DB instance's VPC security groups.
fn db_groups(db: &aws_sdk_rds::types::DbInstance) -> String {
    let groups: Vec<&str> = db
        .vpc_security_groups()
        .iter()
        .filter_map(|g| g.vpc_security_group_id())
        .collect();
    groups.join(", ")
}

#[tokio::test]
async fn a_quarantined_db_instance_gets_its_security_groups_back() {
    let (identifier, vpc) = new_db_instance(31).await;
    let before = described_db(&identifier).await;
    let was = db_groups(&before);

    let outcome = run_ok(
        "rds_quarantine_instance",
        db_entity(&identifier, &vpc),
        Mode::Enforce,
    )
    .await;
    let quarantine = quarantine_group(&vpc).await;
    assert_remediated(
        &outcome,
        &[format!(
            "the security groups of DB instance {identifier} is {quarantine}"
        )],
    );
    let undone = assert_undone(&outcome, "rds_quarantine_instance", &before, || {
        described_db(&identifier)
    })
    .await;
    assert_eq!(
        undone.changes,
        [format!(
            "set the security groups of DB instance {identifier} back to {was}"
        )]
    );
    assert_eq!(
        quarantine_group(&vpc).await,
        quarantine,
        "the quarantine group stays"
    );

    // Someone moved it to another group since: refused, then given its groups back when forced.
    let (identifier, vpc) = new_db_instance(32).await;
    let before = described_db(&identifier).await;
    let outcome = run_ok(
        "rds_quarantine_instance",
        db_entity(&identifier, &vpc),
        Mode::Enforce,
    )
    .await;
    let quarantine = quarantine_group(&vpc).await;
    let other = new_group_in(&vpc).await;
    rds()
        .await
        .modify_db_instance()
        .db_instance_identifier(&identifier)
        .vpc_security_group_ids(&other)
        .apply_immediately(true)
        .send()
        .await
        .expect("modify_db_instance");
    assert_refused_then_forced(
        &outcome,
        &[&format!(
            "its security groups is {other}, not {quarantine} as the bot left it"
        )],
        &before,
        || described_db(&identifier),
    )
    .await;

    // A replacement answered "done" but never made.
    let (identifier, vpc) = new_db_instance(33).await;
    let was = db_groups(&described_db(&identifier).await);
    let error = run_with_no_op(
        "rds_quarantine_instance",
        db_entity(&identifier, &vpc),
        "ModifyDBInstance",
    )
    .await;
    let quarantine = quarantine_group(&vpc).await;
    assert_not_as_intended(
        &error,
        &format!("DB instance {identifier}"),
        &format!("its security groups is {was}, not {quarantine}"),
    );
}
