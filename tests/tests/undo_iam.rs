//! Verify and undo of the IAM policy bots on the local stack, each bot and the
//! `restore_iam_principal_policies` restorer running as a user allowed exactly its own role's
//! actions (IAM enforced).
//!
//! For every reversible IAM policy bot: its change is verified, the restorer puts the principals
//! back (everything IAM describes about them — attached policies, inline policy names and
//! documents, permissions boundary, group memberships — equals what it was before the bot ran),
//! a second undo finds nothing to restore, and an undo after someone changed the principal is
//! refused with the difference unless forced. A write that does not show when the principal is
//! read again (IAM answered "done" but nothing changed, injected on the wire) fails the step
//! `NotVerified`.
//!
//! Permissions boundaries are undone on roles only: the local stack (moto) keeps none on users
//! (the user paths are tested in the IAM functions' own tests, on mocked IAM).

use aws_sdk_iam::Client;
use cloudbots_cli::local::LOCAL_ACCOUNT;
use cloudbots_functions::bots::{self, iam_policies::user_detach_with};
use cloudbots_functions::lambda::run_step;
use cloudbots_functions::session::Sessions;
use cloudbots_shared::error::BotError;
use cloudbots_shared::outcome::{BotInput, BotOutcome, OutcomeStatus};
use cloudbots_shared::plan::Mode;
use cloudbots_shared::policy::decode_policy_document;
use cloudbots_shared::restore::RestoreStatus;
use cloudbots_tests::cloudtrail::{alert_input, cloudtrail_with_event};
use cloudbots_tests::iam::{
    document, group_entity, new_group, new_policy, new_role, new_user, policy_entity, role_entity,
    user_entity,
};
use cloudbots_tests::wire::{faulty_client, functions_config, query_no_op};
use cloudbots_tests::{
    assert_not_as_intended, assert_refused_then_forced, aws, bot_aws, entity, run_bot, run_ok,
    run_restorer, step_input,
};
use serde_json::{json, Value};
use std::future::Future;

async fn iam() -> Client {
    Client::new(&aws().await)
}

/// An IAM principal of a test: what kind, and its name.
#[derive(Debug, Clone)]
enum Who {
    User(String),
    Group(String),
    Role(String),
}

impl Who {
    /// `IAM user u`, as the bots and the restorer name it.
    fn label(&self) -> String {
        match self {
            Who::User(name) => format!("IAM user {name}"),
            Who::Group(name) => format!("IAM group {name}"),
            Who::Role(name) => format!("IAM role {name}"),
        }
    }
}

/// The IAM call `$user`, `$group` or `$role` for `$who`'s kind with its name set, continued by
/// `$then` (typed per kind).
macro_rules! on {
    ($iam:expr, $who:expr, [$user:ident, $group:ident, $role:ident], |$call:ident| $then:expr) => {
        match $who {
            Who::User(name) => {
                let $call = $iam.$user().user_name(name);
                $then
            }
            Who::Group(name) => {
                let $call = $iam.$group().group_name(name);
                $then
            }
            Who::Role(name) => {
                let $call = $iam.$role().role_name(name);
                $then
            }
        }
    };
}

fn parsed(text: &str) -> Value {
    serde_json::from_str(&decode_policy_document(text)).expect("a JSON policy document")
}

/// Everything IAM describes about the principal's permissions: its attached managed policies,
/// every inline policy with its document, its permissions boundary, and a user's groups (a
/// group's members).
async fn described(iam: &Client, who: &Who) -> Value {
    let mut attached: Vec<String> = on!(
        iam,
        who,
        [
            list_attached_user_policies,
            list_attached_group_policies,
            list_attached_role_policies
        ],
        |call| call.send().await.unwrap().attached_policies().to_vec()
    )
    .iter()
    .map(|p| p.policy_arn().unwrap().to_string())
    .collect();
    attached.sort();
    let names = on!(
        iam,
        who,
        [list_user_policies, list_group_policies, list_role_policies],
        |call| call.send().await.unwrap().policy_names().to_vec()
    );
    let mut inline = serde_json::Map::new();
    for name in names {
        let document = on!(
            iam,
            who,
            [get_user_policy, get_group_policy, get_role_policy],
            |call| parsed(
                call.policy_name(&name)
                    .send()
                    .await
                    .unwrap()
                    .policy_document()
            )
        );
        inline.insert(name, document);
    }
    let (boundary, mut groups) = match who {
        Who::User(user) => (
            iam.get_user()
                .user_name(user)
                .send()
                .await
                .unwrap()
                .user()
                .unwrap()
                .permissions_boundary()
                .cloned(),
            iam.list_groups_for_user()
                .user_name(user)
                .send()
                .await
                .unwrap()
                .groups()
                .iter()
                .map(|g| g.group_name().to_string())
                .collect(),
        ),
        Who::Group(group) => (
            None,
            iam.get_group()
                .group_name(group)
                .send()
                .await
                .unwrap()
                .users()
                .iter()
                .map(|u| u.user_name().to_string())
                .collect(),
        ),
        Who::Role(role) => (
            iam.get_role()
                .role_name(role)
                .send()
                .await
                .unwrap()
                .role()
                .unwrap()
                .permissions_boundary()
                .cloned(),
            Vec::<String>::new(),
        ),
    };
    groups.sort();
    json!({
        "principal": who.label(),
        "attached": attached,
        "inline": inline,
        "boundary": format!("{boundary:?}"),
        "groups": groups,
    })
}

