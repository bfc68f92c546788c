//! The `AUTO:` grammar, read exactly as the original read it (reference §2.3, §1.3).
//!
//! Compliance tags are split on `|`; an entry is a trimmed tag that *starts* with `AUTO:`
//! (case-sensitive), split on single spaces: token 1 is the bot, the rest its parameters.
//! Then come the `remediationActions` entries (`"<bot> <params...>"`), in order. A JSON object
//! entry is CloudGuard CIEM context, never a bot (`RedundantPermissions`, `SuggestedRole`):
//! a `SuggestedRole`'s policy becomes context for the entries after it — passed beside the
//! params, never appended to them, which is what broke every bot that counted its params in
//! the original (§1.2).
//!
//! Where the original silently skipped or crashed (`AUTO:c`, `AUTO:  x`), we return a
//! malformed entry with a reason, so it lands in the audit trail instead of vanishing.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Where an entry was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryOrigin {
    /// A `|`-separated `AUTO:` compliance tag of the rule.
    ComplianceTag,
    /// An entry of the finding's `remediationActions`.
    RemediationAction,
    /// Added by the planner (the automatic snapshot before an instance change).
    Planner,
}

/// Context an entry carries beside its params (CIEM suggestions).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EntryContext {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggested_policy: Option<Value>,
}

/// One bot invocation as written by the user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// The entry as written (`AUTO: ec2_stop_instance`), for messages and the audit trail.
    pub text: String,
    pub bot: String,
    pub params: Vec<String>,
    pub origin: EntryOrigin,
    #[serde(default)]
    pub context: EntryContext,
}

/// An entry, or a piece of text that looked like one and is not.
#[derive(Debug, Clone, PartialEq)]
pub enum ParsedEntry {
    Action(Entry),
    Malformed { text: String, reason: String },
}

const AUTO: &str = "AUTO:";

/// The most entries one finding may carry; hostile input with thousands of `AUTO:` tags gets
/// the first ones planned and one rejected entry saying what was dropped.
pub const MAX_ENTRIES: usize = 32;

/// Read the `AUTO:` entries of the compliance tags, then of the remediation actions.
pub fn entries(compliance_tags: Option<&str>, remediation_actions: &[Value]) -> Vec<ParsedEntry> {
    let mut out = Vec::new();
    for tag in compliance_tags.unwrap_or("").split('|') {
        let tag = tag.trim();
        if !tag.starts_with(AUTO) {
            continue; // an ordinary compliance tag such as "PCI 10.5"
        }
        let tokens: Vec<&str> = tag.split(' ').collect();
        if tokens.len() < 2 {
            out.push(ParsedEntry::Malformed {
                text: tag.to_string(),
                reason: format!("'{AUTO}' must be followed by a space and a bot name"),
            });
            continue;
        }
        out.push(action_or_malformed(
            tag,
            &tokens[1..],
            EntryOrigin::ComplianceTag,
            EntryContext::default(),
        ));
    }

    let mut context = EntryContext::default();
    for action in remediation_actions {
        let Some(text) = action.as_str() else {
            out.push(ParsedEntry::Malformed {
                text: action.to_string(),
                reason: "a remediation action must be a string".to_string(),
            });
            continue;
        };
        if let Ok(Value::Object(ciem)) = serde_json::from_str::<Value>(text) {
            if let Some(policy) = ciem.get("SuggestedRole") {
                context.suggested_policy = Some(policy.clone());
            }
            continue; // context, not a bot
        }
        let tokens: Vec<&str> = text.split(' ').collect();
        out.push(action_or_malformed(
            text,
            &tokens,
            EntryOrigin::RemediationAction,
            context.clone(),
        ));
    }
    if out.len() > MAX_ENTRIES {
        let total = out.len();
        out.truncate(MAX_ENTRIES);
        out.push(ParsedEntry::Malformed {
            text: format!("{} more entries", total - MAX_ENTRIES),
            reason: format!(
                "too many AUTO: entries: a finding may carry at most {MAX_ENTRIES}, this one has {total}; the ones after the first {MAX_ENTRIES} are not run"
            ),
        });
    }
    out
}

