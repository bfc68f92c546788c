//! The planner: from a finding to the ordered steps of one Step Functions execution.
//!
//! Every entry is checked against the catalogue and its params parsed before anything runs;
//! what cannot run is kept with its reason so it lands in the audit trail. Steps are ordered
//! preserve → contain → modify → destroy (stable within a phase), and an instance is
//! snapshotted before any step that stops, terminates or quarantines it, unless the plan
//! already snapshots it. A resource can opt out of bots with a tag (see [`Exclusion`]); the
//! planner honours it from the finding's entity, and each bot re-reads it from the live
//! resource just before it acts.

use crate::catalogue::{self, Phase, SNAPSHOT_BOT};
use crate::finding::{check_account_id, Finding, Source};
use crate::grammar::{self, EntryContext, EntryOrigin, ParsedEntry};
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Enforce changes, or only report what would change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    Enforce,
    DryRun,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Enforce => "enforce",
            Mode::DryRun => "dry-run",
        }
    }

    /// `enforce` or `dry-run` (also `dryrun`), any case.
    pub fn parse(text: &str) -> Option<Mode> {
        match text.to_ascii_lowercase().as_str() {
            "enforce" => Some(Mode::Enforce),
            "dry-run" | "dryrun" => Some(Mode::DryRun),
            _ => None,
        }
    }
}

/// Single: remediate only the home account. Multi: assume a role in the finding's account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountMode {
    Single,
    Multi,
}

/// The original's default cross-account role name.
pub const DEFAULT_CROSS_ACCOUNT_ROLE: &str = "Dome9CloudBots";

/// The default key of the opt-out tag.
pub const DEFAULT_EXCLUDE_TAG_KEY: &str = "cloudbots:exclude";

/// Deployment settings the planner follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannerConfig {
    /// The account the deployment runs in; unknown → the finding is planned as if local.
    pub home_account: Option<String>,
    pub account_mode: AccountMode,
    pub cross_account_role_name: String,
    pub snapshot_before_change: bool,
    /// The deploy-wide mode of every step whose bot has no override.
    pub mode: Mode,
    /// Per-bot overrides of `mode`, by bot name.
    pub bot_modes: BTreeMap<String, Mode>,
    /// Destroy-phase bots the deployment enables, by name; any other is refused.
    pub destroy_bots: BTreeSet<String>,
    /// Accounts whose findings may be remediated; empty = any account the account mode accepts.
    pub allowed_accounts: BTreeSet<String>,
    /// Accounts whose findings are never remediated, whatever else the settings say.
    pub denied_accounts: BTreeSet<String>,
    /// The key of the tag by which a resource opts out of bots.
    pub exclude_tag_key: String,
}

impl Default for PlannerConfig {
    fn default() -> Self {
        PlannerConfig {
            home_account: None,
            account_mode: AccountMode::Single,
            cross_account_role_name: DEFAULT_CROSS_ACCOUNT_ROLE.to_string(),
            snapshot_before_change: true,
            mode: Mode::Enforce,
            bot_modes: BTreeMap::new(),
            destroy_bots: BTreeSet::new(),
            allowed_accounts: BTreeSet::new(),
            denied_accounts: BTreeSet::new(),
            exclude_tag_key: DEFAULT_EXCLUDE_TAG_KEY.to_string(),
        }
    }
}

impl PlannerConfig {
    /// The same settings with every destroy-phase bot of the catalogue enabled.
    pub fn with_every_destroy_bot(self) -> Self {
        PlannerConfig {
            destroy_bots: catalogue::CATALOGUE
                .iter()
                .filter(|b| b.phase == Phase::Destroy)
                .map(|b| b.name.to_string())
                .collect(),
            ..self
        }
    }

    /// The mode a step of `bot` runs in: its override, else the deploy-wide mode.
    pub fn mode_of(&self, bot: &str) -> Mode {
        self.bot_modes.get(bot).copied().unwrap_or(self.mode)
    }

    /// Read the deployment's variables: `ACCOUNT_MODE` (single|multi), `CROSS_ACCOUNT_ROLE_NAME`,
    /// `SNAPSHOT_BEFORE_CHANGE` (true|false), `MODE` (enforce|dry-run), `BOT_MODES` (per-bot
    /// overrides, `bot=mode` comma-separated), `HOME_ACCOUNT_ID`,
    /// `DESTROY_BOTS` (comma-separated names of the destroy-phase bots to enable),
    /// `ALLOWED_ACCOUNTS` and `DENIED_ACCOUNTS` (comma-separated 12-digit account ids),
    /// `EXCLUDE_TAG_KEY` (the opt-out tag's key, default `cloudbots:exclude`).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let var = |name: &str| {
            var(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let account_mode = match var("ACCOUNT_MODE")
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("single") => AccountMode::Single,
            Some("multi") => AccountMode::Multi,
            Some(other) => {
                return Err(format!(
                    "ACCOUNT_MODE must be single or multi, got '{other}'"
                ))
            }
        };
        let snapshot_before_change = match var("SNAPSHOT_BEFORE_CHANGE")
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("true") => true,
            Some("false") => false,
            Some(other) => {
                return Err(format!(
                    "SNAPSHOT_BEFORE_CHANGE must be true or false, got '{other}'"
                ))
            }
        };
        let mode = match var("MODE") {
            None => Mode::Enforce,
            Some(text) => Mode::parse(&text)
                .ok_or_else(|| format!("MODE must be enforce or dry-run, got '{text}'"))?,
        };
        let bot_modes = parse_bot_modes(var("BOT_MODES").as_deref().unwrap_or(""))?;
        let home_account = var("HOME_ACCOUNT_ID");
        if let Some(id) = &home_account {
            check_account_id(id).map_err(|e| format!("HOME_ACCOUNT_ID: {e}"))?;
        }
        let destroy_bots = parse_destroy_bots(var("DESTROY_BOTS").as_deref().unwrap_or(""))?;
        let allowed_accounts = parse_accounts("ALLOWED_ACCOUNTS", var("ALLOWED_ACCOUNTS"))?;
        let denied_accounts = parse_accounts("DENIED_ACCOUNTS", var("DENIED_ACCOUNTS"))?;
        if let Some(both) = allowed_accounts.intersection(&denied_accounts).next() {
            return Err(format!(
                "account {both} is in both ALLOWED_ACCOUNTS and DENIED_ACCOUNTS: list it in one"
            ));
        }
        let exclude_tag_key =
            var("EXCLUDE_TAG_KEY").unwrap_or_else(|| DEFAULT_EXCLUDE_TAG_KEY.to_string());
        if exclude_tag_key.chars().count() > 128 {
            return Err(format!(
                "EXCLUDE_TAG_KEY: a tag key has at most 128 characters, got {}",
                exclude_tag_key.chars().count()
            ));
        }
        Ok(PlannerConfig {
            destroy_bots,
            allowed_accounts,
            denied_accounts,
            exclude_tag_key,
            home_account,
            account_mode,
            cross_account_role_name: var("CROSS_ACCOUNT_ROLE_NAME")
                .unwrap_or_else(|| DEFAULT_CROSS_ACCOUNT_ROLE.to_string()),
            snapshot_before_change,
            mode,
            bot_modes,
        })
    }
}

