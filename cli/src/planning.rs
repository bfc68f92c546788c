//! `cloudbots plan` and `cloudbots bots`: the planner and the catalogue, offline.

use cloudbots_shared::catalogue::{BotSpec, CATALOGUE};
use cloudbots_shared::guardduty::GuardDutyActions;
use cloudbots_shared::intake_event::read_event_text;
use cloudbots_shared::plan::{plan, Plan, PlannerConfig};
use serde_json::{json, Value};

/// Plan every finding of an intake event. Fails when the text cannot be read as a finding.
pub fn plan_event(
    text: &str,
    planner: &PlannerConfig,
    guardduty: &GuardDutyActions,
) -> Result<Vec<Plan>, String> {
    let received = read_event_text(text, guardduty)?;
    received
        .into_iter()
        .map(|r| {
            r.finding
                .map(|f| plan(&f, planner))
                .map_err(|e| format!("{}: {e}", r.delivery))
        })
        .collect()
}

/// The `--json` shape of a plan: `execution_name`, `steps`, `rejected` (and `skipped`).
pub fn plan_json(plan: &Plan) -> Value {
    json!({
        "execution_name": plan.execution_name,
        "mode": plan.mode,
        "target": plan.target,
        "steps": plan.steps.iter().map(|s| json!({
            "bot": s.bot, "params": s.params, "raw_params": s.raw_params, "phase": s.phase,
            "guard": s.guard, "origin": s.origin, "entry": s.entry,
        })).collect::<Vec<_>>(),
        "rejected": plan.rejected.iter().map(|r| json!({"entry": r.entry, "reason": r.reason})).collect::<Vec<_>>(),
        "skipped": plan.skipped,
    })
}

/// A plan for people.
pub fn plan_text(plan: &Plan) -> String {
    let mut out = format!(
        "execution {}  ({} in account {} region {}{})\n",
        plan.execution_name,
        plan.mode.as_str(),
        plan.target.account_id,
        plan.target.region,
        plan.target
            .role_arn
            .as_deref()
            .map(|r| format!(" via {r}"))
            .unwrap_or_default()
    );
    if let Some(reason) = &plan.skipped {
        out.push_str(&format!("  skipped: {reason}\n"));
    }
    for s in &plan.steps {
        out.push_str(&format!(
            "  {}. {:<28} {:<8}{} {}\n",
            s.index + 1,
            s.bot,
            s.phase.as_str(),
            if s.guard { " guard" } else { "      " },
            if s.raw_params.is_empty() {
                format!("({})", s.entry)
            } else {
                s.raw_params.join(" ")
            }
        ));
    }
    for r in &plan.rejected {
        out.push_str(&format!("  rejected: {}: {}\n", r.entry, r.reason));
    }
    if plan.steps.is_empty() && plan.rejected.is_empty() && plan.skipped.is_none() {
        out.push_str("  nothing to run\n");
    }
    out
}

/// The `--json` shape of a catalogue entry.
pub fn bot_json(bot: &BotSpec) -> Value {
    json!({
        "name": bot.name,
        "summary": bot.summary,
        "params": bot.params,
        "phase": bot.phase,
        "guard": bot.guard,
        "entity_type": bot.entity_type,
        "iam_actions": bot.iam_actions,
        "example": bot.example,
        "differences": bot.differences,
    })
}

/// The catalogue as a JSON array.
pub fn catalogue_json() -> Value {
    Value::Array(CATALOGUE.iter().copied().map(bot_json).collect())
}

/// The catalogue for people.
pub fn catalogue_text() -> String {
    CATALOGUE
        .iter()
        .map(|b| {
            format!(
                "{:<28} {:<8} {}\n    example: {}\n    IAM: {}\n",
                b.name,
                b.phase.as_str(),
                b.summary,
                b.example,
                b.iam_actions.join(", ")
            )
        })
        .collect()
}