async fn described_all(iam: &Client, watched: &[Who]) -> Vec<Value> {
    let mut all = Vec::new();
    for who in watched {
        all.push(described(iam, who).await);
    }
    all
}

/// Run `act` (a bot that changes the `watched` principals), check its change is verified, undo
/// it, and check the principals are described exactly as before and a second undo has nothing
/// to restore. The bot's outcome.
async fn verified_and_undone(
    case: &str,
    watched: &[Who],
    act: impl Future<Output = BotOutcome>,
) -> BotOutcome {
    let iam = iam().await;
    let before = described_all(&iam, watched).await;
    let outcome = act.await;
    assert_eq!(
        (outcome.status, outcome.verified.is_empty()),
        (OutcomeStatus::Remediated, false),
        "{case}: {}",
        outcome.message
    );
    assert_ne!(described_all(&iam, watched).await, before, "{case}");

    let undone = run_restorer(&outcome, Mode::Enforce, false).await.unwrap();
    let again = run_restorer(&outcome, Mode::Enforce, false).await.unwrap();
    assert_eq!(
        (undone.status, undone.verified.is_empty(), again.status),
        (
            RestoreStatus::Restored,
            false,
            RestoreStatus::NothingToRestore
        ),
        "{case}: {} / {}",
        undone.message,
        again.message
    );
    assert_eq!(described_all(&iam, watched).await, before, "{case}");
    outcome
}

async fn put_inline(iam: &Client, who: &Who, name: &str, action: &str) {
    on!(
        iam,
        who,
        [put_user_policy, put_group_policy, put_role_policy],
        |call| drop(
            call.policy_name(name)
                .policy_document(document(action))
                .send()
                .await
                .unwrap()
        )
    );
}

async fn attach(iam: &Client, who: &Who, policy: &str) {
    on!(
        iam,
        who,
        [attach_user_policy, attach_group_policy, attach_role_policy],
        |call| drop(call.policy_arn(policy).send().await.unwrap())
    );
}

const READ_ONLY: &str = "arn:aws:iam::aws:policy/ReadOnlyAccess";

fn role_arn(role: &str) -> String {
    format!("arn:aws:iam::{LOCAL_ACCOUNT}:role/{role}")
}

fn service_entity(role: &str) -> Value {
    let mut entity = entity("EcsService", "web", "web");
    entity["role"] = json!({"name": role});
    entity
}

#[tokio::test]
async fn attached_policies_are_verified_and_detached_again() {
    let iam = iam().await;
    let role = new_role(&iam, "undo-attach").await;
    let line = format!("iam_role_attach_policy policy_arn={READ_ONLY}");
    let outcome = verified_and_undone(
        &line,
        &[Who::Role(role.clone())],
        run_ok(&line, role_entity(&role), Mode::Enforce),
    )
    .await;
    assert_eq!(
        outcome.verified,
        [format!("policy {READ_ONLY} on IAM role {role} is attached")]
    );

    let user = new_user(&iam, "undo-attach").await;
    let policy = new_policy(&iam, "undo-attach", "s3:ListBucket").await;
    attach(&iam, &Who::User(user.clone()), READ_ONLY).await;
    let line = format!("iam_user_attach_policy policy_arn={policy}");
    verified_and_undone(
        &line,
        &[Who::User(user.clone())],
        run_ok(&line, user_entity(&user), Mode::Enforce),
    )
    .await;
}

