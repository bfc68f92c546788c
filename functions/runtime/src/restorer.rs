//! What a restorer is to the runtime: the function that puts one kind of resource back in the
//! state a bot replaced, and the Lambda plumbing around it.
//!
//! One restorer serves every bot that changes that kind of resource (all the security-group
//! rule bots share one), so undo is written once per resource kind. A restorer runs under its
//! own role, which holds the inverse actions; the bots' roles never gain them. It acts only
//! when the resource is still in the state the bot left it, unless the undo is forced. In a
//! member account it goes through that account's undo role, not the bots' member role.

use crate::lambda::{aws_config_loader, init_logging, FunctionError};
use crate::session::Sessions;
use aws_config::SdkConfig;
use cloudbots_shared::error::BotError;
use cloudbots_shared::plan::Mode;
use cloudbots_shared::restore::{RestoreInput, RestoreOutcome, RestoreStatus};
use lambda_runtime::{service_fn, LambdaEvent};
use std::future::Future;
use std::pin::Pin;
use tracing::Instrument;

/// What a restorer returns.
pub type RestoreFuture<'a> =
    Pin<Box<dyn Future<Output = Result<RestoreOutcome, BotError>> + Send + 'a>>;

/// A restorer: its name (the `restorer` of the prior states it reads) and its function.
#[derive(Clone, Copy)]
pub struct Restorer {
    pub name: &'static str,
    pub run: for<'a> fn(&'a RestoreInput, &'a SdkConfig) -> RestoreFuture<'a>,
}

/// The recorded state, in the restorer's own shape.
pub fn recorded<T: serde::de::DeserializeOwned>(
    input: &RestoreInput,
    state: &serde_json::Value,
) -> Result<T, BotError> {
    serde_json::from_value(state.clone()).map_err(|e| {
        BotError::invalid_input(format!(
            "the prior state recorded by {} ({}) is not one {} reads: {e}",
            input.step.bot, input.step.record_id, input.step.prior.restorer
        ))
    })
}

/// The end of a restorer that has compared the resource with the states recorded:
/// `drift` lists how it differs from the state the bot left (refused unless forced), `changes`
/// what restoring takes (nothing: nothing to restore); in dry-run nothing is done. `apply`
/// restores and returns what it re-read and found restored.
pub async fn restore(
    input: &RestoreInput,
    what: &str,
    drift: Vec<String>,
    changes: Vec<String>,
    apply: impl Future<Output = Result<Vec<String>, BotError>>,
) -> Result<RestoreOutcome, BotError> {
    if changes.is_empty() {
        return Ok(RestoreOutcome::new(
            input,
            RestoreStatus::NothingToRestore,
            format!("{what} already is as it was before {}", input.step.bot),
        ));
    }
    if !drift.is_empty() && !input.force {
        return Ok(RestoreOutcome::new(
            input,
            RestoreStatus::Refused,
            format!(
                "{what} changed since {} left it, so it is not restored (undo --force restores it anyway): {}",
                input.step.bot,
                drift.join("; ")
            ),
        )
        .with_changes(drift));
    }
    if input.mode == Mode::DryRun {
        return Ok(RestoreOutcome::new(
            input,
            RestoreStatus::DryRun,
            format!("Would restore {what}: {}", changes.join("; ")),
        )
        .with_changes(changes));
    }
    let verified = apply.await?;
    let mut outcome = RestoreOutcome::new(
        input,
        RestoreStatus::Restored,
        format!("Restored {what}: {}", changes.join("; ")),
    )
    .with_changes(changes);
    outcome.verified = verified;
    Ok(outcome)
}

/// Run one undo step with the restorer it names, in the recorded resource's account and region.
pub async fn run_restore(
    restorer: Restorer,
    sessions: &Sessions,
    input: RestoreInput,
) -> Result<RestoreOutcome, BotError> {
    let span = tracing::info_span!("undo", execution = %input.execution, undoes = %input.undoes, record = %input.step.record_id, bot = %input.step.bot);
    async move {
        if input.step.prior.restorer != restorer.name {
            return Err(BotError::invalid_input(format!(
                "this function is {}, but the step's prior state is restored by {}",
                restorer.name, input.step.prior.restorer
            )));
        }
        let config = sessions
            .for_target(&input.step.prior.target.undoing(), &input.execution)
            .await?;
        let result = (restorer.run)(&input, &config).await;
        match &result {
            Ok(outcome) => tracing::info!(status = outcome.status.as_str(), outcome = %outcome.message, "undo step finished"),
            Err(error) => tracing::warn!(error = %error.name, reason = %error.message, "undo step failed"),
        }
        result
    }
    .instrument(span)
    .await
}

/// The `main` of a restorer function.
pub async fn serve_restorer(restorer: Restorer) -> Result<(), lambda_runtime::Error> {
    init_logging();
    let base = aws_config_loader().load().await;
    let sessions = Sessions::new(
        base,
        std::env::var("EXTERNAL_ID").ok().filter(|v| !v.is_empty()),
    );
    let sessions = &sessions;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<RestoreInput>| async move {
            run_restore(restorer, sessions, event.payload)
                .await
                .map_err(FunctionError)
        },
    ))
    .await
}
