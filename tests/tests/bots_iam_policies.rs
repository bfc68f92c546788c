//! IAM policy, role and permission-boundary bots on the local stack: the attached policies,
//! inline policies and policy versions IAM reports after each run.

use aws_sdk_cloudtrail::operation::lookup_events::LookupEventsOutput;
use aws_sdk_cloudtrail::primitives::{DateTime, DateTimeFormat};
use aws_sdk_cloudtrail::types::{Event, Resource};
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use cloudbots_cli::local::{ADMIN_USER, LOCAL_ACCOUNT, LOCAL_REGION};
use cloudbots_functions::bots::{self, iam_policies::user_detach_with};
use cloudbots_functions::lambda::run_step;
use cloudbots_functions::session::Sessions;
use cloudbots_shared::error::ErrorName;
use cloudbots_shared::outcome::{BotInput, OutcomeStatus};
use cloudbots_shared::plan::{Mode, Target};
use cloudbots_tests::iam::{
    create_bot_role, document, group_entity, member_role, new_group, new_policy, new_role,
    new_user, policy_entity, role_entity, role_policies, user_entity, user_policies, TRUST_EC2,
};
use cloudbots_tests::{
    aws, bot_aws, entity, run_bot, run_line, run_ok, stack, step_input, unique_name, MEMBER_ACCOUNT,
};
use serde_json::{json, Value};

async fn iam() -> aws_sdk_iam::Client {
    aws_sdk_iam::Client::new(&aws().await)
}

/// An IAM client signed as the user `bot` runs as, with IAM enforced: the bot's own calls
/// are checked against its role's actions (CloudTrail, mocked, is not).
async fn as_bot(bot: &str) -> aws_sdk_iam::Client {
    aws_sdk_iam::Client::new(&bot_aws(bot).await)
}

async fn group_policies(iam: &aws_sdk_iam::Client, group: &str) -> Vec<String> {
    let out = iam
        .list_attached_group_policies()
        .group_name(group)
        .send()
        .await
        .expect("list_attached_group_policies");
    out.attached_policies()
        .iter()
        .map(|p| p.policy_arn().unwrap().to_string())
        .collect()
}

// ---- iam_role_attach_policy / iam_user_attach_policy ----

#[tokio::test]
async fn role_attach_policy_attaches_the_policy_once() {
    let iam = iam().await;
    let role = new_role(&iam, "cloudbots-app").await;
    let arn = "arn:aws:iam::aws:policy/ReadOnlyAccess";
    let line = format!("iam_role_attach_policy policy_arn={arn}");

    let dry = run_ok(&line, role_entity(&role), Mode::DryRun).await;
    assert_eq!(dry.status, OutcomeStatus::DryRun);
    assert_eq!(
        dry.changes,
        vec![format!("attach policy {arn} to IAM role {role}")]
    );
    assert!(
        role_policies(&iam, &role).await.is_empty(),
        "dry-run changes nothing"
    );

    let first = run_ok(&line, role_entity(&role), Mode::Enforce).await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert_eq!(role_policies(&iam, &role).await, vec![arn.to_string()]);

    let second = run_ok(&line, role_entity(&role), Mode::Enforce).await;
    assert_eq!(second.status, OutcomeStatus::AlreadyCompliant);
    assert_eq!(
        second.message,
        format!("IAM role {role} already has policy {arn} attached")
    );

    let missing = run_ok(&line, role_entity("cloudbots-no-such-role"), Mode::Enforce).await;
    assert_eq!(missing.status, OutcomeStatus::Skipped);
    assert_eq!(
        missing.message,
        "IAM role cloudbots-no-such-role does not exist (any more): nothing to attach the policy to"
    );
}

#[tokio::test]
async fn user_attach_policy_resolves_the_account_placeholder() {
    let iam = iam().await;
    let user = new_user(&iam, "cloudbots-dev").await;
    let arn = new_policy(&iam, "cloudbots-restricted", "s3:GetObject").await;
    let name = arn.rsplit('/').next().unwrap();
    let line = format!("iam_user_attach_policy arn:aws:iam::$ACCOUNT_ID:policy/{name}");

    let dry = run_ok(&line, user_entity(&user), Mode::DryRun).await;
    assert_eq!(
        dry.changes,
        vec![format!("attach policy {arn} to IAM user {user}")]
    );
    assert!(user_policies(&iam, &user).await.is_empty());

    let first = run_ok(&line, user_entity(&user), Mode::Enforce).await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert_eq!(user_policies(&iam, &user).await, vec![arn.clone()]);
    let second = run_ok(&line, user_entity(&user), Mode::Enforce).await;
    assert_eq!(second.status, OutcomeStatus::AlreadyCompliant);

    let missing = run_ok(&line, user_entity("cloudbots-nobody"), Mode::Enforce).await;
    assert_eq!(missing.status, OutcomeStatus::Skipped);

    let absent = format!("arn:aws:iam::{LOCAL_ACCOUNT}:policy/cloudbots-no-such-policy");
    let error = run_line(
        &format!("iam_user_attach_policy policy_arn={absent}"),
        user_entity(&user),
        Mode::Enforce,
    )
    .await
    .unwrap_err();
    assert_eq!(error.name, ErrorName::InvalidInput);
    assert_eq!(
        error.message,
        format!("policy {absent} does not exist in account {LOCAL_ACCOUNT}: nothing was changed")
    );
    assert_eq!(user_policies(&iam, &user).await, vec![arn]);
}

