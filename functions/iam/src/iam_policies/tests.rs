//! The user paths of the boundary bots against mocked IAM answers (the local stack, moto, keeps
//! no permissions boundary on IAM users), and the pure helpers of the role clone.

use super::ciem_boundary::assumed_role;
use super::clone::{clone_base, looks_like_clone, random_suffix};
use super::restore::{restore_principals_with, Setting, RESTORE_IAM_PRINCIPAL_POLICIES};
use super::*;
use aws_sdk_iam::operation::create_policy::CreatePolicyOutput;
use aws_sdk_iam::operation::delete_user_permissions_boundary::DeleteUserPermissionsBoundaryOutput;
use aws_sdk_iam::operation::get_policy::GetPolicyError;
use aws_sdk_iam::operation::get_user::GetUserOutput;
use aws_sdk_iam::operation::put_user_permissions_boundary::PutUserPermissionsBoundaryOutput;
use aws_sdk_iam::types::{AttachedPermissionsBoundary, PermissionsBoundaryAttachmentType, User};
use aws_smithy_mocks::{create_mock_http_client, mock, MockResponseInterceptor, Rule, RuleMode};
use aws_smithy_types::error::ErrorMetadata;
use cloudbots_shared::finding::from_cloudguard;
use cloudbots_shared::plan::{plan, Mode, PlannerConfig};
use cloudbots_shared::restore::{PriorState, RestoreInput, RestoreStatus, UndoStep};
use serde_json::json;

const ACCOUNT: &str = "123456789012";
const BOUNDARY: &str = "arn:aws:iam::aws:policy/ReadOnlyAccess";

/// The step running `AUTO: <line>` on the IAM user `bob`, planned as the intake plans it.
fn step(line: &str, mode: Mode) -> BotInput {
    let message = json!({
        "reportTime": "2026-11-30T10:00:00.000Z",
        "rule": {"name": "Overprivileged IamUser", "complianceTags": format!("AUTO: {line}")},
        "status": "Failed",
        "account": {"id": ACCOUNT, "vendor": "AWS"},
        "entity": {"id": "", "name": "bob", "type": "IamUser", "region": "us_east_1", "accountNumber": ACCOUNT}
    });
    let finding = from_cloudguard(&message).expect("a valid finding");
    let config = PlannerConfig {
        snapshot_before_change: false,
        mode,
        ..Default::default()
    }
    .with_every_destroy_bot();
    let planned = plan(&finding, &config);
    assert!(planned.rejected.is_empty(), "{:?}", planned.rejected);
    BotInput {
        execution: planned.execution_name,
        step: planned.steps[0].clone(),
        finding: planned.finding,
        target: planned.target,
        mode,
    }
}

fn interceptor(rules: &[&Rule]) -> MockResponseInterceptor {
    rules.iter().fold(
        MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny),
        |interceptor, rule| interceptor.with_rule(rule),
    )
}

/// An IAM client answered by `rules` instead of the network.
fn mocked_iam(rules: &[&Rule]) -> Iam {
    Iam::from_conf(
        aws_sdk_iam::Config::builder()
            .behavior_version(aws_sdk_iam::config::BehaviorVersion::latest())
            .region(aws_sdk_iam::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_iam::config::Credentials::new(
                "test", "test", None, None, "test",
            ))
            .http_client(create_mock_http_client())
            .interceptor(interceptor(rules))
            .build(),
    )
}

/// An STS client that answers nothing: the user paths must not ask it.
fn unused_sts() -> aws_sdk_sts::Client {
    aws_sdk_sts::Client::from_conf(
        aws_sdk_sts::Config::builder()
            .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
            .region(aws_sdk_sts::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_sts::config::Credentials::new(
                "test", "test", None, None, "test",
            ))
            .http_client(create_mock_http_client())
            .interceptor(MockResponseInterceptor::new())
            .build(),
    )
}

