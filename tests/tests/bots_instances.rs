//! Instance bots on the local stack: the instance's real security groups, Elastic IPs, state,
//! instance role and tags after each run. `ec2_detach_instance_role` reads CloudTrail, which
//! the local stack does not serve: its test mocks CloudTrail and uses the local stack's IAM.

use aws_sdk_cloudtrail::operation::lookup_events::LookupEventsOutput;
use aws_sdk_cloudtrail::primitives::DateTime;
use aws_sdk_cloudtrail::types::{Event, Resource};
use aws_sdk_ec2::types::{
    DomainType, IamInstanceProfileSpecification, InstanceStateName, IpPermission, IpRange, Tag,
};
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use cloudbots_functions::bots::instance::detach_instance_role_with;
use cloudbots_shared::error::ErrorName;
use cloudbots_shared::outcome::{BotInput, OutcomeStatus};
use cloudbots_shared::plan::Mode;
use cloudbots_tests::resources::{instance_state, running_instance};
use cloudbots_tests::{aws, bot_aws, entity, run_line, run_ok, step_input, unique_name};
use serde_json::Value;

const MISSING_INSTANCE: &str = "i-0123456789abcdef0";

fn instance(id: &str) -> Value {
    entity("Instance", id, "web")
}

async fn ec2() -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::new(&aws().await)
}

/// A running instance in a VPC of its own (so per-VPC groups such as `quarantine` are this
/// test's alone), in a group `web` open to SSH; returns the instance and VPC ids.
async fn instance_in_new_vpc(ec2: &aws_sdk_ec2::Client) -> (String, String) {
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.20.0.0/16")
        .send()
        .await
        .expect("create_vpc");
    let vpc_id = vpc.vpc().unwrap().vpc_id().unwrap().to_string();
    let subnet = ec2
        .create_subnet()
        .vpc_id(&vpc_id)
        .cidr_block("10.20.1.0/24")
        .send()
        .await
        .expect("create_subnet");
    let web = ec2
        .create_security_group()
        .group_name("web")
        .description("open web server")
        .vpc_id(&vpc_id)
        .send()
        .await
        .expect("create_security_group");
    open_ssh(ec2, web.group_id().unwrap()).await;
    let out = ec2
        .run_instances()
        .image_id("ami-12c6146b")
        .min_count(1)
        .max_count(1)
        .subnet_id(subnet.subnet().unwrap().subnet_id().unwrap())
        .security_group_ids(web.group_id().unwrap())
        .send()
        .await
        .expect("run_instances");
    let id = out.instances()[0].instance_id().unwrap().to_string();
    (id, vpc_id)
}

async fn describe(ec2: &aws_sdk_ec2::Client, id: &str) -> aws_sdk_ec2::types::Instance {
    ec2.describe_instances()
        .instance_ids(id)
        .send()
        .await
        .expect("describe_instances")
        .reservations()[0]
        .instances()[0]
        .clone()
}

/// The ids of the instance's security groups now.
async fn groups_of(ec2: &aws_sdk_ec2::Client, id: &str) -> Vec<String> {
    describe(ec2, id)
        .await
        .security_groups()
        .iter()
        .filter_map(|g| g.group_id().map(str::to_string))
        .collect()
}

async fn vpc_of(ec2: &aws_sdk_ec2::Client, id: &str) -> String {
    describe(ec2, id).await.vpc_id().unwrap().to_string()
}

/// The group of that name in the VPC: its id and its (inbound, outbound) rule counts.
async fn group_named(
    ec2: &aws_sdk_ec2::Client,
    vpc_id: &str,
    name: &str,
) -> Option<(String, usize, usize)> {
    let out = ec2
        .describe_security_groups()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("vpc-id")
                .values(vpc_id)
                .build(),
        )
        .send()
        .await
        .expect("describe_security_groups");
    out.security_groups()
        .iter()
        .find(|g| g.group_name() == Some(name))
        .map(|g| {
            (
                g.group_id().unwrap().to_string(),
                g.ip_permissions().len(),
                g.ip_permissions_egress().len(),
            )
        })
}