// ---- iam_detach_policy ----

#[tokio::test]
async fn detach_policy_detaches_it_from_every_group_role_and_user() {
    let iam = iam().await;
    let arn = new_policy(&iam, "cloudbots-blanket", "*").await;
    let role = new_role(&iam, "cloudbots-holder").await;
    let user = new_user(&iam, "cloudbots-holder").await;
    let group = new_group(&iam, "cloudbots-holders").await;
    iam.attach_role_policy()
        .role_name(&role)
        .policy_arn(&arn)
        .send()
        .await
        .unwrap();
    iam.attach_user_policy()
        .user_name(&user)
        .policy_arn(&arn)
        .send()
        .await
        .unwrap();
    iam.attach_group_policy()
        .group_name(&group)
        .policy_arn(&arn)
        .send()
        .await
        .unwrap();

    let dry = run_ok("iam_detach_policy", policy_entity(&arn), Mode::DryRun).await;
    assert_eq!(dry.status, OutcomeStatus::DryRun);
    assert_eq!(
        dry.changes,
        vec![
            format!("detach policy {arn} from IAM group {group}"),
            format!("detach policy {arn} from IAM role {role}"),
            format!("detach policy {arn} from IAM user {user}"),
        ]
    );
    assert_eq!(role_policies(&iam, &role).await, vec![arn.clone()]);

    let first = run_ok("iam_detach_policy", policy_entity(&arn), Mode::Enforce).await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert_eq!(first.changes, dry.changes);
    assert!(role_policies(&iam, &role).await.is_empty());
    assert!(user_policies(&iam, &user).await.is_empty());
    assert!(group_policies(&iam, &group).await.is_empty());

    let second = run_ok("iam_detach_policy", policy_entity(&arn), Mode::Enforce).await;
    assert_eq!(second.status, OutcomeStatus::AlreadyCompliant);
    assert_eq!(
        second.message,
        format!("Policy {arn} is not attached to any group, role or user")
    );

    let absent = format!("arn:aws:iam::{LOCAL_ACCOUNT}:policy/cloudbots-gone");
    let missing = run_ok("iam_detach_policy", policy_entity(&absent), Mode::Enforce).await;
    assert_eq!(missing.status, OutcomeStatus::Skipped);
    assert_eq!(
        missing.message,
        format!("Policy {absent} does not exist (any more): nothing to detach")
    );
}

// ---- iam_group_delete_inline_policy / iam_user_delete_inline_policies ----

async fn group_inline(iam: &aws_sdk_iam::Client, group: &str) -> Vec<String> {
    iam.list_group_policies()
        .group_name(group)
        .send()
        .await
        .expect("list_group_policies")
        .policy_names()
        .to_vec()
}

async fn user_inline(iam: &aws_sdk_iam::Client, user: &str) -> Vec<String> {
    iam.list_user_policies()
        .user_name(user)
        .send()
        .await
        .expect("list_user_policies")
        .policy_names()
        .to_vec()
}

#[tokio::test]
async fn group_delete_inline_policy_deletes_every_inline_policy() {
    let iam = iam().await;
    let group = new_group(&iam, "cloudbots-inline").await;
    for (name, action) in [("admin", "*"), ("reader", "s3:GetObject")] {
        iam.put_group_policy()
            .group_name(&group)
            .policy_name(name)
            .policy_document(document(action))
            .send()
            .await
            .expect("put_group_policy");
    }

    let dry = run_ok(
        "iam_group_delete_inline_policy",
        group_entity(&group),
        Mode::DryRun,
    )
    .await;
    assert_eq!(
        dry.changes,
        vec![
            format!("delete inline policy admin of IAM group {group}"),
            format!("delete inline policy reader of IAM group {group}"),
        ]
    );
    assert_eq!(
        group_inline(&iam, &group).await.len(),
        2,
        "dry-run changes nothing"
    );

    let first = run_ok(
        "iam_group_delete_inline_policy",
        group_entity(&group),
        Mode::Enforce,
    )
    .await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert!(group_inline(&iam, &group).await.is_empty());

    let second = run_ok(
        "iam_group_delete_inline_policy",
        group_entity(&group),
        Mode::Enforce,
    )
    .await;
    assert_eq!(second.status, OutcomeStatus::AlreadyCompliant);
    assert_eq!(
        second.message,
        format!("IAM group {group} has no inline policies")
    );

    let missing = run_ok(
        "iam_group_delete_inline_policy",
        group_entity("cloudbots-no-such-group"),
        Mode::Enforce,
    )
    .await;
    assert_eq!(missing.status, OutcomeStatus::Skipped);
    assert_eq!(
        missing.message,
        "IAM group cloudbots-no-such-group does not exist (any more): no inline policy to delete"
    );
}

