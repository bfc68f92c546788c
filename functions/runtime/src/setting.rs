//! Settings of a resource that bots change and restorers put back, written once for every kind
//! of resource.
//!
//! A resource kind describes its settings once, as a [`Setting`]: how each is read, written and
//! put in words. Then every bot that changes some of them ends in [`change`]: it writes the
//! settings it leaves, reads them back until they show (else the step fails `NotVerified`)
//! and records what they were and what it left. The kind's restorer is [`restore_settings`]:
//! it reads the same settings again, refuses (unless forced) when they are no longer as the
//! bot left them, writes back what they were, and reads that back too.
//!
//! What is recorded is each setting in full (a whole policy document, every grant), so what is
//! put back is what was there, not a summary of it.

use crate::restorer::{recorded, restore};
use crate::verify::reread;
use cloudbots_shared::error::BotError;
use cloudbots_shared::outcome::{BotInput, BotOutcome, OutcomeStatus};
use cloudbots_shared::restore::{PriorState, RestoreInput, RestoreOutcome};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::future::Future;

/// One setting of a kind of resource, with its value.
pub trait Setting: Serialize + DeserializeOwned + PartialEq + Clone + Send + Sync {
    /// The client the setting is read and written with.
    type Client: Send + Sync;

    /// What the setting is called: `policy`, `automatic rotation`.
    fn name(&self) -> &'static str;

    /// The value, as people read it.
    fn words(&self) -> String;

    /// The same setting as the resource `id` has it now.
    fn read(
        &self,
        client: &Self::Client,
        id: &str,
    ) -> impl Future<Output = Result<Self, BotError>> + Send;

    /// Give the resource `id` this setting (as far as [`Setting::reachable`] goes).
    fn write(
        &self,
        client: &Self::Client,
        id: &str,
    ) -> impl Future<Output = Result<(), BotError>> + Send;

    /// What writing this setting leaves: itself, unless the service cannot return to it.
    fn reachable(&self) -> Self {
        self.clone()
    }

    /// Putting this setting back on `resource` (`bucket b`), in words.
    fn restoring_words(&self, resource: &str) -> String {
        format!(
            "set the {} of {resource} back to {}",
            self.name(),
            self.words()
        )
    }
}

/// A resource whose settings are changed: its client, its id (what the API is given) and how
/// people name it (`bucket b`, `key k`).
pub struct Resource<'a, C> {
    pub client: &'a C,
    pub id: &'a str,
    pub label: String,
}

/// The settings of `resource` now, each read like the one given.
async fn read_all<S: Setting>(
    like: &[S],
    resource: &Resource<'_, S::Client>,
) -> Result<Vec<S>, BotError> {
    let mut now = Vec::with_capacity(like.len());
    for setting in like {
        now.push(setting.read(resource.client, resource.id).await?);
    }
    Ok(now)
}

/// How `now` differs from `wanted`, setting by setting (`its policy is X, not Y<suffix>`).
fn differences<S: Setting>(now: &[S], wanted: &[S], suffix: &str) -> Vec<String> {
    now.iter()
        .zip(wanted)
        .filter(|(now, wanted)| now != wanted)
        .map(|(now, wanted)| {
            format!(
                "its {} is {}, not {}{suffix}",
                now.name(),
                now.words(),
                wanted.words()
            )
        })
        .collect()
}

/// Read the settings until they are `wanted` (else `NotVerified`); what was checked.
pub async fn settle<S: Setting>(
    resource: &Resource<'_, S::Client>,
    wanted: &[S],
) -> Result<Vec<String>, BotError> {
    reread(
        &resource.label,
        || read_all(wanted, resource),
        |now| differences(now, wanted, ""),
    )
    .await?;
    Ok(wanted
        .iter()
        .map(|s| format!("the {} of {} is {}", s.name(), resource.label, s.words()))
        .collect())
}

/// The end of a bot that changes settings: write `after`, read the settings back until they
/// are as intended (else the step fails `NotVerified`), and record `before` and `after` for
/// `restorer`. The outcome is `remediated` with `message` and `changes`.
pub async fn change<S: Setting>(
    input: &BotInput,
    resource: &Resource<'_, S::Client>,
    restorer: &str,
    (before, after): (Vec<S>, Vec<S>),
    message: String,
    changes: Vec<String>,
) -> Result<BotOutcome, BotError> {
    for setting in &after {
        setting.write(resource.client, resource.id).await?;
    }
    let verified = settle(resource, &after).await?;
    let prior = PriorState::of(
        input,
        restorer,
        resource.id,
        serde_json::json!(before),
        serde_json::json!(after),
    );
    Ok(BotOutcome::new(input, OutcomeStatus::Remediated, message)
        .with_changes(changes)
        .with_verified(verified)
        .with_prior(prior))
}

/// A restorer of settings: puts back on the recorded resource (named `label(id)`) the
/// settings a bot replaced, when they still are as the bot left them or the undo is forced.
pub async fn restore_settings<S: Setting>(
    input: &RestoreInput,
    client: &S::Client,
    label: impl Fn(&str) -> String,
) -> Result<RestoreOutcome, BotError> {
    let prior = &input.step.prior;
    let before: Vec<S> = recorded(input, &prior.before)?;
    let left: Vec<S> = recorded(input, &prior.after)?;
    let resource = Resource {
        client,
        id: prior.resource.as_str(),
        label: label(&prior.resource),
    };
    let now = read_all(&left, &resource).await?;
    let names: Vec<&str> = left.iter().map(Setting::name).collect();
    let what = format!("the {} of {}", names.join(" and "), resource.label);
    let drift = differences(&now, &left, " as the bot left it");
    let to_restore: Vec<&S> = now
        .iter()
        .zip(&before)
        .filter(|(now, before)| **now != before.reachable())
        .map(|(_, before)| before)
        .collect();
    let changes = to_restore
        .iter()
        .map(|before| before.restoring_words(&resource.label))
        .collect();
    let apply = async {
        for before in &to_restore {
            before.write(resource.client, resource.id).await?;
        }
        let reached: Vec<S> = before.iter().map(Setting::reachable).collect();
        settle(&resource, &reached).await
    };
    restore(input, &what, drift, changes, apply).await
}
