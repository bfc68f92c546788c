//! `cloudbots executions|show|undo --stack NAME`, as an operator runs them against a deployed
//! stack: the `cloudbots` binary, configured by the standard AWS chain only (keys and region
//! from the environment, `AWS_ENDPOINT_URL` pointing at moto, no profile of this machine),
//! reading the state machines and the audit table from a CloudFormation stack's outputs.
//!
//! The stack is a CloudFormation stack in moto whose outputs name a real local deployment (its
//! one resource is a topic: moto cannot create state machines from a template with a Lambda
//! gateway behind them). Listings through it must equal the local stack's own. A second stack,
//! enforcing IAM, proves that the permissions the README lists are enough, and that each one
//! withheld is named in the error.

use aws_config::SdkConfig;
use aws_credential_types::Credentials;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use aws_sdk_sfn::types::ExecutionStatus;
use cloudbots_cli::local::deploy::{deploy, DeployOptions};
use cloudbots_cli::local::{
    create_user_with_policy, local_sdk_config, LocalStack, LOCAL_ACCOUNT, LOCAL_REGION,
};
use cloudbots_cli::run::{send, LocalTarget};
use cloudbots_shared::audit::{PK, SK};
use cloudbots_shared::mapping::Mappings;
use cloudbots_shared::plan::PlannerConfig;
use serde_json::{json, Value};
use std::process::Output;
use std::sync::OnceLock;
use std::time::Duration;
use tokio::sync::OnceCell;

/// The stack name the deployment is known by in CloudFormation.
const STACK: &str = "cloudbots-ops";

/// The local stack shared by the tests that do not enforce IAM.
fn local_stack() -> &'static LocalStack {
    static STACK: OnceLock<LocalStack> = OnceLock::new();
    STACK.get_or_init(|| LocalStack::start().expect("the local stack starts"))
}

/// A local deployment, two executions of it (one succeeded, one failed) and the CloudFormation
/// stack [`STACK`] whose outputs name it.
struct Deployed {
    target: LocalTarget,
    succeeded: String,
    failed: String,
}

async fn deployed() -> &'static Deployed {
    static DEPLOYED: OnceCell<Deployed> = OnceCell::const_new();
    DEPLOYED
        .get_or_init(|| async {
            let stack = local_stack();
            let deployment = deploy(stack, &DeployOptions::default())
                .await
                .expect("deploys into the local stack");
            let target = LocalTarget::new(stack.moto_port, stack.gateway_port, &deployment);
            let config = stack.sdk_config(LOCAL_REGION).await;
            let group = open_group(&aws_sdk_ec2::Client::new(&config)).await;
            let succeeded = remediate(&target, &group, "AUTO: sg_single_rule_delete split=true protocol=TCP scope=0.0.0.0/0 direction=inbound port=22").await;
            let failed = remediate(&target, &group, "AUTO: sg_rules_delet").await;
            create_stack(
                &config,
                STACK,
                &[
                    ("StateMachineArn", target.state_machine_arn.as_str()),
                    ("UndoStateMachineArn", target.undo_state_machine_arn.as_str()),
                    ("AuditTableName", target.audit_table.as_str()),
                ],
            )
            .await;
            Deployed {
                target,
                succeeded,
                failed,
            }
        })
        .await
}