#[tokio::test]
async fn user_delete_inline_policies_attaches_replacements_then_deletes() {
    let iam = iam().await;
    let user = new_user(&iam, "cloudbots-inline").await;
    iam.put_user_policy()
        .user_name(&user)
        .policy_name("everything")
        .policy_document(document("*"))
        .send()
        .await
        .expect("put_user_policy");
    let replacement = new_policy(&iam, "cloudbots-replacement", "s3:GetObject").await;
    let name = replacement.rsplit('/').next().unwrap();
    let line = format!(
        "iam_user_delete_inline_policies arn:aws:iam::aws:policy/ReadOnlyAccess,arn:aws:iam::$ACCOUNT_ID:policy/{name}"
    );

    let dry = run_ok(&line, user_entity(&user), Mode::DryRun).await;
    assert_eq!(
        dry.changes,
        vec![
            format!("attach policy arn:aws:iam::aws:policy/ReadOnlyAccess to IAM user {user}"),
            format!("attach policy {replacement} to IAM user {user}"),
            format!("delete inline policy everything of IAM user {user}"),
        ]
    );
    assert_eq!(
        user_inline(&iam, &user).await,
        vec!["everything".to_string()]
    );
    assert!(user_policies(&iam, &user).await.is_empty());

    let first = run_ok(&line, user_entity(&user), Mode::Enforce).await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert!(user_inline(&iam, &user).await.is_empty());
    let mut attached = user_policies(&iam, &user).await;
    attached.sort();
    let mut expected = vec![
        "arn:aws:iam::aws:policy/ReadOnlyAccess".to_string(),
        replacement,
    ];
    expected.sort();
    assert_eq!(attached, expected);

    let second = run_ok(&line, user_entity(&user), Mode::Enforce).await;
    assert_eq!(second.status, OutcomeStatus::AlreadyCompliant);

    let missing = run_ok(&line, user_entity("cloudbots-nobody"), Mode::Enforce).await;
    assert_eq!(missing.status, OutcomeStatus::Skipped);
    assert_eq!(
        missing.message,
        "IAM user cloudbots-nobody does not exist (any more): no inline policy to delete"
    );
}

#[tokio::test]
async fn user_delete_inline_policies_changes_nothing_when_a_replacement_is_missing() {
    let iam = iam().await;
    let user = new_user(&iam, "cloudbots-inline").await;
    iam.put_user_policy()
        .user_name(&user)
        .policy_name("everything")
        .policy_document(document("*"))
        .send()
        .await
        .expect("put_user_policy");
    let error = run_line(
        "iam_user_delete_inline_policies arn:aws:iam::$ACCOUNT_ID:policy/cloudbots-absent",
        user_entity(&user),
        Mode::Enforce,
    )
    .await
    .unwrap_err();
    assert_eq!(error.name, ErrorName::InvalidInput);
    assert_eq!(
        user_inline(&iam, &user).await,
        vec!["everything".to_string()]
    );
}

// ---- iam_delete_default_policy_version ----

async fn versions(iam: &aws_sdk_iam::Client, arn: &str) -> (Vec<String>, String) {
    let out = iam
        .list_policy_versions()
        .policy_arn(arn)
        .send()
        .await
        .expect("list_policy_versions");
    let mut ids: Vec<String> = out
        .versions()
        .iter()
        .map(|v| v.version_id().unwrap().to_string())
        .collect();
    ids.sort();
    let default = out
        .versions()
        .iter()
        .find(|v| v.is_default_version())
        .map(|v| v.version_id().unwrap().to_string())
        .unwrap();
    (ids, default)
}