fn action_or_malformed(
    text: &str,
    tokens: &[&str],
    origin: EntryOrigin,
    context: EntryContext,
) -> ParsedEntry {
    let (bot, params) = tokens
        .split_first()
        .expect("split yields at least one token");
    if bot.is_empty() {
        return ParsedEntry::Malformed {
            text: text.to_string(),
            reason: "empty bot name (two spaces before the bot name?)".to_string(),
        };
    }
    ParsedEntry::Action(Entry {
        text: text.to_string(),
        bot: bot.to_string(),
        params: params.iter().map(|p| p.to_string()).collect(),
        origin,
        context,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn actions(parsed: &[ParsedEntry]) -> Vec<(String, Vec<String>)> {
        parsed
            .iter()
            .filter_map(|p| match p {
                ParsedEntry::Action(e) => Some((e.bot.clone(), e.params.clone())),
                ParsedEntry::Malformed { .. } => None,
            })
            .collect()
    }

    #[test]
    fn reads_the_reference_edge_cases_like_the_original() {
        let tags = "PCI|AUTO: a p1 p2|  AUTO: b|AUTO:c|AUTO:  d x|auto: e|AUTO: f  g";
        let parsed = entries(Some(tags), &[]);
        assert_eq!(
            actions(&parsed),
            vec![
                ("a".to_string(), vec!["p1".to_string(), "p2".to_string()]),
                ("b".to_string(), vec![]),
                ("f".to_string(), vec!["".to_string(), "g".to_string()]),
            ]
        );
        let malformed: Vec<(&str, &str)> = parsed
            .iter()
            .filter_map(|p| match p {
                ParsedEntry::Malformed { text, reason } => Some((text.as_str(), reason.as_str())),
                _ => None,
            })
            .collect();
        assert_eq!(
            malformed,
            vec![
                (
                    "AUTO:c",
                    "'AUTO:' must be followed by a space and a bot name"
                ),
                (
                    "AUTO:  d x",
                    "empty bot name (two spaces before the bot name?)"
                ),
            ]
        );
    }

    #[test]
    fn tags_come_before_remediation_actions_and_ciem_context_is_out_of_band() {
        let actions_json = vec![
            json!("ec2_stop_instance"),
            json!(r#"{"RedundantPermissions": ["s3:DeleteBucket", "iam:PassRole"]}"#),
            json!(r#"{"SuggestedRole": {"Version": "2012-10-17"}}"#),
            json!("iam_entity_create_and_attach_permission_boundary dryRun"),
        ];
        let parsed = entries(Some("AUTO: ec2_create_snapshot"), &actions_json);
        let bots: Vec<_> = parsed
            .iter()
            .map(|p| match p {
                ParsedEntry::Action(e) => (e.bot.as_str(), e.origin, e.params.clone()),
                ParsedEntry::Malformed { .. } => panic!("unexpected malformed"),
            })
            .collect();
        assert_eq!(bots[0].0, "ec2_create_snapshot");
        assert_eq!(bots[0].1, EntryOrigin::ComplianceTag);
        assert_eq!(bots[1].0, "ec2_stop_instance");
        assert_eq!(bots[1].1, EntryOrigin::RemediationAction);
        assert_eq!(bots.len(), 3, "CIEM context entries are not bots: {bots:?}");
        assert_eq!(bots[2].2, vec!["dryRun".to_string()], "policy not appended");
        let ParsedEntry::Action(ciem) = &parsed[2] else {
            unreachable!()
        };
        assert_eq!(
            ciem.context.suggested_policy,
            Some(json!({"Version": "2012-10-17"}))
        );
        let ParsedEntry::Action(stop) = &parsed[1] else {
            unreachable!()
        };
        assert_eq!(stop.context.suggested_policy, None);
    }

    #[test]
    fn thousands_of_entries_are_cut_to_the_limit_with_one_rejected_entry() {
        let tags = vec!["AUTO: ec2_stop_instance"; 3000].join("|");
        let parsed = entries(Some(&tags), &[]);
        assert_eq!(parsed.len(), MAX_ENTRIES + 1);
        assert_eq!(actions(&parsed).len(), MAX_ENTRIES);
        assert_eq!(
            parsed[MAX_ENTRIES],
            ParsedEntry::Malformed {
                text: "2968 more entries".to_string(),
                reason: "too many AUTO: entries: a finding may carry at most 32, this one has 3000; the ones after the first 32 are not run".to_string(),
            }
        );
    }

    #[test]
    fn non_string_remediation_action_is_malformed() {
        let parsed = entries(None, &[json!(42)]);
        assert_eq!(
            parsed,
            vec![ParsedEntry::Malformed {
                text: "42".to_string(),
                reason: "a remediation action must be a string".to_string()
            }]
        );
    }
}