/// A security group open on tcp 0-1024 to the world.
async fn open_group(ec2: &aws_sdk_ec2::Client) -> String {
    let group = ec2
        .create_security_group()
        .group_name("operate-stack-open")
        .description("open to the world")
        .send()
        .await
        .expect("creates the group")
        .group_id()
        .expect("a group id")
        .to_string();
    ec2.authorize_security_group_ingress()
        .group_id(&group)
        .ip_permissions(
            aws_sdk_ec2::types::IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(0)
                .to_port(1024)
                .ip_ranges(
                    aws_sdk_ec2::types::IpRange::builder()
                        .cidr_ip("0.0.0.0/0")
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("opens the group");
    group
}

/// Send a CloudGuard finding about `group` tagged `tags` through the deployment's intake; the
/// name of the execution it started, once that has ended.
async fn remediate(target: &LocalTarget, group: &str, tags: &str) -> String {
    let finding = json!({
        "reportTime": "2026-12-03T10:00:00.000Z",
        "findingKey": format!("operate-{tags}"),
        "rule": {"name": "SSH should not be open to the world", "ruleId": "OP.1", "severity": "High", "complianceTags": tags},
        "status": "Failed",
        "account": {"id": LOCAL_ACCOUNT, "vendor": "AWS"},
        "entity": {"id": group, "name": "open", "type": "SecurityGroup", "region": "us_east_1"},
    });
    let event = json!({"Records": [{"EventSource": "aws:sns", "Sns": {"MessageId": tags, "Message": finding.to_string()}}]});
    let planner = PlannerConfig {
        home_account: Some(LOCAL_ACCOUNT.to_string()),
        ..Default::default()
    };
    let intake = target.intake(planner, Mappings::default()).await;
    let sent = send(target, &intake, &event)
        .await
        .expect("the intake accepts the finding");
    sent.executions[0].name.clone()
}

/// Create the CloudFormation stack `name` with these literal outputs and a topic as its one
/// resource.
async fn create_stack(config: &SdkConfig, name: &str, outputs: &[(&str, &str)]) {
    let outputs: serde_json::Map<String, Value> = outputs
        .iter()
        .map(|(key, value)| (key.to_string(), json!({ "Value": value })))
        .collect();
    let template = json!({
        "Resources": {"Placeholder": {"Type": "AWS::SNS::Topic"}},
        "Outputs": outputs,
    });
    aws_sdk_cloudformation::Client::new(config)
        .create_stack()
        .stack_name(name)
        .template_body(template.to_string())
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "creating stack {name}: {}",
                aws_sdk_cloudformation::error::DisplayErrorContext(e)
            )
        });
}

/// Run `cloudbots` against moto on `port`, as the holder of `keys` (none: no credentials at
/// all), in the region AWS_REGION says, with nothing of this machine's AWS configuration.
async fn cloudbots(port: u16, keys: Option<&Credentials>, args: &[&str]) -> Output {
    let nowhere = concat!(env!("CARGO_TARGET_TMPDIR"), "/no-aws-config");
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_cloudbots"));
    command
        .env_clear()
        .current_dir(env!("CARGO_TARGET_TMPDIR"))
        .env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}"))
        .env("AWS_REGION", LOCAL_REGION)
        .env("AWS_CONFIG_FILE", nowhere)
        .env("AWS_SHARED_CREDENTIALS_FILE", nowhere)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .args(args);
    if let Some(keys) = keys {
        command
            .env("AWS_ACCESS_KEY_ID", keys.access_key_id())
            .env("AWS_SECRET_ACCESS_KEY", keys.secret_access_key());
    }
    command.output().await.expect("cloudbots runs")
}

