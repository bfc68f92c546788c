//! Multi-account end to end: a CloudGuard finding from a member account goes through the
//! intake and the real state machine of a hub deployment in multi-account mode, and the bot
//! remediates the member account's resource through the member role, assumed with the
//! deployment's external id in a session named after the execution. The same finding is
//! refused in single-account mode and for an account outside the allowed list. A Security Hub
//! finding of the member account, received on the hub's (administrator's) bus, is remediated
//! in the member account too, and marked from the hub.
//!
//! moto serves every account: credentials from STS AssumeRole of a role in account X act in
//! X. The stack is not IAM-enforced here (moto's Step Functions engine cannot sign as an IAM
//! user), so moto does not evaluate the member role's trust policy; what it records of each
//! AssumeRole (session name, external id, account) is read back from its `/moto-api/data.json`.

use aws_sdk_ec2::types::IpPermission;
use cloudbots_cli::local::deploy::{deploy, DeployOptions};
use cloudbots_cli::local::{LOCAL_ACCOUNT, LOCAL_REGION};
use cloudbots_cli::member_role::MEMBER_ROLES;
use cloudbots_cli::operate::UndoOptions;
use cloudbots_cli::run::{ExecutionView, LocalTarget, Sent};
use cloudbots_functions::session::{session_name, Sessions};
use cloudbots_shared::audit::AuditStatus;
use cloudbots_shared::mapping::Mappings;
use cloudbots_shared::plan::Mode;
use cloudbots_shared::plan::{AccountMode, PlannerConfig, Target, DEFAULT_CROSS_ACCOUNT_ROLE};
use cloudbots_tests::e2e::{invoked, send_with, sns_event};
use cloudbots_tests::security_groups::{allow_inbound, live_rules, rule};
use cloudbots_tests::{aws, stack, unique_name};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use tokio::sync::OnceCell;

/// The member account the findings come from.
const MEMBER: &str = "111111111111";
/// The hub deployment's `ExternalId`.
const EXTERNAL_ID: &str = "cloudbots-e2e-7f3a";
/// The hub deployment's function-name prefix.
const PREFIX: &str = "multi-";
const OPEN_SSH: &str = "tcp 22-22 0.0.0.0/0";
const LINE: &str =
    "AUTO: sg_single_rule_delete split=false protocol=TCP scope=0.0.0.0/0 direction=inbound port=22";

/// The hub deployment, deployed once, its bots running with the external id as
/// `EXTERNAL_ID` gives it to the bot functions.
async fn hub() -> &'static LocalTarget {
    static TARGET: OnceCell<LocalTarget> = OnceCell::const_new();
    TARGET
        .get_or_init(|| async {
            let stack = stack();
            let options = DeployOptions {
                name: PREFIX.trim_end_matches('-').to_string(),
                ..Default::default()
            };
            let deployment = deploy(stack, &options)
                .await
                .expect("deploys into the local stack");
            stack.gateway().set_external_id(PREFIX, EXTERNAL_ID);
            LocalTarget::new(stack.moto_port, stack.gateway_port, &deployment)
        })
        .await
}

/// The member account as its administrator, with the member roles (the bots' and the undo
/// one) created as `infra/create_role.sh` creates them.
async fn member() -> &'static aws_config::SdkConfig {
    static MEMBER_CONFIG: OnceCell<aws_config::SdkConfig> = OnceCell::const_new();
    MEMBER_CONFIG
        .get_or_init(|| async {
            let admin = Target {
                account_id: MEMBER.to_string(),
                region: LOCAL_REGION.to_string(),
                role_arn: Some(format!(
                    "arn:aws:iam::{MEMBER}:role/OrganizationAccountAccessRole"
                )),
            };
            let config = Sessions::new(aws().await, None)
                .for_target(&admin, "test-setup")
                .await
                .expect("the member account's administrator");
            let iam = aws_sdk_iam::Client::new(&config);
            for role in &MEMBER_ROLES {
                let name = format!("{DEFAULT_CROSS_ACCOUNT_ROLE}{}", role.name_suffix);
                let trust = json!({
                    "Version": "2012-10-17",
                    "Statement": [{
                        "Sid": role.trust_sid,
                        "Effect": "Allow",
                        "Principal": {"AWS": format!("arn:aws:iam::{LOCAL_ACCOUNT}:root")},
                        "Action": "sts:AssumeRole",
                        "Condition": {
                            "StringEquals": {"sts:ExternalId": EXTERNAL_ID},
                            "ArnLike": {"aws:PrincipalArn": format!("arn:aws:iam::{LOCAL_ACCOUNT}:role{}*", role.trusted_path)}
                        }
                    }]
                });
                iam.create_role()
                    .role_name(&name)
                    .assume_role_policy_document(trust.to_string())
                    .send()
                    .await
                    .expect("create the member role");
                iam.put_role_policy()
                    .role_name(&name)
                    .policy_name(role.policy_name)
                    .policy_document(role.policy_document().to_string())
                    .send()
                    .await
                    .expect("put the member role's policy");
            }
            config
        })
        .await
}

