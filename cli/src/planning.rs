//! `cloudbots plan` and `cloudbots bots`: the planner and the catalogue, offline.

use cloudbots_shared::catalogue::{restorer_of, BotSpec, Phase, CATALOGUE};
use cloudbots_shared::intake_event::read_event_text;
use cloudbots_shared::mapping::Mappings;
use cloudbots_shared::plan::{plan, Plan, PlannerConfig};
use serde_json::{json, Value};

/// Plan every finding of an intake event. Fails when the text cannot be read as a finding.
pub fn plan_event(
    text: &str,
    planner: &PlannerConfig,
    mappings: &Mappings,
) -> Result<Vec<Plan>, String> {
    let received = read_event_text(text, mappings)?;
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

/// The `--json` output of `plan`: always one object — the plan of a single finding, or
/// `{"plans": [...]}` when the event carries several.
pub fn plans_json(plans: &[Plan]) -> Value {
    match plans {
        [one] => plan_json(one),
        many => json!({"plans": many.iter().map(plan_json).collect::<Vec<_>>()}),
    }
}

/// The longest entry `plan` prints as written; longer ones (a CIEM policy, a pasted
/// document) are cut with `…`.
const SHOWN_ENTRY_CHARS: usize = 100;

fn shortened(entry: &str) -> String {
    if entry.chars().count() <= SHOWN_ENTRY_CHARS {
        entry.to_string()
    } else {
        let mut cut: String = entry.chars().take(SHOWN_ENTRY_CHARS - 1).collect();
        cut.push('…');
        cut
    }
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
            shortened(&if s.raw_params.is_empty() {
                format!("({})", s.entry)
            } else {
                s.raw_params.join(" ")
            })
        ));
    }
    for r in &plan.rejected {
        out.push_str(&format!(
            "  rejected: {}: {}\n",
            shortened(&r.entry),
            r.reason
        ));
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
        "iam_actions": bot.role_actions(),
        "undo": bot.undo(),
        "restorer": restorer_of(bot.name).map(|r| r.name),
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
                b.role_actions().join(", ")
            )
        })
        .collect()
}

/// What undo does for a bot (`words`), and the restorer that does it when there is one.
fn undo_words(bot: &BotSpec, words: &str) -> String {
    match restorer_of(bot.name) {
        Some(restorer) => format!("{words}, undone by `{}`", restorer.name),
        None => words.to_string(),
    }
}

/// `docs/bots.md`: the catalogue for people, generated so it cannot drift from the code.
pub fn catalogue_markdown() -> String {
    let mut out = String::from(
        "# Bots\n\nGenerated from the catalogue by `cloudbots docs > docs/bots.md`; do not edit by hand.\n\n\
         Each bot runs as its own Lambda function with an IAM role holding exactly the actions listed. \
         Phases order the steps of a plan: preserve → contain → modify → destroy. A guard step that fails \
         stops every later step of its plan. **Undo** says whether the state a bot replaces can be \
         restored, and when not, why; `undone by` names the restorer `cloudbots undo` runs for the \
         bot's recorded changes (bots without one are reversible in principle, and their prior state \
         is not recorded yet).\n\n| Bot | Phase | Undo | Summary |\n|---|---|---|---|\n",
    );
    for b in CATALOGUE.iter() {
        out.push_str(&format!(
            "| [`{0}`](#{0}) | {1} | {2} | {3} |\n",
            b.name,
            b.phase.as_str(),
            undo_words(b, b.undo().word()),
            b.summary
        ));
    }
    for b in CATALOGUE.iter() {
        out.push_str(&format!("\n## {}\n\n{}\n\n", b.name, b.summary));
        out.push_str(&format!(
            "- **Phase**: {}{}\n- **Acts on**: CloudGuard entity `{}`\n- **Undo**: {}\n- **Example**: `{}`\n",
            b.phase.as_str(),
            match (b.guard, b.phase) {
                (true, _) => " (guard step)",
                (false, Phase::Destroy) =>
                    " (opt-in: runs only when named in the deployment's `DestroyBots` parameter)",
                _ => "",
            },
            b.entity_type,
            undo_words(b, &b.undo().describe()),
            b.example
        ));
        if b.params.is_empty() {
            out.push_str("- **Parameters**: none\n");
        } else {
            out.push_str("- **Parameters** (in this order when given positionally):\n");
            for p in b.params {
                out.push_str(&format!(
                    "  - `{}`{}: {}\n",
                    p.name,
                    if p.required { "" } else { " (optional)" },
                    p.description
                ));
            }
        }
        out.push_str(&format!(
            "- **IAM actions**: {}\n",
            b.role_actions()
                .iter()
                .map(|a| format!("`{a}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        out.push_str(&format!(
            "- **Differences from the original**: {}\n",
            b.differences
        ));
    }
    out
}