/// Moto's keys when it does not enforce IAM: any will do.
fn any_keys() -> Credentials {
    Credentials::new("testing", "testing", None, None, "test")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The JSON a successful run printed.
fn json_of(output: &Output) -> Value {
    assert!(output.status.success(), "stderr: {}", stderr(output));
    serde_json::from_slice(&output.stdout).expect("JSON on stdout")
}

/// A run that failed: exit code 1, nothing on stdout, and this one error line on stderr.
fn assert_error(output: &Output, expected: &str) {
    assert_eq!(
        (output.status.code(), stdout(output), stderr(output)),
        (Some(1), String::new(), format!("error: {expected}\n"))
    );
}

/// A run that failed with an error line starting with `prefix`.
fn assert_error_starts(output: &Output, prefix: &str) {
    assert_eq!(output.status.code(), Some(1), "stdout: {}", stdout(output));
    assert!(
        stderr(output).starts_with(&format!("error: {prefix}")),
        "expected `error: {prefix}…`, got: {}",
        stderr(output)
    );
}

#[tokio::test]
async fn executions_through_the_stack_are_those_of_the_deployment_it_names() {
    let deployed = deployed().await;
    let port = local_stack().moto_port;
    let local = deployed
        .target
        .operated()
        .await
        .unwrap()
        .executions(None, false)
        .await
        .unwrap();
    let local: Vec<(String, String)> = local.into_iter().map(|e| (e.name, e.status)).collect();
    assert_eq!(local.len(), 2, "{local:?}");

    let listed = json_of(
        &cloudbots(
            port,
            Some(&any_keys()),
            &["executions", "--stack", STACK, "--json"],
        )
        .await,
    );
    let listed: Vec<(String, String)> = listed
        .as_array()
        .expect("a list")
        .iter()
        .map(|e| {
            (
                e["name"].as_str().unwrap().to_string(),
                e["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(listed, local);

    let failed = cloudbots(
        port,
        Some(&any_keys()),
        &["executions", "--stack", STACK, "--failed"],
    )
    .await;
    assert!(failed.status.success(), "stderr: {}", stderr(&failed));
    let lines: Vec<String> = stdout(&failed).lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].ends_with(&format!("remediation FAILED    {}", deployed.failed)),
        "{lines:?}"
    );
}

#[tokio::test]
async fn show_and_undo_through_the_stack_use_its_audit_table_and_undo_state_machine() {
    let deployed = deployed().await;
    let port = local_stack().moto_port;
    let name = deployed.succeeded.as_str();
    let shown = json_of(
        &cloudbots(
            port,
            Some(&any_keys()),
            &["show", name, "--stack", STACK, "--json"],
        )
        .await,
    );
    assert_eq!(
        (&shown["name"], &shown["kind"], &shown["status"]),
        (&json!(name), &json!("remediation"), &json!("SUCCEEDED"))
    );
    assert_eq!(shown["records"][0]["bot"], "sg_single_rule_delete");
    assert_eq!(shown["undo"]["steps"][0]["bot"], "sg_single_rule_delete");

    // The region given on the command line wins over the environment's.
    let undone = json_of(
        &cloudbots(
            port,
            Some(&any_keys()),
            &[
                "undo",
                name,
                "--stack",
                STACK,
                "--region",
                LOCAL_REGION,
                "--dry-run",
                "--json",
            ],
        )
        .await,
    );
    assert_eq!(
        (&undone["name"], &undone["kind"], &undone["status"]),
        (
            &json!(format!("undo-{name}")),
            &json!("undo"),
            &json!("SUCCEEDED")
        ),
        "{undone}"
    );
    assert_eq!(undone["records"][0]["status"], "dry_run", "{undone}");
}

#[tokio::test]
async fn a_missing_stack_or_output_and_missing_credentials_are_errors_saying_what_to_do() {
    let deployed = deployed().await;
    let port = local_stack().moto_port;
    let keys = any_keys();
    assert_error(
        &cloudbots(
            port,
            Some(&keys),
            &["executions", "--stack", "no-such-stack"],
        )
        .await,
        "no stack no-such-stack in us-east-1: give the name cloudbots was deployed as \
         (`sam deploy --stack-name`) and, for a stack in another region, --region",
    );
    assert_error(
        &cloudbots(
            port,
            Some(&keys),
            &["show", "x", "--stack", STACK, "--region", "eu-west-1"],
        )
        .await,
        "no stack cloudbots-ops in eu-west-1: give the name cloudbots was deployed as \
         (`sam deploy --stack-name`) and, for a stack in another region, --region",
    );

    let config = local_sdk_config(port, LOCAL_REGION).await;
    create_stack(
        &config,
        "cloudbots-before-undo",
        &[
            (
                "StateMachineArn",
                deployed.target.state_machine_arn.as_str(),
            ),
            ("AuditTableName", deployed.target.audit_table.as_str()),
        ],
    )
    .await;
    assert_error(
        &cloudbots(
            port,
            Some(&keys),
            &[
                "undo",
                &deployed.succeeded,
                "--stack",
                "cloudbots-before-undo",
            ],
        )
        .await,
        "stack cloudbots-before-undo in us-east-1 has no output UndoStateMachineArn: it was \
         deployed by an older cloudbots; deploy the current template (`sam build -t \
         infra/template.yaml && sam deploy`) to add it",
    );

    assert_error_starts(
        &cloudbots(port, None, &["executions", "--stack", STACK]).await,
        "reading stack cloudbots-ops in us-east-1: no AWS credentials found: set AWS_PROFILE",
    );

    let local_only = cloudbots(port, Some(&keys), &["executions", "--region", "eu-west-1"]).await;
    assert_eq!(local_only.status.code(), Some(2), "a usage error");
    assert!(
        stderr(&local_only).contains("--stack"),
        "{}",
        stderr(&local_only)
    );
}

/// The operator's permissions the README lists.
const OPERATOR_ACTIONS: [&str; 5] = [
    "cloudformation:DescribeStacks",
    "states:ListExecutions",
    "states:DescribeExecution",
    "states:StartExecution",
    "dynamodb:Query",
];

fn policy_allowing(actions: &[&str]) -> String {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]})
        .to_string()
}

