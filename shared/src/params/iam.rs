//! Parameters of the IAM user and account bots.
//!
//! `iam_turn_on_password_policy` keeps the original's nine values in their documented order,
//! but reads a `Name:value` token by its name (the original ignored the name and went by
//! position, and turned every boolean on), so a ruleset that lists them in another order
//! still sets what it says.

use super::{keyed_or_positional, BotParams};
use serde::{Deserialize, Serialize};

/// `iam_user_deactivate_unused_access_key [<days>]`: keys unused for more than `days` days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeactivateUnusedAccessKeyParams {
    pub days: u32,
}

impl DeactivateUnusedAccessKeyParams {
    /// The original's default.
    pub const DEFAULT_DAYS: u32 = 90;
}

impl BotParams for DeactivateUnusedAccessKeyParams {
    fn parse(tokens: &[String]) -> Result<Self, String> {
        let values = keyed_or_positional(tokens, &["days"])?;
        let days = match values.get("days") {
            None => Self::DEFAULT_DAYS,
            Some(text) => match text.parse::<u32>() {
                Ok(days) if days >= 1 => days,
                _ => {
                    return Err(format!(
                        "days must be a whole number of days, at least 1, got '{text}'"
                    ))
                }
            },
        };
        Ok(DeactivateUnusedAccessKeyParams { days })
    }
}

/// `iam_turn_on_password_policy` with its nine values, named as the IAM API names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordPolicyParams {
    pub minimum_password_length: i32,
    pub require_symbols: bool,
    pub require_numbers: bool,
    pub require_uppercase_characters: bool,
    pub require_lowercase_characters: bool,
    pub allow_users_to_change_password: bool,
    pub max_password_age: i32,
    pub password_reuse_prevention: i32,
    pub hard_expiry: bool,
}

impl PasswordPolicyParams {
    /// The nine values in the original's positional order.
    pub const NAMES: [&'static str; 9] = [
        "MinimumPasswordLength",
        "RequireSymbols",
        "RequireNumbers",
        "RequireUppercaseCharacters",
        "RequireLowercaseCharacters",
        "AllowUsersToChangePassword",
        "MaxPasswordAge",
        "PasswordReusePrevention",
        "HardExpiry",
    ];
}

impl BotParams for PasswordPolicyParams {
    fn parse(tokens: &[String]) -> Result<Self, String> {
        // `Name:value` is the original's form; `Name=value` is accepted as well.
        let keyed: Vec<String> = tokens
            .iter()
            .map(|t| match t.split_once(':') {
                Some((name, value)) if !t.contains('=') => format!("{name}={value}"),
                _ => t.clone(),
            })
            .collect();
        let values = keyed_or_positional(&keyed, &Self::NAMES)?;
        let get = |name: &str| -> Result<&str, String> {
            values.get(name).map(String::as_str).ok_or_else(|| {
                format!(
                    "missing parameter '{name}' (all nine are required: {})",
                    Self::NAMES.join(", ")
                )
            })
        };
        let boolean = |name: &str| -> Result<bool, String> {
            let text = get(name)?;
            match text.to_ascii_lowercase().as_str() {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(format!("{name} must be true or false, got '{text}'")),
            }
        };
        let number = |name: &str, min: i32, max: i32| -> Result<i32, String> {
            let text = get(name)?;
            text.parse::<i32>()
                .ok()
                .filter(|n| (min..=max).contains(n))
                .ok_or_else(|| format!("{name} must be a number from {min} to {max}, got '{text}'"))
        };
        Ok(PasswordPolicyParams {
            minimum_password_length: number("MinimumPasswordLength", 6, 128)?,
            require_symbols: boolean("RequireSymbols")?,
            require_numbers: boolean("RequireNumbers")?,
            require_uppercase_characters: boolean("RequireUppercaseCharacters")?,
            require_lowercase_characters: boolean("RequireLowercaseCharacters")?,
            allow_users_to_change_password: boolean("AllowUsersToChangePassword")?,
            max_password_age: number("MaxPasswordAge", 1, 1095)?,
            password_reuse_prevention: number("PasswordReusePrevention", 1, 24)?,
            hard_expiry: boolean("HardExpiry")?,
        })
    }
}