#[tokio::test]
async fn delete_default_policy_version_restores_the_newest_other_version_once() {
    let iam = iam().await;
    let arn = new_policy(&iam, "cloudbots-versioned", "s3:GetObject").await;
    for action in ["s3:PutObject", "*"] {
        iam.create_policy_version()
            .policy_arn(&arn)
            .policy_document(document(action))
            .set_as_default(true)
            .send()
            .await
            .expect("create_policy_version");
    }
    assert_eq!(
        versions(&iam, &arn).await,
        (vec!["v1".into(), "v2".into(), "v3".into()], "v3".into())
    );

    let dry = run_ok(
        "iam_delete_default_policy_version",
        policy_entity(&arn),
        Mode::DryRun,
    )
    .await;
    assert_eq!(
        dry.changes,
        vec![
            format!("make version v2 the default of policy {arn}"),
            format!("delete version v3 of policy {arn}"),
        ]
    );
    assert_eq!(
        versions(&iam, &arn).await.1,
        "v3",
        "dry-run changes nothing"
    );

    let first = run_ok(
        "iam_delete_default_policy_version",
        policy_entity(&arn),
        Mode::Enforce,
    )
    .await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert_eq!(
        versions(&iam, &arn).await,
        (vec!["v1".into(), "v2".into()], "v2".into())
    );

    let second = run_ok(
        "iam_delete_default_policy_version",
        policy_entity(&arn),
        Mode::Enforce,
    )
    .await;
    assert_eq!(
        second.status,
        OutcomeStatus::AlreadyCompliant,
        "{}",
        second.message
    );
    assert_eq!(
        versions(&iam, &arn).await,
        (vec!["v1".into(), "v2".into()], "v2".into()),
        "the second run deletes nothing more"
    );

    let single = new_policy(&iam, "cloudbots-single", "s3:GetObject").await;
    let only = run_ok(
        "iam_delete_default_policy_version",
        policy_entity(&single),
        Mode::Enforce,
    )
    .await;
    assert_eq!(only.status, OutcomeStatus::Skipped);
    assert_eq!(
        only.message,
        format!("Version v1 is the only version of policy {single}: a policy needs a default version, so it cannot be deleted")
    );

    let absent = format!("arn:aws:iam::{LOCAL_ACCOUNT}:policy/cloudbots-gone");
    let missing = run_ok(
        "iam_delete_default_policy_version",
        policy_entity(&absent),
        Mode::Enforce,
    )
    .await;
    assert_eq!(missing.status, OutcomeStatus::Skipped);
}

// ---- iam_user_detach (Log.ic) ----

const ALERT: &str = "2026-11-30T10:00:00Z";

fn alert_secs() -> i64 {
    DateTime::from_str(ALERT, DateTimeFormat::DateTime)
        .expect("an RFC 3339 time")
        .secs()
}

/// A CloudTrail whose only AddUserToGroup event, 3 s after the alert, added `user` to `group`.
/// (The local stack does not serve CloudTrail LookupEvents, so it is mocked; IAM is real.)
fn cloudtrail_with_membership(user: &str, group: &str) -> aws_sdk_cloudtrail::Client {
    let record = json!({
        "eventName": "AddUserToGroup",
        "requestParameters": {"groupName": group, "userName": user}
    })
    .to_string();
    let user = user.to_string();
    let rule = mock!(aws_sdk_cloudtrail::Client::lookup_events).then_output(move || {
        LookupEventsOutput::builder()
            .events(
                Event::builder()
                    .event_name("AddUserToGroup")
                    .event_time(DateTime::from_secs(alert_secs() + 3))
                    .resources(Resource::builder().resource_name(&user).build())
                    .cloud_trail_event(record.clone())
                    .build(),
            )
            .build()
    });
    mock_client!(aws_sdk_cloudtrail, RuleMode::MatchAny, [&rule])
}

fn user_detach_input(user: &str, mode: Mode) -> BotInput {
    let mut input = step_input(
        "iam_user_detach",
        user_entity(user),
        "iam_user_detach",
        mode,
    );
    input.finding.event_time = Some(ALERT.to_string());
    input
}

async fn groups_of(iam: &aws_sdk_iam::Client, user: &str) -> Vec<String> {
    iam.list_groups_for_user()
        .user_name(user)
        .send()
        .await
        .expect("list_groups_for_user")
        .groups()
        .iter()
        .map(|g| g.group_name().to_string())
        .collect()
}

#[tokio::test]
async fn user_detach_removes_the_user_from_the_group_of_the_event() {
    let iam = iam().await;
    let user = new_user(&iam, "cloudbots-joiner").await;
    let group = new_group(&iam, "cloudbots-admins").await;
    let other = new_group(&iam, "cloudbots-readers").await;
    for g in [&group, &other] {
        iam.add_user_to_group()
            .user_name(&user)
            .group_name(g)
            .send()
            .await
            .unwrap();
    }
    let cloudtrail = cloudtrail_with_membership(&user, &group);

    let dry = user_detach_with(
        &user_detach_input(&user, Mode::DryRun),
        &cloudtrail,
        &as_bot("iam_user_detach").await,
    )
    .await
    .unwrap();
    assert_eq!(dry.status, OutcomeStatus::DryRun);
    assert_eq!(
        dry.changes,
        vec![format!("remove IAM user {user} from IAM group {group}")]
    );
    assert_eq!(
        groups_of(&iam, &user).await.len(),
        2,
        "dry-run changes nothing"
    );

    let first = user_detach_with(
        &user_detach_input(&user, Mode::Enforce),
        &cloudtrail,
        &as_bot("iam_user_detach").await,
    )
    .await
    .unwrap();
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert_eq!(
        groups_of(&iam, &user).await,
        vec![other.clone()],
        "only the event's group"
    );

    let second = user_detach_with(
        &user_detach_input(&user, Mode::Enforce),
        &cloudtrail,
        &as_bot("iam_user_detach").await,
    )
    .await
    .unwrap();
    assert_eq!(second.status, OutcomeStatus::AlreadyCompliant);
    assert_eq!(
        second.message,
        format!("IAM user {user} is not a member of IAM group {group}")
    );

    let gone_user = "cloudbots-departed";
    let missing = user_detach_with(
        &user_detach_input(gone_user, Mode::Enforce),
        &cloudtrail_with_membership(gone_user, &group),
        &as_bot("iam_user_detach").await,
    )
    .await
    .unwrap();
    assert_eq!(missing.status, OutcomeStatus::Skipped);
    assert_eq!(
        missing.message,
        "IAM user cloudbots-departed does not exist (any more): nothing to detach"
    );

    let quiet = mock!(aws_sdk_cloudtrail::Client::lookup_events)
        .then_output(|| LookupEventsOutput::builder().build());
    let no_event = user_detach_with(
        &user_detach_input(&user, Mode::Enforce),
        &mock_client!(aws_sdk_cloudtrail, RuleMode::MatchAny, [&quiet]),
        &as_bot("iam_user_detach").await,
    )
    .await
    .unwrap();
    assert_eq!(no_event.status, OutcomeStatus::Skipped);
    assert_eq!(
        no_event.message,
        format!("No AddUserToGroup event for IAM user {user} in CloudTrail within 30 s of {ALERT}: nothing to undo")
    );
}

