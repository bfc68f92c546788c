//! The catalogue, the SAM template and the state machine definition must agree: every bot has
//! a function and a role holding exactly the IAM actions it declares, the state machine can
//! invoke exactly those functions, every `${...}` of the definition is given a value, and the
//! audit records the definition writes are the ones the report reads back.
//!
//! The template is checked as text (it is generated with a fixed layout), the definition as
//! JSON.

use cloudbots_cli::member_role;
use cloudbots_cli::template::{
    self, bot_resources, max_function_name_prefix, ResourceIds, ALARMS, BOT_ROLE_PATH,
    RESTORER_ROLE_PATH, UNDO_DEFINITION_SUBSTITUTIONS,
};
use cloudbots_shared::audit::{AuditStatus, STEP_ATTRIBUTES};
use cloudbots_shared::catalogue::{CATALOGUE, RESTORERS};
use serde_json::Value;
use std::collections::BTreeSet;

fn repo_file(path: &str) -> String {
    let full = format!("{}/../{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("reading {full}: {e}"))
}

fn definition() -> Value {
    serde_json::from_str(&repo_file("state_machines/remediation.asl.json"))
        .expect("the state machine definition is JSON")
}

fn undo_definition() -> Value {
    serde_json::from_str(&repo_file("state_machines/undo.asl.json"))
        .expect("the undo state machine definition is JSON")
}

/// The lines of a mapping entry `key:` at `depth` spaces, up to the next entry at that
/// indentation or less.
fn block<'a>(text: &'a str, key: &str, depth: usize) -> Vec<&'a str> {
    let header = format!("{}{key}:", " ".repeat(depth));
    let mut lines = text.lines();
    assert!(
        lines.any(|line| line == header || line.starts_with(&format!("{header} "))),
        "no '{header}' in the template"
    );
    lines
        .take_while(|line| line.is_empty() || indent(line) > depth)
        .filter(|line| !line.is_empty())
        .collect()
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// The items of the list that follows the line `key:` within `lines`.
fn list_after(lines: &[&str], key: &str) -> Vec<String> {
    let start = lines
        .iter()
        .position(|line| line.trim() == format!("{key}:"))
        .unwrap_or_else(|| panic!("no '{key}:' in {lines:#?}"));
    let item_indent = indent(lines[start]) + 2;
    lines[start + 1..]
        .iter()
        .take_while(|line| indent(line) == item_indent)
        .map_while(|line| line.trim().strip_prefix("- "))
        .map(str::to_string)
        .collect()
}

/// One statement of a role's inline policy.
#[derive(Debug, PartialEq)]
struct PolicyStatement {
    sid: String,
    actions: Vec<String>,
    resources: Vec<String>,
}

/// The value of `key`: the rest of the line `key: value`, or the items of the list after `key:`.
fn values(lines: &[&str], key: &str) -> Vec<String> {
    match lines
        .iter()
        .find_map(|l| l.trim().strip_prefix(&format!("{key}: ")))
    {
        Some(single) => vec![single.to_string()],
        None => list_after(lines, key),
    }
}

/// The statements (by Sid) of a role's inline policy, each with its actions and resources.
fn policy_statements(role: &[&str]) -> Vec<PolicyStatement> {
    role.iter()
        .enumerate()
        .filter_map(|(i, line)| {
            let sid = line.trim().strip_prefix("- Sid: ")?;
            let statement: Vec<&str> = std::iter::once(*line)
                .chain(
                    role[i + 1..]
                        .iter()
                        .copied()
                        .take_while(|next| indent(next) > indent(line)),
                )
                .collect();
            Some(PolicyStatement {
                sid: sid.to_string(),
                actions: values(&statement, "Action"),
                resources: values(&statement, "Resource"),
            })
        })
        .collect()
}

/// Fail, naming the first differing line and the command that regenerates it, when the
/// checked-in `path` is not `rendered`.
fn assert_checked_in(path: &str, rendered: &str, command: &str) {
    let checked_in = repo_file(path);
    if checked_in != rendered {
        let line = checked_in
            .lines()
            .zip(rendered.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| checked_in.lines().count().min(rendered.lines().count()));
        panic!(
            "{path} is out of date with the catalogue (first difference at line {}): run \
             `cargo run -p cloudbots-cli -- {command} > {path}`",
            line + 1
        );
    }
}

#[test]
fn checked_in_template_is_the_rendered_one() {
    assert_checked_in("infra/template.yaml", &template::render(), "template");
}

#[test]
fn checked_in_member_role_template_and_policy_are_the_rendered_ones() {
    assert_checked_in(
        "infra/member-role.yaml",
        &member_role::render(),
        "member-role",
    );
    assert_checked_in(
        "infra/member-role-policy.json",
        &member_role::BOTS.render_policy(),
        "member-role --policy",
    );
    assert_checked_in(
        "infra/member-undo-role-policy.json",
        &member_role::UNDO.render_policy(),
        "member-role --undo-policy",
    );
}