/// The destroy-phase bots a deployment enables: catalogued destroy-phase names, comma-separated.
fn parse_destroy_bots(text: &str) -> Result<BTreeSet<String>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(|name| match catalogue::lookup(name) {
            Some(spec) if spec.phase == Phase::Destroy => Ok(name.to_string()),
            Some(_) => Err(format!(
                "DESTROY_BOTS: {name} is not a destroy-phase bot (only those need enabling)"
            )),
            None => Err(format!("DESTROY_BOTS: unknown bot '{name}'")),
        })
        .collect()
}

/// Per-bot modes: `bot=mode` pairs, comma-separated, each bot catalogued and named once.
fn parse_bot_modes(text: &str) -> Result<BTreeMap<String, Mode>, String> {
    let mut modes = BTreeMap::new();
    for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((bot, mode)) = pair.split_once('=') else {
            return Err(format!(
                "BOT_MODES: '{pair}' is not bot=mode (e.g. ec2_stop_instance=dry-run)"
            ));
        };
        let (bot, mode) = (bot.trim(), mode.trim());
        if catalogue::lookup(bot).is_none() {
            return Err(format!("BOT_MODES: unknown bot '{bot}'"));
        }
        let mode = Mode::parse(mode).ok_or_else(|| {
            format!("BOT_MODES: the mode of {bot} must be enforce or dry-run, got '{mode}'")
        })?;
        if modes.insert(bot.to_string(), mode).is_some() {
            return Err(format!("BOT_MODES: {bot} is named twice"));
        }
    }
    Ok(modes)
}

/// A list of account ids: comma-separated, each 12 digits.
fn parse_accounts(name: &str, text: Option<String>) -> Result<BTreeSet<String>, String> {
    text.unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(|id| {
            check_account_id(id)
                .map(|()| id.to_string())
                .map_err(|e| format!("{name}: {e}"))
        })
        .collect()
}

/// Where the bots act: the finding's account and region, through a role when it is foreign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub account_id: String,
    pub region: String,
    /// The member-account role to assume (multi mode, foreign account); None = own credentials.
    #[serde(default)]
    pub role_arn: Option<String>,
}

/// What the member account's undo role is called: the bots' member role's name with this
/// after it. Restorers assume that role, never the bots' one, so neither role holds both a
/// change and its inverse.
pub const UNDO_ROLE_SUFFIX: &str = "-undo";

impl Target {
    /// The same account and region, reached for an undo: through the member account's undo
    /// role when the bots went through its member role.
    pub fn undoing(&self) -> Target {
        Target {
            role_arn: self
                .role_arn
                .as_ref()
                .map(|arn| format!("{arn}{UNDO_ROLE_SUFFIX}")),
            ..self.clone()
        }
    }
}

/// One bot run of the plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub index: usize,
    /// Sort key of the step's audit record (`step#000`), ordered like the steps.
    pub audit_id: String,
    pub bot: String,
    /// The typed params, validated.
    pub params: Value,
    /// The params as written.
    pub raw_params: Vec<String>,
    pub phase: Phase,
    pub guard: bool,
    /// Enforce or dry-run for this step: the bot's `BOT_MODES` override, else `MODE`.
    pub mode: Mode,
    /// The opt-out tag the bot re-reads on the live resource just before it acts.
    pub exclude_tag_key: String,
    pub origin: EntryOrigin,
    /// The entry as written, or why the planner added the step.
    pub entry: String,
    #[serde(default)]
    pub context: EntryContext,
}

/// An entry that will not run, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejected {
    pub audit_id: String,
    pub entry: String,
    /// The bot name as written, when there was one.
    pub bot: String,
    pub reason: String,
}

/// What one execution will do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub execution_name: String,
    /// The deploy-wide mode; each step carries its own (which may override it).
    pub mode: Mode,
    pub finding: Finding,
    pub target: Target,
    pub steps: Vec<Step>,
    pub rejected: Vec<Rejected>,
    /// Set when the finding needs no execution at all (passed, no `AUTO:` entries, sample).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
}

impl Plan {
    /// Whether an execution should start: something to run or to record as rejected.
    pub fn needs_execution(&self) -> bool {
        self.skipped.is_none() && !(self.steps.is_empty() && self.rejected.is_empty())
    }
}