async fn open_ssh(ec2: &aws_sdk_ec2::Client, group_id: &str) {
    ec2.authorize_security_group_ingress()
        .group_id(group_id)
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(22)
                .to_port(22)
                .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
                .build(),
        )
        .send()
        .await
        .expect("authorize_security_group_ingress");
}

async fn skipped_when_missing(line: &str) {
    let outcome = run_ok(line, instance(MISSING_INSTANCE), Mode::Enforce).await;
    assert_eq!(outcome.status, OutcomeStatus::Skipped, "{line}");
    assert_eq!(
        outcome.message,
        format!("Instance {MISSING_INSTANCE} does not exist (any more): nothing to do"),
        "{line}"
    );
}

// ---- ec2_quarantine_instance ----

#[tokio::test]
async fn quarantine_replaces_all_groups_with_one_empty_group_created_once_per_vpc() {
    let ec2 = ec2().await;
    let (id, vpc_id) = instance_in_new_vpc(&ec2).await;
    let before = groups_of(&ec2, &id).await;
    assert!(!before.is_empty());

    let dry = run_ok("ec2_quarantine_instance", instance(&id), Mode::DryRun).await;
    assert_eq!(dry.status, OutcomeStatus::DryRun);
    assert_eq!(dry.changes.len(), 2, "{:?}", dry.changes);
    assert_eq!(
        dry.changes[0],
        format!("create security group quarantine in VPC {vpc_id}, with no rules")
    );
    assert!(dry.changes[1].starts_with(&format!(
        "replace the security groups of instance {id}, {}",
        before[0]
    )));
    assert_eq!(
        groups_of(&ec2, &id).await,
        before,
        "dry-run changes nothing"
    );
    assert_eq!(group_named(&ec2, &vpc_id, "quarantine").await, None);

    let first = run_ok("ec2_quarantine_instance", instance(&id), Mode::Enforce).await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert_eq!(first.changes, dry.changes);
    let (quarantine, inbound, outbound) = group_named(&ec2, &vpc_id, "quarantine")
        .await
        .expect("the quarantine group exists");
    assert_eq!(
        (inbound, outbound),
        (0, 0),
        "the quarantine group has no rules"
    );
    assert_eq!(groups_of(&ec2, &id).await, vec![quarantine.clone()]);
    assert_eq!(first.artifacts, vec![quarantine.clone()]);
    assert!(first.message.contains(&before[0]), "{}", first.message);

    let second = run_ok("ec2_quarantine_instance", instance(&id), Mode::Enforce).await;
    assert_eq!(second.status, OutcomeStatus::AlreadyCompliant);

    // A second instance of the VPC joins the same group; a rule added to it meanwhile goes.
    open_ssh(&ec2, &quarantine).await;
    let subnet = describe(&ec2, &id).await.subnet_id().unwrap().to_string();
    let other = ec2
        .run_instances()
        .image_id("ami-12c6146b")
        .min_count(1)
        .max_count(1)
        .subnet_id(subnet)
        .send()
        .await
        .expect("run_instances")
        .instances()[0]
        .instance_id()
        .unwrap()
        .to_string();
    let joined = run_ok("ec2_quarantine_instance", instance(&other), Mode::Enforce).await;
    assert_eq!(joined.status, OutcomeStatus::Remediated);
    assert!(joined.artifacts.is_empty(), "no group created");
    assert_eq!(
        joined.changes[0],
        format!("revoke the 1 inbound and 0 outbound rule(s) of security group {quarantine} (quarantine)")
    );
    assert_eq!(groups_of(&ec2, &other).await, vec![quarantine.clone()]);
    assert_eq!(
        group_named(&ec2, &vpc_id, "quarantine").await,
        Some((quarantine, 0, 0))
    );
}