fn member_role_arn() -> String {
    format!("arn:aws:iam::{MEMBER}:role/{DEFAULT_CROSS_ACCOUNT_ROLE}")
}

/// A security group open to the world on SSH, in the account of `config`.
async fn open_group(config: &aws_config::SdkConfig) -> String {
    let ec2 = aws_sdk_ec2::Client::new(config);
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.7.0.0/16")
        .send()
        .await
        .expect("create_vpc");
    let group = ec2
        .create_security_group()
        .group_name(unique_name("multi-account"))
        .description("cloudbots multi-account test group")
        .vpc_id(vpc.vpc().unwrap().vpc_id().unwrap())
        .send()
        .await
        .expect("create_security_group");
    let id = group.group_id().unwrap().to_string();
    let rules: Vec<IpPermission> = vec![rule("tcp", 22, 22, "0.0.0.0/0")];
    allow_inbound(&ec2, &id, rules).await;
    id
}

async fn inbound(config: &aws_config::SdkConfig, group: &str) -> BTreeSet<String> {
    live_rules(&aws_sdk_ec2::Client::new(config), group, true).await
}

/// The CloudGuard finding for an open security group of `account`.
fn finding(account: &str, group: &str) -> Value {
    json!({
        "reportTime": "2026-11-30T10:00:00.000Z",
        "findingKey": format!("multi-{group}"),
        "rule": {"name": "Security groups should not allow SSH from the internet", "ruleId": "MA.1", "complianceTags": LINE, "severity": "High"},
        "status": "Failed",
        "account": {"id": account, "vendor": "AWS"},
        "entity": {"id": group, "name": "open-ssh", "type": "SecurityGroup", "region": "us_east_1", "accountNumber": account},
    })
}

fn hub_planner(account_mode: AccountMode) -> PlannerConfig {
    PlannerConfig {
        home_account: Some(LOCAL_ACCOUNT.to_string()),
        account_mode,
        ..Default::default()
    }
}

async fn send(planner: PlannerConfig, message_id: &str, event: &Value) -> Sent {
    send_with(
        hub().await,
        planner,
        Mappings::default(),
        &sns_event(message_id, event),
    )
    .await
}

fn only_execution(sent: &Sent) -> &ExecutionView {
    assert_eq!(
        sent.executions.len(),
        1,
        "dispositions: {:?}",
        sent.dispositions
    );
    &sent.executions[0]
}