#[test]
fn every_bot_has_a_function_and_a_role_with_exactly_its_actions() {
    let text = template::render();
    let bots = bot_resources();
    assert_eq!(bots.len(), CATALOGUE.len());
    for bot in &bots {
        let name = bot.bot.name;
        let function = block(&text, &bot.function_id, 2);
        for expected in [
            "Type: AWS::Serverless::Function".to_string(),
            format!("Binary: {name}"),
            format!("FunctionName: !Sub \"${{FunctionNamePrefix}}{name}\""),
            format!("Role: !GetAtt {}.Arn", bot.role_id),
            format!("LogGroup: !Ref {}", bot.log_group_id),
        ] {
            assert!(
                function.iter().any(|line| line.trim() == expected),
                "{}: no '{expected}'",
                bot.function_id
            );
        }
        let log_group = block(&text, &bot.log_group_id, 2);
        assert!(log_group.iter().any(|line| line.trim()
            == format!("LogGroupName: !Sub \"/aws/lambda/${{FunctionNamePrefix}}{name}\"")));

        let role = block(&text, &bot.role_id, 2);
        assert!(role
            .iter()
            .any(|line| line.trim() == "Service: lambda.amazonaws.com"));
        let statements = policy_statements(&role);
        let sids: Vec<_> = statements.iter().map(|s| s.sid.as_str()).collect();
        let mut granted: Vec<String> = statements[..statements.len() - 1]
            .iter()
            .flat_map(|s| s.actions.clone())
            .collect();
        granted.sort();
        assert_eq!(
            granted,
            bot.bot.role_actions(),
            "{}'s policy must hold exactly the bot's actions",
            bot.role_id
        );
        assert_eq!(statements[0].resources, ["\"*\""]);
        match bot.bot.pass_role() {
            None => assert_eq!(sids, ["BotActions", "AssumeMemberRole"], "{}", bot.role_id),
            Some(scope) => {
                assert_eq!(
                    sids,
                    ["BotActions", "PassRole", "AssumeMemberRole"],
                    "{}",
                    bot.role_id
                );
                assert_eq!(statements[1].actions, ["iam:PassRole"]);
                let roles: Vec<String> = scope
                    .roles
                    .iter()
                    .map(|role| {
                        format!(
                            "!Sub \"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/{role}\""
                        )
                    })
                    .collect();
                assert_eq!(statements[1].resources, roles, "{}", bot.role_id);
                assert!(
                    role.iter().any(
                        |line| line.trim() == format!("iam:PassedToService: {}", scope.service)
                    ),
                    "{}: roles are passed to {} only",
                    bot.role_id,
                    scope.service
                );
            }
        }
        let member = statements.last().unwrap();
        assert_eq!(member.actions, ["sts:AssumeRole"]);
        assert_eq!(
            member.resources,
            ["!Sub \"arn:${AWS::Partition}:iam::*:role/${CrossAccountRoleName}\""],
            "{}: only the member role, by the deployment's role name",
            bot.role_id
        );
        assert!(
            role.iter()
                .any(|line| line.trim() == format!("Path: {BOT_ROLE_PATH}")),
            "{}: bot roles live under {BOT_ROLE_PATH}, the path member roles trust",
            bot.role_id
        );
        let member_role = role
            .iter()
            .position(|line| line.trim() == "- Sid: AssumeMemberRole")
            .unwrap();
        assert_eq!(
            role[member_role - 1].trim(),
            "- IsMulti",
            "{}: the member role is assumed only in multi mode",
            bot.role_id
        );
    }
}

#[test]
fn every_function_is_built_from_a_binary_of_a_package_the_deploy_build_builds() {
    let text = template::render();
    let root = format!("{}/..", env!("CARGO_MANIFEST_DIR"));
    // The deploy build (`cargo lambda build --release --arm64` in the root, and SAM's
    // per-function builds there, `CodeUri: ..`) builds the workspace's default members.
    let manifest = std::fs::read_to_string(format!("{root}/Cargo.toml")).expect("Cargo.toml");
    let default_members: Vec<&str> = manifest
        .split("default-members = [")
        .nth(1)
        .and_then(|rest| rest.split(']').next())
        .expect("the workspace names its default members")
        .split(',')
        .map(|member| member.trim().trim_matches('"'))
        .filter(|member| !member.is_empty())
        .collect();
    let code_uris: BTreeSet<_> = text
        .lines()
        .filter_map(|line| line.trim().strip_prefix("CodeUri: "))
        .collect();
    assert_eq!(
        code_uris,
        BTreeSet::from([".."]),
        "every function builds in the workspace"
    );
    let binaries: Vec<_> = text
        .lines()
        .filter_map(|line| line.trim().strip_prefix("Binary: "))
        .collect();
    assert_eq!(
        binaries.len(),
        CATALOGUE.len() + RESTORERS.len() + 3,
        "the bots, the restorers, the intake, the report and the undo planner"
    );
    for binary in binaries {
        let packages: Vec<_> = default_members
            .iter()
            .filter(|member| {
                std::path::Path::new(&format!("{root}/{member}/src/bin/{binary}.rs")).is_file()
            })
            .collect();
        assert_eq!(
            packages.len(),
            1,
            "'{binary}' must be the binary of exactly one default member of the workspace \
             (the deploy build builds those): found in {packages:?}"
        );
    }
}

#[test]
fn logical_ids_are_unique_and_function_names_fit() {
    let text = template::render();
    let resources = block(&text, "Resources", 0);
    let ids: Vec<_> = resources
        .iter()
        .filter(|line| line.len() - line.trim_start().len() == 2)
        .map(|line| line.trim().trim_end_matches(':'))
        .collect();
    let unique: BTreeSet<_> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "duplicate logical ids in {ids:?}");
    assert!(ids
        .iter()
        .all(|id| id.chars().all(|c| c.is_ascii_alphanumeric())));
    assert!(
        text.contains(&format!(
            "AllowedPattern: \"[A-Za-z0-9_-]{{0,{}}}\"",
            max_function_name_prefix()
        )),
        "the template bounds FunctionNamePrefix so every function name fits Lambda's 64 characters"
    );
    assert!(
        "cloudbots-".len() <= max_function_name_prefix(),
        "the default prefix leaves room for the longest bot name"
    );
    for bot in CATALOGUE.iter() {
        assert!(
            bot.summary.chars().count() <= 256,
            "{}: the summary is the function's description, at most 256 characters",
            bot.name
        );
    }
}

#[test]
fn the_state_machine_may_invoke_exactly_the_bots_and_the_report() {
    let text = template::render();
    let role = block(&text, "RemediationStateMachineRole", 2);
    let start = role
        .iter()
        .position(|line| line.trim() == "- Sid: InvokeBotsAndReport")
        .unwrap();
    assert_eq!(
        list_after(&role[start..], "Action"),
        ["lambda:InvokeFunction"]
    );
    let invoked: BTreeSet<_> = list_after(&role[start..], "Resource").into_iter().collect();
    let expected: BTreeSet<_> = bot_resources()
        .iter()
        .map(|bot| format!("!GetAtt {}.Arn", bot.function_id))
        .chain(["!GetAtt ReportFunction.Arn".to_string()])
        .collect();
    assert_eq!(invoked, expected);
}