/// The Step Functions execution name of a finding generation: readable, unique, ≤ 80 chars.
pub fn execution_name(finding: &Finding) -> String {
    let prefix = match finding.source {
        Source::CloudGuard => "cg",
        Source::GuardDuty => "gd",
        Source::SecurityHub => "sh",
    };
    // The resource's id, or its name when the id is empty or an ARN (which reads worse).
    let shown = if finding.entity_id.is_empty()
        || (finding.entity_id.starts_with("arn:") && !finding.entity_name.is_empty())
    {
        &finding.entity_name
    } else {
        &finding.entity_id
    };
    let slug: String = shown
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .take(40)
        .collect();
    let hash = &finding.fingerprint[..24.min(finding.fingerprint.len())];
    if slug.is_empty() {
        format!("{prefix}-{hash}")
    } else {
        format!("{prefix}-{slug}-{hash}")
    }
}

struct Candidate {
    bot: &'static str,
    params: Value,
    raw_params: Vec<String>,
    phase: Phase,
    guard: bool,
    mode: Mode,
    origin: EntryOrigin,
    entry: String,
    context: EntryContext,
}

/// Plan a finding under the deployment's settings, today.
pub fn plan(finding: &Finding, config: &PlannerConfig) -> Plan {
    plan_on(finding, config, Utc::now().date_naive())
}

/// Plan a finding as on `today` (UTC), the day opt-out tags' expiry dates are compared with.
pub fn plan_on(finding: &Finding, config: &PlannerConfig, today: NaiveDate) -> Plan {
    let mut plan = Plan {
        execution_name: execution_name(finding),
        mode: config.mode,
        finding: finding.clone(),
        target: Target {
            account_id: finding.account_id.clone(),
            region: finding.region.clone(),
            role_arn: None,
        },
        steps: Vec::new(),
        rejected: Vec::new(),
        skipped: None,
    };
    if let Some(reason) = &finding.skip_reason {
        plan.skipped = Some(reason.clone());
        return plan;
    }
    if finding.status.eq_ignore_ascii_case("passed") {
        plan.skipped = Some(format!(
            "Rule '{}' passed: nothing to remediate",
            finding.rule.name
        ));
        return plan;
    }
    let entries = grammar::entries(
        finding.rule.compliance_tags.as_deref(),
        &finding.remediation_actions,
    );
    if entries.is_empty() {
        plan.skipped = Some(format!(
            "Rule '{}' has no AUTO: entries or remediation actions: no bots to run",
            finding.rule.name
        ));
        return plan;
    }

    let finding_wide_refusal = account_list_refusal(&finding.account_id, config)
        .or_else(|| account_refusal(finding, config, &mut plan.target))
        .or_else(|| finding.refusal.clone());
    let exclusion_tag = tag_value(&finding.entity, &config.exclude_tag_key);
    let excluded = |bot: &str| {
        let value = exclusion_tag.as_deref()?;
        exclusion_reason(&config.exclude_tag_key, value, bot, today)
    };

    let mut candidates = Vec::new();
    for parsed in entries {
        let (entry, bot) = match &parsed {
            ParsedEntry::Malformed { text, .. } => (text.clone(), String::new()),
            ParsedEntry::Action(e) => (e.text.clone(), e.bot.clone()),
        };
        let refusal = finding_wide_refusal.clone().or_else(|| match &parsed {
            ParsedEntry::Malformed { reason, .. } => Some(reason.clone()),
            ParsedEntry::Action(e) => match catalogue::lookup(&e.bot) {
                None => Some(format!(
                    "unknown bot '{}': no such bot in the catalogue",
                    printable(&e.bot)
                )),
                Some(spec) if spec.phase == Phase::Destroy && !config.destroy_bots.contains(spec.name) => Some(format!(
                    "{} deletes resources and is opt-in: the deployment does not enable it (add it to the DestroyBots parameter, DESTROY_BOTS)",
                    spec.name
                )),
                Some(spec) => match spec.parse_params(&e.params) {
                    Err(reason) => Some(format!("bad parameters for {}: {reason}", spec.name)),
                    Ok(params) => excluded(spec.name).or_else(|| {
                        candidates.push(Candidate {
                            bot: spec.name,
                            params,
                            raw_params: e.params.clone(),
                            phase: spec.phase,
                            guard: spec.guard,
                            mode: config.mode_of(spec.name),
                            origin: e.origin,
                            entry: e.text.clone(),
                            context: e.context.clone(),
                        });
                        None
                    }),
                },
            },
        });
        if let Some(reason) = refusal {
            plan.rejected.push(Rejected {
                audit_id: format!("rejected#{:03}", plan.rejected.len()),
                entry,
                bot,
                reason,
            });
        }
    }

    if config.snapshot_before_change {
        if let Some((entry, reason)) = insert_snapshot(&mut candidates, excluded) {
            plan.rejected.push(Rejected {
                audit_id: format!("rejected#{:03}", plan.rejected.len()),
                entry,
                bot: SNAPSHOT_BOT.to_string(),
                reason,
            });
        }
    }
    candidates.sort_by_key(|c| c.phase); // stable: keeps the written order within a phase
    plan.steps = candidates
        .into_iter()
        .enumerate()
        .map(|(index, c)| Step {
            index,
            audit_id: format!("step#{index:03}"),
            bot: c.bot.to_string(),
            params: c.params,
            raw_params: c.raw_params,
            phase: c.phase,
            guard: c.guard,
            mode: c.mode,
            exclude_tag_key: config.exclude_tag_key.clone(),
            origin: c.origin,
            entry: c.entry,
            context: c.context,
        })
        .collect();
    plan
}

