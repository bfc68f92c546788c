//! Fuzzing the intake's reading of hostile input: SNS, EventBridge (GuardDuty, Security Hub
//! ASFF and OCSF) and raw CloudGuard events,
//! the `AUTO:` grammar, every bot's parameter parser and the planner, with structure-aware
//! generators (real events with mutated fields, random JSON in any field, tag strings full of
//! quotes, shell characters, unicode and control characters, broken JSON text).
//!
//! Each property asserts that reading and planning end without a panic, within a time bound,
//! and keep the invariants the rest of the system relies on: an execution name Step Functions
//! accepts, a plan that survives the JSON trip through the state machine, and a feedback key
//! that never reaches it. The case count comes from `PROPTEST_CASES` (default: a CI-sized
//! run); `scripts/fuzz.sh` runs it for a given time with fresh seeds.

use cloudbots_shared::catalogue::CATALOGUE;
use cloudbots_shared::finding::Finding;
use cloudbots_shared::grammar::entries;
use cloudbots_shared::intake_event::{excerpt, read_event, read_event_text};
use cloudbots_shared::mapping::Mappings;
use cloudbots_shared::output::{build, render, OutputType};
use cloudbots_shared::plan::{plan, AccountMode, Mode, Plan, PlannerConfig};
use cloudbots_shared::region;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{json, Map, Value};
use std::time::{Duration, Instant};

/// Cases per property when `PROPTEST_CASES` is not set: the whole file stays well under 30 s.
const CI_CASES: u32 = 400;
/// One case (read + plan under every configuration) must end within this, debug build.
const CASE_BUDGET: Duration = Duration::from_secs(2);

fn fixture(path: &str) -> Value {
    let path = format!("{}/../tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).expect(&path)).expect(&path)
}

/// The real messages the intake receives, as the mutations' starting points.
fn seeds() -> Vec<Value> {
    let mut seeds: Vec<Value> = [
        "cloudtrail_metric_filter_findingkey_2019.json",
        "iamuser_quarantine_2018.json",
        "instance_full_entity.json",
        "instance_pci_tag_delete_sg_2018.json",
        "instance_remediationactions_feedback_2023.json",
        "s3bucket_full_entity_s3_delete_permissions.json",
        "s3bucket_sg_rules_delete_2018.json",
        "securitygroup_full_entity.json",
    ]
    .iter()
    .map(|name| fixture(&format!("cloudguard/{name}")))
    .collect();
    seeds.push(fixture("guardduty/recon_portprobe_eventbridge.json"));
    let securityhub = format!(
        "{}/../tests/fixtures/securityhub",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut names: Vec<String> = std::fs::read_dir(&securityhub)
        .expect(&securityhub)
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".json"))
        .collect();
    names.sort();
    assert!(names.len() >= 10, "the Security Hub fixtures: {names:?}");
    seeds.extend(
        names
            .iter()
            .map(|name| fixture(&format!("securityhub/{name}"))),
    );
    seeds
}

fn guardduty_actions() -> Mappings {
    Mappings::guardduty(
        r#"{"Recon:EC2/PortProbeUnprotectedPort": "AUTO: ec2_stop_instance",
            "UnauthorizedAccess:IAMUser/MaliciousIPCaller": "AUTO: iam_quarantine_user",
            "UnauthorizedAccess:EC2/SSHBruteForce": "AUTO: ec2_stop_instance",
            "Execution:Runtime/NewBinaryExecuted": "AUTO: ec2_quarantine_instance"}"#,
    )
    .and_then(|m| m.with_securityhub(include_str!("../../infra/securityhub-actions.json")))
    .expect("a valid mapping")
}

/// Every planner configuration a deployment can have, in kind.
fn configs() -> Vec<PlannerConfig> {
    vec![
        PlannerConfig::default(),
        PlannerConfig {
            home_account: Some("621958466464".to_string()),
            ..Default::default()
        },
        PlannerConfig {
            home_account: Some("111122223333".to_string()),
            account_mode: AccountMode::Multi,
            snapshot_before_change: false,
            mode: Mode::DryRun,
            ..Default::default()
        }
        .with_every_destroy_bot(),
    ]
}

