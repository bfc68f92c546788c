//! The catalogue, the SAM template and the state machine definition must agree: every bot has
//! a function and a role holding exactly the IAM actions it declares, the state machine can
//! invoke exactly those functions, every `${...}` of the definition is given a value, and the
//! audit records the definition writes are the ones the report reads back.
//!
//! The template is checked as text (it is generated with a fixed layout), the definition as
//! JSON.

use cloudbots_cli::template::{self, bot_resources, max_function_name_prefix};
use cloudbots_shared::audit::{AuditStatus, STEP_ATTRIBUTES};
use cloudbots_shared::catalogue::CATALOGUE;
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

/// The statements (by Sid) of a role's inline policy, each with its actions.
fn policy_statements(role: &[&str]) -> Vec<(String, Vec<String>)> {
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
            let actions = match statement
                .iter()
                .find_map(|l| l.trim().strip_prefix("Action: "))
            {
                Some(single) => vec![single.to_string()],
                None => list_after(&statement, "Action"),
            };
            Some((sid.to_string(), actions))
        })
        .collect()
}

#[test]
fn checked_in_template_is_the_rendered_one() {
    let checked_in = repo_file("infra/template.yaml");
    let rendered = template::render();
    if checked_in != rendered {
        let line = checked_in
            .lines()
            .zip(rendered.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| checked_in.lines().count().min(rendered.lines().count()));
        panic!(
            "infra/template.yaml is out of date with the catalogue (first difference at line \
             {}): run `cargo run -p cloudbots-cli -- template > infra/template.yaml`",
            line + 1
        );
    }
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
        let sids: Vec<_> = statements.iter().map(|(sid, _)| sid.as_str()).collect();
        assert_eq!(sids, ["BotActions", "AssumeMemberRole"], "{}", bot.role_id);
        assert_eq!(
            statements[0].1, bot.bot.iam_actions,
            "{}'s policy must hold exactly the bot's actions",
            bot.role_id
        );
        assert_eq!(statements[1].1, ["sts:AssumeRole"]);
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
fn every_function_is_built_from_a_binary_of_the_functions_package() {
    let text = template::render();
    let binaries: Vec<_> = text
        .lines()
        .filter_map(|line| line.trim().strip_prefix("Binary: "))
        .collect();
    assert_eq!(
        binaries.len(),
        CATALOGUE.len() + 2,
        "the bots, intake and report"
    );
    for binary in binaries {
        let source = format!(
            "{}/../functions/src/bin/{binary}.rs",
            env!("CARGO_MANIFEST_DIR")
        );
        assert!(
            std::path::Path::new(&source).is_file(),
            "the template builds '{binary}', but {source} does not exist"
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
    let mut writes = Vec::new();
    put_items(&definition, "$".into(), &mut writes);
    assert_eq!(writes.len(), 3, "rejected entries, outcomes and failures");
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