/// Why the deployment's account lists keep this account out, if they do.
fn account_list_refusal(account: &str, config: &PlannerConfig) -> Option<String> {
    if config.denied_accounts.contains(account) {
        return Some(format!(
            "account {account} is in the deployment's denied accounts (DENIED_ACCOUNTS): its findings are never remediated"
        ));
    }
    if !config.allowed_accounts.is_empty() && !config.allowed_accounts.contains(account) {
        let allowed: Vec<&str> = config.allowed_accounts.iter().map(String::as_str).collect();
        return Some(format!(
            "account {account} is not in the deployment's allowed accounts (ALLOWED_ACCOUNTS: {}): only those are remediated",
            allowed.join(", ")
        ));
    }
    None
}

/// Why a finding from another account cannot run here, or the role to reach it.
fn account_refusal(
    finding: &Finding,
    config: &PlannerConfig,
    target: &mut Target,
) -> Option<String> {
    let home = config.home_account.as_deref()?;
    if finding.account_id == home {
        return None;
    }
    match config.account_mode {
        AccountMode::Single => Some(format!(
            "This finding was found in account id {}. cloudbots is running in account id {home} in single-account mode: remediations run only in their own account (deploy in multi-account mode with a member role to remediate other accounts)",
            finding.account_id
        )),
        AccountMode::Multi => {
            target.role_arn = Some(format!(
                "arn:aws:iam::{}:role/{}",
                finding.account_id, config.cross_account_role_name
            ));
            None
        }
    }
}

/// Put a snapshot before the first instance change, unless one is already planned before it.
/// It is taken for real when an instance change it protects enforces (whatever the modes
/// say of snapshots), and only reported when every one of them is a dry-run. When the
/// resource's opt-out tag excludes snapshots, the entry and the reason are returned instead.
fn insert_snapshot(
    candidates: &mut Vec<Candidate>,
    excluded: impl Fn(&str) -> Option<String>,
) -> Option<(String, String)> {
    let first_change = candidates
        .iter()
        .position(|c| catalogue::lookup(c.bot).is_some_and(|s| s.changes_instance))?;
    if candidates.iter().any(|c| c.bot == SNAPSHOT_BOT) {
        return None; // the phase order puts it before every change
    }
    let spec = catalogue::lookup(SNAPSHOT_BOT).expect("the snapshot bot is catalogued");
    let before = candidates[first_change].bot;
    let entry = format!("inserted by the planner: snapshot before {before}");
    if let Some(reason) = excluded(SNAPSHOT_BOT) {
        return Some((entry, reason));
    }
    let protects_a_change = candidates.iter().any(|c| {
        c.mode == Mode::Enforce && catalogue::lookup(c.bot).is_some_and(|s| s.changes_instance)
    });
    let mode = if protects_a_change {
        Mode::Enforce
    } else {
        Mode::DryRun
    };
    candidates.insert(
        first_change,
        Candidate {
            bot: spec.name,
            params: spec.parse_params(&[]).expect("no params"),
            raw_params: Vec::new(),
            phase: spec.phase,
            guard: spec.guard,
            mode,
            origin: EntryOrigin::Planner,
            entry,
            context: EntryContext::default(),
        },
    );
    None
}

/// The value of the tag `key` of a finding's entity: CloudGuard's `tags`, or the instance tags
/// of a GuardDuty finding's resource, both `[{key, value}]`.
pub fn tag_value(entity: &Value, key: &str) -> Option<String> {
    let tags = entity
        .get("tags")
        .or_else(|| entity.pointer("/guardDutyResource/instanceDetails/tags"))?
        .as_array()?;
    tags.iter()
        .find(|t| t.get("key").and_then(Value::as_str) == Some(key))
        .map(|t| crate::finding::as_text(t.get("value")).unwrap_or_default())
}

/// Which bots a resource opts out of, read from its opt-out tag's value.
///
/// The value is `all` or bot names, separated by commas, semicolons or spaces, optionally
/// with an expiry date `until=YYYY-MM-DD` (or `until YYYY-MM-DD`): the exclusion holds through
/// that day (UTC) and is ignored after it. An empty value means `all`. A value that cannot be
/// read (an unknown bot name, a bad date) excludes every bot: an opt-out is never ignored
/// because of a typo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exclusion {
    /// None = every bot.
    pub bots: Option<BTreeSet<String>>,
    /// The last day the exclusion holds.
    pub until: Option<NaiveDate>,
}

impl Exclusion {
    /// Read a tag value; the error says what could not be read.
    pub fn parse(value: &str) -> Result<Exclusion, String> {
        let mut tokens = value
            .split([',', ';', ' ', '\t'])
            .map(str::trim)
            .filter(|t| !t.is_empty());
        let (mut all, mut bots, mut until) = (false, BTreeSet::new(), None);
        while let Some(token) = tokens.next() {
            let date = if token.eq_ignore_ascii_case("until") {
                Some(tokens.next().ok_or("'until' without a date")?)
            } else {
                token
                    .split_once('=')
                    .filter(|(k, _)| k.eq_ignore_ascii_case("until"))
                    .map(|(_, d)| d)
            };
            if let Some(date) = date {
                if until.is_some() {
                    return Err("more than one 'until' date".into());
                }
                until = Some(
                    NaiveDate::parse_from_str(date, "%Y-%m-%d")
                        .map_err(|_| format!("'{date}' is not a date YYYY-MM-DD"))?,
                );
            } else if token.eq_ignore_ascii_case("all") {
                all = true;
            } else if catalogue::lookup(token).is_some() {
                bots.insert(token.to_string());
            } else {
                return Err(format!(
                    "'{token}' is neither all, a bot name nor until=YYYY-MM-DD"
                ));
            }
        }
        Ok(Exclusion {
            bots: (!all && !bots.is_empty()).then_some(bots),
            until,
        })
    }
}