fn runner() -> TestRunner {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(CI_CASES);
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

/// Run a property and print how many cases ran (`scripts/fuzz.sh` adds these up).
fn fuzz<S: Strategy>(name: &str, strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S::Value: std::fmt::Debug,
{
    let mut runner = runner();
    let cases = runner.config().cases;
    if let Err(e) = runner.run(&strategy, test) {
        panic!("fuzz {name}: {e}");
    }
    println!("fuzz {name}: {cases} cases");
}

// ---------- generators ----------

/// Characters that break naive parsers: quotes, shell syntax, separators, unicode, controls.
fn nasty_char() -> impl Strategy<Value = char> {
    prop_oneof![
        3 => any::<char>(),
        2 => prop::sample::select(vec![
            '"', '\'', '`', '$', '(', ')', ';', '|', '&', '\\', '/', '.', ':', ' ', '\t', '\n',
            '\r', '\0', '\u{7f}', '\u{202e}', '\u{feff}', '\u{200b}', 'é', 'ß', '中', '🦀', '*',
            '%', '{', '}', '[', ']', ',', '=', '#',
        ]),
        3 => prop::char::range('a', 'z'),
    ]
}

fn nasty_string() -> impl Strategy<Value = String> {
    prop::collection::vec(nasty_char(), 0..40).prop_map(|c| c.into_iter().collect())
}

/// Tokens of the `AUTO:` grammar, real and near-miss, mixed with hostile text.
fn tag_token() -> impl Strategy<Value = String> {
    let bots: Vec<String> = CATALOGUE.iter().map(|b| b.name.to_string()).collect();
    prop_oneof![
        3 => prop::sample::select(bots),
        2 => prop::sample::select(vec![
            "AUTO:", "AUTO: ", "auto:", "AUTO:  ", " ", "  ", "|", "||", "22", "tcp", "udp",
            "0.0.0.0/0", "::/0", "10.0.0.1/33", "-1", "65536", "all", "$(reboot)", "`id`",
            "; rm -rf /", "../../etc/passwd", "'quoted'", "\"q\"", "dryRun", "true", "x=y",
            "arn:aws:iam::123456789012:policy/P", "arn:aws:iam::", "sg-123", "i-1", "key=value",
            "99999999999999999999", "\u{0}", "\u{202e}", "🦀",
        ])
        .prop_map(str::to_string),
        1 => nasty_string(),
    ]
}

fn tag_string() -> impl Strategy<Value = String> {
    prop::collection::vec(tag_token(), 0..24).prop_map(|tokens| {
        let mut text = String::new();
        for token in tokens {
            text.push_str(&token);
            text.push(' ');
        }
        text
    })
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|n| json!(n)),
        nasty_string().prop_map(Value::String),
        tag_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(nasty_string(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// A change to one place of a message, chosen by its index among the message's places.
#[derive(Debug, Clone)]
enum Mutation {
    Replace(usize, Value),
    Remove(usize),
    Tags(String),
    Actions(Vec<String>),
    Field(&'static str, Value),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let fields = prop::sample::select(vec![
        "account",
        "rule",
        "entity",
        "status",
        "findingKey",
        "reportTime",
        "executionId",
        "remediationActions",
        "logsHttpEndpoint",
        "logsHttpEndpointKey",
        "additionalFields",
        "detail",
        "detail-type",
        "source",
        "id",
        "region",
    ]);
    prop_oneof![
        4 => (any::<usize>(), arb_json()).prop_map(|(i, v)| Mutation::Replace(i, v)),
        2 => any::<usize>().prop_map(Mutation::Remove),
        4 => tag_string().prop_map(Mutation::Tags),
        2 => prop::collection::vec(tag_string(), 0..4).prop_map(Mutation::Actions),
        2 => (fields, arb_json()).prop_map(|(f, v)| Mutation::Field(f, v)),
    ]
}

/// Every JSON pointer of a value, containers included.
fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let p = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                out.push(p.clone());
                pointers(v, p, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                let p = format!("{at}/{i}");
                out.push(p.clone());
                pointers(v, p, out);
            }
        }
        _ => {}
    }
}