#[tokio::test]
async fn a_detached_policy_is_attached_again_to_every_group_role_and_user() {
    let iam = iam().await;
    let policy = new_policy(&iam, "undo-detach", "ec2:Describe*").await;
    let group = new_group(&iam, "undo-detach").await;
    let role = new_role(&iam, "undo-detach").await;
    let user = new_user(&iam, "undo-detach").await;
    let holders = [
        Who::Group(group.clone()),
        Who::Role(role.clone()),
        Who::User(user.clone()),
    ];
    for who in &holders {
        attach(&iam, who, &policy).await;
    }
    attach(&iam, &holders[2], READ_ONLY).await;
    let outcome = verified_and_undone(
        "iam_detach_policy",
        &holders,
        run_ok("iam_detach_policy", policy_entity(&policy), Mode::Enforce),
    )
    .await;
    assert_eq!(
        outcome.verified,
        [
            format!("policy {policy} on IAM group {group} is detached"),
            format!("policy {policy} on IAM role {role} is detached"),
            format!("policy {policy} on IAM user {user} is detached"),
        ]
    );
}

#[tokio::test]
async fn deleted_inline_policies_are_put_back_with_their_documents() {
    let iam = iam().await;
    let group = new_group(&iam, "undo-inline").await;
    let who = Who::Group(group.clone());
    put_inline(&iam, &who, "s3-read", "s3:GetObject").await;
    put_inline(&iam, &who, "logs", "logs:*").await;
    verified_and_undone(
        "iam_group_delete_inline_policy",
        &[who],
        run_ok(
            "iam_group_delete_inline_policy",
            group_entity(&group),
            Mode::Enforce,
        ),
    )
    .await;

    let role = new_role(&iam, "undo-ecs").await;
    let who = Who::Role(role.clone());
    put_inline(&iam, &who, "s3-access", "s3:*").await;
    let outcome = verified_and_undone(
        "ecs_service_role_detach_inline_policy",
        &[who],
        run_ok(
            "ecs_service_role_detach_inline_policy",
            service_entity(&role),
            Mode::Enforce,
        ),
    )
    .await;
    assert_eq!(
        outcome.verified,
        [format!(
            "inline policy s3-access of IAM role {role} is none"
        )]
    );

    // The replacement the bot attached is detached again, the inline policies put back.
    let user = new_user(&iam, "undo-inline").await;
    let who = Who::User(user.clone());
    put_inline(&iam, &who, "admin", "*").await;
    put_inline(&iam, &who, "sqs", "sqs:SendMessage").await;
    let line = format!("iam_user_delete_inline_policies {READ_ONLY}");
    let outcome = verified_and_undone(
        &line,
        &[who],
        run_ok(&line, user_entity(&user), Mode::Enforce),
    )
    .await;
    assert_eq!(
        outcome.verified[0],
        format!("policy {READ_ONLY} on IAM user {user} is attached")
    );
}

const CIEM: &str = "iam_entity_create_and_attach_permission_boundary";

/// The CIEM step bounding `role` with a suggestion allowing s3:GetObject.
fn ciem_input(role: &str) -> BotInput {
    let mut input = step_input(CIEM, role_entity(role), CIEM, Mode::Enforce);
    input.step.context.suggested_policy = Some(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}));
    input
}

#[tokio::test]
async fn permission_boundaries_are_put_back_as_they_were() {
    let iam = iam().await;
    let role = new_role(&iam, "undo-unbound").await;
    iam.put_role_permissions_boundary()
        .role_name(&role)
        .permissions_boundary(READ_ONLY)
        .send()
        .await
        .unwrap();
    let line = format!(
        "iam_entity_remove_permission_boundary entity_arn={}",
        role_arn(&role)
    );
    verified_and_undone(
        &line,
        &[Who::Role(role.clone())],
        run_ok(&line, entity("IamRole", &role, &role), Mode::Enforce),
    )
    .await;

    // CIEM: the boundary replaced (another one, or none) comes back; the policy written stays.
    let bounded = new_role(&iam, "undo-ciem").await;
    let other = new_policy(&iam, "undo-other-boundary", "s3:*").await;
    iam.put_role_permissions_boundary()
        .role_name(&bounded)
        .permissions_boundary(&other)
        .send()
        .await
        .unwrap();
    let unbounded = new_role(&iam, "undo-ciem").await;
    for (role, was) in [(&bounded, Some(other.as_str())), (&unbounded, None)] {
        let policy = format!("arn:aws:iam::{LOCAL_ACCOUNT}:policy/CIEMSuggestion-{role}");
        let outcome = verified_and_undone(CIEM, &[Who::Role(role.clone())], async {
            let outcome = run_bot(ciem_input(role)).await.unwrap();
            let dry = run_restorer(&outcome, Mode::DryRun, false).await.unwrap();
            let back = match was {
                Some(was) => {
                    format!("set the permissions boundary of IAM role {role} back to {was}")
                }
                None => format!("remove the permissions boundary of IAM role {role} (it had none)"),
            };
            assert_eq!(
                dry.changes,
                [format!(
                    "{back}; policy {policy} itself stays, undo does not delete policies"
                )]
            );
            outcome
        })
        .await;
        assert_eq!(
            outcome.verified,
            [format!(
                "the permissions boundary of IAM role {role} is {policy}"
            )]
        );
        assert!(
            iam.get_policy().policy_arn(&policy).send().await.is_ok(),
            "kept"
        );
    }
}