/// Every `${Name}` in the strings of a JSON value.
fn substitutions(value: &Value, found: &mut BTreeSet<String>) {
    match value {
        Value::String(text) => {
            let mut rest = text.as_str();
            while let Some(start) = rest.find("${") {
                let end = rest[start..]
                    .find('}')
                    .unwrap_or_else(|| panic!("unclosed substitution in {text}"));
                found.insert(rest[start + 2..start + end].to_string());
                rest = &rest[start + end..];
            }
        }
        Value::Array(items) => items.iter().for_each(|v| substitutions(v, found)),
        Value::Object(map) => map.values().for_each(|v| substitutions(v, found)),
        _ => {}
    }
}

#[test]
fn every_substitution_of_the_definition_has_a_value_and_every_value_is_used() {
    let mut used = BTreeSet::new();
    substitutions(&definition(), &mut used);
    let text = template::render();
    let given: BTreeSet<_> = block(&text, "DefinitionSubstitutions", 6)
        .iter()
        .map(|line| line.trim().split(':').next().unwrap().to_string())
        .collect();
    assert_eq!(used, given);
    assert!(text.contains(&format!("DefinitionUri: {}\n", template::DEFINITION_URI)));
}

#[test]
fn bots_are_invoked_under_the_names_the_template_gives_them() {
    let text = template::render();
    let prefix = block(&text, "DefinitionSubstitutions", 6)
        .into_iter()
        .find_map(|line| line.trim().strip_prefix("BotFunctionArnPrefix: "))
        .unwrap();
    assert!(
        prefix.ends_with(":function:${FunctionNamePrefix}\""),
        "{prefix}"
    );
    let run_bot = &definition()["States"]["RunSteps"]["ItemProcessor"]["States"]["RunBot"];
    assert_eq!(
        run_bot["Parameters"]["FunctionName.$"],
        "States.Format('${BotFunctionArnPrefix}{}', $.step.bot)"
    );
}

/// Every Task state that writes to DynamoDB, with its path for messages.
fn put_items<'a>(value: &'a Value, path: String, found: &mut Vec<(String, &'a Value)>) {
    match value {
        Value::Object(map) => {
            if map.get("Resource").and_then(Value::as_str)
                == Some("arn:aws:states:::dynamodb:putItem")
            {
                found.push((path.clone(), value));
            }
            for (key, child) in map {
                put_items(child, format!("{path}.{key}"), found);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                put_items(child, format!("{path}[{i}]"), found);
            }
        }
        _ => {}
    }
}

#[test]
fn every_audit_write_holds_exactly_the_step_attributes() {
    let definition = definition();
    let undo = undo_definition();
    let mut writes = Vec::new();
    put_items(&definition, "$".into(), &mut writes);
    assert_eq!(
        writes.len(),
        4,
        "rejected entries, outcomes, failures and refused steps"
    );
    let mut undo_writes = Vec::new();
    put_items(&undo, "undo $".into(), &mut undo_writes);
    assert_eq!(
        undo_writes.len(),
        3,
        "steps left alone, restorer outcomes and restorer failures"
    );
    writes.extend(undo_writes);
    let expected: BTreeSet<_> = STEP_ATTRIBUTES.iter().map(|a| a.to_string()).collect();
    for (path, state) in writes {
        let parameters = &state["Parameters"];
        assert_eq!(parameters["TableName"], "${AuditTableName}", "{path}");
        let item = parameters["Item"].as_object().unwrap();
        let attributes: BTreeSet<_> = item.keys().cloned().collect();
        assert_eq!(attributes, expected, "{path}");
        for (name, value) in item {
            let value = value.as_object().unwrap();
            assert_eq!(value.len(), 1, "{path}.{name}");
            assert!(
                value.contains_key("S") || value.contains_key("S.$"),
                "{path}.{name} is a string"
            );
        }
        if let Some(status) = item["status"].get("S") {
            serde_json::from_value::<AuditStatus>(status.clone())
                .unwrap_or_else(|e| panic!("{path}: status {status} is no audit status: {e}"));
        }
        assert!(
            state["Catch"].is_array(),
            "{path}: a failed audit write must be caught"
        );
    }
}

#[test]
fn steps_run_one_at_a_time_with_jittered_retries() {
    let definition = definition();
    let run_steps = &definition["States"]["RunSteps"];
    assert_eq!(run_steps["Type"], "Map");
    assert_eq!(run_steps["MaxConcurrency"], 1);
    assert_eq!(run_steps["ItemsPath"], "$.steps");
    let run_bot = &run_steps["ItemProcessor"]["States"]["RunBot"];
    let retries = run_bot["Retry"].as_array().unwrap();
    assert!(!retries.is_empty());
    for retry in retries {
        assert_eq!(retry["JitterStrategy"], "FULL");
        for field in [
            "IntervalSeconds",
            "MaxAttempts",
            "BackoffRate",
            "MaxDelaySeconds",
        ] {
            assert!(retry[field].is_number(), "RunBot retry without {field}");
        }
    }
    assert!(retries[0]["ErrorEquals"]
        .as_array()
        .unwrap()
        .contains(&Value::from("Transient")));
}

#[test]
fn the_member_roles_hold_every_bot_action_and_every_restorer_action_apart() {
    let bots: BTreeSet<String> = CATALOGUE
        .iter()
        .flat_map(|bot| bot.role_actions().into_iter().map(str::to_string))
        .collect();
    let restorers: BTreeSet<String> = RESTORERS
        .iter()
        .flat_map(|r| r.iam_actions.iter().map(|a| a.to_string()))
        .collect();
    let text = member_role::render();
    for (id, sid, union, file) in [
        (
            "CloudBotsRole",
            "BotActions",
            &bots,
            "infra/member-role-policy.json",
        ),
        (
            "CloudBotsUndoRole",
            "RestoreActions",
            &restorers,
            "infra/member-undo-role-policy.json",
        ),
    ] {
        let role = block(&text, id, 2);
        let policy_start = role
            .iter()
            .position(|line| line.trim() == "Policies:")
            .unwrap();
        let statements = policy_statements(&role[policy_start..]);
        assert_eq!(
            statements,
            [PolicyStatement {
                sid: sid.into(),
                actions: union.iter().cloned().collect(),
                resources: vec!["\"*\"".into()],
            }],
            "{id}"
        );
        let policy: Value = serde_json::from_str(&repo_file(file)).unwrap();
        let json_actions: Vec<String> =
            serde_json::from_value(policy["Statement"][0]["Action"].clone()).unwrap();
        assert_eq!(
            &json_actions,
            &union.iter().cloned().collect::<Vec<_>>(),
            "{file}"
        );
        assert_eq!(policy["Statement"].as_array().unwrap().len(), 1);
        assert_eq!(policy["Statement"][0]["Effect"], "Allow");
    }
    // Neither role can both change and undo: the bots' role cannot start a stopped instance,
    // the undo role cannot stop one.
    assert!(!bots.contains("ec2:StartInstances"));
    assert!(restorers.contains("ec2:StartInstances"));
    assert!(!restorers.contains("ec2:StopInstances"));
}

