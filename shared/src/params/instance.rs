//! Parameters of the instance, AMI, key-pair, role and tagging bots.
//!
//! The grammars are the original's: an instance profile ARN as `role_arn=<arn>` or bare, with
//! `$ACCOUNT_ID` standing for the finding's account (`ec2_update_instance_role` takes a policy
//! ARN exactly as `iam_role_attach_policy` does, and shares its params); a bare security group name or tag key;
//! `<N><m|h|d>` for the stop delay; and `<key> <value>` for a tag, where a key or value with
//! spaces is written in double quotes (`"owner" "security team"`).

use super::iam_policies::ACCOUNT_ID_PLACEHOLDER;
use super::{keyed_or_positional, BotParams};
use crate::finding::check_account_id;
use serde::{Deserialize, Serialize};

/// `ec2_attach_instance_role role_arn=<instance profile ARN>` (or the bare ARN).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachInstanceRoleParams {
    /// The instance profile ARN as written; may hold `$ACCOUNT_ID`.
    pub role_arn: String,
}

impl AttachInstanceRoleParams {
    /// The instance profile ARN with `$ACCOUNT_ID` replaced by the account the step acts in.
    pub fn role_arn_in_account(&self, account_id: &str) -> String {
        self.role_arn.replace(ACCOUNT_ID_PLACEHOLDER, account_id)
    }
}

impl BotParams for AttachInstanceRoleParams {
    fn parse(tokens: &[String]) -> Result<Self, String> {
        let mut values = keyed_or_positional(tokens, &["role_arn"])?;
        let role_arn = values
            .remove("role_arn")
            .ok_or("missing parameter 'role_arn'")?;
        check_instance_profile_arn(&role_arn)?;
        Ok(AttachInstanceRoleParams { role_arn })
    }
}

/// `ec2_attach_sg <security group name>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachSgParams {
    pub group_name: String,
}

impl BotParams for AttachSgParams {
    fn parse(tokens: &[String]) -> Result<Self, String> {
        let group_name = single_bare(tokens, "the name of the security group to attach")?;
        if group_name.len() > 255 {
            return Err(format!(
                "a security group name has at most 255 characters, got {}",
                group_name.len()
            ));
        }
        Ok(AttachSgParams { group_name })
    }
}

/// `ec2_tag_instance_from_vpc <tag key>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagFromVpcParams {
    pub key: String,
}

impl BotParams for TagFromVpcParams {
    fn parse(tokens: &[String]) -> Result<Self, String> {
        let key = single_bare(tokens, "the tag key to copy from the VPC")?;
        check_tag_key(&key)?;
        Ok(TagFromVpcParams { key })
    }
}

/// `mark_for_stop_ec2_resource <N><m|h|d>`: how long from now the resource may run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarkForStopParams {
    /// The delay as written (`3h`).
    pub delay: String,
    pub delay_seconds: u64,
}

impl BotParams for MarkForStopParams {
    fn parse(tokens: &[String]) -> Result<Self, String> {
        let delay = single_bare(tokens, "the delay before the stop, such as 3h")?;
        let bad =
            || format!("delay must be a number followed by m, h or d (e.g. 3h), got '{delay}'");
        let unit = delay.chars().last().ok_or_else(bad)?;
        let number = &delay[..delay.len() - unit.len_utf8()];
        if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let unit_seconds: u64 = match unit.to_ascii_lowercase() {
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return Err(bad()),
        };
        let delay_seconds = number
            .parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(unit_seconds))
            .filter(|s| *s <= MAX_STOP_DELAY_SECONDS)
            .ok_or_else(|| format!("delay '{delay}' is longer than ten years"))?;
        Ok(MarkForStopParams {
            delay,
            delay_seconds,
        })
    }
}

/// Ten years: a longer delay is a typo, not a plan.
const MAX_STOP_DELAY_SECONDS: u64 = 10 * 366 * 86_400;

/// `tag_ec2_resource <key> <value>`, each in double quotes when it has spaces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagParams {
    pub key: String,
    pub value: String,
}

impl BotParams for TagParams {
    fn parse(tokens: &[String]) -> Result<Self, String> {
        let written = tokens.join(" ");
        let parts = quoted_words(&written)?;
        let [key, value] = <[String; 2]>::try_from(parts).map_err(|parts| {
            format!(
                "tag \"{written}\" must be a key and a value (<key> <value>, in double quotes when they have spaces), got {} part(s)",
                parts.len()
            )
        })?;
        check_tag(&key, &value)?;
        Ok(TagParams { key, value })
    }
}