// ---- iam_entity_remove_permission_boundary ----

async fn role_boundary(iam: &aws_sdk_iam::Client, role: &str) -> Option<String> {
    iam.get_role()
        .role_name(role)
        .send()
        .await
        .expect("get_role")
        .role()
        .and_then(|r| r.permissions_boundary())
        .and_then(|b| b.permissions_boundary_arn())
        .map(str::to_string)
}

async fn bounded_role(iam: &aws_sdk_iam::Client, boundary: &str) -> String {
    let role = new_role(iam, "cloudbots-bounded").await;
    iam.put_role_permissions_boundary()
        .role_name(&role)
        .permissions_boundary(boundary)
        .send()
        .await
        .expect("put_role_permissions_boundary");
    role
}

fn role_arn(role: &str) -> String {
    format!("arn:aws:iam::{LOCAL_ACCOUNT}:role/{role}")
}

#[tokio::test]
async fn remove_permission_boundary_of_one_role() {
    let iam = iam().await;
    let boundary = "arn:aws:iam::aws:policy/ReadOnlyAccess";
    let role = bounded_role(&iam, boundary).await;
    let target = entity("IamRole", &role, &role);

    for line in [
        format!(
            "iam_entity_remove_permission_boundary entity_arn={} --dryRun",
            role_arn(&role)
        ),
        format!(
            "iam_entity_remove_permission_boundary entity_arn={}",
            role_arn(&role)
        ),
    ] {
        let mode = if line.ends_with("--dryRun") {
            Mode::Enforce
        } else {
            Mode::DryRun
        };
        let dry = run_ok(&line, target.clone(), mode).await;
        assert_eq!(dry.status, OutcomeStatus::DryRun, "{line}");
        assert_eq!(
            dry.changes,
            vec![format!(
                "remove permissions boundary {boundary} from IAM role {role}"
            )]
        );
    }
    assert_eq!(
        role_boundary(&iam, &role).await.as_deref(),
        Some(boundary),
        "dry-run changes nothing"
    );

    let line = format!(
        "iam_entity_remove_permission_boundary entity_arn={}",
        role_arn(&role)
    );
    let first = run_ok(&line, target.clone(), Mode::Enforce).await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert_eq!(role_boundary(&iam, &role).await, None);

    let second = run_ok(&line, target.clone(), Mode::Enforce).await;
    assert_eq!(second.status, OutcomeStatus::AlreadyCompliant);
    assert_eq!(
        second.message,
        format!("IAM role {role} has no permissions boundary")
    );

    let missing = run_ok(
        &format!(
            "iam_entity_remove_permission_boundary entity_arn={}",
            role_arn("cloudbots-no-such-role")
        ),
        target.clone(),
        Mode::Enforce,
    )
    .await;
    assert_eq!(missing.status, OutcomeStatus::Skipped);
    assert_eq!(
        missing.message,
        "IAM role cloudbots-no-such-role does not exist (any more): no permissions boundary to remove"
    );

    let foreign = run_line(
        "iam_entity_remove_permission_boundary entity_arn=arn:aws:iam::210987654321:role/x",
        target,
        Mode::Enforce,
    )
    .await
    .unwrap_err();
    assert_eq!(foreign.name, ErrorName::InvalidInput);
    assert_eq!(
        foreign.message,
        format!("the parameters name account 210987654321, but this finding is in account {LOCAL_ACCOUNT}: cloudbots acts only in the finding's account")
    );
}

fn sorted(mut items: Vec<String>) -> Vec<String> {
    items.sort();
    items
}