#[test]
fn the_member_roles_trust_only_the_hub_accounts_bot_or_restorer_roles_with_the_external_id() {
    let text = member_role::render();
    for (id, name, sid, path) in [
        (
            "CloudBotsRole",
            "!Ref RoleName",
            "HubBotRoles",
            "/cloudbots/",
        ),
        (
            "CloudBotsUndoRole",
            "!Sub \"${RoleName}-undo\"",
            "HubRestorerRoles",
            "/cloudbots-undo/",
        ),
    ] {
        let role = block(&text, id, 2);
        assert_eq!(field(&role, "RoleName"), Some(name), "{id}");
        let trust: Vec<&str> = role
            .iter()
            .skip_while(|line| line.trim() != "AssumeRolePolicyDocument:")
            .take_while(|line| line.trim() != "Policies:")
            .map(|line| line.trim())
            .collect();
        let principal = format!(
            "aws:PrincipalArn: !Sub \"arn:${{AWS::Partition}}:iam::${{HubAccountId}}:role{path}*\""
        );
        let expected = [
            "AssumeRolePolicyDocument:",
            "Version: \"2012-10-17\"",
            "Statement:",
            &format!("- Sid: {sid}"),
            "Effect: Allow",
            "Principal:",
            "AWS: !Sub \"arn:${AWS::Partition}:iam::${HubAccountId}:root\"",
            "Action: sts:AssumeRole",
            "Condition:",
            "StringEquals:",
            "sts:ExternalId: !Ref ExternalId",
            "ArnLike:",
            &principal,
        ];
        assert_eq!(trust, expected, "{id}");
    }
    assert_eq!(BOT_ROLE_PATH, "/cloudbots/");
    assert_eq!(RESTORER_ROLE_PATH, "/cloudbots-undo/");
    assert_eq!(
        field(&parameter(&text, "RoleName"), "AllowedPattern"),
        Some("\"[\\\\w+=,.@-]{1,59}\""),
        "the undo role's name, 5 characters longer, fits IAM's 64"
    );
    assert_eq!(
        field(
            &parameter(&template::render(), "CrossAccountRoleName"),
            "AllowedPattern"
        ),
        field(&parameter(&text, "RoleName"), "AllowedPattern"),
        "the hub accepts exactly the member role names"
    );
    assert_eq!(
        field(&parameter(&text, "RoleName"), "Default"),
        Some("Dome9CloudBots")
    );
    let external_id = parameter(&text, "ExternalId");
    assert_eq!(field(&external_id, "NoEcho"), Some("true"));
    assert_eq!(
        field(&external_id, "MinLength"),
        Some("2"),
        "an external id is required"
    );

    // Only the bot roles are under the trusted path: not the intake, report or state machine.
    let hub = template::render();
    for id in ["IntakeRole", "ReportRole", "RemediationStateMachineRole"] {
        assert!(
            !block(&hub, id, 2)
                .iter()
                .any(|l| l.trim().starts_with("Path:")),
            "{id} must not be under {BOT_ROLE_PATH}"
        );
    }
}

/// A stand-in for the AWS CLI: records each call's arguments under `log/<n>/<i>` and answers
/// `sts get-caller-identity`, and `iam get-role` of a role once it was created.
fn fake_aws(dir: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir.join("log")).unwrap();
    let script = dir.join("aws");
    std::fs::write(
        &script,
        r#"#!/usr/bin/env bash
log="$(dirname "$0")/log"
n=$(ls "$log" | wc -l)
mkdir "$log/$n"
i=0
for arg in "$@"; do printf '%s' "$arg" > "$log/$n/$i"; i=$((i + 1)); done
case "$1 $2" in
  "sts get-caller-identity") echo "arn:aws:iam::111111111111:user/admin" ;;
  "iam get-role") [[ -e "$log/../created-$4" ]] || exit 254; echo "arn:aws:iam::111111111111:role/$4" ;;
  "iam create-role") touch "$log/../created-$4" ;;
esac
"#,
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// The arguments of every recorded call, in order.
fn aws_calls(dir: &std::path::Path) -> Vec<Vec<String>> {
    let log = dir.join("log");
    (0..std::fs::read_dir(&log).unwrap().count())
        .map(|n| {
            let call = log.join(n.to_string());
            (0..std::fs::read_dir(&call).unwrap().count())
                .map(|i| std::fs::read_to_string(call.join(i.to_string())).unwrap())
                .collect()
        })
        .collect()
}

fn create_role(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    let path = format!("{}:{}", dir.display(), std::env::var("PATH").unwrap());
    std::process::Command::new(format!(
        "{}/../infra/create_role.sh",
        env!("CARGO_MANIFEST_DIR")
    ))
    .args(args)
    .env("PATH", path)
    .output()
    .expect("create_role.sh runs")
}

