//! Parameters of the IAM policy, role and permission-boundary bots.
//!
//! Policy ARNs are checked at plan time, so a typo in a ruleset is rejected before anything
//! runs. `$ACCOUNT_ID` may stand for the account part of a customer-managed policy ARN, as in
//! the original; the bot replaces it with the finding's account when it runs.

use super::{keyed_or_positional, BotParams};
use crate::finding::check_account_id;
use serde::{Deserialize, Serialize};

/// Written in a policy ARN in place of the account id; replaced by the finding's account.
pub const ACCOUNT_ID_PLACEHOLDER: &str = "$ACCOUNT_ID";

/// Whether a name or path segment uses only the characters IAM allows (`[\w+=,.@-]`).
fn iam_name_chars(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
}

/// A managed policy ARN: `arn:aws:iam::aws:policy/...`, `arn:aws:iam::<12 digits>:policy/...`
/// or `arn:aws:iam::$ACCOUNT_ID:policy/...`, with an optional path before the name.
pub fn parse_policy_arn(text: &str) -> Result<String, String> {
    let bad = || {
        format!(
            "policy ARN must look like arn:aws:iam::aws:policy/<name> or arn:aws:iam::$ACCOUNT_ID:policy/<name>, got '{text}'"
        )
    };
    let parts: Vec<&str> = text.splitn(6, ':').collect();
    let [arn, partition, service, region, account, resource] = parts.as_slice() else {
        return Err(bad());
    };
    let partition_ok = matches!(*partition, "aws" | "aws-cn" | "aws-us-gov");
    let account_ok = *account == "aws"
        || *account == ACCOUNT_ID_PLACEHOLDER
        || check_account_id(account).is_ok();
    let path_and_name_ok = resource
        .strip_prefix("policy/")
        .is_some_and(|rest| rest.split('/').all(iam_name_chars));
    if *arn == "arn"
        && partition_ok
        && *service == "iam"
        && region.is_empty()
        && account_ok
        && path_and_name_ok
    {
        Ok(text.to_string())
    } else {
        Err(bad())
    }
}

/// A policy ARN as written, with `$ACCOUNT_ID` replaced by the account the step acts in.
pub fn policy_arn_in_account(written: &str, account_id: &str) -> String {
    written.replace(ACCOUNT_ID_PLACEHOLDER, account_id)
}

/// Split off the dry-run flag of the CIEM bots: `--dryRun`, or `dryRun` as CloudGuard's own
/// 2023 sample writes it.
fn take_dry_run_flag(tokens: &[String]) -> (bool, Vec<String>) {
    let (flags, rest): (Vec<String>, Vec<String>) = tokens
        .iter()
        .cloned()
        .partition(|t| t == "--dryRun" || t == "dryRun");
    (!flags.is_empty(), rest)
}

/// `iam_role_attach_policy policy_arn=<arn>` and `iam_user_attach_policy policy_arn=<arn>`
/// (or the ARN alone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachPolicyParams {
    /// As written; may hold `$ACCOUNT_ID`.
    pub policy_arn: String,
}

impl BotParams for AttachPolicyParams {
    fn parse(tokens: &[String]) -> Result<Self, String> {
        let values = keyed_or_positional(tokens, &["policy_arn"])?;
        let arn = values
            .get("policy_arn")
            .ok_or("missing parameter 'policy_arn'")?;
        Ok(AttachPolicyParams {
            policy_arn: parse_policy_arn(arn)?,
        })
    }
}

/// `iam_user_delete_inline_policies [<policy_arn>[,<policy_arn>...]]`: managed policies to
/// attach in place of the deleted inline ones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserDeleteInlinePoliciesParams {
    /// As written; each may hold `$ACCOUNT_ID`.
    pub attach_policy_arns: Vec<String>,
}

impl BotParams for UserDeleteInlinePoliciesParams {
    fn parse(tokens: &[String]) -> Result<Self, String> {
        let attach_policy_arns = match tokens {
            [] => Vec::new(),
            [list] => list
                .split(',')
                .map(str::trim)
                .filter(|arn| !arn.is_empty())
                .map(parse_policy_arn)
                .collect::<Result<_, _>>()?,
            _ => {
                return Err(format!(
                    "takes one optional parameter, policy ARNs separated by commas without spaces, got '{}'",
                    tokens.join(" ")
                ))
            }
        };
        Ok(UserDeleteInlinePoliciesParams { attach_policy_arns })
    }
}