/// Split on spaces, keeping a double-quoted run (spaces included) in one part; the quotes
/// themselves are dropped, and `""` is an empty part.
fn quoted_words(text: &str) -> Result<Vec<String>, String> {
    let mut parts = Vec::new();
    let mut current: Option<String> = None;
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                current.get_or_insert_with(String::new);
            }
            ' ' if !quoted => parts.extend(current.take()),
            c => current.get_or_insert_with(String::new).push(c),
        }
    }
    if quoted {
        return Err(format!("tag \"{text}\" has an unclosed double quote"));
    }
    parts.extend(current);
    Ok(parts)
}

/// The rules EC2, Lambda and most services share for a tag.
pub(super) fn check_tag(key: &str, value: &str) -> Result<(), String> {
    check_tag_key(key)?;
    if value.chars().count() > 256 {
        return Err(format!(
            "a tag value has at most 256 characters, got {}",
            value.chars().count()
        ));
    }
    Ok(())
}

/// The rules for a tag key.
fn check_tag_key(key: &str) -> Result<(), String> {
    if key.is_empty() {
        return Err("the tag key is empty".to_string());
    }
    if key.chars().count() > 128 {
        return Err(format!(
            "a tag key has at most 128 characters, got {}",
            key.chars().count()
        ));
    }
    if key.to_ascii_lowercase().starts_with("aws:") {
        return Err(format!("tag key '{key}' uses the reserved prefix aws:"));
    }
    Ok(())
}

/// The one bare value of a bot that takes exactly one parameter.
fn single_bare(tokens: &[String], what: &str) -> Result<String, String> {
    match tokens {
        [] => Err(format!("missing parameter: {what}")),
        [value] if value.is_empty() => Err(format!("missing parameter: {what}")),
        [value] => Ok(value.clone()),
        _ => Err(format!(
            "takes one parameter ({what}), got '{}'",
            tokens.join(" ")
        )),
    }
}