fn scratch_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("cloudbots-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn create_role_sh_creates_the_member_roles_of_the_template() {
    let dir = scratch_dir("create-role");
    fake_aws(&dir);
    let out = create_role(&dir, &["222222222222", "s3cret-id"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let calls = aws_calls(&dir);
    let verbs: Vec<String> = calls.iter().map(|c| c[..2].join(" ")).collect();
    let role_verbs = |create: &str| {
        [
            "iam get-role".to_string(),
            format!("iam {create}"),
            "iam put-role-policy".to_string(),
        ]
    };
    let mut expected = vec!["sts get-caller-identity".to_string()];
    expected.extend(role_verbs("create-role"));
    expected.extend(role_verbs("create-role"));
    expected.extend(["iam get-role".to_string(), "iam get-role".to_string()]);
    assert_eq!(verbs, expected);
    let arg = |call: &[String], flag: &str| {
        let i = call.iter().position(|a| a == flag).unwrap();
        call[i + 1].clone()
    };
    for ((create, put), (name, role)) in [(&calls[2], &calls[3]), (&calls[5], &calls[6])]
        .into_iter()
        .zip([
            ("Dome9CloudBots", &member_role::BOTS),
            ("Dome9CloudBots-undo", &member_role::UNDO),
        ])
    {
        assert_eq!(arg(create, "--role-name"), name);
        assert_eq!(arg(create, "--description"), role.description);
        let trust: Value = serde_json::from_str(&arg(create, "--assume-role-policy-document"))
            .expect("the trust policy is JSON");
        assert_eq!(
            trust,
            serde_json::json!({
                "Version": "2012-10-17",
                "Statement": [{
                    "Sid": role.trust_sid,
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::222222222222:root"},
                    "Action": "sts:AssumeRole",
                    "Condition": {
                        "StringEquals": {"sts:ExternalId": "s3cret-id"},
                        "ArnLike": {"aws:PrincipalArn": format!("arn:aws:iam::222222222222:role{}*", role.trusted_path)}
                    }
                }]
            }),
            "{name}"
        );
        assert_eq!(arg(put, "--role-name"), name);
        assert_eq!(arg(put, "--policy-name"), role.policy_name);
        let file = arg(put, "--policy-document");
        let file = file.strip_prefix("file://").expect("the policy is a file");
        assert_eq!(
            std::fs::read_to_string(file).unwrap(),
            role.render_policy(),
            "{name}"
        );
    }
    let printed: Vec<_> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .rev()
        .take(2)
        .map(str::to_string)
        .collect();
    assert_eq!(
        printed,
        [
            "arn:aws:iam::111111111111:role/Dome9CloudBots-undo",
            "arn:aws:iam::111111111111:role/Dome9CloudBots"
        ]
    );

    // Run again (an upgrade): the existing roles' trust is updated, their policies put again.
    let again = create_role(&dir, &["222222222222", "s3cret-id", "Dome9CloudBots"]);
    assert!(again.status.success());
    let verbs: Vec<String> = aws_calls(&dir)[calls.len()..]
        .iter()
        .map(|c| c[..2].join(" "))
        .collect();
    let mut expected = vec!["sts get-caller-identity".to_string()];
    expected.extend(role_verbs("update-assume-role-policy"));
    expected.extend(role_verbs("update-assume-role-policy"));
    expected.extend(["iam get-role".to_string(), "iam get-role".to_string()]);
    assert_eq!(verbs, expected);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn create_role_sh_refuses_bad_arguments_before_calling_aws() {
    let dir = scratch_dir("create-role-bad");
    fake_aws(&dir);
    for (args, message) in [
        (
            &["12345", "s3cret-id"][..],
            "create_role: HUB_ACCOUNT_ID must be a 12-digit account id, got '12345'",
        ),
        (
            &["222222222222", "x\"}]}"][..],
            "create_role: EXTERNAL_ID must be 2 to 1224 of A-Z a-z 0-9 _ + = , . @ : / -",
        ),
        (
            &["222222222222", "s3cret-id", "bad name"][..],
            "create_role: ROLE_NAME must be 1 to 59 of A-Z a-z 0-9 _ + = , . @ -, got 'bad name'",
        ),
        (
            &["222222222222", "s3cret-id", &"r".repeat(60)][..],
            "create_role: ROLE_NAME must be 1 to 59",
        ),
        (&["222222222222"][..], "usage:"),
    ] {
        let out = create_role(&dir, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).starts_with(message),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert!(aws_calls(&dir).is_empty(), "nothing was called");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_intake_may_only_start_the_state_machine_and_write_the_audit() {
    let text = template::render();
    let statements = policy_statements(&block(&text, "IntakeRole", 2));
    assert_eq!(
        statements,
        [
            PolicyStatement {
                sid: "StartRemediation".into(),
                actions: vec!["states:StartExecution".into()],
                resources: vec!["!Ref RemediationStateMachine".into()],
            },
            PolicyStatement {
                sid: "RecordAudit".into(),
                actions: vec!["dynamodb:PutItem".into()],
                resources: vec!["!GetAtt AuditTable.Arn".into()],
            },
            PolicyStatement {
                sid: "KeepFailedEvents".into(),
                actions: vec!["sqs:SendMessage".into()],
                resources: vec!["!GetAtt IntakeDeadLetterQueue.Arn".into()],
            },
        ]
    );
}

#[test]
fn the_state_machine_role_reaches_only_its_functions_the_audit_and_its_metric() {
    let text = template::render();
    let role = block(&text, "RemediationStateMachineRole", 2);
    let statements = policy_statements(&role);
    let scoped: Vec<(&str, &[String], &[String])> = statements
        .iter()
        .map(|s| (s.sid.as_str(), &s.actions[..], &s.resources[..]))
        .collect();
    assert_eq!(
        scoped[1..3],
        [
            (
                "WriteAudit",
                &["dynamodb:PutItem".to_string(), "dynamodb:UpdateItem".into()][..],
                &["!GetAtt AuditTable.Arn".to_string()][..]
            ),
            (
                "PublishThrottledSteps",
                &["cloudwatch:PutMetricData".to_string()][..],
                &["\"*\"".to_string()][..]
            ),
        ]
    );
    let metric = role
        .iter()
        .position(|l| l.trim() == "- Sid: PublishThrottledSteps")
        .unwrap();
    assert!(
        role[metric..]
            .iter()
            .take_while(|l| !l.trim().starts_with("- Sid: DeliverLogs"))
            .any(|l| l.trim() == "cloudwatch:namespace: CloudBots"),
        "metrics only in the CloudBots namespace"
    );
    // The rest serves the console: execution logs and traces, nothing that touches resources.
    for statement in &statements[3..] {
        assert!(
            statement
                .actions
                .iter()
                .all(|a| a.starts_with("logs:") || a.starts_with("xray:")),
            "{statement:?}"
        );
    }
    assert_eq!(statements[0].sid, "InvokeBotsAndReport");
}

/// The parameter block `name` of the template.
fn parameter<'a>(text: &'a str, name: &str) -> Vec<&'a str> {
    let parameters = block(text, "Parameters", 0);
    let start = parameters
        .iter()
        .position(|l| *l == format!("  {name}:"))
        .unwrap_or_else(|| panic!("no parameter {name}"));
    parameters[start + 1..]
        .iter()
        .copied()
        .take_while(|l| indent(l) > 2)
        .collect()
}

fn field<'a>(lines: &[&'a str], key: &str) -> Option<&'a str> {
    lines
        .iter()
        .find_map(|l| l.trim().strip_prefix(&format!("{key}: ")))
}