/// The name part of the boundary policy when none is given: `CIEMSuggestion-<entity name>`.
pub const DEFAULT_BOUNDARY_POLICY_PREFIX: &str = "CIEMSuggestion";

/// `iam_entity_create_and_attach_permission_boundary [policy_name=<name>] [--dryRun]`.
/// The policy document itself comes from the CIEM finding, beside the params.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateBoundaryParams {
    /// The boundary policy is named `<policy_name>-<entity name>`.
    pub policy_name: String,
    pub dry_run: bool,
}

impl BotParams for CreateBoundaryParams {
    fn parse(tokens: &[String]) -> Result<Self, String> {
        let (dry_run, rest) = take_dry_run_flag(tokens);
        let mut policy_name = None;
        for token in &rest {
            match token.split_once('=') {
                Some(("policy_name", name)) => {
                    if policy_name.is_some() {
                        return Err("parameter 'policy_name' is given twice".to_string());
                    }
                    if !iam_name_chars(name) || name.len() > 100 {
                        return Err(format!(
                            "policy_name must be 1 to 100 letters, digits or _+=,.@- characters, got '{name}'"
                        ));
                    }
                    policy_name = Some(name.to_string());
                }
                _ => {
                    return Err(format!(
                        "unknown parameter '{token}' (expected policy_name=<name>, --dryRun)"
                    ))
                }
            }
        }
        Ok(CreateBoundaryParams {
            policy_name: policy_name.unwrap_or_else(|| DEFAULT_BOUNDARY_POLICY_PREFIX.to_string()),
            dry_run,
        })
    }
}

/// The kind of IAM identity that can carry a permissions boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IdentityKind {
    Role,
    User,
}

impl IdentityKind {
    pub fn label(self) -> &'static str {
        match self {
            IdentityKind::Role => "IAM role",
            IdentityKind::User => "IAM user",
        }
    }
}

/// An IAM role or user named by its ARN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityArn {
    pub arn: String,
    pub kind: IdentityKind,
    pub account_id: String,
    /// The name, without the path.
    pub name: String,
}

/// `arn:aws:iam::<account>:role/<path/>name` or `...:user/<path/>name`.
pub fn parse_identity_arn(text: &str) -> Result<IdentityArn, String> {
    let bad = || {
        format!(
            "entity_arn must be all or the ARN of an IAM role or user (arn:aws:iam::123456789012:role/<name>), got '{text}'"
        )
    };
    let parts: Vec<&str> = text.splitn(6, ':').collect();
    let [arn, partition, service, region, account, resource] = parts.as_slice() else {
        return Err(bad());
    };
    if *arn != "arn"
        || !matches!(*partition, "aws" | "aws-cn" | "aws-us-gov")
        || *service != "iam"
        || !region.is_empty()
        || check_account_id(account).is_err()
    {
        return Err(bad());
    }
    let (kind, path_and_name) = if let Some(rest) = resource.strip_prefix("role/") {
        (IdentityKind::Role, rest)
    } else if let Some(rest) = resource.strip_prefix("user/") {
        (IdentityKind::User, rest)
    } else {
        return Err(bad());
    };
    if !path_and_name.split('/').all(iam_name_chars) {
        return Err(bad());
    }
    let name = path_and_name.rsplit('/').next().unwrap_or(path_and_name);
    Ok(IdentityArn {
        arn: text.to_string(),
        kind,
        account_id: account.to_string(),
        name: name.to_string(),
    })
}

/// Which identities lose their permissions boundary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BoundaryHolders {
    /// Every role and user of the account.
    All {
        account_id: String,
    },
    One(IdentityArn),
}

/// `iam_entity_remove_permission_boundary entity_arn=<arn|all> [cloud_account_id=<id>] [--dryRun]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoveBoundaryParams {
    pub holders: BoundaryHolders,
    pub dry_run: bool,
}

impl RemoveBoundaryParams {
    /// The account whose identities the params name.
    pub fn account_id(&self) -> &str {
        match &self.holders {
            BoundaryHolders::All { account_id } => account_id,
            BoundaryHolders::One(identity) => &identity.account_id,
        }
    }
}

