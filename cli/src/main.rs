//! `cloudbots`: plan findings offline, list the bot catalogue, print the SAM template, run
//! findings through the real state machine on a local stack, and list, show and undo the
//! executions of the local stack or of a deployed one.

use clap::{Args, Parser, Subcommand};
use cloudbots_cli::deployed::operator_config;
use cloudbots_cli::local::deploy::{deploy, DeployOptions};
use cloudbots_cli::local::{LocalStack, LOCAL_ACCOUNT};
use cloudbots_cli::operate::{
    detail_text, executions_text, parse_duration, ExecutionDetail, Operated, UndoOptions,
};
use cloudbots_cli::planning::{catalogue_json, catalogue_text, plan_event, plan_text, plans_json};
use cloudbots_cli::run::{print_sent, send, LocalTarget};
use cloudbots_shared::mapping::Mappings;
use cloudbots_shared::output::OutputType;
use cloudbots_shared::plan::{Mode, PlannerConfig};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "cloudbots",
    version,
    about = "Automatic remediation of AWS security findings"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Plan a finding offline: the steps in order, and every rejected entry with its reason.
    Plan {
        /// What the intake receives: an SNS event, an EventBridge event or a raw finding.
        file: PathBuf,
        #[arg(long)]
        json: bool,
        /// The deployment's home account (default: $HOME_ACCOUNT_ID; unset = the finding's own).
        #[arg(long)]
        account: Option<String>,
        /// GuardDuty finding type → `AUTO:` mapping (default: $GD_ACTIONS).
        #[arg(long)]
        guardduty_actions: Option<PathBuf>,
        /// Security Hub control id → `AUTO:` mapping, e.g. infra/securityhub-actions.json
        /// (default: $SECURITYHUB_ACTIONS).
        #[arg(long)]
        securityhub_actions: Option<PathBuf>,
    },
    /// The bot catalogue: names, params, phase and IAM actions.
    Bots {
        #[arg(long)]
        json: bool,
    },
    /// Print the SAM template generated from the catalogue (infra/template.yaml).
    Template,
    /// Print the member-account roles' template generated from the catalogue
    /// (infra/member-role.yaml), or with --policy the bots' role's permissions
    /// (infra/member-role-policy.json), or with --undo-policy the restorers' role's
    /// (infra/member-undo-role-policy.json).
    MemberRole {
        #[arg(long, conflicts_with = "undo_policy")]
        policy: bool,
        #[arg(long)]
        undo_policy: bool,
    },
    /// Print the bot reference generated from the catalogue (docs/bots.md).
    Docs,
    /// Bring the local stack up or down.
    Local {
        #[command(subcommand)]
        action: LocalAction,
    },
    /// Send a finding through the intake of the local stack and show its execution.
    Run {
        file: PathBuf,
        #[arg(long)]
        guardduty_actions: Option<PathBuf>,
        #[arg(long)]
        securityhub_actions: Option<PathBuf>,
    },
    /// The demo: real findings remediated on a fresh local stack, with the proof.
    Demo,
    /// The executions of a deployment, remediations and undos, newest first.
    Executions {
        #[command(flatten)]
        deployment: Deployment,
        /// Only those started this long ago or less: 90s, 30m, 12h, 7d.
        #[arg(long)]
        since: Option<String>,
        /// Only those that failed, timed out or were aborted.
        #[arg(long)]
        failed: bool,
        #[arg(long)]
        json: bool,
    },
    /// One execution: its status, every audit record, and what undo would do.
    Show {
        execution: String,
        #[command(flatten)]
        deployment: Deployment,
        #[arg(long)]
        json: bool,
    },
    /// Undo an execution: restore, last step first, every change it recorded, through the
    /// undo state machine (execution `undo-<execution>`).
    Undo {
        execution: String,
        #[command(flatten)]
        deployment: Deployment,
        /// Only say what would be restored.
        #[arg(long)]
        dry_run: bool,
        /// Restore even resources changed since the bot left them.
        #[arg(long)]
        force: bool,
        #[arg(long)]
        json: bool,
    },
}

