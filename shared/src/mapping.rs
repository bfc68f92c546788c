//! The deployment's tables from a finding's kind to the bots that fix it, for the sources
//! whose findings carry no `AUTO:` line of their own:
//!
//! - GuardDuty finding type → `AUTO:` line, in the original's `GD_ACTIONS` shape
//!   (`{"Backdoor:EC2/XORDDOS": "AUTO: ec2_stop_instance", ...}`); entries without `AUTO:`
//!   are ignored, as the original ignored them;
//! - Security Hub control id → `AUTO:` line (`SECURITYHUB_ACTIONS`,
//!   `{"S3.8": "AUTO: s3_block_all_public_access", ...}`); keys must be security control ids
//!   (`S3.8`, not the standard-specific `PCI.S3.1`) and every value an `AUTO:` line, so a typo
//!   is refused when the deployment starts instead of silently remediating nothing.
//!
//! Both are empty by default: nothing is remediated until an operator chooses a mapping.

use std::collections::BTreeMap;

/// One table: a finding kind → the `AUTO:` line(s) to run for it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActionMap(BTreeMap<String, String>);

impl ActionMap {
    /// The `AUTO:` line for a finding kind.
    pub fn action_for(&self, kind: &str) -> Option<&str> {
        self.0
            .get(kind)
            .map(String::as_str)
            .filter(|a| a.contains("AUTO:"))
    }

    /// The kinds mapped to an `AUTO:` line, in order.
    pub fn kinds(&self) -> impl Iterator<Item = &str> {
        self.0
            .iter()
            .filter(|(_, a)| a.contains("AUTO:"))
            .map(|(k, _)| k.as_str())
    }

    fn read(text: &str, shape: &str) -> Result<Self, String> {
        if text.trim().is_empty() {
            return Ok(Self::default());
        }
        serde_json::from_str(text)
            .map(ActionMap)
            .map_err(|e| format!("{shape}: {e}"))
    }
}

/// The deployment's mappings of GuardDuty finding types and Security Hub controls to bots.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mappings {
    pub guardduty: ActionMap,
    pub securityhub: ActionMap,
}

impl Mappings {
    /// Only a GuardDuty mapping (`GD_ACTIONS` JSON; empty text = none).
    pub fn guardduty(text: &str) -> Result<Self, String> {
        Ok(Mappings {
            guardduty: ActionMap::read(
                text,
                "GuardDuty actions must be a JSON object of finding type to \"AUTO: ...\" strings",
            )?,
            securityhub: ActionMap::default(),
        })
    }

    /// The same mappings with this Security Hub mapping (`SECURITYHUB_ACTIONS` JSON).
    pub fn with_securityhub(self, text: &str) -> Result<Self, String> {
        let securityhub = ActionMap::read(
            text,
            "Security Hub actions must be a JSON object of control id to \"AUTO: ...\" strings",
        )?;
        for (control, action) in &securityhub.0 {
            if !is_control_id(control) {
                return Err(format!(
                    "Security Hub actions: '{control}' is not a security control id (they look like S3.8 or CloudTrail.4; standard-specific ids such as PCI.S3.1 are not used)"
                ));
            }
            if !action.trim_start().starts_with("AUTO:") {
                return Err(format!(
                    "Security Hub actions: the entry of {control} must be an \"AUTO: <bot> <params>\" line, got '{action}'"
                ));
            }
        }
        Ok(Mappings {
            securityhub,
            ..self
        })
    }

    /// Read the deployment's variables `GD_ACTIONS` and `SECURITYHUB_ACTIONS`.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        Self::guardduty(&var("GD_ACTIONS").unwrap_or_default())?
            .with_securityhub(&var("SECURITYHUB_ACTIONS").unwrap_or_default())
    }
}

/// Whether a text is a Security Hub security control id: a service name, a dot, a number
/// (`S3.8`, `CloudTrail.4`, `NetworkFirewall.2`).
pub fn is_control_id(text: &str) -> bool {
    let Some((service, number)) = text.split_once('.') else {
        return false;
    };
    !service.is_empty()
        && service.len() <= 32
        && service.chars().all(|c| c.is_ascii_alphanumeric())
        && service.starts_with(|c: char| c.is_ascii_alphabetic())
        && !number.is_empty()
        && number.len() <= 4
        && number.chars().all(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_ids_are_security_control_ids() {
        for id in [
            "S3.8",
            "CloudTrail.4",
            "EC2.19",
            "NetworkFirewall.2",
            "IAM.7",
        ] {
            assert!(is_control_id(id), "{id}");
        }
        for id in [
            "PCI.KMS.1",
            "2.7",
            "S3",
            "S3.",
            ".8",
            "S3.8a",
            "KMS.4 ",
            "S 3.8",
        ] {
            assert!(!is_control_id(id), "{id}");
        }
    }

    #[test]
    fn a_securityhub_mapping_with_a_typo_is_refused_at_load() {
        let ok = Mappings::default()
            .with_securityhub(r#"{"S3.8": "AUTO: s3_block_all_public_access"}"#)
            .unwrap();
        assert_eq!(
            ok.securityhub.action_for("S3.8"),
            Some("AUTO: s3_block_all_public_access")
        );
        assert_eq!(
            Mappings::default()
                .with_securityhub(r#"{"PCI.S3.1": "AUTO: s3_block_all_public_access"}"#)
                .unwrap_err(),
            "Security Hub actions: 'PCI.S3.1' is not a security control id (they look like S3.8 or CloudTrail.4; standard-specific ids such as PCI.S3.1 are not used)"
        );
        assert_eq!(
            Mappings::default()
                .with_securityhub(r#"{"S3.8": "s3_block_all_public_access"}"#)
                .unwrap_err(),
            "Security Hub actions: the entry of S3.8 must be an \"AUTO: <bot> <params>\" line, got 's3_block_all_public_access'"
        );
        assert!(Mappings::default()
            .with_securityhub("[]")
            .unwrap_err()
            .starts_with("Security Hub actions must be a JSON object"));
    }

    #[test]
    fn guardduty_entries_without_auto_are_ignored_as_in_the_original() {
        let m = Mappings::guardduty(r#"{"A:EC2/B": "", "C:EC2/D": "AUTO: ec2_stop_instance"}"#)
            .unwrap();
        assert_eq!(m.guardduty.action_for("A:EC2/B"), None);
        assert_eq!(m.guardduty.kinds().collect::<Vec<_>>(), vec!["C:EC2/D"]);
    }
}
