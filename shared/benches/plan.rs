//! Intake parse + plan time per finding, for the fixture events (what the intake does before
//! it calls StartExecution). Prints one line per event: `cargo bench -p cloudbots-shared`.

use cloudbots_shared::intake_event::read_event_text;
use cloudbots_shared::mapping::Mappings;
use cloudbots_shared::plan::{plan, PlannerConfig};
use std::hint::black_box;
use std::time::Instant;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures");

fn sns_wrapped(finding: &str) -> String {
    serde_json::json!({"Records": [{"EventSource": "aws:sns", "Sns": {"MessageId": "bench", "Message": finding}}]}).to_string()
}

fn main() {
    let gd =
        Mappings::guardduty(r#"{"Recon:EC2/PortProbeUnprotectedPort": "AUTO: ec2_stop_instance"}"#)
            .unwrap();
    let config = PlannerConfig {
        home_account: Some("621958466464".into()),
        ..Default::default()
    };
    let mut instance: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{FIXTURES}/cloudguard/instance_full_entity.json"))
            .unwrap(),
    )
    .unwrap();
    instance["rule"]["complianceTags"] = "PCI 1.2|AUTO: ec2_stop_instance|AUTO: sg_single_rule_delete split=true protocol=TCP scope=0.0.0.0/0 direction=inbound port=22".into();
    let cases = [
        (
            "CloudGuard instance, full entity (11 KB) in SNS, 3 steps",
            sns_wrapped(&instance.to_string()),
        ),
        (
            "CloudGuard IAM user finding, raw",
            std::fs::read_to_string(format!(
                "{FIXTURES}/cloudguard/iamuser_quarantine_2018.json"
            ))
            .unwrap(),
        ),
        (
            "GuardDuty port probe via EventBridge",
            std::fs::read_to_string(format!(
                "{FIXTURES}/guardduty/recon_portprobe_eventbridge.json"
            ))
            .unwrap(),
        ),
    ];
    for (name, text) in &cases {
        let iterations = 20_000;
        let start = Instant::now();
        for _ in 0..iterations {
            for received in read_event_text(black_box(text), &gd).unwrap() {
                black_box(plan(&received.finding.unwrap(), &config));
            }
        }
        let per = start.elapsed() / iterations;
        println!("{name:<60} {:>8.1} µs per finding", per.as_secs_f64() * 1e6);
    }
}