#[test]
fn every_deployment_parameter_is_documented_and_reaches_its_function() {
    let text = template::render();
    // (parameter, allowed values if it is a choice, the intake variable it sets)
    let expected: [(&str, Option<&str>, Option<&str>); 20] = [
        ("AccountMode", Some("[single, multi]"), Some("ACCOUNT_MODE")),
        (
            "CrossAccountRoleName",
            None,
            Some("CROSS_ACCOUNT_ROLE_NAME"),
        ),
        ("ExternalId", None, None),
        ("AllowedAccounts", None, Some("ALLOWED_ACCOUNTS")),
        ("DeniedAccounts", None, Some("DENIED_ACCOUNTS")),
        ("OutputType", Some("[JSON, text]"), None),
        ("Mode", Some("[enforce, dry-run]"), Some("MODE")),
        ("BotModes", None, Some("BOT_MODES")),
        ("RemediationBudget", None, Some("BUDGET_PER_WINDOW")),
        ("BudgetWindowMinutes", None, Some("BUDGET_WINDOW_MINUTES")),
        (
            "CircuitBreakerFailures",
            None,
            Some("CIRCUIT_BREAKER_FAILURES"),
        ),
        ("ExclusionTagKey", None, Some("EXCLUDE_TAG_KEY")),
        (
            "SnapshotBeforeChange",
            Some("[\"true\", \"false\"]"),
            Some("SNAPSHOT_BEFORE_CHANGE"),
        ),
        ("DestroyBots", None, Some("DESTROY_BOTS")),
        ("GuardDutyActions", None, Some("GD_ACTIONS")),
        (
            "DataCenter",
            Some("[USA, Europe, Australia, Singapore, India, Canada]"),
            None,
        ),
        ("EmailAddress", None, None),
        ("FunctionNamePrefix", None, None),
        ("LogRetentionDays", None, None),
        (
            "CircuitBreakerResetMinutes",
            None,
            Some("CIRCUIT_BREAKER_RESET_MINUTES"),
        ),
    ];
    let intake = block(&text, "IntakeFunction", 2);
    for (name, allowed, variable) in expected {
        let lines = parameter(&text, name);
        let description = field(&lines, "Description").unwrap_or_default();
        assert!(description.len() > 20, "{name} needs a description");
        if let Some(allowed) = allowed {
            assert_eq!(field(&lines, "AllowedValues"), Some(allowed), "{name}");
        }
        if let Some(variable) = variable {
            assert!(
                intake
                    .iter()
                    .any(|l| l.trim() == format!("{variable}: !Ref {name}")),
                "the intake gets {variable} from {name}"
            );
        }
    }
    for (name, default) in [
        ("RemediationBudget", "50"),
        ("BudgetWindowMinutes", "60"),
        ("CircuitBreakerFailures", "3"),
        ("ExclusionTagKey", "cloudbots:exclude"),
        ("CrossAccountRoleName", "Dome9CloudBots"),
    ] {
        assert_eq!(
            field(&parameter(&text, name), "Default"),
            Some(default),
            "{name}"
        );
    }
    assert_eq!(
        field(&parameter(&text, "ExternalId"), "NoEcho"),
        Some("true")
    );
    let rule = block(&text, "MultiAccountNeedsExternalId", 2);
    assert!(rule
        .iter()
        .any(|l| l.trim() == "- Assert: !Not [!Equals [!Ref ExternalId, \"\"]]"));

    // Every bot function gets the external id (to assume member roles); the exclusion tag's key
    // reaches the bots in each step, from the intake, so both always check the same key.
    for bot in bot_resources() {
        let function = block(&text, &bot.function_id, 2);
        assert!(
            function
                .iter()
                .any(|l| l.trim() == "EXTERNAL_ID: !Ref ExternalId"),
            "{}: no external id",
            bot.function_id
        );
        assert!(
            !function.iter().any(|l| l.contains("EXCLUDE_TAG_KEY")),
            "{}: the bots take the exclusion key from the step",
            bot.function_id
        );
    }
}

#[test]
fn only_the_data_centers_cloudguard_account_may_publish_findings() {
    let text = template::render();
    let policy = block(&text, "InputTopicPolicy", 2);
    let principal = [
        "AWS: !Sub",
        "- \"arn:${AWS::Partition}:iam::${PublisherAccount}:root\"",
        "- PublisherAccount: !FindInMap [DataCenters, !Ref DataCenter, PublisherAccount]",
    ];
    let trimmed: Vec<&str> = policy.iter().map(|l| l.trim()).collect();
    assert!(trimmed.windows(3).any(|w| w == principal), "{policy:#?}");
    assert_eq!(
        trimmed.iter().filter(|l| l.starts_with("- Sid:")).count(),
        1,
        "no other publisher"
    );
    // The topic key lets that account (through SNS) encrypt what it publishes.
    let key = block(&text, "TopicKey", 2);
    let cloudguard = key
        .iter()
        .position(|l| l.trim() == "- Sid: CloudGuardPublishes")
        .unwrap();
    let statement: Vec<&str> = key[cloudguard..]
        .iter()
        .map(|l| l.trim())
        .take_while(|l| *l != "- Sid: ServicesPublish")
        .collect();
    assert!(statement.windows(3).any(|w| w == principal));
    assert!(statement.contains(&"- kms:GenerateDataKey*"));
    assert!(statement.contains(&"kms:ViaService: !Sub \"sns.${AWS::Region}.amazonaws.com\""));
    let data_centers = block(&text, "DataCenters", 2);
    for account in [
        "634729597623",
        "723885542676",
        "434316140879",
        "597850136722",
        "578204784313",
        "431603698195",
    ] {
        assert!(
            data_centers
                .iter()
                .any(|l| l.trim() == format!("PublisherAccount: \"{account}\"")),
            "{account}"
        );
    }
}