/// Why `bot` must not act on a resource whose opt-out tag `key` has `value`, as on `today`;
/// None when it may act (not listed, or the exclusion expired).
pub fn exclusion_reason(key: &str, value: &str, bot: &str, today: NaiveDate) -> Option<String> {
    let tag = format!("excluded by tag {key}={value:?}");
    let exclusion = match Exclusion::parse(value) {
        Ok(exclusion) => exclusion,
        Err(error) => {
            return Some(format!(
            "{tag}: the value cannot be read ({error}), so every bot is excluded until it is fixed"
        ))
        }
    };
    if exclusion.until.is_some_and(|last| today > last) {
        return None;
    }
    let until = exclusion
        .until
        .map(|last| format!(" until {last}"))
        .unwrap_or_default();
    match &exclusion.bots {
        None => Some(format!("{tag}: the resource opts out of every bot{until}")),
        Some(bots) if bots.contains(bot) => {
            Some(format!("{tag}: the resource opts out of {bot}{until}"))
        }
        Some(_) => None,
    }
}

/// A name from the finding as it may be quoted in a reason: control and non-ASCII characters
/// escaped, at most 64 characters, so a hostile tag cannot forge or flood log lines.
fn printable(name: &str) -> String {
    const MAX: usize = 64;
    let mut out: String = name
        .chars()
        .take(MAX)
        .flat_map(char::escape_default)
        .collect();
    if name.chars().count() > MAX {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::from_cloudguard;
    use serde_json::json;

    fn finding_with(tags: &str) -> Finding {
        let path = format!(
            "{}/../tests/fixtures/cloudguard/instance_full_entity.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let mut msg: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        msg["rule"]["complianceTags"] = json!(tags);
        from_cloudguard(&msg).unwrap()
    }

    fn bots(plan: &Plan) -> Vec<&str> {
        plan.steps.iter().map(|s| s.bot.as_str()).collect()
    }

    #[test]
    fn snapshot_is_inserted_before_a_stop() {
        let plan = plan(
            &finding_with("AUTO: ec2_stop_instance"),
            &PlannerConfig::default(),
        );
        assert_eq!(bots(&plan), ["ec2_create_snapshot", "ec2_stop_instance"]);
        assert!(plan.steps[0].guard);
        assert_eq!(plan.steps[0].origin, EntryOrigin::Planner);
        assert_eq!(
            plan.steps[0].entry,
            "inserted by the planner: snapshot before ec2_stop_instance"
        );
        assert_eq!(plan.steps[1].audit_id, "step#001");
    }

    #[test]
    fn a_planned_snapshot_is_not_doubled_and_phases_order_the_steps() {
        let plan = plan(
            &finding_with("AUTO: kms_enable_rotation|AUTO: ec2_stop_instance|AUTO: ec2_create_snapshot|AUTO: sg_rules_delete"),
            &PlannerConfig::default(),
        );
        assert_eq!(
            bots(&plan),
            [
                "ec2_create_snapshot",
                "ec2_stop_instance",
                "sg_rules_delete",
                "kms_enable_rotation"
            ]
        );
        assert_eq!(plan.steps[0].origin, EntryOrigin::ComplianceTag);
    }

    #[test]
    fn snapshot_insertion_can_be_turned_off() {
        let config = PlannerConfig {
            snapshot_before_change: false,
            ..Default::default()
        };
        let plan = plan(&finding_with("AUTO: ec2_stop_instance"), &config);
        assert_eq!(bots(&plan), ["ec2_stop_instance"]);
    }

    #[test]
    fn unknown_bots_and_bad_params_are_rejected_with_reasons() {
        let plan = plan(
            &finding_with("AUTO: no_such_bot|AUTO: sg_single_rule_delete split=perhaps protocol=TCP scope=0.0.0.0/0 direction=inbound port=22|AUTO: ec2_stop_instance now"),
            &PlannerConfig::default(),
        );
        assert!(plan.steps.is_empty());
        let reasons: Vec<_> = plan.rejected.iter().map(|r| r.reason.as_str()).collect();
        assert_eq!(
            reasons,
            [
                "unknown bot 'no_such_bot': no such bot in the catalogue",
                "bad parameters for sg_single_rule_delete: split must be true or false, got 'perhaps'",
                "bad parameters for ec2_stop_instance: takes no parameters, got 'now'",
            ]
        );
        assert!(
            plan.needs_execution(),
            "rejections are recorded by an execution"
        );
    }

    #[test]
    fn foreign_account_single_mode_refused_multi_mode_assumes_role() {
        let finding = finding_with("AUTO: ec2_stop_instance");
        let single = PlannerConfig {
            home_account: Some("111111111111".into()),
            ..Default::default()
        };
        let refused = plan(&finding, &single);
        assert!(refused.steps.is_empty());
        assert_eq!(refused.rejected.len(), 1);
        assert!(refused.rejected[0].reason.starts_with("This finding was found in account id 621958466464. cloudbots is running in account id 111111111111"));
        let multi = PlannerConfig {
            account_mode: AccountMode::Multi,
            cross_account_role_name: "Remediator".into(),
            ..single
        };
        let planned = plan(&finding, &multi);
        assert_eq!(planned.steps.len(), 2);
        assert_eq!(
            planned.target.role_arn.as_deref(),
            Some("arn:aws:iam::621958466464:role/Remediator")
        );
        assert_eq!(
            planned.target.undoing().role_arn.as_deref(),
            Some("arn:aws:iam::621958466464:role/Remediator-undo"),
            "undo goes through the member account's undo role"
        );
        assert_eq!(
            plan(&finding, &PlannerConfig::default()).target.undoing(),
            plan(&finding, &PlannerConfig::default()).target,
            "an own-account target is reached for undo as it was by the bots"
        );
    }

    #[test]
    fn destroy_phase_bots_run_only_when_the_deployment_enables_them_by_name() {
        let finding = finding_with("AUTO: ec2_terminate_instance|AUTO: ec2_stop_instance");
        let refused = plan(&finding, &PlannerConfig::default());
        assert_eq!(bots(&refused), ["ec2_create_snapshot", "ec2_stop_instance"]);
        assert_eq!(
            refused.rejected[0].reason,
            "ec2_terminate_instance deletes resources and is opt-in: the deployment does not enable it (add it to the DestroyBots parameter, DESTROY_BOTS)"
        );
        let vars = |k: &str| {
            (k == "DESTROY_BOTS").then(|| " ec2_terminate_instance , s3_delete_bucket".to_string())
        };
        let enabled = PlannerConfig::from_vars(vars).unwrap();
        let planned = plan(&finding, &enabled);
        assert!(planned.rejected.is_empty());
        assert_eq!(
            bots(&planned),
            [
                "ec2_create_snapshot",
                "ec2_stop_instance",
                "ec2_terminate_instance"
            ]
        );
        let not_destroy = |k: &str| (k == "DESTROY_BOTS").then(|| "ec2_stop_instance".to_string());
        assert_eq!(
            PlannerConfig::from_vars(not_destroy).unwrap_err(),
            "DESTROY_BOTS: ec2_stop_instance is not a destroy-phase bot (only those need enabling)"
        );
        let unknown = |k: &str| (k == "DESTROY_BOTS").then(|| "rm_rf".to_string());
        assert_eq!(
            PlannerConfig::from_vars(unknown).unwrap_err(),
            "DESTROY_BOTS: unknown bot 'rm_rf'"
        );
    }

    #[test]
    fn denied_accounts_and_accounts_outside_a_non_empty_allowed_list_are_refused() {
        // The fixture's account is 621958466464; the deployment is multi-account.
        let finding = finding_with("AUTO: ec2_stop_instance|AUTO: no_such_bot");
        let config = |allowed: &str, denied: &str| {
            let (allowed, denied) = (allowed.to_string(), denied.to_string());
            PlannerConfig::from_vars(move |k| match k {
                "ACCOUNT_MODE" => Some("multi".into()),
                "HOME_ACCOUNT_ID" => Some("111111111111".into()),
                "ALLOWED_ACCOUNTS" => Some(allowed.clone()),
                "DENIED_ACCOUNTS" => Some(denied.clone()),
                _ => None,
            })
            .unwrap()
        };
        let reasons = |plan: &Plan| -> Vec<String> {
            assert!(plan.steps.is_empty(), "nothing runs: {:?}", bots(plan));
            plan.rejected.iter().map(|r| r.reason.clone()).collect()
        };

        let denied = plan(&finding, &config("", "222222222222, 621958466464"));
        let why = "account 621958466464 is in the deployment's denied accounts (DENIED_ACCOUNTS): its findings are never remediated";
        assert_eq!(reasons(&denied), [why, why], "every entry is refused");
        assert!(denied.needs_execution(), "the refusal is audited");

        let outside = plan(&finding, &config("222222222222,333333333333", ""));
        assert_eq!(
            reasons(&outside)[0],
            "account 621958466464 is not in the deployment's allowed accounts (ALLOWED_ACCOUNTS: 222222222222, 333333333333): only those are remediated"
        );

        let listed = plan(&finding, &config("621958466464,222222222222", ""));
        assert_eq!(bots(&listed), ["ec2_create_snapshot", "ec2_stop_instance"]);
        assert_eq!(listed.rejected.len(), 1, "only the unknown bot");
        let any = plan(&finding, &config("", "222222222222"));
        assert_eq!(bots(&any), ["ec2_create_snapshot", "ec2_stop_instance"]);
    }

    #[test]
    fn account_lists_are_validated() {
        let with = |name: &'static str, value: &'static str| {
            PlannerConfig::from_vars(move |k| (k == name).then(|| value.to_string()))
        };
        assert_eq!(
            with("ALLOWED_ACCOUNTS", "621958466464,12345").unwrap_err(),
            "ALLOWED_ACCOUNTS: account id must be 12 digits, got '12345'"
        );
        assert_eq!(
            with("DENIED_ACCOUNTS", "abcdefghijkl").unwrap_err(),
            "DENIED_ACCOUNTS: account id must be 12 digits, got 'abcdefghijkl'"
        );
        let both = PlannerConfig::from_vars(|k| match k {
            "ALLOWED_ACCOUNTS" | "DENIED_ACCOUNTS" => Some("621958466464".into()),
            _ => None,
        });
        assert_eq!(
            both.unwrap_err(),
            "account 621958466464 is in both ALLOWED_ACCOUNTS and DENIED_ACCOUNTS: list it in one"
        );
        let parsed = with("ALLOWED_ACCOUNTS", " 621958466464 , ,222222222222,").unwrap();
        assert_eq!(
            parsed.allowed_accounts,
            BTreeSet::from(["222222222222".to_string(), "621958466464".to_string()])
        );
        assert!(parsed.denied_accounts.is_empty());
    }

    #[test]
    fn bot_modes_override_the_deploy_wide_mode_per_step() {
        let finding = finding_with("AUTO: ec2_stop_instance|AUTO: sg_rules_delete");
        let config = PlannerConfig::from_vars(|k| match k {
            "MODE" => Some("enforce".into()),
            "BOT_MODES" => Some(" ec2_stop_instance = dry-run, s3_delete_acls=ENFORCE".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(config.mode_of("s3_delete_acls"), Mode::Enforce);
        let planned = plan(&finding, &config);
        let modes: Vec<_> = planned
            .steps
            .iter()
            .map(|s| (s.bot.as_str(), s.mode))
            .collect();
        assert_eq!(
            modes,
            [
                ("ec2_create_snapshot", Mode::DryRun), // protects only a dry-run stop
                ("ec2_stop_instance", Mode::DryRun),
                ("sg_rules_delete", Mode::Enforce),
            ]
        );
        assert_eq!(planned.mode, Mode::Enforce);

        let dry_deploy = PlannerConfig {
            mode: Mode::DryRun,
            bot_modes: [("ec2_stop_instance".to_string(), Mode::Enforce)].into(),
            ..Default::default()
        };
        let modes: Vec<_> = plan(&finding, &dry_deploy)
            .steps
            .iter()
            .map(|s| s.mode)
            .collect();
        assert_eq!(
            modes,
            [Mode::Enforce, Mode::Enforce, Mode::DryRun],
            "evidence is taken for real before an enforced stop"
        );
    }

    #[test]
    fn bot_modes_name_the_bad_bot_or_mode() {
        let with = |value: &'static str| {
            PlannerConfig::from_vars(move |k| (k == "BOT_MODES").then(|| value.to_string()))
                .unwrap_err()
        };
        assert_eq!(
            with("ec2_stop_instance=dry-run,rm_rf=enforce"),
            "BOT_MODES: unknown bot 'rm_rf'"
        );
        assert_eq!(
            with("ec2_stop_instance=maybe"),
            "BOT_MODES: the mode of ec2_stop_instance must be enforce or dry-run, got 'maybe'"
        );
        assert_eq!(
            with("ec2_stop_instance"),
            "BOT_MODES: 'ec2_stop_instance' is not bot=mode (e.g. ec2_stop_instance=dry-run)"
        );
        assert_eq!(
            with("ec2_stop_instance=dry-run,ec2_stop_instance=enforce"),
            "BOT_MODES: ec2_stop_instance is named twice"
        );
    }

    fn tagged(tags: &str, exclusion: Value) -> Finding {
        let mut finding = finding_with(tags);
        finding.entity["tags"] = json!([
            {"key": "owner", "value": "web team"},
            {"key": "cloudbots:exclude", "value": exclusion},
        ]);
        finding
    }

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn rejected(plan: &Plan) -> Vec<(&str, &str)> {
        plan.rejected
            .iter()
            .map(|r| (r.bot.as_str(), r.reason.as_str()))
            .collect()
    }

    const TWO_BOTS: &str = "AUTO: ec2_stop_instance|AUTO: sg_rules_delete";

    #[test]
    fn an_exclusion_tag_of_all_rejects_every_step_with_the_reason() {
        let today = day("2026-11-30");
        let planned = plan_on(
            &tagged(TWO_BOTS, json!("all")),
            &PlannerConfig::default(),
            today,
        );
        assert!(planned.steps.is_empty(), "{:?}", bots(&planned));
        let why = "excluded by tag cloudbots:exclude=\"all\": the resource opts out of every bot";
        assert_eq!(
            rejected(&planned),
            [("ec2_stop_instance", why), ("sg_rules_delete", why)],
            "no snapshot is inserted for a stop that will not run"
        );
        assert!(planned.needs_execution(), "the exclusion is audited");
        let empty = plan_on(
            &tagged(TWO_BOTS, json!("")),
            &PlannerConfig::default(),
            today,
        );
        assert!(empty.steps.is_empty(), "an empty value means all");
    }

    #[test]
    fn an_exclusion_tag_listing_bots_rejects_only_those() {
        let finding = tagged(
            "AUTO: ec2_stop_instance|AUTO: sg_rules_delete|AUTO: kms_enable_rotation",
            json!("sg_rules_delete, kms_enable_rotation until 2027-01-31"),
        );
        let planned = plan_on(&finding, &PlannerConfig::default(), day("2027-01-31"));
        assert_eq!(bots(&planned), ["ec2_create_snapshot", "ec2_stop_instance"]);
        assert_eq!(
            rejected(&planned),
            [
                ("sg_rules_delete", "excluded by tag cloudbots:exclude=\"sg_rules_delete, kms_enable_rotation until 2027-01-31\": the resource opts out of sg_rules_delete until 2027-01-31"),
                ("kms_enable_rotation", "excluded by tag cloudbots:exclude=\"sg_rules_delete, kms_enable_rotation until 2027-01-31\": the resource opts out of kms_enable_rotation until 2027-01-31"),
            ]
        );
    }

    #[test]
    fn an_expired_exclusion_is_ignored() {
        let finding = tagged(TWO_BOTS, json!("all;until=2027-01-31"));
        let config = PlannerConfig::default();
        let last_day = plan_on(&finding, &config, day("2027-01-31"));
        assert!(last_day.steps.is_empty(), "holds through its last day");
        let after = plan_on(&finding, &config, day("2027-02-01"));
        assert!(after.rejected.is_empty(), "{:?}", after.rejected);
        assert_eq!(
            bots(&after),
            [
                "ec2_create_snapshot",
                "ec2_stop_instance",
                "sg_rules_delete"
            ]
        );
    }

    #[test]
    fn bots_not_listed_other_keys_and_untagged_entities_run() {
        let config = PlannerConfig::default();
        let today = day("2026-11-30");
        let other_bot = plan_on(&tagged(TWO_BOTS, json!("s3_delete_acls")), &config, today);
        assert_eq!(other_bot.steps.len(), 3);
        assert!(other_bot.rejected.is_empty());
        let untagged = plan_on(&finding_with(TWO_BOTS), &config, today);
        assert_eq!(untagged.steps.len(), 3);
        let own_key = PlannerConfig {
            exclude_tag_key: "owner".into(),
            ..Default::default()
        };
        let by_own_key = plan_on(&tagged(TWO_BOTS, json!("s3_delete_acls")), &own_key, today);
        assert_eq!(
            by_own_key.rejected[0].reason,
            "excluded by tag owner=\"web team\": the value cannot be read ('web' is neither all, a bot name nor until=YYYY-MM-DD), so every bot is excluded until it is fixed",
            "the deployment's key is the one read; an unreadable value excludes"
        );
        let untagged_own_key = plan_on(&finding_with(TWO_BOTS), &own_key, today);
        assert_eq!(untagged_own_key.steps.len(), 3);
        assert!(
            untagged_own_key
                .steps
                .iter()
                .all(|s| s.exclude_tag_key == "owner"),
            "the bots re-check the same key"
        );
    }

    #[test]
    fn an_excluded_snapshot_is_not_inserted_and_the_reason_is_recorded() {
        let finding = tagged("AUTO: ec2_stop_instance", json!("ec2_create_snapshot"));
        let planned = plan_on(&finding, &PlannerConfig::default(), day("2026-11-30"));
        assert_eq!(bots(&planned), ["ec2_stop_instance"]);
        assert_eq!(
            planned.rejected[0].entry,
            "inserted by the planner: snapshot before ec2_stop_instance"
        );
        assert_eq!(planned.rejected[0].bot, "ec2_create_snapshot");
    }

    #[test]
    fn exclusion_values_are_read_strictly() {
        let read = |v: &str| Exclusion::parse(v);
        assert_eq!(
            read("ec2_stop_instance s3_delete_acls,until=2027-01-31").unwrap(),
            Exclusion {
                bots: Some(
                    [
                        "ec2_stop_instance".to_string(),
                        "s3_delete_acls".to_string()
                    ]
                    .into()
                ),
                until: Some(day("2027-01-31")),
            }
        );
        assert_eq!(read("ALL ec2_stop_instance").unwrap().bots, None);
        assert_eq!(
            read("all until 2027-02-30").unwrap_err(),
            "'2027-02-30' is not a date YYYY-MM-DD"
        );
        assert_eq!(read("all until").unwrap_err(), "'until' without a date");
        assert_eq!(
            read("all until=2027-01-01 until=2028-01-01").unwrap_err(),
            "more than one 'until' date"
        );
        assert_eq!(
            read("ec2_stop_instanse").unwrap_err(),
            "'ec2_stop_instanse' is neither all, a bot name nor until=YYYY-MM-DD"
        );
    }

    #[test]
    fn guardduty_instance_tags_are_read_too() {
        let entity = json!({"guardDutyResource": {"instanceDetails": {"tags": [
            {"key": "cloudbots:exclude", "value": "ec2_stop_instance"}
        ]}}});
        assert_eq!(
            tag_value(&entity, "cloudbots:exclude").as_deref(),
            Some("ec2_stop_instance")
        );
        assert_eq!(tag_value(&json!({"tags": []}), "cloudbots:exclude"), None);
        assert_eq!(
            tag_value(&json!({"tags": "junk"}), "cloudbots:exclude"),
            None
        );
    }

    #[test]
    fn exclude_tag_key_comes_from_the_deployment() {
        let config =
            PlannerConfig::from_vars(|k| (k == "EXCLUDE_TAG_KEY").then(|| " no-bots ".into()));
        assert_eq!(config.unwrap().exclude_tag_key, "no-bots");
        assert_eq!(
            PlannerConfig::from_vars(|_| None).unwrap().exclude_tag_key,
            "cloudbots:exclude"
        );
        let long = "k".repeat(129);
        assert_eq!(
            PlannerConfig::from_vars(|k| (k == "EXCLUDE_TAG_KEY").then(|| long.clone()))
                .unwrap_err(),
            "EXCLUDE_TAG_KEY: a tag key has at most 128 characters, got 129"
        );
    }

    #[test]
    fn passed_and_untagged_findings_are_skipped() {
        let mut passed = finding_with("AUTO: ec2_stop_instance");
        passed.status = "Passed".into();
        assert_eq!(
            plan(&passed, &PlannerConfig::default()).skipped.as_deref(),
            Some("Rule 'Instance should fail' passed: nothing to remediate")
        );
        let untagged = plan(&finding_with("PCI 10.5"), &PlannerConfig::default());
        assert!(untagged.skipped.unwrap().contains("no AUTO: entries"));
    }

    #[test]
    fn execution_name_is_deterministic_and_valid() {
        let a = plan(
            &finding_with("AUTO: ec2_stop_instance"),
            &PlannerConfig::default(),
        );
        let b = plan(
            &finding_with("AUTO: ec2_stop_instance"),
            &PlannerConfig::default(),
        );
        assert_eq!(a.execution_name, b.execution_name);
        assert!(a.execution_name.starts_with("cg-i-0028f9751d334c93a-"));
        assert!(a.execution_name.len() <= 80);
        assert!(a
            .execution_name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    }

    #[test]
    fn config_from_vars_checks_values() {
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let c = PlannerConfig::from_vars(vars(&[
            ("ACCOUNT_MODE", "multi"),
            ("MODE", "dry-run"),
            ("SNAPSHOT_BEFORE_CHANGE", "false"),
        ]))
        .unwrap();
        assert_eq!(
            (c.account_mode, c.mode, c.snapshot_before_change),
            (AccountMode::Multi, Mode::DryRun, false)
        );
        assert_eq!(c.cross_account_role_name, "Dome9CloudBots");
        assert_eq!(
            PlannerConfig::from_vars(vars(&[("ACCOUNT_MODE", "both")])).unwrap_err(),
            "ACCOUNT_MODE must be single or multi, got 'both'"
        );
    }

    #[test]
    fn unknown_bot_names_are_quoted_escaped_and_bounded() {
        assert_eq!(printable("no_such_bot"), "no_such_bot");
        assert_eq!(printable("rm\n-rf\u{1b}[2J"), "rm\\n-rf\\u{1b}[2J");
        let long = "x".repeat(100);
        assert_eq!(printable(&long), format!("{}…", "x".repeat(64)));
    }
}