#[tokio::test]
async fn quarantine_skips_missing_and_terminated_instances() {
    skipped_when_missing("ec2_quarantine_instance").await;
    let ec2 = ec2().await;
    let id = running_instance(&ec2).await;
    ec2.terminate_instances()
        .instance_ids(&id)
        .send()
        .await
        .unwrap();
    let outcome = run_ok("ec2_quarantine_instance", instance(&id), Mode::Enforce).await;
    assert_eq!(outcome.status, OutcomeStatus::Skipped);
    assert!(
        outcome.message.ends_with(": nothing to quarantine"),
        "{}",
        outcome.message
    );
}

// ---- ec2_attach_sg ----

#[tokio::test]
async fn attach_sg_makes_the_named_group_the_only_one() {
    let ec2 = ec2().await;
    let id = running_instance(&ec2).await;
    let vpc_id = vpc_of(&ec2, &id).await;
    let before = groups_of(&ec2, &id).await;
    let name = unique_name("restricted");
    let group = ec2
        .create_security_group()
        .group_name(&name)
        .description("restricted access")
        .vpc_id(&vpc_id)
        .send()
        .await
        .expect("create_security_group")
        .group_id()
        .unwrap()
        .to_string();
    let line = format!("ec2_attach_sg {name}");

    let dry = run_ok(&line, instance(&id), Mode::DryRun).await;
    assert_eq!(dry.status, OutcomeStatus::DryRun);
    assert!(
        dry.changes[0].ends_with(&format!(", with {group} ({name})")),
        "{:?}",
        dry.changes
    );
    assert_eq!(
        groups_of(&ec2, &id).await,
        before,
        "dry-run changes nothing"
    );

    let first = run_ok(&line, instance(&id), Mode::Enforce).await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert_eq!(first.changes, dry.changes);
    assert_eq!(groups_of(&ec2, &id).await, vec![group.clone()]);

    let second = run_ok(&line, instance(&id), Mode::Enforce).await;
    assert_eq!(second.status, OutcomeStatus::AlreadyCompliant);
    assert_eq!(
        second.message,
        format!("Instance {id} is already only in security group {group} ({name})")
    );
}

#[tokio::test]
async fn attach_sg_fails_on_an_unknown_group_and_skips_a_missing_instance() {
    let ec2 = ec2().await;
    let id = running_instance(&ec2).await;
    let vpc_id = vpc_of(&ec2, &id).await;
    let err = run_line("ec2_attach_sg no-such-group", instance(&id), Mode::Enforce)
        .await
        .unwrap_err();
    assert_eq!(err.name, ErrorName::NotFound);
    assert_eq!(
        err.message,
        format!("No security group named no-such-group in VPC {vpc_id} of instance {id}")
    );
    let outcome = run_ok(
        "ec2_attach_sg default",
        instance(MISSING_INSTANCE),
        Mode::Enforce,
    )
    .await;
    assert_eq!(outcome.status, OutcomeStatus::Skipped);
}

// ---- ec2_release_eips ----