/// The logical ids of the template's resources of `kind`.
fn resources_of(text: &str, kind: &str) -> Vec<String> {
    let resources = block(text, "Resources", 0);
    let mut found = Vec::new();
    let mut current = "";
    for line in resources {
        if indent(line) == 2 {
            current = line.trim().trim_end_matches(':');
        } else if line.trim() == format!("Type: {kind}") {
            found.push(current.to_string());
        }
    }
    found
}

#[test]
fn logs_are_kept_for_the_retention_traces_are_on_and_storage_is_encrypted() {
    let text = template::render();
    let log_groups = resources_of(&text, "AWS::Logs::LogGroup");
    assert_eq!(
        log_groups.len(),
        CATALOGUE.len() + RESTORERS.len() + 5,
        "bots, restorers, intake, report, undo planner, the two state machines"
    );
    for id in &log_groups {
        assert!(
            block(&text, id, 2).contains(&"      RetentionInDays: !Ref LogRetentionDays"),
            "{id}"
        );
    }
    let functions = resources_of(&text, "AWS::Serverless::Function");
    for id in &functions {
        let function = block(&text, id, 2);
        let log_group = field(&function, "LogGroup").unwrap();
        assert!(
            log_groups.iter().any(|g| format!("!Ref {g}") == log_group),
            "{id}"
        );
    }
    assert!(block(&text, "Globals", 0).contains(&"    Tracing: Active"));
    for id in ["RemediationStateMachine", "UndoStateMachine"] {
        let machine = block(&text, id, 2);
        let tracing = machine.iter().position(|l| l.trim() == "Tracing:").unwrap();
        assert_eq!(machine[tracing + 1].trim(), "Enabled: true", "{id}");
    }

    assert!(block(&text, "AuditTable", 2).contains(&"        SSEEnabled: true"));
    let topics = resources_of(&text, "AWS::SNS::Topic");
    assert_eq!(topics, ["InputTopic", "OutputTopic", "AlarmTopic"]);
    for id in &topics {
        assert_eq!(
            field(&block(&text, id, 2), "KmsMasterKeyId"),
            Some("!GetAtt TopicKey.Arn"),
            "{id} is encrypted with the deployment's key"
        );
    }
    assert_eq!(
        field(&block(&text, "TopicKey", 2), "EnableKeyRotation"),
        Some("true")
    );
}

#[test]
fn a_failed_intake_keeps_its_event_in_an_encrypted_dead_letter_queue() {
    let text = template::render();
    let intake = block(&text, "IntakeFunction", 2);
    let dlq = intake
        .iter()
        .position(|l| l.trim() == "DeadLetterQueue:")
        .expect("the intake has a dead-letter queue");
    assert_eq!(intake[dlq + 1].trim(), "Type: SQS");
    assert_eq!(
        intake[dlq + 2].trim(),
        "TargetArn: !GetAtt IntakeDeadLetterQueue.Arn"
    );
    let queue = block(&text, "IntakeDeadLetterQueue", 2);
    assert!(queue.contains(&"      SqsManagedSseEnabled: true"));
    assert!(
        queue.contains(&"      MessageRetentionPeriod: 1209600"),
        "kept 14 days, the longest SQS allows"
    );
}

#[test]
fn every_alarm_watches_its_metric_and_notifies_the_alarm_topic() {
    let text = template::render();
    assert_eq!(resources_of(&text, "AWS::CloudWatch::Alarm"), ALARMS);
    let expected = [
        (
            "AWS/States",
            "ExecutionsFailed",
            Some("!Ref RemediationStateMachine"),
        ),
        (
            "AWS/States",
            "ExecutionsTimedOut",
            Some("!Ref RemediationStateMachine"),
        ),
        ("AWS/Lambda", "Errors", Some("!Ref IntakeFunction")),
        (
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            Some("!GetAtt IntakeDeadLetterQueue.QueueName"),
        ),
        ("CloudBots", "StepsThrottled", None),
    ];
    for (id, (namespace, metric, dimension)) in ALARMS.iter().zip(expected) {
        let alarm = block(&text, id, 2);
        assert_eq!(field(&alarm, "Namespace"), Some(namespace), "{id}");
        assert_eq!(field(&alarm, "MetricName"), Some(metric), "{id}");
        assert_eq!(field(&alarm, "Value"), dimension, "{id}");
        assert_eq!(
            list_after(&alarm, "AlarmActions"),
            ["!Ref AlarmTopic"],
            "{id}"
        );
        assert_eq!(field(&alarm, "Threshold"), Some("1"), "{id}");
    }
    let subscription = block(&text, "AlarmTopicSubscription", 2);
    assert_eq!(field(&subscription, "Condition"), Some("HasEmail"));
    assert_eq!(field(&subscription, "TopicArn"), Some("!Ref AlarmTopic"));
    assert_eq!(field(&subscription, "Endpoint"), Some("!Ref EmailAddress"));
}

/// Every service integration a Task state of the definition calls, as the IAM action it needs
/// (`arn:aws:states:::dynamodb:putItem` → `dynamodb:PutItem`).
fn integration_actions(value: &Value, found: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(resource) = map.get("Resource").and_then(Value::as_str) {
                let call = resource
                    .strip_prefix("arn:aws:states:::")
                    .unwrap_or_else(|| panic!("{resource} is not a service integration"));
                let call = call.strip_prefix("aws-sdk:").unwrap_or(call);
                let (service, action) = call.split_once(':').unwrap();
                let action = match (service, action) {
                    ("lambda", "invoke") => "InvokeFunction".to_string(),
                    (_, action) => action[..1].to_uppercase() + &action[1..],
                };
                found.insert(format!("{service}:{action}"));
            }
            map.values().for_each(|v| integration_actions(v, found));
        }
        Value::Array(items) => items.iter().for_each(|v| integration_actions(v, found)),
        _ => {}
    }
}