impl PasswordPolicyParams {
    /// Each value by its API name, as text, in the original's order (for listing changes).
    pub fn named_values(&self) -> Vec<(&'static str, String)> {
        let values = [
            self.minimum_password_length.to_string(),
            self.require_symbols.to_string(),
            self.require_numbers.to_string(),
            self.require_uppercase_characters.to_string(),
            self.require_lowercase_characters.to_string(),
            self.allow_users_to_change_password.to_string(),
            self.max_password_age.to_string(),
            self.password_reuse_prevention.to_string(),
            self.hard_expiry.to_string(),
        ];
        Self::NAMES.into_iter().zip(values).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<String> {
        s.split(' ').map(str::to_string).collect()
    }

    const CIS: PasswordPolicyParams = PasswordPolicyParams {
        minimum_password_length: 14,
        require_symbols: true,
        require_numbers: true,
        require_uppercase_characters: false,
        require_lowercase_characters: true,
        allow_users_to_change_password: true,
        max_password_age: 90,
        password_reuse_prevention: 24,
        hard_expiry: false,
    };

    #[test]
    fn deactivate_unused_access_key_days_default_positional_and_keyed() {
        assert_eq!(
            DeactivateUnusedAccessKeyParams::parse(&[]).unwrap().days,
            90
        );
        assert_eq!(
            DeactivateUnusedAccessKeyParams::parse(&toks("30"))
                .unwrap()
                .days,
            30
        );
        assert_eq!(
            DeactivateUnusedAccessKeyParams::parse(&toks("days=45"))
                .unwrap()
                .days,
            45
        );
    }

    #[test]
    fn deactivate_unused_access_key_precise_rejections() {
        let cases = [
            (
                "0",
                "days must be a whole number of days, at least 1, got '0'",
            ),
            (
                "-5",
                "days must be a whole number of days, at least 1, got '-5'",
            ),
            (
                "ninety",
                "days must be a whole number of days, at least 1, got 'ninety'",
            ),
            (
                "30 60",
                "too many parameters: '60' (expected at most 1: days)",
            ),
            ("age=30", "unknown parameter 'age' (expected days)"),
        ];
        for (input, reason) in cases {
            assert_eq!(
                DeactivateUnusedAccessKeyParams::parse(&toks(input)).unwrap_err(),
                reason,
                "{input}"
            );
        }
    }

    #[test]
    fn password_policy_named_positional_and_mixed_agree() {
        let named = "MinimumPasswordLength:14 RequireSymbols:True RequireNumbers:true RequireUppercaseCharacters:False RequireLowercaseCharacters:true AllowUsersToChangePassword:true MaxPasswordAge:90 PasswordReusePrevention:24 HardExpiry:false";
        assert_eq!(PasswordPolicyParams::parse(&toks(named)).unwrap(), CIS);
        let positional = "14 True true False true true 90 24 false";
        assert_eq!(PasswordPolicyParams::parse(&toks(positional)).unwrap(), CIS);
        let reordered = "HardExpiry:false MaxPasswordAge:90 14 true true false true true 24";
        assert_eq!(
            PasswordPolicyParams::parse(&toks(reordered)).unwrap(),
            CIS,
            "named values land by name, bare values fill the remaining positions in order"
        );
    }

    #[test]
    fn password_policy_booleans_are_real_booleans() {
        let all_off =
            PasswordPolicyParams::parse(&toks("8 false false false false false 30 1 false"))
                .unwrap();
        assert!(
            !all_off.require_symbols
                && !all_off.allow_users_to_change_password
                && !all_off.hard_expiry
        );
    }

    #[test]
    fn password_policy_precise_rejections() {
        let cases = [
            ("14 yes true true true true 90 24 false", "RequireSymbols must be true or false, got 'yes'"),
            ("5 true true true true true 90 24 false", "MinimumPasswordLength must be a number from 6 to 128, got '5'"),
            ("14 true true true true true 0 24 false", "MaxPasswordAge must be a number from 1 to 1095, got '0'"),
            ("14 true true true true true 90 25 false", "PasswordReusePrevention must be a number from 1 to 24, got '25'"),
            ("14 true true true true true 90 24", "missing parameter 'HardExpiry' (all nine are required: MinimumPasswordLength, RequireSymbols, RequireNumbers, RequireUppercaseCharacters, RequireLowercaseCharacters, AllowUsersToChangePassword, MaxPasswordAge, PasswordReusePrevention, HardExpiry)"),
            ("14 true true true true true 90 24 false true", "too many parameters: 'true' (expected at most 9: MinimumPasswordLength, RequireSymbols, RequireNumbers, RequireUppercaseCharacters, RequireLowercaseCharacters, AllowUsersToChangePassword, MaxPasswordAge, PasswordReusePrevention, HardExpiry)"),
            ("MinLength:14", "unknown parameter 'MinLength' (expected MinimumPasswordLength, RequireSymbols, RequireNumbers, RequireUppercaseCharacters, RequireLowercaseCharacters, AllowUsersToChangePassword, MaxPasswordAge, PasswordReusePrevention, HardExpiry)"),
            ("14 MinimumPasswordLength:15", "parameter 'MinimumPasswordLength' is given twice"),
            ("RequireSymbols:", "parameter 'RequireSymbols' is empty"),
        ];
        for (input, reason) in cases {
            assert_eq!(
                PasswordPolicyParams::parse(&toks(input)).unwrap_err(),
                reason,
                "{input}"
            );
        }
    }
}