/// Which deployment the operating commands act on.
#[derive(Args)]
struct Deployment {
    /// The CloudFormation stack cloudbots was deployed as (`sam deploy --stack-name`), read
    /// with the standard AWS configuration (profile, environment, role). Without it: the local
    /// stack `cloudbots local up` is serving.
    #[arg(long, value_name = "NAME")]
    stack: Option<String>,
    /// The stack's region (default: the AWS configuration's, e.g. AWS_REGION).
    #[arg(long, value_name = "R", requires = "stack")]
    region: Option<String>,
}

impl Deployment {
    async fn operated(&self) -> Result<Operated, String> {
        match &self.stack {
            Some(name) => {
                Operated::of_stack(&operator_config(self.region.as_deref()).await, name).await
            }
            None => running_stack()?.operated().await,
        }
    }
}

#[derive(Subcommand)]
enum LocalAction {
    /// Start moto and the Lambda gateway, deploy cloudbots, and serve until Ctrl-C.
    Up {
        /// Publish text output messages instead of JSON.
        #[arg(long)]
        text_output: bool,
    },
    /// Stop the stack started by `local up`.
    Down,
}

const STATE_FILE: &str = ".local-stack/state.json";

#[derive(serde::Serialize, serde::Deserialize)]
struct StateFile {
    pid: u32,
    target: LocalTarget,
}

/// The deployment's mappings: each from its file when given, else from its variable
/// (`GD_ACTIONS`, `SECURITYHUB_ACTIONS`).
fn mappings(guardduty: Option<&Path>, securityhub: Option<&Path>) -> Result<Mappings, String> {
    let text = |file: Option<&Path>, var: &str| match file {
        Some(path) => read(path),
        None => Ok(std::env::var(var).unwrap_or_default()),
    };
    Mappings::guardduty(&text(guardduty, "GD_ACTIONS")?)?
        .with_securityhub(&text(securityhub, "SECURITYHUB_ACTIONS")?)
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))
}