fn apply(message: &mut Value, mutation: &Mutation) {
    let mut places = Vec::new();
    pointers(message, String::new(), &mut places);
    let place = |i: usize| places.get(i % places.len().max(1)).cloned();
    match mutation {
        Mutation::Replace(i, v) => {
            if let Some(slot) = place(*i).and_then(|p| message.pointer_mut(&p)) {
                *slot = v.clone();
            }
        }
        Mutation::Remove(i) => {
            if let Some(p) = place(*i) {
                let (parent, key) = p.rsplit_once('/').expect("a pointer has a slash");
                match message.pointer_mut(parent) {
                    Some(Value::Object(map)) => {
                        map.remove(&key.replace("~1", "/").replace("~0", "~"));
                    }
                    Some(Value::Array(items)) => {
                        if let Ok(i) = key.parse::<usize>() {
                            items.remove(i);
                        }
                    }
                    _ => {}
                }
            }
        }
        Mutation::Tags(tags) => {
            if let Some(rule) = message.get_mut("rule").and_then(Value::as_object_mut) {
                rule.insert("complianceTags".to_string(), json!(tags));
            }
        }
        Mutation::Actions(actions) => {
            if let Some(obj) = message.as_object_mut() {
                obj.insert("remediationActions".to_string(), json!(actions));
            }
        }
        Mutation::Field(field, v) => {
            if let Some(obj) = message.as_object_mut() {
                obj.insert(field.to_string(), v.clone());
            }
        }
    }
}

/// How the message reaches the intake.
#[derive(Debug, Clone)]
enum Wrapping {
    Raw,
    SnsString(String),
    SnsObject(String),
    /// Several SNS records, the message in each.
    SnsMany(usize),
}

fn wrapping() -> impl Strategy<Value = Wrapping> {
    prop_oneof![
        Just(Wrapping::Raw),
        nasty_string().prop_map(Wrapping::SnsString),
        nasty_string().prop_map(Wrapping::SnsObject),
        (0usize..5).prop_map(Wrapping::SnsMany),
    ]
}

fn wrap(message: Value, wrapping: &Wrapping) -> Value {
    let record = |id: &str, m: Value| json!({"EventSource": "aws:sns", "Sns": {"MessageId": id, "Message": m}});
    match wrapping {
        Wrapping::Raw => message,
        Wrapping::SnsString(id) => json!({"Records": [record(id, json!(message.to_string()))]}),
        Wrapping::SnsObject(id) => json!({"Records": [record(id, message)]}),
        Wrapping::SnsMany(n) => {
            let records: Vec<Value> = (0..*n)
                .map(|i| record(&format!("m-{i}"), json!(message.to_string())))
                .collect();
            json!({"Records": records})
        }
    }
}

/// A mutated real event, as the intake would receive it.
fn hostile_event() -> impl Strategy<Value = Value> {
    let seeds = seeds();
    (
        0..seeds.len(),
        prop::collection::vec(mutation(), 0..6),
        wrapping(),
    )
        .prop_map(move |(seed, mutations, wrapping)| {
            let mut message = seeds[seed].clone();
            for m in &mutations {
                apply(&mut message, m);
            }
            wrap(message, &wrapping)
        })
}

/// Text that is almost an event: a real event serialised, then cut, spliced or corrupted.
fn hostile_text() -> impl Strategy<Value = String> {
    (
        hostile_event(),
        any::<usize>(),
        any::<usize>(),
        nasty_string(),
    )
        .prop_map(|(event, at, len, insert)| {
            let text = event.to_string();
            let mut chars: Vec<char> = text.chars().collect();
            let at = at % (chars.len() + 1);
            let end = (at + len % 8).min(chars.len());
            chars.splice(at..end, insert.chars());
            chars.into_iter().collect()
        })
}

// ---------- properties ----------

/// Plan a finding under every configuration and check what the state machine relies on.
fn check_finding(finding: &Finding) -> Result<(), TestCaseError> {
    for config in configs() {
        let planned = plan(finding, &config);
        let name = &planned.execution_name;
        prop_assert!(
            (1..=80).contains(&name.len())
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
            "execution name Step Functions would refuse: {name:?}"
        );
        let input = serde_json::to_string(&planned).expect("a plan serialises");
        if let Some(key) = &finding.feedback_key {
            if key.expose().len() >= 8 {
                prop_assert!(
                    !input.contains(key.expose()),
                    "feedback key in the execution input"
                );
            }
        }
        let back: Plan = serde_json::from_str(&input).map_err(|e| {
            TestCaseError::fail(format!("the plan does not read back: {e}: {input}"))
        })?;
        prop_assert_eq!(back.steps.len(), planned.steps.len());
        prop_assert_eq!(back.rejected.len(), planned.rejected.len());
        for (i, step) in planned.steps.iter().enumerate() {
            prop_assert_eq!(step.index, i);
        }
        let phases: Vec<_> = planned.steps.iter().map(|s| s.phase).collect();
        prop_assert!(
            phases.windows(2).all(|w| w[0] <= w[1]),
            "steps out of phase order"
        );
        let message = build(&planned, &[]);
        render(&message, OutputType::Json);
        render(&message, OutputType::Text);
    }
    Ok(())
}