/// A CloudTrail whose only AddUserToGroup event added `user` to `group` (the local stack does
/// not serve CloudTrail LookupEvents, so it is mocked; IAM is real).
fn cloudtrail_adding(user: &str, group: &str) -> aws_sdk_cloudtrail::Client {
    let record = json!({
        "eventName": "AddUserToGroup",
        "requestParameters": {"groupName": group, "userName": user}
    });
    cloudtrail_with_event("AddUserToGroup", record, Some(user))
}

fn user_detach_input(user: &str) -> BotInput {
    alert_input("iam_user_detach", user_entity(user), Mode::Enforce)
}

/// A user in two groups, the first of which the finding's event added it to.
async fn joined_user(iam: &Client) -> (String, String) {
    let user = new_user(iam, "undo-joiner").await;
    let group = new_group(iam, "undo-admins").await;
    let other = new_group(iam, "undo-readers").await;
    for g in [&group, &other] {
        iam.add_user_to_group()
            .user_name(&user)
            .group_name(g)
            .send()
            .await
            .unwrap();
    }
    (user, group)
}

#[tokio::test]
async fn a_user_taken_out_of_a_group_is_added_again() {
    let iam = iam().await;
    let (user, group) = joined_user(&iam).await;
    let bot_iam = Client::new(&bot_aws("iam_user_detach").await);
    let outcome = verified_and_undone(
        "iam_user_detach",
        &[Who::User(user.clone()), Who::Group(group.clone())],
        async {
            user_detach_with(
                &user_detach_input(&user),
                &cloudtrail_adding(&user, &group),
                &bot_iam,
            )
            .await
            .unwrap()
        },
    )
    .await;
    assert_eq!(
        outcome.verified,
        [format!(
            "the membership of IAM user {user} in IAM group {group} is none"
        )]
    );
}

#[tokio::test]
async fn a_principal_changed_since_is_refused_unless_forced() {
    let iam = iam().await;
    let group = new_group(&iam, "undo-changed").await;
    let who = Who::Group(group.clone());
    put_inline(&iam, &who, "s3-read", "s3:GetObject").await;
    let before = described(&iam, &who).await;
    let outcome = run_ok(
        "iam_group_delete_inline_policy",
        group_entity(&group),
        Mode::Enforce,
    )
    .await;
    put_inline(&iam, &who, "s3-read", "sqs:*").await;

    let theirs: Value = serde_json::from_str(&document("sqs:*")).unwrap();
    let difference = format!(
        "inline policy s3-read of IAM group {group} is {theirs}, not none as the bot left it"
    );
    let refused =
        assert_refused_then_forced(&outcome, &[&difference], &before, || described(&iam, &who))
            .await;
    assert_eq!(
        refused.message,
        format!("IAM group {group} changed since iam_group_delete_inline_policy left it, so it is not restored (undo --force restores it anyway): {difference}")
    );
}

#[tokio::test]
async fn a_principal_deleted_since_cannot_be_given_its_policy_back() {
    let iam = iam().await;
    let policy = new_policy(&iam, "undo-gone", "s3:*").await;
    let role = new_role(&iam, "undo-gone").await;
    attach(&iam, &Who::Role(role.clone()), &policy).await;
    let outcome = run_ok("iam_detach_policy", policy_entity(&policy), Mode::Enforce).await;
    iam.delete_role().role_name(&role).send().await.unwrap();
    let refused = run_restorer(&outcome, Mode::Enforce, true).await.unwrap();
    assert_eq!(refused.status, RestoreStatus::Refused);
    assert_eq!(
        refused.message,
        format!("IAM role {role} does not exist (any more): what iam_detach_policy changed on it cannot be put back")
    );
}

/// Run the step as its Lambda does, with `action`'s calls answered "done" without reaching
/// IAM; the error it fails with.
async fn run_with_no_op(input: BotInput, action: &str) -> BotError {
    let bot = input.step.bot.clone();
    let (client, faults) = faulty_client(action, &[query_no_op(action); 4]).await;
    let sessions = Sessions::new(functions_config(client).await, None);
    let error = run_step(bots::find(&bot).unwrap(), &sessions, input)
        .await
        .expect_err("a change that never shows is not remediated");
    assert!(faults.seen() >= 1, "{bot}: {action} was called");
    error
}