/// Every AssumeRole moto recorded, as (account, role ARN, session name, external id).
async fn assumed_roles() -> Vec<(String, String, String, Option<String>)> {
    let data: Value = reqwest::get(format!(
        "http://127.0.0.1:{}/moto-api/data.json",
        stack().moto_port
    ))
    .await
    .expect("moto's model data")
    .json()
    .await
    .expect("moto's model data is JSON");
    data["sts"]["AssumedRole"]
        .as_array()
        .expect("moto tracks assumed roles")
        .iter()
        .map(|r| {
            let text = |key: &str| r[key].as_str().unwrap_or_default().to_string();
            (
                text("account_id"),
                text("role_arn"),
                text("session_name"),
                r["external_id"].as_str().map(str::to_string),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_member_account_finding_is_remediated_there_through_the_member_role() {
    let member = member().await;
    let hub_config = aws().await;
    let member_group = open_group(member).await;
    let hub_group = open_group(&hub_config).await;

    let sent = send(
        hub_planner(AccountMode::Multi),
        "m-multi",
        &finding(MEMBER, &member_group),
    )
    .await;
    let view = only_execution(&sent);
    assert_eq!(view.status, "SUCCEEDED", "{:?}", view.error);
    assert_eq!(invoked(&view.name), ["sg_single_rule_delete", "report"]);
    let statuses: Vec<_> = view
        .records
        .iter()
        .map(|r| (r.bot.as_str(), r.status))
        .collect();
    assert_eq!(
        statuses,
        [("sg_single_rule_delete", AuditStatus::Remediated)]
    );

    assert_eq!(
        inbound(member, &member_group).await,
        BTreeSet::new(),
        "the member account's open rule is removed"
    );
    assert_eq!(
        inbound(&hub_config, &hub_group).await,
        BTreeSet::from([OPEN_SSH.to_string()]),
        "the hub account's identical group is untouched"
    );

    let sessions: Vec<_> = assumed_roles()
        .await
        .into_iter()
        .filter(|(_, role, session, _)| {
            *role == member_role_arn() && *session == session_name(&view.name)
        })
        .collect();
    assert_eq!(
        sessions,
        [(
            MEMBER.to_string(),
            member_role_arn(),
            session_name(&view.name),
            Some(EXTERNAL_ID.to_string())
        )],
        "one session in the member account, named after the execution, with the external id"
    );
    assert_eq!(
        session_name(&view.name),
        view.name,
        "the full execution name"
    );
}

#[tokio::test]
async fn a_member_account_remediation_is_undone_there_through_the_member_undo_role() {
    let member = member().await;
    let group = open_group(member).await;
    let sent = send(
        hub_planner(AccountMode::Multi),
        "m-multi-undo",
        &finding(MEMBER, &group),
    )
    .await;
    let view = only_execution(&sent);
    assert_eq!(view.status, "SUCCEEDED", "{:?}", view.error);
    assert_eq!(inbound(member, &group).await, BTreeSet::new());

    let undone = hub()
        .await
        .operated()
        .await
        .expect("the hub's state machines")
        .undo(
            &view.name,
            UndoOptions {
                mode: Mode::Enforce,
                force: false,
                timeout: std::time::Duration::from_secs(120),
            },
        )
        .await
        .expect("the undo ends");
    assert_eq!(undone.summary.status, "SUCCEEDED", "{:?}", undone.error);
    let statuses: Vec<_> = undone
        .records
        .iter()
        .map(|r| (r.bot.as_str(), r.status))
        .collect();
    assert_eq!(statuses, [("sg_single_rule_delete", AuditStatus::Restored)]);
    assert_eq!(
        inbound(member, &group).await,
        BTreeSet::from([OPEN_SSH.to_string()]),
        "the member account's rule is back"
    );
    let undo_sessions: Vec<_> = assumed_roles()
        .await
        .into_iter()
        .filter(|(_, _, session, _)| *session == session_name(&undone.summary.name))
        .collect();
    assert_eq!(
        undo_sessions,
        [(
            MEMBER.to_string(),
            format!("{}-undo", member_role_arn()),
            session_name(&undone.summary.name),
            Some(EXTERNAL_ID.to_string())
        )],
        "the restorer assumed the member account's undo role, not the bots' one"
    );
}

#[tokio::test]
async fn the_same_finding_is_refused_in_single_account_mode() {
    let member = member().await;
    let group = open_group(member).await;
    let sent = send(
        hub_planner(AccountMode::Single),
        "m-single",
        &finding(MEMBER, &group),
    )
    .await;
    let view = only_execution(&sent);
    assert_eq!(view.status, "FAILED");
    assert_eq!(invoked(&view.name), ["report"], "no bot ran");
    let records: Vec<_> = view
        .records
        .iter()
        .map(|r| (r.record_id.as_str(), r.status, r.message.as_str()))
        .collect();
    assert_eq!(
        records,
        [(
            "rejected#000",
            AuditStatus::Rejected,
            "This finding was found in account id 111111111111. cloudbots is running in account id 123456789012 in single-account mode: remediations run only in their own account (deploy in multi-account mode with a member role to remediate other accounts)"
        )]
    );
    assert_eq!(
        inbound(member, &group).await,
        BTreeSet::from([OPEN_SSH.to_string()])
    );
}

#[tokio::test]
async fn a_member_account_outside_the_allowed_list_is_refused() {
    let member = member().await;
    let group = open_group(member).await;
    let planner = PlannerConfig {
        allowed_accounts: BTreeSet::from(["222222222222".to_string()]),
        ..hub_planner(AccountMode::Multi)
    };
    let sent = send(planner, "m-not-allowed", &finding(MEMBER, &group)).await;
    let view = only_execution(&sent);
    assert_eq!(view.status, "FAILED");
    assert_eq!(invoked(&view.name), ["report"], "no bot ran");
    let records: Vec<_> = view
        .records
        .iter()
        .map(|r| (r.status, r.message.as_str()))
        .collect();
    assert_eq!(
        records,
        [(
            AuditStatus::Rejected,
            "account 111111111111 is not in the deployment's allowed accounts (ALLOWED_ACCOUNTS: 222222222222): only those are remediated"
        )]
    );
    assert_eq!(
        inbound(member, &group).await,
        BTreeSet::from([OPEN_SSH.to_string()])
    );
    assert!(
        !assumed_roles()
            .await
            .iter()
            .any(|(_, _, session, _)| *session == session_name(&view.name)),
        "the member role was not assumed"
    );
}

#[tokio::test]
async fn a_member_accounts_security_hub_finding_on_the_administrators_bus_is_remediated_there() {
    let member = member().await;
    let member_group = open_group(member).await;
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/securityhub/ocsf_ec2.19_sg-high-risk-ports_failed.json"
    );
    let mut event: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    // The administrator (hub) account's bus, in the hub's region, carries the member's finding.
    event["account"] = json!(LOCAL_ACCOUNT);
    event["region"] = json!(LOCAL_REGION);
    let finding = &mut event["detail"]["findings"][0];
    let finding_id = format!(
        "arn:aws:securityhub:{LOCAL_REGION}:{MEMBER}:security-control/EC2.19/finding/{member_group}"
    );
    finding["finding_info"]["uid"] = json!(finding_id);
    finding["cloud"]["account"]["uid"] = json!(MEMBER);
    finding["cloud"]["region"] = json!(LOCAL_REGION);
    finding["resources"][0]["uid"] = json!(member_group);
    finding["resources"][0]["uid_alt"] = json!(format!(
        "arn:aws:ec2:{LOCAL_REGION}:{MEMBER}:security-group/{member_group}"
    ));
    finding["resources"][0]["region"] = json!(LOCAL_REGION);
    let mapping = Mappings::default()
        .with_securityhub(&json!({"EC2.19": LINE}).to_string())
        .unwrap();

    let sent = send_with(
        hub().await,
        hub_planner(AccountMode::Multi),
        mapping,
        &event,
    )
    .await;
    let view = only_execution(&sent);
    assert_eq!(view.status, "SUCCEEDED", "{:?}", view.error);
    assert_eq!(invoked(&view.name), ["sg_single_rule_delete", "report"]);
    assert_eq!(
        inbound(member, &member_group).await,
        BTreeSet::new(),
        "the member account's open rule is removed"
    );
    let sessions: Vec<_> = assumed_roles()
        .await
        .into_iter()
        .filter(|(_, _, session, _)| *session == session_name(&view.name))
        .map(|(account, role, _, _)| (account, role))
        .collect();
    assert_eq!(sessions, [(MEMBER.to_string(), member_role_arn())]);

    let updates: Vec<_> = stack()
        .gateway()
        .securityhub_updates()
        .into_iter()
        .filter(|u| u.request.to_string().contains(&finding_id))
        .collect();
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0].operation, "BatchUpdateFindingsV2");
    assert_eq!(
        updates[0].region, LOCAL_REGION,
        "marked where it was received"
    );
    assert_eq!(
        updates[0].request["FindingIdentifiers"][0]["CloudAccountUid"],
        MEMBER
    );
    assert_eq!(updates[0].request["StatusId"], 4);
}
