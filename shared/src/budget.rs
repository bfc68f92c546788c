//! Blast-radius limits: a budget of remediations per account and region per time window, and a
//! circuit breaker per bot and resource.
//!
//! Both are enforced by the state machine itself with conditional writes in the audit table
//! (so concurrent executions cannot exceed them and the bots need no DynamoDB permission).
//! The intake decides the keys, limits and messages once per execution, from the deployment's
//! settings and the time the finding arrived, and hands them to the state machine in the
//! execution input as [`Guardrails`]:
//!
//! - **Budget**: item `budget#<account>#<region>` / `window#<window start>`, attribute `used`.
//!   Before a step that would change something (enforce mode, not a preserve-phase step such as
//!   a snapshot) the state machine adds 1 to `used` on the condition that it is below the
//!   limit; a step over budget is audited `throttled`, not run, and the metric
//!   `CloudBots/StepsThrottled` is published. Windows are fixed (aligned on the epoch), and a
//!   window's item expires (TTL `expires_at`) a day after the window ends.
//! - **Circuit breaker**, per bot and resource (a snapshot that works must not hide a stop
//!   that keeps failing on the same instance): item `circuit#<account>#<region>#<resource>` /
//!   `circuit#<bot>`, attributes `failures` and `last_failure_at`. Every failed step of the bot
//!   on the resource adds 1, every step of it that ends otherwise clears them. A step whose
//!   item has `failures` at the limit and a last failure younger than the reset time is audited
//!   `circuit_open`, not run. After the reset time one step is let through: success closes the
//!   circuit, another failure keeps it open for another reset time. Deleting the item closes it
//!   by hand.

use crate::plan::Plan;
use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// Default remediations per account and region per window (`BUDGET_PER_WINDOW`).
pub const DEFAULT_BUDGET_PER_WINDOW: u32 = 50;
/// Default window length in minutes (`BUDGET_WINDOW_MINUTES`).
pub const DEFAULT_BUDGET_WINDOW_MINUTES: u32 = 60;
/// Default failures in a row that open a resource's circuit (`CIRCUIT_BREAKER_FAILURES`).
pub const DEFAULT_CIRCUIT_BREAKER_FAILURES: u32 = 3;
/// Default minutes after the last failure before an open circuit lets one step through
/// (`CIRCUIT_BREAKER_RESET_MINUTES`).
pub const DEFAULT_CIRCUIT_BREAKER_RESET_MINUTES: u32 = 60;
/// How long a budget window's item is kept after the window ends.
const BUDGET_ITEM_GRACE_SECONDS: i64 = 86_400;

/// The deployment's blast-radius settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub budget_per_window: u32,
    pub budget_window_minutes: u32,
    pub circuit_breaker_failures: u32,
    pub circuit_breaker_reset_minutes: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            budget_per_window: DEFAULT_BUDGET_PER_WINDOW,
            budget_window_minutes: DEFAULT_BUDGET_WINDOW_MINUTES,
            circuit_breaker_failures: DEFAULT_CIRCUIT_BREAKER_FAILURES,
            circuit_breaker_reset_minutes: DEFAULT_CIRCUIT_BREAKER_RESET_MINUTES,
        }
    }
}