/// An account of its own (moto scopes calls made with an assumed role to the role's account),
/// so removing every boundary of "all" identities touches no other test's roles.
const ISOLATED_ACCOUNT: &str = MEMBER_ACCOUNT;

#[tokio::test]
async fn remove_permission_boundary_of_every_role_and_user_of_the_account() {
    let config = stack()
        .sdk_config_in(ISOLATED_ACCOUNT, LOCAL_REGION)
        .await
        .expect("an administrator in the isolated account");
    let iam = aws_sdk_iam::Client::new(&config);
    let member = member_role("iam_entity_remove_permission_boundary", ISOLATED_ACCOUNT).await;
    let isolated_target = Target {
        account_id: ISOLATED_ACCOUNT.to_string(),
        region: "us-east-1".to_string(),
        role_arn: Some(member),
    };
    let boundary = "arn:aws:iam::aws:policy/ReadOnlyAccess";
    let mut bounded = vec![
        bounded_role(&iam, boundary).await,
        bounded_role(&iam, boundary).await,
    ];
    bounded.sort();
    let free = new_role(&iam, "cloudbots-free").await;
    new_user(&iam, "cloudbots-unbounded").await;
    let line = format!(
        "iam_entity_remove_permission_boundary entity_arn=all cloud_account_id={ISOLATED_ACCOUNT}"
    );
    let input = |mode| {
        let mut input = step_input(
            &line,
            role_entity(&free),
            "iam_entity_remove_permission_boundary",
            mode,
        );
        input.target = isolated_target.clone();
        input
    };
    let expected: Vec<String> = bounded
        .iter()
        .map(|role| format!("remove permissions boundary {boundary} from IAM role {role}"))
        .collect();

    let dry = run_bot(input(Mode::DryRun)).await.unwrap();
    assert_eq!(dry.status, OutcomeStatus::DryRun);
    assert_eq!(sorted(dry.changes), expected, "only the bounded roles");
    assert_eq!(
        role_boundary(&iam, &bounded[0]).await.as_deref(),
        Some(boundary)
    );

    let first = run_bot(input(Mode::Enforce)).await.unwrap();
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert_eq!(sorted(first.changes), expected);
    for role in &bounded {
        assert_eq!(role_boundary(&iam, role).await, None, "{role}");
    }

    let second = run_bot(input(Mode::Enforce)).await.unwrap();
    assert_eq!(second.status, OutcomeStatus::AlreadyCompliant);
    assert_eq!(
        second.message,
        format!("No IAM role or user of account {ISOLATED_ACCOUNT} has a permissions boundary")
    );
}

// ---- iam_role_clone_with_non_enumerable_name ----

async fn inline_of_role(iam: &aws_sdk_iam::Client, role: &str) -> Vec<String> {
    iam.list_role_policies()
        .role_name(role)
        .send()
        .await
        .expect("list_role_policies")
        .policy_names()
        .to_vec()
}