fn bob(boundary: Option<&str>) -> GetUserOutput {
    let user = User::builder()
        .path("/")
        .user_name("bob")
        .user_id("AIDAEXAMPLE")
        .arn(format!("arn:aws:iam::{ACCOUNT}:user/bob"))
        .create_date(aws_smithy_types::DateTime::from_secs(0))
        .set_permissions_boundary(boundary.map(|arn| {
            AttachedPermissionsBoundary::builder()
                .permissions_boundary_type(PermissionsBoundaryAttachmentType::Policy)
                .permissions_boundary_arn(arn)
                .build()
        }))
        .build()
        .expect("a user");
    GetUserOutput::builder().user(user).build()
}

#[tokio::test]
async fn remove_permission_boundary_of_a_user() {
    let line =
        format!("iam_entity_remove_permission_boundary entity_arn=arn:aws:iam::{ACCOUNT}:user/bob");
    let bounded = mock!(Iam::get_user)
        .match_requests(|r| r.user_name() == Some("bob"))
        .sequence()
        .output(|| bob(Some(BOUNDARY)))
        .times(2)
        .output(|| bob(None))
        .build();
    let delete = mock!(Iam::delete_user_permissions_boundary)
        .match_requests(|r| r.user_name() == Some("bob"))
        .then_output(|| DeleteUserPermissionsBoundaryOutput::builder().build());
    let iam = mocked_iam(&[&bounded, &delete]);

    let dry = entity_remove_permission_boundary_with(&step(&line, Mode::DryRun), &iam)
        .await
        .unwrap();
    assert_eq!(
        dry.changes,
        vec![format!(
            "remove permissions boundary {BOUNDARY} from IAM user bob"
        )]
    );
    assert_eq!(delete.num_calls(), 0, "dry-run changes nothing");

    let done = entity_remove_permission_boundary_with(&step(&line, Mode::Enforce), &iam)
        .await
        .unwrap();
    assert_eq!(done.status, OutcomeStatus::Remediated);
    assert_eq!(delete.num_calls(), 1);
    assert_eq!(
        done.verified,
        ["the permissions boundary of IAM user bob is none"]
    );
    assert_eq!(done.prior.unwrap().before[0]["setting"]["arn"], BOUNDARY);

    let unbounded = mock!(Iam::get_user).then_output(|| bob(None));
    let again = entity_remove_permission_boundary_with(
        &step(&line, Mode::Enforce),
        &mocked_iam(&[&unbounded]),
    )
    .await
    .unwrap();
    assert_eq!(again.status, OutcomeStatus::AlreadyCompliant);
    assert_eq!(again.message, "IAM user bob has no permissions boundary");
}

#[tokio::test]
async fn create_and_attach_permission_boundary_bounds_a_user() {
    let policy_arn = format!("arn:aws:iam::{ACCOUNT}:policy/Bound-bob");
    let suggestion = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]});
    let input = |mode| {
        let mut input = step(
            "iam_entity_create_and_attach_permission_boundary policy_name=Bound",
            mode,
        );
        input.step.context.suggested_policy = Some(json!(suggestion.to_string()));
        input
    };
    let bounded_by = policy_arn.clone();
    let user = mock!(Iam::get_user)
        .sequence()
        .output(|| bob(None))
        .times(2)
        .output(move || bob(Some(&bounded_by)))
        .build();
    let no_policy = mock!(Iam::get_policy).then_error(|| {
        GetPolicyError::generic(ErrorMetadata::builder().code("NoSuchEntity").build())
    });
    let expected_document = suggestion.clone();
    let create = mock!(Iam::create_policy)
        .match_requests(move |r| {
            r.policy_name() == Some("Bound-bob")
                && r.policy_document()
                    .and_then(|d| serde_json::from_str::<Value>(d).ok())
                    == Some(expected_document.clone())
                && r.tags()
                    .iter()
                    .any(|t| t.key() == "Owner" && t.value() == "CloudGuard")
        })
        .then_output(|| CreatePolicyOutput::builder().build());
    let wanted = policy_arn.clone();
    let put = mock!(Iam::put_user_permissions_boundary)
        .match_requests(move |r| {
            r.user_name() == Some("bob") && r.permissions_boundary() == Some(wanted.as_str())
        })
        .then_output(|| PutUserPermissionsBoundaryOutput::builder().build());
    let iam = mocked_iam(&[&user, &no_policy, &create, &put]);

    let dry = entity_create_and_attach_permission_boundary_with(
        &input(Mode::DryRun),
        &iam,
        &unused_sts(),
    )
    .await
    .unwrap();
    assert_eq!(
        dry.changes,
        vec![
            format!("create policy {policy_arn} from the CIEM suggested policy"),
            format!("set {policy_arn} as the permissions boundary of IAM user bob"),
        ]
    );
    assert_eq!(
        create.num_calls() + put.num_calls(),
        0,
        "dry-run changes nothing"
    );

    let done = entity_create_and_attach_permission_boundary_with(
        &input(Mode::Enforce),
        &iam,
        &unused_sts(),
    )
    .await
    .unwrap();
    assert_eq!(done.status, OutcomeStatus::Remediated, "{}", done.message);
    assert_eq!((create.num_calls(), put.num_calls()), (1, 1));
    assert_eq!(
        done.verified,
        [format!(
            "the permissions boundary of IAM user bob is {policy_arn}"
        )]
    );
    assert_eq!(done.artifacts, vec![policy_arn]);
}

