//! Starting moto from the repository's Python environment.

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The Python that has moto: `$MOTO_PYTHON`, or the repository's `.venv`.
pub fn python_path() -> PathBuf {
    if let Some(path) = std::env::var_os("MOTO_PYTHON") {
        return PathBuf::from(path);
    }
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.venv/bin/python"))
}

/// The server it runs: moto's own, with one fix to its IAM enforcement (see the script).
const SERVER_SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/local/moto_server.py");

/// Spawn moto on `port`, telling its Step Functions engine to call `service_port` (the
/// gateway). The child gets SIGKILL when the spawning thread ends, so a crashed test run
/// leaves no server behind. Its output goes to `target/moto-<port>.log`.
pub fn spawn(port: u16, service_port: u16) -> Result<Child, String> {
    let python = python_path();
    if !python.exists() {
        return Err(format!(
            "{} not found: run `scripts/setup.sh` (or set MOTO_PYTHON) to install moto",
            python.display()
        ));
    }
    let log_dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target"));
    let _ = std::fs::create_dir_all(&log_dir);
    let log = std::fs::File::create(log_dir.join(format!("moto-{port}.log")))
        .map_err(|e| format!("creating the moto log: {e}"))?;
    let log2 = log.try_clone().map_err(|e| e.to_string())?;
    let mut command = Command::new(&python);
    command
        .args([SERVER_SCRIPT, "-H", "127.0.0.1", "-p", &port.to_string()])
        .env("MOTO_PORT", service_port.to_string())
        .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_DEFAULT_REGION", super::LOCAL_REGION)
        .stdin(Stdio::null())
        .stdout(Stdio::from(log))
        .stderr(Stdio::from(log2));
    // SAFETY: prctl is async-signal-safe; it only sets this child's parent-death signal.
    unsafe {
        command.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    command
        .spawn()
        .map_err(|e| format!("starting moto with {}: {e}", python.display()))
}

/// Wait until moto answers (it takes a few seconds to import its services).
pub async fn wait_ready(port: u16) -> Result<(), String> {
    let http = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/moto-api/");
    for _ in 0..300 {
        if let Ok(response) = http.get(&url).send().await {
            if response.status().is_success() {
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("moto did not answer on port {port} within 30 s"))
}

/// Ask moto's Step Functions to really execute definitions (off by default).
pub async fn enable_step_functions_execution(port: u16) -> Result<(), String> {
    let response = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/moto-api/config"))
        .json(&serde_json::json!({"stepfunctions": {"execute_state_machine": true}}))
        .send()
        .await
        .map_err(|e| format!("configuring moto: {e}"))?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(format!("configuring moto: HTTP {}", response.status()))
    }
}

/// Turn moto's IAM enforcement on at once: from the next request on, every request must be
/// signed by an IAM user (or assumed role) of moto whose policies allow its action
/// (`INITIAL_NO_AUTH_ACTION_COUNT` set to 0 through moto's `reset-auth` endpoint).
pub async fn enforce_iam(port: u16) -> Result<(), String> {
    let response = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/moto-api/reset-auth"))
        .body("0")
        .send()
        .await
        .map_err(|e| format!("turning IAM enforcement on: {e}"))?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(format!(
            "turning IAM enforcement on: HTTP {}",
            response.status()
        ))
    }
}