#[tokio::test]
async fn role_clone_copies_the_role_and_its_policies_once() {
    let iam = iam().await;
    let role = unique_name("cloudbots-ec2-app");
    iam.create_role()
        .role_name(&role)
        .path("/apps/")
        .description("the app role")
        .max_session_duration(7200)
        .assume_role_policy_document(TRUST_EC2)
        .permissions_boundary("arn:aws:iam::aws:policy/PowerUserAccess")
        .tags(
            aws_sdk_iam::types::Tag::builder()
                .key("team")
                .value("blue")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("create_role");
    iam.put_role_policy()
        .role_name(&role)
        .policy_name("read-buckets")
        .policy_document(document("s3:GetObject"))
        .send()
        .await
        .expect("put_role_policy");
    iam.attach_role_policy()
        .role_name(&role)
        .policy_arn("arn:aws:iam::aws:policy/ReadOnlyAccess")
        .send()
        .await
        .expect("attach_role_policy");
    let bot = "iam_role_clone_with_non_enumerable_name";

    let dry = run_ok(bot, role_entity(&role), Mode::DryRun).await;
    let shown = format!("{role}-<20 random characters>");
    assert_eq!(
        dry.changes,
        vec![
            format!("create IAM role {shown} with the trust policy, path, description, session duration, permissions boundary and tags of IAM role {role}"),
            format!("copy inline policy read-buckets to IAM role {shown}"),
            format!("attach policy arn:aws:iam::aws:policy/ReadOnlyAccess to IAM role {shown}"),
        ]
    );

    let first = run_ok(bot, role_entity(&role), Mode::Enforce).await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    let clone = first.artifacts[0].clone();
    let suffix = clone
        .strip_prefix(&format!("{role}-"))
        .expect("<role>-<suffix>");
    assert_eq!(suffix.len(), 20);
    assert!(suffix
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "+=,.@-_".contains(c)));

    let copy = iam
        .get_role()
        .role_name(&clone)
        .send()
        .await
        .expect("the clone exists");
    let copy = copy.role().unwrap();
    assert_eq!(copy.path(), "/apps/");
    assert_eq!(copy.description(), Some("the app role"));
    assert_eq!(copy.max_session_duration(), Some(7200));
    assert_eq!(
        copy.permissions_boundary()
            .and_then(|b| b.permissions_boundary_arn()),
        Some("arn:aws:iam::aws:policy/PowerUserAccess")
    );
    let trust: Value = serde_json::from_str(&cloudbots_shared::policy::decode_policy_document(
        copy.assume_role_policy_document().unwrap(),
    ))
    .unwrap();
    assert_eq!(trust, serde_json::from_str::<Value>(TRUST_EC2).unwrap());
    let tags: Vec<(String, String)> = iam
        .list_role_tags()
        .role_name(&clone)
        .send()
        .await
        .unwrap()
        .tags()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect();
    assert!(tags.contains(&("team".into(), "blue".into())), "{tags:?}");
    assert!(
        tags.contains(&("cloudbots-clone-of".into(), role.clone())),
        "{tags:?}"
    );
    assert_eq!(
        inline_of_role(&iam, &clone).await,
        vec!["read-buckets".to_string()]
    );
    let copied = iam
        .get_role_policy()
        .role_name(&clone)
        .policy_name("read-buckets")
        .send()
        .await
        .unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&cloudbots_shared::policy::decode_policy_document(
            copied.policy_document()
        ))
        .unwrap(),
        serde_json::from_str::<Value>(&document("s3:GetObject")).unwrap()
    );
    assert_eq!(
        role_policies(&iam, &clone).await,
        vec!["arn:aws:iam::aws:policy/ReadOnlyAccess".to_string()]
    );
    assert!(
        iam.get_role().role_name(&role).send().await.is_ok(),
        "the original is kept"
    );

    let second = run_ok(bot, role_entity(&role), Mode::Enforce).await;
    assert_eq!(
        second.status,
        OutcomeStatus::AlreadyCompliant,
        "{}",
        second.message
    );
    assert!(second.message.contains(&clone));

    // A policy added to the original later is copied to the same clone, not to a new one.
    iam.put_role_policy()
        .role_name(&role)
        .policy_name("write-logs")
        .policy_document(document("logs:PutLogEvents"))
        .send()
        .await
        .unwrap();
    let third = run_ok(bot, role_entity(&role), Mode::Enforce).await;
    assert_eq!(third.status, OutcomeStatus::Remediated);
    assert!(third.artifacts.is_empty(), "no new role");
    assert_eq!(
        third.changes,
        vec![format!("copy inline policy write-logs to IAM role {clone}")]
    );
    let mut inline = inline_of_role(&iam, &clone).await;
    inline.sort();
    assert_eq!(
        inline,
        vec!["read-buckets".to_string(), "write-logs".to_string()]
    );

    let missing = run_ok(bot, role_entity("cloudbots-no-such-role"), Mode::Enforce).await;
    assert_eq!(missing.status, OutcomeStatus::Skipped);
    assert_eq!(
        missing.message,
        "IAM role cloudbots-no-such-role does not exist (any more): nothing to clone"
    );
}

// ---- iam_entity_create_and_attach_permission_boundary (CIEM) ----

const CREATE_BOUNDARY: &str = "iam_entity_create_and_attach_permission_boundary";

/// The step of a CIEM finding whose SuggestedRole policy allows `actions`.
fn ciem_input(line: &str, role: &str, actions: &[&str], mode: Mode) -> BotInput {
    let mut input = step_input(line, role_entity(role), CREATE_BOUNDARY, mode);
    input.step.context.suggested_policy = Some(suggestion(actions));
    input
}

fn suggestion(actions: &[&str]) -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]})
}

async fn default_document(iam: &aws_sdk_iam::Client, arn: &str) -> Value {
    let policy = iam
        .get_policy()
        .policy_arn(arn)
        .send()
        .await
        .expect("get_policy");
    let version = policy.policy().unwrap().default_version_id().unwrap();
    let out = iam
        .get_policy_version()
        .policy_arn(arn)
        .version_id(version)
        .send()
        .await
        .expect("get_policy_version");
    serde_json::from_str(&cloudbots_shared::policy::decode_policy_document(
        out.policy_version().unwrap().document().unwrap(),
    ))
    .unwrap()
}

