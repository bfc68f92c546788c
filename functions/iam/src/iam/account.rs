//! The account's settings: its password policy, set by `iam_turn_on_password_policy`, verified
//! and put back exactly (or deleted again when the account had none) by
//! `restore_account_password_policy`; and the credential report, which only asks IAM for a
//! report and has nothing to undo.

use super::none_if_missing;
use aws_config::SdkConfig;
use aws_sdk_iam::types::{PasswordPolicy, ReportStateType};
use cloudbots_runtime::aws_error::bot_error;
use cloudbots_runtime::bot::{dry_run, params};
use cloudbots_runtime::restorer::Restorer;
use cloudbots_runtime::setting::{self, restore_settings, Resource, Setting};
use cloudbots_shared::error::BotError;
use cloudbots_shared::outcome::{BotInput, BotOutcome, OutcomeStatus};
use cloudbots_shared::params::{NoParams, PasswordPolicyParams};
use cloudbots_shared::restore::{RestoreInput, RestoreOutcome};
use serde::{Deserialize, Serialize};

pub const RESTORE_ACCOUNT_PASSWORD_POLICY: Restorer = Restorer {
    name: "restore_account_password_policy",
    run: |input, aws| Box::pin(restore_password_policy(input, aws)),
};

/// The nine values of a password policy, as IAM's UpdateAccountPasswordPolicy takes them
/// (a number IAM leaves unset is none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordRules {
    pub minimum_password_length: Option<i32>,
    pub require_symbols: bool,
    pub require_numbers: bool,
    pub require_uppercase_characters: bool,
    pub require_lowercase_characters: bool,
    pub allow_users_to_change_password: bool,
    /// None: passwords never expire.
    pub max_password_age: Option<i32>,
    /// None: earlier passwords may be reused.
    pub password_reuse_prevention: Option<i32>,
    pub hard_expiry: bool,
}

impl PasswordRules {
    fn of_params(wanted: &PasswordPolicyParams) -> Self {
        PasswordRules {
            minimum_password_length: Some(wanted.minimum_password_length),
            require_symbols: wanted.require_symbols,
            require_numbers: wanted.require_numbers,
            require_uppercase_characters: wanted.require_uppercase_characters,
            require_lowercase_characters: wanted.require_lowercase_characters,
            allow_users_to_change_password: wanted.allow_users_to_change_password,
            max_password_age: Some(wanted.max_password_age),
            password_reuse_prevention: Some(wanted.password_reuse_prevention),
            hard_expiry: wanted.hard_expiry,
        }
    }

    /// As IAM describes it; a zero age or reuse count is IAM's "unset".
    fn of_policy(policy: &PasswordPolicy) -> Self {
        let set = |n: Option<i32>| n.filter(|n| *n > 0);
        PasswordRules {
            minimum_password_length: policy.minimum_password_length(),
            require_symbols: policy.require_symbols(),
            require_numbers: policy.require_numbers(),
            require_uppercase_characters: policy.require_uppercase_characters(),
            require_lowercase_characters: policy.require_lowercase_characters(),
            allow_users_to_change_password: policy.allow_users_to_change_password(),
            max_password_age: set(policy.max_password_age()),
            password_reuse_prevention: set(policy.password_reuse_prevention()),
            hard_expiry: policy.hard_expiry().unwrap_or(false),
        }
    }

    /// The values by API name, in the params' order ("not set" for a number IAM leaves unset).
    fn values(&self) -> Vec<String> {
        let number = |n: Option<i32>| n.map_or("not set".to_string(), |n| n.to_string());
        vec![
            number(self.minimum_password_length),
            self.require_symbols.to_string(),
            self.require_numbers.to_string(),
            self.require_uppercase_characters.to_string(),
            self.require_lowercase_characters.to_string(),
            self.allow_users_to_change_password.to_string(),
            number(self.max_password_age),
            number(self.password_reuse_prevention),
            self.hard_expiry.to_string(),
        ]
    }
}

/// The account's password policy; none when the account has none (IAM's defaults apply).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountPasswordPolicy {
    pub rules: Option<PasswordRules>,
}

impl AccountPasswordPolicy {
    /// Each value as text in the params' order, "not set" throughout when there is no policy.
    fn values(&self) -> Vec<String> {
        self.rules.as_ref().map_or_else(
            || vec!["not set".to_string(); PasswordPolicyParams::NAMES.len()],
            PasswordRules::values,
        )
    }
}