/// `arn:aws:iam::<account id or $ACCOUNT_ID>:instance-profile/[<path>/]<name>`.
fn check_instance_profile_arn(arn: &str) -> Result<(), String> {
    let bad = || {
        format!(
            "role_arn must be an instance profile ARN such as arn:aws:iam::$ACCOUNT_ID:instance-profile/ec2SSM, got '{arn}'"
        )
    };
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [prefix, partition, service, region, account, resource] = parts[..] else {
        return Err(bad());
    };
    let account_ok = account == ACCOUNT_ID_PLACEHOLDER || check_account_id(account).is_ok();
    let name_ok = resource
        .strip_prefix("instance-profile/")
        .and_then(|path| path.rsplit('/').next())
        .is_some_and(|name| !name.is_empty());
    if prefix == "arn"
        && matches!(partition, "aws" | "aws-cn" | "aws-us-gov")
        && service == "iam"
        && region.is_empty()
        && account_ok
        && name_ok
    {
        Ok(())
    } else {
        Err(bad())
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
    fn instance_profile_arn_keyed_or_bare() {
        let keyed = AttachInstanceRoleParams::parse(&toks(
            "role_arn=arn:aws:iam::$ACCOUNT_ID:instance-profile/ec2SSM",
        ))
        .unwrap();
        let bare = AttachInstanceRoleParams::parse(&toks(
            "arn:aws:iam::$ACCOUNT_ID:instance-profile/ec2SSM",
        ))
        .unwrap();
        assert_eq!(keyed, bare);
        assert_eq!(
            keyed.role_arn_in_account("123456789012"),
            "arn:aws:iam::123456789012:instance-profile/ec2SSM"
        );
        assert!(AttachInstanceRoleParams::parse(&toks(
            "arn:aws:iam::123456789012:instance-profile/path/to/ec2SSM"
        ))
        .is_ok());
    }

    #[test]
    fn instance_profile_arn_precise_rejections() {
        let profile = "role_arn must be an instance profile ARN such as arn:aws:iam::$ACCOUNT_ID:instance-profile/ec2SSM";
        let cases = [
            ("", "missing parameter 'role_arn'".to_string()),
            ("arn:aws:iam::123456789012:role/ec2SSM", format!("{profile}, got 'arn:aws:iam::123456789012:role/ec2SSM'")),
            ("arn:aws:iam::aws:instance-profile/x", format!("{profile}, got 'arn:aws:iam::aws:instance-profile/x'")),
            ("arn:aws:iam::123456789012:instance-profile/", format!("{profile}, got 'arn:aws:iam::123456789012:instance-profile/'")),
            ("ec2SSM", format!("{profile}, got 'ec2SSM'")),
            ("policy_arn=arn:aws:iam::aws:policy/X", "unknown parameter 'policy_arn' (expected role_arn)".to_string()),
            ("arn:aws:iam::123456789012:instance-profile/a arn:aws:iam::123456789012:instance-profile/b", "too many parameters: 'arn:aws:iam::123456789012:instance-profile/b' (expected at most 1: role_arn)".to_string()),
        ];
        for (input, reason) in cases {
            assert_eq!(
                AttachInstanceRoleParams::parse(&toks(input)).unwrap_err(),
                reason,
                "{input}"
            );
        }
    }

    #[test]
    fn single_bare_params() {
        assert_eq!(
            AttachSgParams::parse(&toks("quarantine-web"))
                .unwrap()
                .group_name,
            "quarantine-web"
        );
        assert_eq!(
            AttachSgParams::parse(&[]).unwrap_err(),
            "missing parameter: the name of the security group to attach"
        );
        assert_eq!(
            AttachSgParams::parse(&toks("a b")).unwrap_err(),
            "takes one parameter (the name of the security group to attach), got 'a b'"
        );
        assert_eq!(
            TagFromVpcParams::parse(&toks("Owner")).unwrap().key,
            "Owner"
        );
        assert_eq!(
            TagFromVpcParams::parse(&[]).unwrap_err(),
            "missing parameter: the tag key to copy from the VPC"
        );
        assert_eq!(
            TagFromVpcParams::parse(&toks("aws:cloudformation")).unwrap_err(),
            "tag key 'aws:cloudformation' uses the reserved prefix aws:"
        );
    }

    #[test]
    fn mark_for_stop_delays() {
        for (input, seconds) in [("3h", 10_800), ("15m", 900), ("2D", 172_800), ("0m", 0)] {
            let p = MarkForStopParams::parse(&toks(input)).unwrap();
            assert_eq!((p.delay.as_str(), p.delay_seconds), (input, seconds));
        }
        let bad =
            |d: &str| format!("delay must be a number followed by m, h or d (e.g. 3h), got '{d}'");
        for input in ["3", "h", "3w", "x3h", "3h2", "-3h", "3 h"] {
            let expected = if input == "3 h" {
                "takes one parameter (the delay before the stop, such as 3h), got '3 h'".to_string()
            } else {
                bad(input)
            };
            assert_eq!(
                MarkForStopParams::parse(&toks(input)).unwrap_err(),
                expected,
                "{input}"
            );
        }
        assert_eq!(
            MarkForStopParams::parse(&[]).unwrap_err(),
            "missing parameter: the delay before the stop, such as 3h"
        );
        assert_eq!(
            MarkForStopParams::parse(&toks("99999999999d")).unwrap_err(),
            "delay '99999999999d' is longer than ten years"
        );
    }

    #[test]
    fn tags_plain_and_quoted() {
        let tag = |s: &str| TagParams::parse(&toks(s)).map(|t| (t.key, t.value));
        let pair = |k: &str, v: &str| Ok((k.to_string(), v.to_string()));
        assert_eq!(tag("owner alice"), pair("owner", "alice"));
        assert_eq!(tag("\"owner\" \"alice\""), pair("owner", "alice"));
        assert_eq!(
            tag("\"owner\" \"security team\""),
            pair("owner", "security team")
        );
        assert_eq!(
            tag("\"this is my key\" \"this is a value\""),
            pair("this is my key", "this is a value")
        );
        assert_eq!(
            tag("owner \"security  team\""),
            pair("owner", "security  team")
        );
        assert_eq!(tag("team \"\""), pair("team", ""));
        assert_eq!(
            tag("url https://a.example/x?y=1"),
            pair("url", "https://a.example/x?y=1")
        );
    }

    #[test]
    fn tags_precise_rejections() {
        let cases = [
            ("onlyOneToken", "tag \"onlyOneToken\" must be a key and a value (<key> <value>, in double quotes when they have spaces), got 1 part(s)"),
            ("\"security team\"", "tag \"\"security team\"\" must be a key and a value (<key> <value>, in double quotes when they have spaces), got 1 part(s)"),
            ("a b c", "tag \"a b c\" must be a key and a value (<key> <value>, in double quotes when they have spaces), got 3 part(s)"),
            ("", "tag \"\" must be a key and a value (<key> <value>, in double quotes when they have spaces), got 0 part(s)"),
            ("\"owner alice", "tag \"\"owner alice\" has an unclosed double quote"),
            ("\"\" alice", "the tag key is empty"),
            ("aws:owner alice", "tag key 'aws:owner' uses the reserved prefix aws:"),
        ];
        for (input, reason) in cases {
            assert_eq!(
                TagParams::parse(&toks(input)).unwrap_err(),
                reason,
                "{input}"
            );
        }
        let long = format!("k {}", "v".repeat(257));
        assert_eq!(
            TagParams::parse(&toks(&long)).unwrap_err(),
            "a tag value has at most 256 characters, got 257"
        );
    }
}
