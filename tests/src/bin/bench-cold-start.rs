//! Cold start of built function binaries, measured the way Lambda starts them.
//!
//! Each run execs the binary afresh against a small Lambda Runtime API emulator on 127.0.0.1
//! (the `/2018-06-01/runtime/invocation/next` and `/response` endpoints), with the AWS
//! endpoint pointed at the local stack (moto), and records:
//!
//! - **init**: exec → the binary's first `/next` request (runtime, configuration, clients);
//! - **step**: the event handed over → its `/response` (a real step: its first AWS calls);
//! - **peak RSS**: the process's high-water mark (`VmHWM`) once it has answered.
//!
//! The bot is `ec2_stop_instance` on a running moto instance (a fresh one each run, so every
//! run really stops one); the intake gets a CloudGuard finding, a new generation each run, and
//! starts its execution in the deployed local state machine. `scripts/bench-cold-start.sh`
//! builds the release binaries and runs this; it prints min/median/max of each figure.

use aws_sdk_ec2::types::InstanceStateName;
use cloudbots_cli::local::deploy::{deploy, DeployOptions};
use cloudbots_cli::local::{LocalStack, LOCAL_REGION};
use cloudbots_cli::run::{view_execution, LocalTarget};
use cloudbots_shared::plan::Mode;
use cloudbots_tests::e2e::sns_event;
use cloudbots_tests::resources::{instance_state, running_instance};
use cloudbots_tests::{entity, step_input};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::time::{Duration, Instant};

const USAGE: &str = "usage: bench-cold-start [--runs N] BOT_BINARY INTAKE_BINARY";

/// What one run measured.
struct Run {
    init: Duration,
    step: Duration,
    peak_rss_kib: u64,
    response: Value,
}

fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1).collect::<Vec<_>>();
    let mut runs = 20usize;
    if let Some(at) = args.iter().position(|a| a == "--runs") {
        runs = args
            .get(at + 1)
            .and_then(|n| n.parse().ok())
            .filter(|n| *n > 0)
            .ok_or(USAGE)?;
        args.drain(at..at + 2);
    }
    let [bot, intake] = <[String; 2]>::try_from(args).map_err(|_| USAGE.to_string())?;
    let (bot, intake) = (PathBuf::from(bot), PathBuf::from(intake));
    for binary in [&bot, &intake] {
        if !binary.is_file() {
            return Err(format!(
                "{} is not a built binary\n{USAGE}",
                binary.display()
            ));
        }
    }

    let stack = LocalStack::start()?;
    let tokio = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    let aws = tokio.block_on(stack.sdk_config(LOCAL_REGION));
    let ec2 = aws_sdk_ec2::Client::new(&aws);
    let deployment = tokio.block_on(deploy(&stack, &DeployOptions::default()))?;
    let target = LocalTarget::new(stack.moto_port, stack.gateway_port, &deployment);
    let common_env = [
        ("AWS_ENDPOINT_URL", stack.endpoint()),
        ("AWS_REGION", LOCAL_REGION.to_string()),
        ("AWS_ACCESS_KEY_ID", "testing".to_string()),
        ("AWS_SECRET_ACCESS_KEY", "testing".to_string()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128".to_string()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_string()),
        ("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/bench".to_string()),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "bench".to_string()),
        ("RUST_LOG", "warn".to_string()),
    ];

    println!(
        "cold start over {runs} runs each (binaries: {}, {})",
        bot.display(),
        intake.display()
    );
    let mut bot_runs = Vec::new();
    for _ in 0..runs {
        let instance = tokio.block_on(running_instance(&ec2));
        let input = step_input(
            "ec2_stop_instance",
            entity("Instance", &instance, "bench"),
            "ec2_stop_instance",
            Mode::Enforce,
        );
        let event = serde_json::to_value(&input).map_err(|e| e.to_string())?;
        let mut env = common_env.to_vec();
        env.push(("AWS_LAMBDA_FUNCTION_NAME", "ec2_stop_instance".to_string()));
        let run = RuntimeApi::start()?.run(&bot, &env, &event)?;
        let stopped = tokio.block_on(instance_state(&ec2, &instance));
        if run.response["status"] != "remediated"
            || !matches!(
                stopped,
                InstanceStateName::Stopping | InstanceStateName::Stopped
            )
        {
            return Err(format!(
                "ec2_stop_instance did not stop {instance} ({stopped:?}): {}",
                run.response
            ));
        }
        bot_runs.push(run);
    }
    report("ec2_stop_instance", &bot_runs);

    let fixture = include_str!("../../fixtures/cloudguard/securitygroup_full_entity.json");
    let finding: Value = serde_json::from_str(fixture).map_err(|e| e.to_string())?;
    let home_account = finding["account"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let mut intake_runs = Vec::new();
    for n in 0..runs {
        let mut finding = finding.clone();
        finding["findingKey"] = format!("bench-cold-start-{n}").into();
        finding["reportTime"] = format!("2026-12-02T10:00:00.{:03}Z", n % 1000).into();
        finding["rule"]["complianceTags"] =
            "AUTO: sg_delete_not_matching_cidr 22 10.0.0.0/8".into();
        let event = sns_event(&format!("bench-{n}"), &finding);
        let mut env = common_env.to_vec();
        env.extend([
            ("AWS_LAMBDA_FUNCTION_NAME", "intake".to_string()),
            ("STATE_MACHINE_ARN", deployment.state_machine_arn.clone()),
            ("AUDIT_TABLE", deployment.audit_table.clone()),
            ("HOME_ACCOUNT_ID", home_account.clone()),
            ("MODE", "dry-run".to_string()),
        ]);
        let run = RuntimeApi::start()?.run(&intake, &env, &event)?;
        if run.response[0]["result"] != "started" {
            return Err(format!("the intake started no execution: {}", run.response));
        }
        // Let the execution finish in moto before the next exec, so it does not share the CPU.
        let execution = run.response[0]["execution_arn"]
            .as_str()
            .unwrap_or_default();
        tokio.block_on(view_execution(&target, execution, Duration::from_secs(60)))?;
        intake_runs.push(run);
    }
    report("intake (CloudGuard finding)", &intake_runs);
    stack.stop();
    Ok(())
}