async fn addresses(ec2: &aws_sdk_ec2::Client) -> Vec<String> {
    ec2.describe_addresses()
        .send()
        .await
        .expect("describe_addresses")
        .addresses()
        .iter()
        .filter_map(|a| a.allocation_id().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn release_eips_disassociates_and_releases_every_address() {
    let ec2 = ec2().await;
    let id = running_instance(&ec2).await;
    let eip = ec2
        .allocate_address()
        .domain(DomainType::Vpc)
        .send()
        .await
        .expect("allocate_address");
    let allocation = eip.allocation_id().unwrap().to_string();
    let ip = eip.public_ip().unwrap().to_string();
    ec2.associate_address()
        .allocation_id(&allocation)
        .instance_id(&id)
        .send()
        .await
        .expect("associate_address");

    let dry = run_ok("ec2_release_eips", instance(&id), Mode::DryRun).await;
    assert_eq!(dry.status, OutcomeStatus::DryRun);
    assert_eq!(
        dry.changes,
        [format!(
            "disassociate Elastic IP {ip} ({allocation}) from instance {id} and release it"
        )]
    );
    assert!(
        addresses(&ec2).await.contains(&allocation),
        "dry-run keeps it"
    );

    let first = run_ok("ec2_release_eips", instance(&id), Mode::Enforce).await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert_eq!(first.changes, dry.changes);
    assert!(!addresses(&ec2).await.contains(&allocation), "released");

    let second = run_ok("ec2_release_eips", instance(&id), Mode::Enforce).await;
    assert_eq!(second.status, OutcomeStatus::AlreadyCompliant);
    assert_eq!(
        second.message,
        format!("No Elastic IPs are associated with instance {id}: nothing to release")
    );
    skipped_when_missing("ec2_release_eips").await;
}

// ---- ec2_terminate_instance ----

#[tokio::test]
async fn terminate_instance_terminates_it_once() {
    let ec2 = ec2().await;
    let id = running_instance(&ec2).await;

    let dry = run_ok("ec2_terminate_instance", instance(&id), Mode::DryRun).await;
    assert_eq!(dry.status, OutcomeStatus::DryRun);
    assert_eq!(
        dry.changes,
        [format!("terminate instance {id} (now running)")]
    );
    assert_eq!(instance_state(&ec2, &id).await, InstanceStateName::Running);

    let first = run_ok("ec2_terminate_instance", instance(&id), Mode::Enforce).await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert!(matches!(
        instance_state(&ec2, &id).await,
        InstanceStateName::Terminated | InstanceStateName::ShuttingDown
    ));

    let second = run_ok("ec2_terminate_instance", instance(&id), Mode::Enforce).await;
    assert_eq!(second.status, OutcomeStatus::AlreadyCompliant);
    skipped_when_missing("ec2_terminate_instance").await;
}

#[tokio::test]
async fn terminate_instance_reports_termination_protection_as_a_conflict() {
    let ec2 = ec2().await;
    let id = running_instance(&ec2).await;
    ec2.modify_instance_attribute()
        .instance_id(&id)
        .disable_api_termination(
            aws_sdk_ec2::types::AttributeBooleanValue::builder()
                .value(true)
                .build(),
        )
        .send()
        .await
        .expect("modify_instance_attribute");
    let err = run_line("ec2_terminate_instance", instance(&id), Mode::Enforce)
        .await
        .unwrap_err();
    assert_eq!(err.name, ErrorName::Conflict, "{err}");
    assert_eq!(instance_state(&ec2, &id).await, InstanceStateName::Running);
}

// ---- instance roles ----

async fn iam() -> aws_sdk_iam::Client {
    aws_sdk_iam::Client::new(&aws().await)
}

/// An IAM client signed as the user `bot` runs as, with IAM enforced: the bot's own calls
/// are checked against its role's actions (CloudTrail, mocked, is not).
async fn as_bot(bot: &str) -> aws_sdk_iam::Client {
    aws_sdk_iam::Client::new(&bot_aws(bot).await)
}

/// A role for EC2 inside a new instance profile; returns (role name, profile name, profile ARN).
async fn role_in_profile(iam: &aws_sdk_iam::Client) -> (String, String, String) {
    let role = unique_name("app-role");
    let profile = unique_name("app-profile");
    iam.create_role()
        .role_name(&role)
        .assume_role_policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
        )
        .send()
        .await
        .expect("create_role");
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

/// The ARN of the instance profile associated with the instance now.
async fn profile_of(ec2: &aws_sdk_ec2::Client, id: &str) -> Option<String> {
    let out = ec2
        .describe_iam_instance_profile_associations()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("instance-id")
                .values(id)
                .build(),
        )
        .send()
        .await
        .expect("describe_iam_instance_profile_associations");
    out.iam_instance_profile_associations()
        .iter()
        .find_map(|a| a.iam_instance_profile()?.arn().map(str::to_string))
}

async fn associate(ec2: &aws_sdk_ec2::Client, id: &str, profile_arn: &str) {
    ec2.associate_iam_instance_profile()
        .instance_id(id)
        .iam_instance_profile(
            IamInstanceProfileSpecification::builder()
                .arn(profile_arn)
                .build(),
        )
        .send()
        .await
        .expect("associate_iam_instance_profile");
}

#[tokio::test]
async fn attach_instance_role_associates_the_profile_with_the_finding_account() {
    let (ec2, iam) = (ec2().await, iam().await);
    let id = running_instance(&ec2).await;
    let (_, profile, profile_arn) = role_in_profile(&iam).await;
    let line = format!(
        "ec2_attach_instance_role role_arn=arn:aws:iam::$ACCOUNT_ID:instance-profile/{profile}"
    );

    let dry = run_ok(&line, instance(&id), Mode::DryRun).await;
    assert_eq!(dry.status, OutcomeStatus::DryRun);
    assert_eq!(
        dry.changes,
        [format!(
            "associate instance profile {profile_arn} with instance {id}"
        )]
    );
    assert_eq!(profile_of(&ec2, &id).await, None, "dry-run changes nothing");

    let first = run_ok(&line, instance(&id), Mode::Enforce).await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert_eq!(profile_of(&ec2, &id).await, Some(profile_arn.clone()));

    let second = run_ok(&line, instance(&id), Mode::Enforce).await;
    assert_eq!(second.status, OutcomeStatus::AlreadyCompliant);

    let (_, other, _) = role_in_profile(&iam).await;
    let replace = run_ok(
        &format!("ec2_attach_instance_role arn:aws:iam::123456789012:instance-profile/{other}"),
        instance(&id),
        Mode::Enforce,
    )
    .await;
    assert_eq!(replace.status, OutcomeStatus::Skipped);
    assert!(
        replace.message.contains(&profile_arn),
        "{}",
        replace.message
    );
    assert_eq!(profile_of(&ec2, &id).await, Some(profile_arn), "kept");

    let missing = run_ok(&line, instance(MISSING_INSTANCE), Mode::Enforce).await;
    assert_eq!(missing.status, OutcomeStatus::Skipped);
}

async fn attached_policies(iam: &aws_sdk_iam::Client, role: &str) -> Vec<String> {
    iam.list_attached_role_policies()
        .role_name(role)
        .send()
        .await
        .expect("list_attached_role_policies")
        .attached_policies()
        .iter()
        .filter_map(|p| p.policy_arn().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn update_instance_role_attaches_the_policy_to_the_instance_role() {
    let (ec2, iam) = (ec2().await, iam().await);
    let id = running_instance(&ec2).await;
    let (role, _, profile_arn) = role_in_profile(&iam).await;
    associate(&ec2, &id, &profile_arn).await;
    let policy = unique_name("ssm-access");
    let policy_arn = iam
        .create_policy()
        .policy_name(&policy)
        .policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:DescribeParameters","Resource":"*"}]}"#,
        )
        .send()
        .await
        .expect("create_policy")
        .policy()
        .unwrap()
        .arn()
        .unwrap()
        .to_string();
    let line =
        format!("ec2_update_instance_role policy_arn=arn:aws:iam::$ACCOUNT_ID:policy/{policy}");

    let dry = run_ok(&line, instance(&id), Mode::DryRun).await;
    assert_eq!(dry.status, OutcomeStatus::DryRun);
    assert!(
        dry.changes[0].starts_with(&format!("attach policy {policy_arn} to IAM role {role} (")),
        "{:?}",
        dry.changes
    );
    assert!(attached_policies(&iam, &role).await.is_empty(), "dry-run");

    let first = run_ok(&line, instance(&id), Mode::Enforce).await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert_eq!(attached_policies(&iam, &role).await, [policy_arn]);

    let second = run_ok(&line, instance(&id), Mode::Enforce).await;
    assert_eq!(second.status, OutcomeStatus::AlreadyCompliant);

    let bare = running_instance(&ec2).await;
    let no_role = run_ok(&line, instance(&bare), Mode::Enforce).await;
    assert_eq!(no_role.status, OutcomeStatus::Skipped);
    assert_eq!(
        no_role.message,
        format!(
            "Instance {bare} has no instance role: attach one with ec2_attach_instance_role first"
        )
    );
    skipped_when_missing(&line).await;
}

// ---- ec2_detach_instance_role (Log.ic) ----

const ALERT: &str = "2026-11-30T10:00:00Z";
const ALERT_SECS: i64 = 1_796_032_800;

/// A Log.ic finding about the role, at the alert time.
fn detach_input(role: &str, mode: Mode) -> BotInput {
    let mut input = step_input(
        "ec2_detach_instance_role",
        entity("IamRole", role, role),
        "ec2_detach_instance_role",
        mode,
    );
    input.finding.event_time = Some(ALERT.to_string());
    input
}

/// A CloudTrail client that finds one AddRoleToInstanceProfile event (3 s after the alert)
/// for these role and profile, or none.
fn cloudtrail_with(event: Option<(&str, &str)>) -> aws_sdk_cloudtrail::Client {
    let events: Vec<Event> = event
        .into_iter()
        .map(|(role, profile)| {
            Event::builder()
                .event_name("AddRoleToInstanceProfile")
                .event_time(DateTime::from_secs(ALERT_SECS + 3))
                .resources(Resource::builder().resource_name(role).build())
                .resources(Resource::builder().resource_name(profile).build())
                .cloud_trail_event(format!(
                    r#"{{"eventName": "AddRoleToInstanceProfile", "requestParameters": {{"instanceProfileName": "{profile}", "roleName": "{role}"}}}}"#
                ))
                .build()
        })
        .collect();
    let lookup = mock!(aws_sdk_cloudtrail::Client::lookup_events)
        .match_requests(|r| {
            r.lookup_attributes()
                .iter()
                .any(|a| a.attribute_value() == "AddRoleToInstanceProfile")
        })
        .then_output(move || {
            LookupEventsOutput::builder()
                .set_events(Some(events.clone()))
                .build()
        });
    mock_client!(aws_sdk_cloudtrail, RuleMode::MatchAny, [&lookup])
}

async fn profiles_of_role(iam: &aws_sdk_iam::Client, role: &str) -> Vec<String> {
    iam.list_instance_profiles_for_role()
        .role_name(role)
        .send()
        .await
        .expect("list_instance_profiles_for_role")
        .instance_profiles()
        .iter()
        .map(|p| p.instance_profile_name().to_string())
        .collect()
}

#[tokio::test]
async fn detach_instance_role_undoes_the_event_the_finding_is_about() {
    let iam = iam().await;
    let (role, profile, _) = role_in_profile(&iam).await;
    let cloudtrail = cloudtrail_with(Some((&role, &profile)));

    let dry = detach_instance_role_with(
        &detach_input(&role, Mode::DryRun),
        &cloudtrail,
        &as_bot("ec2_detach_instance_role").await,
    )
    .await
    .unwrap();
    assert_eq!(dry.status, OutcomeStatus::DryRun);
    assert_eq!(
        dry.changes,
        [format!(
            "remove IAM role {role} from instance profile {profile}"
        )]
    );
    assert_eq!(
        profiles_of_role(&iam, &role).await,
        vec![profile.clone()],
        "dry-run"
    );

    let first = detach_instance_role_with(
        &detach_input(&role, Mode::Enforce),
        &cloudtrail,
        &as_bot("ec2_detach_instance_role").await,
    )
    .await
    .unwrap();
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert!(profiles_of_role(&iam, &role).await.is_empty());

    let second = detach_instance_role_with(
        &detach_input(&role, Mode::Enforce),
        &cloudtrail,
        &as_bot("ec2_detach_instance_role").await,
    )
    .await
    .unwrap();
    assert_eq!(second.status, OutcomeStatus::AlreadyCompliant);
    assert_eq!(
        second.message,
        format!("IAM role {role} is not in instance profile {profile}")
    );
}

#[tokio::test]
async fn detach_instance_role_skips_without_an_event_and_needs_the_alert_time() {
    let iam = iam().await;
    let (role, profile, _) = role_in_profile(&iam).await;

    let no_event = detach_instance_role_with(
        &detach_input(&role, Mode::Enforce),
        &cloudtrail_with(None),
        &as_bot("ec2_detach_instance_role").await,
    )
    .await
    .unwrap();
    assert_eq!(no_event.status, OutcomeStatus::Skipped);
    assert_eq!(
        no_event.message,
        format!("No AddRoleToInstanceProfile event for IAM role {role} in CloudTrail within 30 s of {ALERT}: nothing to undo")
    );
    assert_eq!(profiles_of_role(&iam, &role).await, vec![profile.clone()]);

    // A deleted role is not tested: the local stack lists no instance profiles for an
    // unknown role where IAM answers NoSuchEntity (which the bot reports as skipped).

    let mut no_time = detach_input(&role, Mode::Enforce);
    no_time.finding.event_time = None;
    let err = detach_instance_role_with(
        &no_time,
        &cloudtrail_with(None),
        &as_bot("ec2_detach_instance_role").await,
    )
    .await
    .unwrap_err();
    assert_eq!(err.name, ErrorName::InvalidInput);
    assert!(
        err.message.contains("alertWindowStartTime"),
        "{}",
        err.message
    );
}

// ---- ec2_tag_instance_from_vpc ----

async fn instance_tag(ec2: &aws_sdk_ec2::Client, id: &str, key: &str) -> Option<String> {
    describe(ec2, id)
        .await
        .tags()
        .iter()
        .find(|t| t.key() == Some(key))
        .and_then(|t| t.value().map(str::to_string))
}

#[tokio::test]
async fn tag_instance_from_vpc_copies_the_vpc_tag() {
    let ec2 = ec2().await;
    let (id, vpc_id) = instance_in_new_vpc(&ec2).await;
    ec2.create_tags()
        .resources(&vpc_id)
        .tags(Tag::builder().key("Owner").value("network team").build())
        .send()
        .await
        .expect("create_tags");
    let line = "ec2_tag_instance_from_vpc Owner";

    let dry = run_ok(line, instance(&id), Mode::DryRun).await;
    assert_eq!(dry.status, OutcomeStatus::DryRun);
    assert_eq!(
        dry.changes,
        [format!(
            "tag instance {id} with Owner=network team from VPC {vpc_id}"
        )]
    );
    assert_eq!(instance_tag(&ec2, &id, "Owner").await, None, "dry-run");

    let first = run_ok(line, instance(&id), Mode::Enforce).await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert_eq!(
        instance_tag(&ec2, &id, "Owner").await.as_deref(),
        Some("network team")
    );

    let second = run_ok(line, instance(&id), Mode::Enforce).await;
    assert_eq!(second.status, OutcomeStatus::AlreadyCompliant);

    let untagged = run_ok(
        "ec2_tag_instance_from_vpc CostCenter",
        instance(&id),
        Mode::Enforce,
    )
    .await;
    assert_eq!(untagged.status, OutcomeStatus::Skipped);
    assert_eq!(
        untagged.message,
        format!("VPC {vpc_id} of instance {id} has no tag CostCenter: nothing to copy")
    );
    skipped_when_missing(line).await;
}
