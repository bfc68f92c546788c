//! Lambda plumbing shared by every function: JSON logs carrying the execution name, the AWS
//! configuration loaded once at cold start, and bot errors surfaced to Step Functions under
//! their stable names (so `Retry`/`Catch` match them, not a Rust type name).

use crate::bot::Bot;
use crate::exclusion;
use crate::session::Sessions;
use cloudbots_shared::catalogue;
use cloudbots_shared::error::BotError;
use cloudbots_shared::outcome::{BotInput, BotOutcome, OutcomeStatus};
use cloudbots_shared::plan::Mode;
use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};
use tracing::Instrument;

/// Structured JSON logs to stdout, level from `RUST_LOG` (default `info`).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = json_logs(filter, std::io::stdout).try_init();
}

/// The log format of every function: one JSON object per line, carrying the fields of the
/// current span and of every span around it, so each line written while an intake start, a
/// step or a report runs names its execution, the AWS SDK's own lines included.
pub fn json_logs<W>(
    filter: tracing_subscriber::EnvFilter,
    writer: W,
) -> tracing_subscriber::fmt::SubscriberBuilder<
    tracing_subscriber::fmt::format::JsonFields,
    tracing_subscriber::fmt::format::Format<tracing_subscriber::fmt::format::Json>,
    tracing_subscriber::EnvFilter,
    W,
>
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(true)
        .with_span_list(true)
        .with_target(false)
        .with_writer(writer)
}

/// An error as the Lambda runtime reports it: `errorType` is the stable error name.
#[derive(Debug)]
pub struct FunctionError(pub BotError);

impl From<FunctionError> for Diagnostic {
    fn from(e: FunctionError) -> Diagnostic {
        Diagnostic {
            error_type: e.0.name.as_str().to_string(),
            error_message: e.0.message,
        }
    }
}

/// Run one step with the bot it names: check it is this bot, build the target's session,
/// run, and log the outcome under the execution's name.
pub async fn run_step(
    bot: Bot,
    sessions: &Sessions,
    input: BotInput,
) -> Result<BotOutcome, BotError> {
    // The step's own mode (its BOT_MODES override, else MODE) wins over the execution-wide one.
    let input = BotInput {
        mode: input.step.mode,
        ..input
    };
    let span = tracing::info_span!("step", execution = %input.execution, bot = %input.step.bot, index = input.step.index, mode = input.mode.as_str());
    async move {
        if input.step.bot != bot.name {
            return Err(BotError::invalid_input(format!(
                "this function runs {}, but the step asks for {}",
                bot.name, input.step.bot
            )));
        }
        if catalogue::lookup(bot.name).is_none() {
            return Err(BotError::invalid_input(format!("{} is not in the catalogue", bot.name)));
        }
        let config = sessions.for_target(&input.target, &input.execution).await?;
        if input.mode == Mode::Enforce {
            let today = chrono::Utc::now().date_naive();
            if let Some(reason) = exclusion::live_exclusion(&config, &input, bot.tags, today).await? {
                tracing::info!(reason = %reason, "step skipped");
                return Ok(BotOutcome::new(&input, OutcomeStatus::Skipped, reason));
            }
        }
        let result = (bot.run)(&input, &config).await;
        match &result {
            Ok(outcome) => tracing::info!(status = ?outcome.status, outcome = %outcome.message, "step finished"),
            Err(error) => tracing::warn!(error = %error.name, reason = %error.message, "step failed"),
        }
        result
    }
    .instrument(span)
    .await
}

/// Attempts of every AWS call a function makes: the first and up to four retries.
pub const AWS_MAX_ATTEMPTS: u32 = 5;

/// How the functions' AWS calls are retried, set here for all of them: standard mode, so
/// throttling errors, 5xx responses and timeouts are retried with exponential backoff and full
/// jitter (1 s initial, 20 s at most), up to [`AWS_MAX_ATTEMPTS`] attempts. What is still
/// failing after that reaches the state machine as `Transient`, and its `Retry` runs the step
/// again later. The HTTPS client trusts compiled-in roots ([`crate::https`]).
pub fn aws_config_loader() -> aws_config::ConfigLoader {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(crate::https::https_client())
        .retry_config(
            aws_config::retry::RetryConfig::standard()
                .with_max_attempts(AWS_MAX_ATTEMPTS)
                .with_initial_backoff(std::time::Duration::from_secs(1))
                .with_max_backoff(std::time::Duration::from_secs(20)),
        )
}

/// The `main` of a bot function.
pub async fn serve_bot(bot: Bot) -> Result<(), lambda_runtime::Error> {
    init_logging();
    let base = aws_config_loader().load().await;
    let sessions = Sessions::new(
        base,
        std::env::var("EXTERNAL_ID").ok().filter(|v| !v.is_empty()),
    );
    let sessions = &sessions;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<BotInput>| async move {
        run_step(bot, sessions, event.payload)
            .await
            .map_err(FunctionError)
    }))
    .await
}

/// A required environment variable of a function.
pub fn required_env(name: &str) -> Result<String, lambda_runtime::Error> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .ok_or_else(|| format!("environment variable {name} is not set").into())
}

/// The account the function runs in: `HOME_ACCOUNT_ID`, or asked of STS once at cold start.
pub async fn home_account(config: &aws_config::SdkConfig) -> Result<String, lambda_runtime::Error> {
    if let Ok(id) = std::env::var("HOME_ACCOUNT_ID") {
        if !id.is_empty() {
            return Ok(id);
        }
    }
    let identity = aws_sdk_sts::Client::new(config)
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| format!("finding the function's own account: {e}"))?;
    identity
        .account()
        .map(str::to_string)
        .ok_or_else(|| "STS returned no account id".into())
}