#[tokio::test]
async fn an_iam_change_that_does_not_show_when_read_again_fails_not_verified() {
    let iam = iam().await;
    let mut cases: Vec<(String, Value, &str, Who, String)> = Vec::new();

    let role = new_role(&iam, "nv-attach").await;
    let user = new_user(&iam, "nv-attach").await;
    for (who, bot, entity, action) in [
        (
            Who::Role(role.clone()),
            "iam_role_attach_policy",
            role_entity(&role),
            "AttachRolePolicy",
        ),
        (
            Who::User(user.clone()),
            "iam_user_attach_policy",
            user_entity(&user),
            "AttachUserPolicy",
        ),
    ] {
        let difference = format!(
            "policy {READ_ONLY} on {} is detached, not attached",
            who.label()
        );
        cases.push((
            format!("{bot} policy_arn={READ_ONLY}"),
            entity,
            action,
            who,
            difference,
        ));
    }

    let policy = new_policy(&iam, "nv-detach", "ec2:Describe*").await;
    let holder = Who::Role(new_role(&iam, "nv-detach").await);
    attach(&iam, &holder, &policy).await;
    let difference = format!(
        "policy {policy} on {} is attached, not detached",
        holder.label()
    );
    cases.push((
        "iam_detach_policy".to_string(),
        policy_entity(&policy),
        "DetachRolePolicy",
        holder,
        difference,
    ));

    let kept: Value = serde_json::from_str(&document("s3:GetObject")).unwrap();
    let group = new_group(&iam, "nv-inline").await;
    let user = new_user(&iam, "nv-inline").await;
    let role = new_role(&iam, "nv-ecs").await;
    for (who, bot, entity, action) in [
        (
            Who::Group(group.clone()),
            "iam_group_delete_inline_policy",
            group_entity(&group),
            "DeleteGroupPolicy",
        ),
        (
            Who::User(user.clone()),
            "iam_user_delete_inline_policies",
            user_entity(&user),
            "DeleteUserPolicy",
        ),
        (
            Who::Role(role.clone()),
            "ecs_service_role_detach_inline_policy",
            service_entity(&role),
            "DeleteRolePolicy",
        ),
    ] {
        put_inline(&iam, &who, "s3-read", "s3:GetObject").await;
        let difference = format!(
            "inline policy s3-read of {} is {kept}, not none",
            who.label()
        );
        cases.push((bot.to_string(), entity, action, who, difference));
    }

    let role = new_role(&iam, "nv-unbound").await;
    iam.put_role_permissions_boundary()
        .role_name(&role)
        .permissions_boundary(READ_ONLY)
        .send()
        .await
        .unwrap();
    cases.push((
        format!(
            "iam_entity_remove_permission_boundary entity_arn={}",
            role_arn(&role)
        ),
        entity("IamRole", &role, &role),
        "DeleteRolePermissionsBoundary",
        Who::Role(role.clone()),
        format!("the permissions boundary of IAM role {role} is {READ_ONLY}, not none"),
    ));

    for (line, entity, action, who, difference) in cases {
        let error = run_with_no_op(
            step_input(
                &line,
                entity,
                line.split(' ').next().unwrap(),
                Mode::Enforce,
            ),
            action,
        )
        .await;
        assert_not_as_intended(&error, &who.label(), &difference);
    }

    let role = new_role(&iam, "nv-ciem").await;
    let policy = format!("arn:aws:iam::{LOCAL_ACCOUNT}:policy/CIEMSuggestion-{role}");
    let error = run_with_no_op(ciem_input(&role), "PutRolePermissionsBoundary").await;
    assert_not_as_intended(
        &error,
        &format!("IAM role {role}"),
        &format!("the permissions boundary of IAM role {role} is none, not {policy}"),
    );

    let (user, group) = joined_user(&iam).await;
    let (client, faults) = faulty_client(
        "RemoveUserFromGroup",
        &[query_no_op("RemoveUserFromGroup"); 4],
    )
    .await;
    let faulty_iam = Client::new(&functions_config(client).await);
    let error = user_detach_with(
        &user_detach_input(&user),
        &cloudtrail_adding(&user, &group),
        &faulty_iam,
    )
    .await
    .unwrap_err();
    assert_eq!(faults.seen(), 1);
    assert_not_as_intended(
        &error,
        &format!("IAM user {user}"),
        &format!("the membership of IAM user {user} in IAM group {group} is present, not none"),
    );
}