#[test]
fn each_state_machine_role_allows_exactly_the_calls_of_its_definition() {
    let text = template::render();
    for (definition, role) in [
        (definition(), "RemediationStateMachineRole"),
        (undo_definition(), "UndoStateMachineRole"),
    ] {
        let mut called = BTreeSet::new();
        integration_actions(&definition, &mut called);
        let allowed: BTreeSet<String> = policy_statements(&block(&text, role, 2))
            .into_iter()
            .flat_map(|s| s.actions)
            .filter(|a| !a.starts_with("logs:") && !a.starts_with("xray:"))
            .collect();
        assert_eq!(
            allowed, called,
            "{role} must allow what its definition calls, and nothing else"
        );
    }
}

#[test]
fn every_restorer_has_a_function_and_a_role_with_exactly_its_actions_apart_from_the_bots() {
    let text = template::render();
    for restorer in RESTORERS {
        let ids = ResourceIds::of(restorer.name);
        let function = block(&text, &ids.function_id, 2);
        assert!(
            function
                .iter()
                .any(|l| l.trim() == format!("Binary: {}", restorer.name)),
            "{}",
            ids.function_id
        );
        let role = block(&text, &ids.role_id, 2);
        assert!(
            role.iter()
                .any(|l| l.trim() == format!("Path: {RESTORER_ROLE_PATH}")),
            "{}: restorer roles live apart from the bot roles member roles trust",
            ids.role_id
        );
        assert_ne!(RESTORER_ROLE_PATH, BOT_ROLE_PATH);
        let mut expected = vec![PolicyStatement {
            sid: "RestoreActions".into(),
            actions: restorer
                .iam_actions
                .iter()
                .filter(|a| restorer.pass_role().is_none() || **a != "iam:PassRole")
                .map(|a| a.to_string())
                .collect(),
            resources: vec!["\"*\"".into()],
        }];
        if let Some(scope) = restorer.pass_role() {
            expected.push(PolicyStatement {
                sid: "PassRole".into(),
                actions: vec!["iam:PassRole".into()],
                resources: scope
                    .roles
                    .iter()
                    .map(|role| {
                        format!(
                            "!Sub \"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/{role}\""
                        )
                    })
                    .collect(),
            });
            assert!(
                role.iter()
                    .any(|line| line.trim() == format!("iam:PassedToService: {}", scope.service)),
                "{}: roles are passed to {} only",
                ids.role_id,
                scope.service
            );
        }
        expected.push(PolicyStatement {
            sid: "AssumeMemberRole".into(),
            actions: vec!["sts:AssumeRole".into()],
            resources: vec![
                "!Sub \"arn:${AWS::Partition}:iam::*:role/${CrossAccountRoleName}-undo\"".into(),
            ],
        });
        assert_eq!(
            policy_statements(&role),
            expected,
            "{}: exactly the restorer's actions (roles passed to one service only), and only the member account's undo role",
            ids.role_id
        );
    }
    // The bots' roles do not gain the inverse actions: the stop bot cannot start an instance,
    // the bots that only revoke rules cannot authorize one.
    let actions = |bot: &str| {
        cloudbots_shared::catalogue::lookup(bot)
            .unwrap()
            .role_actions()
    };
    assert!(!actions("ec2_stop_instance").contains(&"ec2:StartInstances"));
    for bot in [
        "sg_rules_delete",
        "sg_rules_delete_by_scope",
        "intelligence_sg_rules_delete_by_scope",
        "sg_delete_not_matching_cidr",
        "sg_clear_rules_for_any_scope",
    ] {
        assert!(
            !actions(bot).contains(&"ec2:AuthorizeSecurityGroupIngress"),
            "{bot}"
        );
    }
}

#[test]
fn the_undo_state_machine_invokes_exactly_the_planner_the_restorers_and_the_report() {
    let text = template::render();
    let role = block(&text, "UndoStateMachineRole", 2);
    let statements = policy_statements(&role);
    assert_eq!(statements[0].sid, "InvokePlannerRestorersAndReport");
    assert_eq!(statements[0].actions, ["lambda:InvokeFunction"]);
    let invoked: BTreeSet<_> = statements[0].resources.iter().cloned().collect();
    let expected: BTreeSet<_> = RESTORERS
        .iter()
        .map(|r| format!("!GetAtt {}.Arn", ResourceIds::of(r.name).function_id))
        .chain([
            "!GetAtt PlanUndoFunction.Arn".to_string(),
            "!GetAtt ReportFunction.Arn".to_string(),
        ])
        .collect();
    assert_eq!(invoked, expected);
    assert_eq!(
        statements[1],
        PolicyStatement {
            sid: "WriteAudit".into(),
            actions: vec!["dynamodb:PutItem".into()],
            resources: vec!["!GetAtt AuditTable.Arn".into()],
        }
    );
    for statement in &statements[2..] {
        assert!(
            statement
                .actions
                .iter()
                .all(|a| a.starts_with("logs:") || a.starts_with("xray:")),
            "{statement:?}"
        );
    }
    assert_eq!(
        policy_statements(&block(&text, "PlanUndoRole", 2)),
        [PolicyStatement {
            sid: "ReadAudit".into(),
            actions: vec!["dynamodb:Query".into()],
            resources: vec!["!GetAtt AuditTable.Arn".into()],
        }],
        "the planner reads the audit records and nothing else"
    );

    let mut used = BTreeSet::new();
    substitutions(&undo_definition(), &mut used);
    let given: BTreeSet<_> = UNDO_DEFINITION_SUBSTITUTIONS
        .iter()
        .map(|(name, _)| name.to_string())
        .collect();
    assert_eq!(used, given);
    let machine = block(&text, "UndoStateMachine", 2);
    assert!(machine
        .iter()
        .any(|l| l.trim() == format!("DefinitionUri: {}", template::UNDO_DEFINITION_URI)));
    let restore =
        &undo_definition()["States"]["RestoreSteps"]["ItemProcessor"]["States"]["Restore"];
    assert_eq!(
        restore["Parameters"]["FunctionName.$"],
        "States.Format('${BotFunctionArnPrefix}{}', $.step.prior.restorer)"
    );
    assert_eq!(
        undo_definition()["States"]["RestoreSteps"]["MaxConcurrency"],
        1
    );
}
