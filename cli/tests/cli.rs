//! The `cloudbots` command as users run it: `bots --json`, and `plan` on the fixture events.

use serde_json::Value;
use std::process::{Command, Output};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures");

fn cloudbots(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cloudbots"))
        .args(args)
        .env_remove("HOME_ACCOUNT_ID")
        .env_remove("GD_ACTIONS")
        .env_remove("ACCOUNT_MODE")
        .output()
        .expect("cloudbots runs")
}

fn json_of(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON on stdout")
}

fn with_tags(fixture: &str, tags: &str) -> Input {
    let mut finding: Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{FIXTURES}/{fixture}")).unwrap())
            .unwrap();
    finding["rule"]["complianceTags"] = Value::String(tags.to_string());
    Input::with(&finding.to_string())
}

/// A test's input file under the target directory, removed when dropped.
struct Input(std::path::PathBuf);

impl Input {
    fn with(contents: &str) -> Self {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("cli-input-{}-{n}.json", std::process::id()));
        std::fs::write(&path, contents).unwrap();
        Input(path)
    }
    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for Input {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn bots_json_lists_the_catalogue_with_params_phase_and_actions() {
    let bots = json_of(&cloudbots(&["bots", "--json"]));
    let bots = bots.as_array().unwrap();
    assert_eq!(bots.len(), cloudbots_shared::catalogue::CATALOGUE.len());
    let single = bots
        .iter()
        .find(|b| b["name"] == "sg_single_rule_delete")
        .unwrap();
    for key in ["name", "summary", "params", "phase", "iam_actions"] {
        assert!(single.get(key).is_some(), "missing {key}");
    }
    assert_eq!(single["phase"], "contain");
    let params: Vec<&str> = single["params"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(params, ["split", "protocol", "scope", "direction", "port"]);
    assert!(single["iam_actions"]
        .as_array()
        .unwrap()
        .contains(&Value::String("ec2:RevokeSecurityGroupIngress".into())));
}

#[test]
fn plan_json_orders_steps_and_inserts_the_snapshot() {
    let input = with_tags(
        "cloudguard/instance_full_entity.json",
        "AUTO: ec2_stop_instance|AUTO: no_such_bot",
    );
    let plan = json_of(&cloudbots(&["plan", input.path(), "--json"]));
    assert!(plan["execution_name"]
        .as_str()
        .unwrap()
        .starts_with("cg-i-0028f9751d334c93a-"));
    let steps: Vec<(&str, &str, bool)> = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["bot"].as_str().unwrap(),
                s["phase"].as_str().unwrap(),
                s["guard"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            ("ec2_create_snapshot", "preserve", true),
            ("ec2_stop_instance", "contain", false)
        ]
    );
    assert_eq!(plan["rejected"][0]["entry"], "AUTO: no_such_bot");
    assert_eq!(
        plan["rejected"][0]["reason"],
        "unknown bot 'no_such_bot': no such bot in the catalogue"
    );
}

#[test]
fn plan_json_is_printed_when_nothing_is_to_run() {
    let input = with_tags("cloudguard/securitygroup_full_entity.json", "");
    let plan = json_of(&cloudbots(&["plan", input.path(), "--json"]));
    assert_eq!(plan["steps"], Value::Array(vec![]));
    assert_eq!(plan["rejected"], Value::Array(vec![]));
    assert!(plan["skipped"]
        .as_str()
        .unwrap()
        .contains("no AUTO: entries"));
}

#[test]
fn plan_applies_the_account_rules_when_the_home_account_is_given() {
    let input = with_tags(
        "cloudguard/instance_full_entity.json",
        "AUTO: ec2_stop_instance",
    );
    let plan = json_of(&cloudbots(&[
        "plan",
        input.path(),
        "--json",
        "--account",
        "111122223333",
    ]));
    assert_eq!(plan["steps"], Value::Array(vec![]));
    assert!(plan["rejected"][0]["reason"]
        .as_str()
        .unwrap()
        .starts_with("This finding was found in account id 621958466464."));
}

#[test]
fn plan_maps_guardduty_findings_with_the_deployment_table() {
    let mapping =
        Input::with(r#"{"Recon:EC2/PortProbeUnprotectedPort": "AUTO: ec2_stop_instance"}"#);
    let event = format!("{FIXTURES}/guardduty/recon_portprobe_eventbridge.json");
    let plan = json_of(&cloudbots(&[
        "plan",
        &event,
        "--json",
        "--guardduty-actions",
        mapping.path(),
    ]));
    assert!(plan["execution_name"]
        .as_str()
        .unwrap()
        .starts_with("gd-i-07711445ed3ea4d78-"));
    assert_eq!(plan["steps"][1]["bot"], "ec2_stop_instance");
    let unmapped = json_of(&cloudbots(&["plan", &event, "--json"]));
    assert_eq!(
        unmapped["skipped"],
        "no bots are defined for GuardDuty finding type Recon:EC2/PortProbeUnprotectedPort"
    );
}

#[test]
fn input_that_is_not_a_finding_fails_with_the_reason_on_stderr() {
    let junk = Input::with("{\"hello\": 1}");
    let out = cloudbots(&["plan", junk.path(), "--json"]);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("error: direct: not a finding"),
        "{stderr}"
    );
    let broken = Input::with("{\"Records\": [");
    let out = cloudbots(&["plan", broken.path()]);
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: the event is not valid JSON"));
}

#[test]
fn the_checked_in_bot_reference_is_generated_from_the_catalogue() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/bots.md");
    let checked_in = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        checked_in == cloudbots_cli::planning::catalogue_markdown(),
        "docs/bots.md is stale: run `cargo run -p cloudbots-cli -- docs > docs/bots.md`"
    );
}