#[tokio::test]
async fn the_documented_permissions_suffice_and_each_one_withheld_is_named() {
    let stack = LocalStack::start_with_admins(&[]).expect("the local stack starts");
    let config = stack.sdk_config(LOCAL_REGION).await;

    // A deployment whose state machines pass their input on: moto's own engine cannot sign
    // as a user once IAM is enforced, and these make no call.
    let sfn = aws_sdk_sfn::Client::new(&config);
    let mut machines = Vec::new();
    for name in ["ops-remediation", "ops-undo"] {
        let created = sfn
            .create_state_machine()
            .name(name)
            .definition(r#"{"StartAt":"Pass","States":{"Pass":{"Type":"Pass","End":true}}}"#)
            .role_arn(format!("arn:aws:iam::{LOCAL_ACCOUNT}:role/ops-states"))
            .send()
            .await
            .expect("creates the state machine");
        machines.push(created.state_machine_arn().to_string());
    }
    let key = |name: &str, kind| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
            .unwrap()
    };
    let attribute = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .unwrap()
    };
    aws_sdk_dynamodb::Client::new(&config)
        .create_table()
        .table_name("ops-audit")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attribute(PK))
        .attribute_definitions(attribute(SK))
        .key_schema(key(PK, KeyType::Hash))
        .key_schema(key(SK, KeyType::Range))
        .send()
        .await
        .expect("creates the audit table");
    create_stack(
        &config,
        "ops",
        &[
            ("StateMachineArn", machines[0].as_str()),
            ("UndoStateMachineArn", machines[1].as_str()),
            ("AuditTableName", "ops-audit"),
        ],
    )
    .await;
    let execution = "cg-ops-1";
    let started = sfn
        .start_execution()
        .state_machine_arn(&machines[0])
        .name(execution)
        .input("{}")
        .send()
        .await
        .expect("starts the execution");
    for _ in 0..100 {
        let described = sfn
            .describe_execution()
            .execution_arn(started.execution_arn())
            .send()
            .await
            .expect("describes the execution");
        if described.status() != &ExecutionStatus::Running {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let iam = aws_sdk_iam::Client::new(&config);
    let operator = create_user_with_policy(&iam, "operator", &policy_allowing(&OPERATOR_ACTIONS))
        .await
        .unwrap();
    let mut withheld = Vec::new();
    for action in OPERATOR_ACTIONS {
        let others: Vec<&str> = OPERATOR_ACTIONS
            .into_iter()
            .filter(|a| *a != action)
            .collect();
        let user = format!("without-{}", action.replace(':', "-"));
        let keys = create_user_with_policy(&iam, &user, &policy_allowing(&others))
            .await
            .unwrap();
        withheld.push((action, keys));
    }
    stack.enforce_iam().await.unwrap();
    let port = stack.moto_port;

    // With the documented permissions, every command works.
    let listed = json_of(
        &cloudbots(
            port,
            Some(&operator),
            &["executions", "--stack", "ops", "--json"],
        )
        .await,
    );
    assert_eq!(listed[0]["name"], execution, "{listed}");
    let shown = json_of(
        &cloudbots(
            port,
            Some(&operator),
            &["show", execution, "--stack", "ops", "--json"],
        )
        .await,
    );
    assert_eq!(shown["status"], "SUCCEEDED", "{shown}");
    let undone = json_of(
        &cloudbots(
            port,
            Some(&operator),
            &["undo", execution, "--stack", "ops", "--json"],
        )
        .await,
    );
    assert_eq!(
        (&undone["name"], &undone["status"]),
        (&json!(format!("undo-{execution}")), &json!("SUCCEEDED")),
        "{undone}"
    );

    // Without any one of them, the command needing it names it.
    for (action, keys) in &withheld {
        let (args, doing): (&[&str], String) = match *action {
            "cloudformation:DescribeStacks" => (
                &["executions", "--stack", "ops"],
                "reading stack ops in us-east-1: access denied: your AWS identity needs \
                 cloudformation:DescribeStacks; grant it ("
                    .to_string(),
            ),
            "states:ListExecutions" => (
                &["executions", "--stack", "ops"],
                "listing the executions: access denied: your AWS identity needs \
                 states:ListExecutions; grant it ("
                    .to_string(),
            ),
            "states:DescribeExecution" => (
                &["show", execution, "--stack", "ops"],
                format!(
                    "describing execution {execution}: access denied: your AWS identity needs \
                     states:DescribeExecution; grant it ("
                ),
            ),
            "states:StartExecution" => (
                &["undo", execution, "--stack", "ops"],
                format!(
                    "starting undo-{execution}-2: access denied: your AWS identity needs \
                     states:StartExecution; grant it ("
                ),
            ),
            "dynamodb:Query" => (
                &["show", execution, "--stack", "ops"],
                "reading the audit records: access denied: your AWS identity needs \
                 dynamodb:Query on the audit table; grant it ("
                    .to_string(),
            ),
            other => unreachable!("{other}"),
        };
        assert_error_starts(&cloudbots(port, Some(keys), args).await, &doing);
    }
}