#[tokio::test]
async fn the_boundary_a_user_had_is_put_back_and_the_policy_written_stays() {
    let policy_arn = format!("arn:aws:iam::{ACCOUNT}:policy/Bound-bob");
    let input = step(
        "iam_entity_create_and_attach_permission_boundary policy_name=Bound",
        Mode::Enforce,
    );
    let principal = Principal::user("bob");
    let boundary = |arn| json!([PrincipalSetting::of(&principal, Setting::boundary(arn))]);
    let prior = PriorState::of(
        &input,
        RESTORE_IAM_PRINCIPAL_POLICIES.name,
        "bob",
        boundary(Some(BOUNDARY)),
        boundary(Some(&policy_arn)),
    );
    let undo = RestoreInput {
        execution: format!("undo-{}", input.execution),
        undoes: input.execution.clone(),
        step: UndoStep {
            index: 0,
            audit_id: "undo#000".to_string(),
            record_id: "step#000".to_string(),
            bot: input.step.bot.clone(),
            prior,
        },
        mode: Mode::Enforce,
        force: false,
    };
    let left = policy_arn.clone();
    let user = mock!(Iam::get_user)
        .sequence()
        .output(move || bob(Some(&left)))
        .output(|| bob(Some(BOUNDARY)))
        .build();
    let put = mock!(Iam::put_user_permissions_boundary)
        .match_requests(|r| {
            r.user_name() == Some("bob") && r.permissions_boundary() == Some(BOUNDARY)
        })
        .then_output(|| PutUserPermissionsBoundaryOutput::builder().build());
    let restored = restore_principals_with(&undo, &mocked_iam(&[&user, &put]))
        .await
        .unwrap();
    assert_eq!(
        restored.status,
        RestoreStatus::Restored,
        "{}",
        restored.message
    );
    assert_eq!(
        restored.changes,
        [format!("set the permissions boundary of IAM user bob back to {BOUNDARY}; policy {policy_arn} itself stays, undo does not delete policies")]
    );
    assert_eq!(
        restored.verified,
        [format!(
            "the permissions boundary of IAM user bob is {BOUNDARY}"
        )]
    );
    assert_eq!(put.num_calls(), 1);
}

#[test]
fn caller_roles_and_clone_names() {
    assert_eq!(
        assumed_role("arn:aws:sts::123456789012:assumed-role/cloudbots-fn/session"),
        Some(("123456789012", "cloudbots-fn"))
    );
    assert_eq!(assumed_role("arn:aws:iam::123456789012:user/moto"), None);
    let long = "r".repeat(60);
    assert_eq!(clone_base(&long).len(), 43, "<base>-<20 chars> fits 64");
    let suffix = random_suffix();
    assert_eq!(suffix.len(), 20);
    assert_ne!(suffix, random_suffix());
    assert!(looks_like_clone(&format!("app-{suffix}"), "app"));
    assert!(!looks_like_clone("app-short", "app"));
}