impl BotParams for RemoveBoundaryParams {
    fn parse(tokens: &[String]) -> Result<Self, String> {
        let (dry_run, rest) = take_dry_run_flag(tokens);
        let values = keyed_or_positional(&rest, &["entity_arn", "cloud_account_id"])?;
        let account = values.get("cloud_account_id");
        if let Some(id) = account {
            check_account_id(id).map_err(|e| format!("cloud_account_id: {e}"))?;
        }
        let holders = match values.get("entity_arn").map(String::as_str) {
            None => return Err("missing parameter 'entity_arn'".to_string()),
            Some("all") => BoundaryHolders::All {
                account_id: account
                    .ok_or("entity_arn=all needs cloud_account_id=<the account's 12-digit id>")?
                    .clone(),
            },
            Some(arn) => {
                let identity = parse_identity_arn(arn)?;
                if account.is_some_and(|id| *id != identity.account_id) {
                    return Err(format!(
                        "cloud_account_id {} is not the account of entity_arn {arn}",
                        account.map(String::as_str).unwrap_or_default()
                    ));
                }
                BoundaryHolders::One(identity)
            }
        };
        Ok(RemoveBoundaryParams { holders, dry_run })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<String> {
        if s.is_empty() {
            Vec::new()
        } else {
            s.split(' ').map(str::to_string).collect()
        }
    }

    #[test]
    fn attach_policy_keyed_and_bare_agree_and_account_placeholder_resolves() {
        let keyed = AttachPolicyParams::parse(&toks(
            "policy_arn=arn:aws:iam::$ACCOUNT_ID:policy/team/sumo",
        ))
        .unwrap();
        let bare =
            AttachPolicyParams::parse(&toks("arn:aws:iam::$ACCOUNT_ID:policy/team/sumo")).unwrap();
        assert_eq!(keyed, bare);
        assert_eq!(
            policy_arn_in_account(&keyed.policy_arn, "123456789012"),
            "arn:aws:iam::123456789012:policy/team/sumo"
        );
        assert!(AttachPolicyParams::parse(&toks("arn:aws:iam::aws:policy/ReadOnlyAccess")).is_ok());
    }

    #[test]
    fn attach_policy_precise_rejections() {
        let malformed = |arn: &str| {
            format!("policy ARN must look like arn:aws:iam::aws:policy/<name> or arn:aws:iam::$ACCOUNT_ID:policy/<name>, got '{arn}'")
        };
        let cases = [
            ("", "missing parameter 'policy_arn'".to_string()),
            ("policy_arn=ReadOnlyAccess", malformed("ReadOnlyAccess")),
            (
                "arn:aws:iam::12345:policy/x",
                malformed("arn:aws:iam::12345:policy/x"),
            ),
            (
                "arn:aws:iam::aws:role/x",
                malformed("arn:aws:iam::aws:role/x"),
            ),
            (
                "arn:aws:s3:::aws:policy/x",
                malformed("arn:aws:s3:::aws:policy/x"),
            ),
            (
                "arn:aws:iam::aws:policy/bad name!",
                "too many parameters: 'name!' (expected at most 1: policy_arn)".to_string(),
            ),
            (
                "arn:aws:iam::aws:policy/bad!",
                malformed("arn:aws:iam::aws:policy/bad!"),
            ),
            (
                "role_arn=arn:aws:iam::aws:policy/x",
                "unknown parameter 'role_arn' (expected policy_arn)".to_string(),
            ),
        ];
        for (input, reason) in cases {
            assert_eq!(
                AttachPolicyParams::parse(&toks(input)).unwrap_err(),
                reason,
                "{input}"
            );
        }
    }

    #[test]
    fn delete_inline_policies_takes_an_optional_comma_list() {
        assert!(UserDeleteInlinePoliciesParams::parse(&[])
            .unwrap()
            .attach_policy_arns
            .is_empty());
        let p = UserDeleteInlinePoliciesParams::parse(&toks(
            "arn:aws:iam::aws:policy/ReadOnlyAccess,arn:aws:iam::$ACCOUNT_ID:policy/p",
        ))
        .unwrap();
        assert_eq!(
            p.attach_policy_arns,
            [
                "arn:aws:iam::aws:policy/ReadOnlyAccess",
                "arn:aws:iam::$ACCOUNT_ID:policy/p"
            ]
        );
        assert_eq!(
            UserDeleteInlinePoliciesParams::parse(&toks("arn:aws:iam::aws:policy/A, arn:aws:iam::aws:policy/B")).unwrap_err(),
            "takes one optional parameter, policy ARNs separated by commas without spaces, got 'arn:aws:iam::aws:policy/A, arn:aws:iam::aws:policy/B'"
        );
        assert_eq!(
            UserDeleteInlinePoliciesParams::parse(&toks("arn:aws:iam::aws:policy/A,oops")).unwrap_err(),
            "policy ARN must look like arn:aws:iam::aws:policy/<name> or arn:aws:iam::$ACCOUNT_ID:policy/<name>, got 'oops'"
        );
    }

    #[test]
    fn create_boundary_reads_name_and_both_dry_run_spellings() {
        assert_eq!(
            CreateBoundaryParams::parse(&[]).unwrap(),
            CreateBoundaryParams {
                policy_name: "CIEMSuggestion".into(),
                dry_run: false
            }
        );
        for flag in ["--dryRun", "dryRun"] {
            let p =
                CreateBoundaryParams::parse(&toks(&format!("policy_name=Bound {flag}"))).unwrap();
            assert_eq!(
                p,
                CreateBoundaryParams {
                    policy_name: "Bound".into(),
                    dry_run: true
                }
            );
        }
        let cases = [
            (
                "policy_name=a/b",
                "policy_name must be 1 to 100 letters, digits or _+=,.@- characters, got 'a/b'",
            ),
            (
                "policy_name=",
                "policy_name must be 1 to 100 letters, digits or _+=,.@- characters, got ''",
            ),
            (
                "policy_name=a policy_name=b",
                "parameter 'policy_name' is given twice",
            ),
            (
                "--dry-run",
                "unknown parameter '--dry-run' (expected policy_name=<name>, --dryRun)",
            ),
        ];
        for (input, reason) in cases {
            assert_eq!(
                CreateBoundaryParams::parse(&toks(input)).unwrap_err(),
                reason,
                "{input}"
            );
        }
    }

    #[test]
    fn remove_boundary_reads_arns_all_and_flags() {
        let one = RemoveBoundaryParams::parse(&toks(
            "entity_arn=arn:aws:iam::123456789012:role/team/app --dryRun",
        ))
        .unwrap();
        assert!(one.dry_run);
        assert_eq!(
            one.holders,
            BoundaryHolders::One(IdentityArn {
                arn: "arn:aws:iam::123456789012:role/team/app".into(),
                kind: IdentityKind::Role,
                account_id: "123456789012".into(),
                name: "app".into(),
            })
        );
        let all = RemoveBoundaryParams::parse(&toks("all 123456789012")).unwrap();
        assert_eq!(
            all.holders,
            BoundaryHolders::All {
                account_id: "123456789012".into()
            }
        );
        assert_eq!(all.account_id(), "123456789012");
        let user =
            RemoveBoundaryParams::parse(&toks("entity_arn=arn:aws:iam::123456789012:user/bob"))
                .unwrap();
        assert!(matches!(
            user.holders,
            BoundaryHolders::One(IdentityArn {
                kind: IdentityKind::User,
                ..
            })
        ));

        let cases = [
            ("", "missing parameter 'entity_arn'"),
            ("entity_arn=all", "entity_arn=all needs cloud_account_id=<the account's 12-digit id>"),
            ("entity_arn=all cloud_account_id=12", "cloud_account_id: account id must be 12 digits, got '12'"),
            ("entity_arn=bob", "entity_arn must be all or the ARN of an IAM role or user (arn:aws:iam::123456789012:role/<name>), got 'bob'"),
            ("entity_arn=arn:aws:iam::123456789012:group/g", "entity_arn must be all or the ARN of an IAM role or user (arn:aws:iam::123456789012:role/<name>), got 'arn:aws:iam::123456789012:group/g'"),
            ("entity_arn=arn:aws:iam::123456789012:role/r cloud_account_id=210987654321", "cloud_account_id 210987654321 is not the account of entity_arn arn:aws:iam::123456789012:role/r"),
        ];
        for (input, reason) in cases {
            assert_eq!(
                RemoveBoundaryParams::parse(&toks(input)).unwrap_err(),
                reason,
                "{input}"
            );
        }
    }
}