/// Print min/median/max of each figure.
fn report(name: &str, runs: &[Run]) {
    let millis = |pick: fn(&Run) -> Duration| {
        let mut values: Vec<f64> = runs.iter().map(|r| pick(r).as_secs_f64() * 1e3).collect();
        values.sort_by(f64::total_cmp);
        values
    };
    let line = |label: &str, values: Vec<f64>, unit: &str| {
        println!(
            "  {label:<10} min {:>8.2} {unit}  median {:>8.2} {unit}  max {:>8.2} {unit}",
            values[0],
            values[values.len() / 2],
            values[values.len() - 1]
        );
    };
    println!("{name}:");
    line("init", millis(|r| r.init), "ms");
    line("step", millis(|r| r.step), "ms");
    let mut rss: Vec<f64> = runs
        .iter()
        .map(|r| r.peak_rss_kib as f64 / 1024.0)
        .collect();
    rss.sort_by(f64::total_cmp);
    line("peak RSS", rss, "MB");
}

/// A request the function made to the emulator, when it arrived.
enum Request {
    Next(Instant, Sender<Vec<u8>>),
    Response(Instant, Vec<u8>),
}

/// The Lambda Runtime API, as much of it as a function's first invocation uses. Each run gets
/// its own, so a request a killed process sent late cannot reach the next run.
struct RuntimeApi {
    address: String,
    requests: Receiver<Request>,
}

impl RuntimeApi {
    fn start() -> Result<RuntimeApi, String> {
        let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
        let address = listener
            .local_addr()
            .map_err(|e| e.to_string())?
            .to_string();
        let (tx, requests) = channel();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let tx = tx.clone();
                std::thread::spawn(move || serve_connection(stream, tx));
            }
        });
        Ok(RuntimeApi { address, requests })
    }

    /// Exec `binary`, hand it `event` on its first `/next`, and take its response.
    fn run(&self, binary: &PathBuf, env: &[(&str, String)], event: &Value) -> Result<Run, String> {
        let started = Instant::now();
        let mut child = Command::new(binary)
            .env_clear()
            .envs(env.iter().map(|(k, v)| (k, v)))
            .env("AWS_LAMBDA_RUNTIME_API", &self.address)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("starting {}: {e}", binary.display()))?;
        let result = self.invoke(&mut child, started, event);
        let _ = child.kill();
        let _ = child.wait();
        result
    }

    fn invoke(&self, child: &mut Child, started: Instant, event: &Value) -> Result<Run, String> {
        let wait = |what: &str| {
            self.requests
                .recv_timeout(Duration::from_secs(30))
                .map_err(|_| format!("no {what} request within 30 s"))
        };
        let Request::Next(asked, reply) = wait("/next")? else {
            return Err("the first request was not /next".to_string());
        };
        let init = asked - started;
        let handed = Instant::now();
        reply
            .send(event.to_string().into_bytes())
            .map_err(|e| e.to_string())?;
        let Request::Response(answered, body) = wait("/response")? else {
            return Err("a second /next before any response".to_string());
        };
        let response: Value = serde_json::from_slice(&body)
            .map_err(|e| format!("the response is not JSON ({e}): {body:?}"))?;
        Ok(Run {
            init,
            step: answered - handed,
            peak_rss_kib: peak_rss_kib(child.id())?,
            response,
        })
    }
}

/// The process's resident-set high-water mark, in KiB.
fn peak_rss_kib(pid: u32) -> Result<u64, String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|e| format!("reading the status of process {pid}: {e}"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| format!("no VmHWM for process {pid}"))
}

/// Answer the requests of one keep-alive connection until the function closes it.
fn serve_connection(stream: TcpStream, requests: Sender<Request>) {
    let mut writer = match stream.try_clone() {
        Ok(writer) => writer,
        Err(_) => return,
    };
    let mut reader = BufReader::new(stream);
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let arrived = Instant::now();
        let mut length = 0usize;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            if header.trim().is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let path = request_line.split(' ').nth(1).unwrap_or_default();
        let reply = if path.ends_with("/invocation/next") {
            let (tx, rx) = channel();
            if requests.send(Request::Next(arrived, tx)).is_err() {
                return;
            }
            // Blocks until the bench hands out an event; after the run the process is killed.
            let Ok(event) = rx.recv() else { return };
            let deadline = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() + 60_000)
                .unwrap_or_default();
            let mut reply = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nLambda-Runtime-Aws-Request-Id: bench-request\r\nLambda-Runtime-Deadline-Ms: {deadline}\r\nLambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:123456789012:function:bench\r\nLambda-Runtime-Trace-Id: Root=1-00000000-000000000000000000000000\r\nContent-Length: {}\r\n\r\n",
                event.len()
            )
            .into_bytes();
            reply.extend(event);
            reply
        } else {
            let _ = requests.send(Request::Response(arrived, body));
            b"HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n{\"status\":\"OK\"}\n"
                .to_vec()
        };
        if writer.write_all(&reply).is_err() {
            return;
        }
    }
}