async fn main_result(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Plan {
            file,
            json,
            account,
            guardduty_actions,
            securityhub_actions,
        } => {
            let mut planner = PlannerConfig::from_vars(|n| std::env::var(n).ok())?;
            if account.is_some() {
                planner.home_account = account;
            }
            let mappings = mappings(guardduty_actions.as_deref(), securityhub_actions.as_deref())?;
            let plans = plan_event(&read(&file)?, &planner, &mappings)?;
            if json {
                let value = plans_json(&plans);
                println!("{}", serde_json::to_string_pretty(&value).expect("json"));
            } else {
                plans.iter().for_each(|p| print!("{}", plan_text(p)));
            }
        }
        Command::Bots { json } => {
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&catalogue_json()).expect("json")
                );
            } else {
                print!("{}", catalogue_text());
            }
        }
        Command::Template => print!("{}", cloudbots_cli::template::render()),
        Command::MemberRole {
            policy,
            undo_policy,
        } => {
            use cloudbots_cli::member_role::{render, BOTS, UNDO};
            print!(
                "{}",
                match (policy, undo_policy) {
                    (true, _) => BOTS.render_policy(),
                    (_, true) => UNDO.render_policy(),
                    _ => render(),
                }
            )
        }
        Command::Docs => print!("{}", cloudbots_cli::planning::catalogue_markdown()),
        Command::Local {
            action: LocalAction::Up { text_output },
        } => {
            let stack = LocalStack::start()?;
            let options = DeployOptions {
                output_type: if text_output {
                    OutputType::Text
                } else {
                    OutputType::Json
                },
                ..Default::default()
            };
            let deployment = deploy(&stack, &options).await?;
            let target = LocalTarget::new(stack.moto_port, stack.gateway_port, &deployment);
            std::fs::create_dir_all(".local-stack").map_err(|e| e.to_string())?;
            let state = StateFile {
                pid: std::process::id(),
                target,
            };
            std::fs::write(
                STATE_FILE,
                serde_json::to_string_pretty(&state).expect("json"),
            )
            .map_err(|e| e.to_string())?;
            println!(
                "local stack up: moto on 127.0.0.1:{}, Lambda gateway on 127.0.0.1:{}",
                stack.moto_port, stack.gateway_port
            );
            println!("state machine {}", deployment.state_machine_arn);
            println!("send findings with `cloudbots run FILE`; stop with Ctrl-C or `cloudbots local down`");
            wait_for_shutdown().await;
            let _ = std::fs::remove_file(STATE_FILE);
            stack.stop();
            println!("local stack down");
        }
        Command::Local {
            action: LocalAction::Down,
        } => {
            let state: StateFile = serde_json::from_str(&read(Path::new(STATE_FILE))?)
                .map_err(|e| format!("{STATE_FILE}: {e}"))?;
            // SAFETY: kill(2) with a pid read from our own state file; no memory is touched.
            if unsafe { libc::kill(state.pid as i32, libc::SIGTERM) } != 0 {
                let _ = std::fs::remove_file(STATE_FILE);
                return Err(format!(
                    "no local stack running (pid {} is gone); state file removed",
                    state.pid
                ));
            }
            println!("stopping the local stack (pid {})", state.pid);
        }
        Command::Run {
            file,
            guardduty_actions,
            securityhub_actions,
        } => {
            let event: serde_json::Value = serde_json::from_str(&read(&file)?)
                .map_err(|e| format!("{}: not JSON: {e}", file.display()))?;
            let mut planner = PlannerConfig::from_vars(|n| std::env::var(n).ok())?;
            planner
                .home_account
                .get_or_insert_with(|| LOCAL_ACCOUNT.to_string());
            let mappings = mappings(guardduty_actions.as_deref(), securityhub_actions.as_deref())?;
            let running = read(Path::new(STATE_FILE))
                .ok()
                .and_then(|t| serde_json::from_str::<StateFile>(&t).ok());
            let (target, ephemeral) = match running {
                Some(state) => (state.target, None),
                None => {
                    let stack = LocalStack::start()?;
                    let deployment = deploy(&stack, &DeployOptions::default()).await?;
                    (
                        LocalTarget::new(stack.moto_port, stack.gateway_port, &deployment),
                        Some(stack),
                    )
                }
            };
            let intake = target.intake(planner, mappings).await;
            let sent = send(&target, &intake, &event).await?;
            print_sent(&sent);
            if let Some(stack) = ephemeral {
                stack.stop();
            }
        }
        Command::Demo => cloudbots_cli::demo::run().await?,
        Command::Executions {
            deployment,
            since,
            failed,
            json,
        } => {
            let since = since.as_deref().map(parse_duration).transpose()?;
            let listed = deployment
                .operated()
                .await?
                .executions(since, failed)
                .await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&listed).expect("json"));
            } else {
                print!("{}", executions_text(&listed));
            }
        }
        Command::Show {
            execution,
            deployment,
            json,
        } => {
            let detail = deployment.operated().await?.show(&execution).await?;
            print_detail(&detail, json);
        }
        Command::Undo {
            execution,
            deployment,
            dry_run,
            force,
            json,
        } => {
            let options = UndoOptions {
                mode: if dry_run { Mode::DryRun } else { Mode::Enforce },
                force,
                timeout: std::time::Duration::from_secs(300),
            };
            let detail = deployment
                .operated()
                .await?
                .undo(&execution, options)
                .await?;
            print_detail(&detail, json);
        }
    }
    Ok(())
}

/// The local stack `cloudbots local up` is serving.
fn running_stack() -> Result<LocalTarget, String> {
    let state: StateFile = serde_json::from_str(&read(Path::new(STATE_FILE)).map_err(|_| {
        "no local stack is running: start one with `cloudbots local up`, or pass --stack NAME \
         for a deployed stack"
            .to_string()
    })?)
    .map_err(|e| format!("{STATE_FILE}: {e}"))?;
    Ok(state.target)
}

fn print_detail(detail: &ExecutionDetail, json: bool) {
    if json {
        println!("{}", serde_json::to_string_pretty(detail).expect("json"));
    } else {
        print!("{}", detail_text(detail));
    }
}

async fn wait_for_shutdown() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("a SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match main_result(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