fn check_event(event: &Value) -> Result<(), TestCaseError> {
    let started = Instant::now();
    for received in read_event(event, &guardduty_actions()) {
        match &received.finding {
            Ok(finding) => check_finding(finding)?,
            Err(reason) => prop_assert!(!reason.is_empty()),
        }
    }
    prop_assert!(
        started.elapsed() < CASE_BUDGET,
        "took {:?}",
        started.elapsed()
    );
    Ok(())
}

#[test]
fn mutated_events_never_panic_and_plan_cleanly() {
    fuzz("events", hostile_event(), |event| check_event(&event));
}

#[test]
fn broken_event_text_never_panics() {
    fuzz("text", hostile_text(), |text| {
        let started = Instant::now();
        if let Ok(received) = read_event_text(&text, &guardduty_actions()) {
            for r in received {
                if let Ok(finding) = r.finding {
                    check_finding(&finding)?;
                }
            }
        }
        let cut = excerpt(&text);
        prop_assert!(
            cut.chars().count() <= 400,
            "excerpt too long: {}",
            cut.len()
        );
        prop_assert!(started.elapsed() < CASE_BUDGET);
        Ok(())
    });
}

#[test]
fn any_json_value_is_read_without_panic() {
    fuzz("json", arb_json(), |value| {
        check_event(&value)?;
        check_event(&json!({"Records": [value.clone()]}))?;
        check_event(&json!({"detail-type": "GuardDuty Finding", "detail": value}))
    });
}

#[test]
fn auto_grammar_and_bot_params_never_panic() {
    fuzz(
        "grammar",
        (
            tag_string(),
            prop::collection::vec(arb_json(), 0..4),
            prop::collection::vec(tag_token(), 0..6),
        ),
        |(tags, actions, params)| {
            let started = Instant::now();
            for parsed in entries(Some(&tags), &actions) {
                if let cloudbots_shared::grammar::ParsedEntry::Malformed { reason, .. } = parsed {
                    prop_assert!(!reason.is_empty());
                }
            }
            for bot in CATALOGUE.iter() {
                let _ = bot.parse_params(&params);
            }
            let _ = region::normalise(Some(&tags));
            let _ = Mappings::guardduty(&tags);
            prop_assert!(started.elapsed() < CASE_BUDGET);
            Ok(())
        },
    );
}

/// A bot's documented `AUTO:` line with one parameter (or the value of a `key=value` one)
/// replaced by hostile text: every parser is reached with all its other params valid.
fn near_valid_params() -> impl Strategy<Value = (&'static str, Vec<String>)> {
    (
        0..CATALOGUE.len(),
        any::<usize>(),
        prop_oneof![nasty_string(), tag_token()],
    )
        .prop_map(|(bot, at, hostile)| {
            let spec = CATALOGUE[bot];
            let mut params: Vec<String> = spec
                .example
                .split(' ')
                .skip(2)
                .map(str::to_string)
                .collect();
            if params.is_empty() {
                params.push(hostile);
            } else {
                let at = at % params.len();
                params[at] = match params[at].split_once('=') {
                    Some((key, _)) => format!("{key}={hostile}"),
                    None => hostile,
                };
            }
            (spec.name, params)
        })
}

#[test]
fn every_bot_parser_takes_hostile_values_without_panic() {
    fuzz("params", near_valid_params(), |(bot, params)| {
        let spec = CATALOGUE
            .iter()
            .find(|b| b.name == bot)
            .expect("a catalogued bot");
        if let Err(reason) = spec.parse_params(&params) {
            prop_assert!(!reason.is_empty());
        }
        Ok(())
    });
}