impl Limits {
    /// Read `BUDGET_PER_WINDOW`, `BUDGET_WINDOW_MINUTES`, `CIRCUIT_BREAKER_FAILURES` and
    /// `CIRCUIT_BREAKER_RESET_MINUTES` (whole numbers ≥ 1; unset or empty = the default).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let number = |name: &str, default: u32| -> Result<u32, String> {
            match var(name).map(|v| v.trim().to_string()) {
                None => Ok(default),
                Some(v) if v.is_empty() => Ok(default),
                Some(v) => match v.parse::<u32>() {
                    Ok(n) if n >= 1 => Ok(n),
                    _ => Err(format!(
                        "{name} must be a whole number of at least 1, got '{v}'"
                    )),
                },
            }
        };
        Ok(Limits {
            budget_per_window: number("BUDGET_PER_WINDOW", DEFAULT_BUDGET_PER_WINDOW)?,
            budget_window_minutes: number("BUDGET_WINDOW_MINUTES", DEFAULT_BUDGET_WINDOW_MINUTES)?,
            circuit_breaker_failures: number(
                "CIRCUIT_BREAKER_FAILURES",
                DEFAULT_CIRCUIT_BREAKER_FAILURES,
            )?,
            circuit_breaker_reset_minutes: number(
                "CIRCUIT_BREAKER_RESET_MINUTES",
                DEFAULT_CIRCUIT_BREAKER_RESET_MINUTES,
            )?,
        })
    }

    /// The keys, limits and messages of `plan`'s execution, started at `now`.
    pub fn guardrails(&self, plan: &Plan, now: DateTime<Utc>) -> Guardrails {
        let account = &plan.target.account_id;
        let region = &plan.target.region;
        let finding = &plan.finding;
        let resource = if finding.entity_id.is_empty() {
            &finding.entity_name
        } else {
            &finding.entity_id
        };
        let window_seconds = i64::from(self.budget_window_minutes) * 60;
        let window_start = now.timestamp().div_euclid(window_seconds) * window_seconds;
        let window_start_time = Utc
            .timestamp_opt(window_start, 0)
            .single()
            .unwrap_or(now)
            .to_rfc3339_opts(SecondsFormat::Secs, true);
        let reopen_before =
            now - chrono::Duration::minutes(i64::from(self.circuit_breaker_reset_minutes));
        Guardrails {
            budget_key: format!("budget#{account}#{region}"),
            budget_window: format!("window#{window_start_time}"),
            budget_limit: self.budget_per_window.to_string(),
            budget_expires_at: (window_start + window_seconds + BUDGET_ITEM_GRACE_SECONDS)
                .to_string(),
            throttled_message: format!(
                "Throttled: the budget of {} remediations per {} minutes in account {account}, region {region} is used up (window from {window_start_time}); not run",
                self.budget_per_window, self.budget_window_minutes
            ),
            circuit_key: format!("circuit#{account}#{region}#{resource}"),
            circuit_failures: self.circuit_breaker_failures.to_string(),
            circuit_reopen_before: reopen_before.to_rfc3339_opts(SecondsFormat::Secs, true),
            circuit_open_reason: format!(
                "failed {} times in a row on {resource} (account {account}, region {region}); not run. One step is let through {} minutes after the last failure and closes the circuit if it succeeds; deleting the circuit's item from the audit table (circuit#{account}#{region}#{resource}, circuit#<bot>) closes it now",
                self.circuit_breaker_failures, self.circuit_breaker_reset_minutes
            ),
        }
    }
}

/// What the state machine needs to enforce the limits of one execution. Numbers the state
/// machine passes to DynamoDB as `N` values are strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Guardrails {
    /// Partition key of the account and region's budget items.
    pub budget_key: String,
    /// Sort key of the current window's item.
    pub budget_window: String,
    pub budget_limit: String,
    /// Epoch seconds after which the window's item may be deleted (TTL).
    pub budget_expires_at: String,
    /// The audit message of a step over budget.
    pub throttled_message: String,
    /// Partition key of the circuit items of the finding's resource (one per bot).
    pub circuit_key: String,
    pub circuit_failures: String,
    /// An open circuit whose last failure is older than this lets one step through.
    pub circuit_reopen_before: String,
    /// Why a step is refused by an open circuit; the state machine writes
    /// `Circuit open: <bot> <reason>` in its audit record.
    pub circuit_open_reason: String,
}