#[tokio::test]
async fn create_and_attach_permission_boundary_bounds_the_role_with_the_suggestion() {
    let iam = iam().await;
    let role = new_role(&iam, "cloudbots-overprivileged").await;
    let policy_arn = format!("arn:aws:iam::{LOCAL_ACCOUNT}:policy/CIEMSuggestion-{role}");
    let read = ["s3:GetObject"];

    for (line, mode) in [
        (format!("{CREATE_BOUNDARY} dryRun"), Mode::Enforce),
        (format!("{CREATE_BOUNDARY} --dryRun"), Mode::Enforce),
        (CREATE_BOUNDARY.to_string(), Mode::DryRun),
    ] {
        let dry = run_bot(ciem_input(&line, &role, &read, mode))
            .await
            .unwrap();
        assert_eq!(dry.status, OutcomeStatus::DryRun, "{line}");
        assert_eq!(
            dry.changes,
            vec![
                format!("create policy {policy_arn} from the CIEM suggested policy"),
                format!("set {policy_arn} as the permissions boundary of IAM role {role}"),
            ]
        );
    }
    assert_eq!(
        role_boundary(&iam, &role).await,
        None,
        "dry-run changes nothing"
    );
    assert!(iam
        .get_policy()
        .policy_arn(&policy_arn)
        .send()
        .await
        .is_err());

    let first = run_bot(ciem_input(CREATE_BOUNDARY, &role, &read, Mode::Enforce))
        .await
        .unwrap();
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert_eq!(first.artifacts, vec![policy_arn.clone()]);
    assert_eq!(role_boundary(&iam, &role).await, Some(policy_arn.clone()));
    assert_eq!(default_document(&iam, &policy_arn).await, suggestion(&read));

    let second = run_bot(ciem_input(CREATE_BOUNDARY, &role, &read, Mode::Enforce))
        .await
        .unwrap();
    assert_eq!(
        second.status,
        OutcomeStatus::AlreadyCompliant,
        "{}",
        second.message
    );

    // A new suggestion becomes the policy's default version; the boundary stays.
    let narrower = ["s3:ListBucket"];
    let third = run_bot(ciem_input(CREATE_BOUNDARY, &role, &narrower, Mode::Enforce))
        .await
        .unwrap();
    assert_eq!(third.status, OutcomeStatus::Remediated);
    assert_eq!(
        third.changes,
        vec![format!(
            "make the CIEM suggested policy the default version of policy {policy_arn}"
        )]
    );
    assert_eq!(
        default_document(&iam, &policy_arn).await,
        suggestion(&narrower)
    );
    assert_eq!(role_boundary(&iam, &role).await, Some(policy_arn));

    let missing = run_bot(ciem_input(
        CREATE_BOUNDARY,
        "cloudbots-no-such-role",
        &read,
        Mode::Enforce,
    ))
    .await
    .unwrap();
    assert_eq!(missing.status, OutcomeStatus::Skipped);
    assert_eq!(
        missing.message,
        "IAM role cloudbots-no-such-role does not exist (any more): nothing to bound"
    );

    let mut no_suggestion = ciem_input(CREATE_BOUNDARY, &role, &read, Mode::Enforce);
    no_suggestion.step.context.suggested_policy = None;
    let error = run_bot(no_suggestion).await.unwrap_err();
    assert_eq!(error.name, ErrorName::InvalidInput);
}

#[tokio::test]
async fn create_and_attach_permission_boundary_spares_the_roles_cloudbots_runs_as() {
    let iam = iam().await;
    let read = ["s3:GetObject"];

    // Multi mode: the member role the step assumes.
    let member_arn = member_role(CREATE_BOUNDARY, LOCAL_ACCOUNT).await;
    let member = member_arn.rsplit('/').next().unwrap().to_string();
    let mut input = ciem_input(CREATE_BOUNDARY, &member, &read, Mode::Enforce);
    input.target.role_arn = Some(member_arn);
    let refused = run_bot(input).await.unwrap();
    assert_eq!(refused.status, OutcomeStatus::Skipped);
    assert!(
        refused.message.starts_with(&format!(
            "IAM role {member} is the member-account role cloudbots assumes"
        )),
        "{}",
        refused.message
    );
    assert_eq!(role_boundary(&iam, &member).await, None);

    // Single mode: the function's own role, as STS GetCallerIdentity names it.
    let function_role = unique_name("cloudbots-function");
    let admin = format!("arn:aws:iam::{LOCAL_ACCOUNT}:user/{ADMIN_USER}");
    create_bot_role(&iam, &function_role, &admin, CREATE_BOUNDARY).await;
    let own_account = Target {
        account_id: LOCAL_ACCOUNT.to_string(),
        region: "us-east-1".to_string(),
        role_arn: Some(role_arn(&function_role)),
    };
    let as_function = Sessions::new(aws().await, None)
        .for_target(&own_account, "cloudbots-test")
        .await
        .expect("assume the function's role");
    let input = ciem_input(CREATE_BOUNDARY, &function_role, &read, Mode::Enforce);
    assert_eq!(input.target.role_arn, None);
    let bot = bots::find(CREATE_BOUNDARY).unwrap();
    let refused = run_step(bot, &Sessions::new(as_function, None), input)
        .await
        .unwrap();
    assert_eq!(refused.status, OutcomeStatus::Skipped);
    assert!(
        refused.message.starts_with(&format!(
            "IAM role {function_role} is the role cloudbots runs as"
        )),
        "{}",
        refused.message
    );
    assert_eq!(role_boundary(&iam, &function_role).await, None);
}