/// The account's password policy as IAM has it now.
async fn read_password_policy(
    iam: &aws_sdk_iam::Client,
) -> Result<AccountPasswordPolicy, BotError> {
    let read = iam.get_account_password_policy().send().await;
    let policy = none_if_missing("reading the account password policy", read)?
        .and_then(|out| out.password_policy);
    Ok(AccountPasswordPolicy {
        rules: policy.as_ref().map(PasswordRules::of_policy),
    })
}

/// How people name the account `account`.
fn account_label(account: &str) -> String {
    format!("account {account}")
}

impl Setting for AccountPasswordPolicy {
    type Client = aws_sdk_iam::Client;

    fn name(&self) -> &'static str {
        "password policy"
    }

    fn words(&self) -> String {
        if self.rules.is_none() {
            return "none".to_string();
        }
        PasswordPolicyParams::NAMES
            .iter()
            .zip(self.values())
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    async fn read(&self, iam: &aws_sdk_iam::Client, _account: &str) -> Result<Self, BotError> {
        read_password_policy(iam).await
    }

    async fn write(&self, iam: &aws_sdk_iam::Client, _account: &str) -> Result<(), BotError> {
        let Some(rules) = &self.rules else {
            let deleted = iam.delete_account_password_policy().send().await;
            return none_if_missing("deleting the account password policy", deleted).map(drop);
        };
        iam.update_account_password_policy()
            .set_minimum_password_length(rules.minimum_password_length)
            .require_symbols(rules.require_symbols)
            .require_numbers(rules.require_numbers)
            .require_uppercase_characters(rules.require_uppercase_characters)
            .require_lowercase_characters(rules.require_lowercase_characters)
            .allow_users_to_change_password(rules.allow_users_to_change_password)
            .set_max_password_age(rules.max_password_age)
            .set_password_reuse_prevention(rules.password_reuse_prevention)
            .hard_expiry(rules.hard_expiry)
            .send()
            .await
            .map(drop)
            .map_err(|e| bot_error("updating the account password policy", e))
    }

    fn restoring_words(&self, account: &str) -> String {
        match self.rules {
            Some(_) => format!(
                "set the password policy of {account} back to {}",
                self.words()
            ),
            None => format!("delete the password policy of {account} (it had none)"),
        }
    }
}

pub(super) async fn turn_on_password_policy(
    input: &BotInput,
    aws: &SdkConfig,
) -> Result<BotOutcome, BotError> {
    let wanted: PasswordPolicyParams = params(input)?;
    let iam = aws_sdk_iam::Client::new(aws);
    let account = input.target.account_id.as_str();
    let current = read_password_policy(&iam).await?;
    let changes: Vec<String> = wanted
        .named_values()
        .into_iter()
        .zip(current.values())
        .filter(|((_, want), have)| want != have)
        .map(|((name, want), have)| format!("set {name} to {want} (was {have})"))
        .collect();
    if changes.is_empty() {
        return Ok(BotOutcome::compliant(
            input,
            "The account password policy already has the requested values",
        ));
    }
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            "Would update the account password policy",
            changes,
        ));
    }
    let resource = Resource {
        client: &iam,
        id: account,
        label: account_label(account),
    };
    let wanted = AccountPasswordPolicy {
        rules: Some(PasswordRules::of_params(&wanted)),
    };
    setting::change(
        input,
        &resource,
        RESTORE_ACCOUNT_PASSWORD_POLICY.name,
        (vec![current], vec![wanted]),
        "Account password policy updated".to_string(),
        changes,
    )
    .await
}

async fn restore_password_policy(
    input: &RestoreInput,
    aws: &SdkConfig,
) -> Result<RestoreOutcome, BotError> {
    restore_settings::<AccountPasswordPolicy>(input, &aws_sdk_iam::Client::new(aws), account_label)
        .await
}

pub(super) async fn generate_credential_report(
    input: &BotInput,
    aws: &SdkConfig,
) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let changes = vec!["generate the account's credential report".to_string()];
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            "Would ask IAM to generate the account's credential report",
            changes,
        ));
    }
    let iam = aws_sdk_iam::Client::new(aws);
    let generated = iam
        .generate_credential_report()
        .send()
        .await
        .map_err(|e| bot_error("generating the credential report", e))?;
    match generated.state() {
        Some(ReportStateType::Complete) => Ok(BotOutcome::compliant(input, "The account's credential report is already fresh (state COMPLETE; IAM makes a new one at most every four hours)")),
        state => Ok(BotOutcome::new(
            input,
            OutcomeStatus::Remediated,
            format!(
                "Credential report generation requested (state {}); read it with GetCredentialReport once COMPLETE",
                state.map_or("unknown", |s| s.as_str())
            ),
        )
        .with_changes(changes)),
    }
}