/// The execution input: the plan, with the guardrails beside its fields.
#[derive(Debug, Clone, Serialize)]
pub struct ExecutionInput<'a> {
    #[serde(flatten)]
    pub plan: &'a Plan,
    pub guardrails: Guardrails,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::from_cloudguard;
    use crate::plan::{plan, PlannerConfig};
    use serde_json::json;

    fn vars<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        }
    }

    fn instance_plan() -> Plan {
        let finding = from_cloudguard(&json!({
            "reportTime": "2026-11-30T10:00:00.000Z",
            "rule": {"name": "r", "complianceTags": "AUTO: ec2_stop_instance"},
            "status": "Failed",
            "account": {"id": "123456789012", "vendor": "AWS"},
            "entity": {"id": "i-0abc", "name": "web", "type": "Instance", "region": "eu_west_1"},
        }))
        .expect("a valid finding");
        plan(&finding, &PlannerConfig::default())
    }

    #[test]
    fn settings_default_and_bad_values_are_named() {
        assert_eq!(Limits::from_vars(vars(&[])).unwrap(), Limits::default());
        assert_eq!(
            Limits::from_vars(vars(&[
                ("BUDGET_PER_WINDOW", " 5 "),
                ("BUDGET_WINDOW_MINUTES", ""),
                ("CIRCUIT_BREAKER_FAILURES", "2"),
                ("CIRCUIT_BREAKER_RESET_MINUTES", "15"),
            ]))
            .unwrap(),
            Limits {
                budget_per_window: 5,
                budget_window_minutes: 60,
                circuit_breaker_failures: 2,
                circuit_breaker_reset_minutes: 15,
            }
        );
        assert_eq!(
            Limits::from_vars(vars(&[("BUDGET_PER_WINDOW", "0")])).unwrap_err(),
            "BUDGET_PER_WINDOW must be a whole number of at least 1, got '0'"
        );
        assert_eq!(
            Limits::from_vars(vars(&[("CIRCUIT_BREAKER_FAILURES", "three")])).unwrap_err(),
            "CIRCUIT_BREAKER_FAILURES must be a whole number of at least 1, got 'three'"
        );
    }

    #[test]
    fn keys_name_the_account_region_window_and_resource() {
        let limits = Limits {
            budget_per_window: 5,
            budget_window_minutes: 15,
            circuit_breaker_failures: 3,
            circuit_breaker_reset_minutes: 60,
        };
        let now = Utc.with_ymd_and_hms(2026, 11, 30, 10, 44, 59).unwrap();
        let g = limits.guardrails(&instance_plan(), now);
        assert_eq!(g.budget_key, "budget#123456789012#eu-west-1");
        assert_eq!(g.budget_window, "window#2026-11-30T10:30:00Z");
        assert_eq!(g.budget_limit, "5");
        let window_end = Utc.with_ymd_and_hms(2026, 11, 30, 10, 45, 0).unwrap();
        assert_eq!(
            g.budget_expires_at,
            (window_end.timestamp() + 86_400).to_string()
        );
        assert_eq!(g.circuit_key, "circuit#123456789012#eu-west-1#i-0abc");
        assert_eq!(g.circuit_failures, "3");
        assert_eq!(g.circuit_reopen_before, "2026-11-30T09:44:59Z");
        assert_eq!(
            g.throttled_message,
            "Throttled: the budget of 5 remediations per 15 minutes in account 123456789012, region eu-west-1 is used up (window from 2026-11-30T10:30:00Z); not run"
        );
        assert_eq!(
            g.circuit_open_reason,
            "failed 3 times in a row on i-0abc (account 123456789012, region eu-west-1); not run. One step is let through 60 minutes after the last failure and closes the circuit if it succeeds; deleting the circuit's item from the audit table (circuit#123456789012#eu-west-1#i-0abc, circuit#<bot>) closes it now"
        );
        // The end of a window is the start of the next.
        let next = limits.guardrails(&instance_plan(), window_end);
        assert_eq!(next.budget_window, "window#2026-11-30T10:45:00Z");
    }

    #[test]
    fn the_execution_input_is_the_plan_with_the_guardrails_beside_it() {
        let planned = instance_plan();
        let guardrails = Limits::default().guardrails(&planned, Utc::now());
        let input = serde_json::to_value(ExecutionInput {
            plan: &planned,
            guardrails: guardrails.clone(),
        })
        .unwrap();
        assert_eq!(input["execution_name"], json!(planned.execution_name));
        assert_eq!(
            input["steps"],
            serde_json::to_value(&planned.steps).unwrap()
        );
        assert_eq!(
            input["guardrails"],
            serde_json::to_value(&guardrails).unwrap()
        );
        let back: Plan = serde_json::from_value(input).unwrap();
        assert_eq!(back, planned);
    }
}
