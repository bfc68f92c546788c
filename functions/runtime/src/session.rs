//! Where a step acts: the finding's region, with the function's own credentials (single
//! account) or with a member-account role assumed for this execution (multi account).
//!
//! The assumed-role session is named after the execution, so the member account's CloudTrail
//! shows which execution made each change. Credentials are cached per role and execution and
//! refreshed well before they expire (the original kept them for the life of the container).

use crate::aws_error::bot_error;
use aws_config::SdkConfig;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use cloudbots_shared::error::BotError;
use cloudbots_shared::plan::Target;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

/// Refresh assumed credentials this long before they expire.
const REFRESH_MARGIN: Duration = Duration::from_secs(300);

/// Builds the AWS configuration for each step's target.
pub struct Sessions {
    base: SdkConfig,
    external_id: Option<String>,
    cache: Mutex<HashMap<(String, String), Credentials>>,
}

impl Sessions {
    /// `external_id` is the `sts:ExternalId` the member roles require, if any.
    pub fn new(base: SdkConfig, external_id: Option<String>) -> Self {
        Sessions {
            base,
            external_id,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The configuration of the function itself (its own account and region).
    pub fn base(&self) -> &SdkConfig {
        &self.base
    }

    /// The configuration a step acting on `target` uses.
    pub async fn for_target(
        &self,
        target: &Target,
        execution: &str,
    ) -> Result<SdkConfig, BotError> {
        let mut builder = self
            .base
            .to_builder()
            .region(aws_config::Region::new(target.region.clone()));
        if let Some(role_arn) = &target.role_arn {
            let credentials = self.assumed(role_arn, execution).await?;
            builder = builder.credentials_provider(SharedCredentialsProvider::new(credentials));
        }
        Ok(builder.build())
    }

    async fn assumed(&self, role_arn: &str, execution: &str) -> Result<Credentials, BotError> {
        let key = (role_arn.to_string(), execution.to_string());
        if let Some(cached) = self.cache.lock().expect("cache lock").get(&key) {
            let fresh = cached
                .expiry()
                .is_none_or(|e| e > SystemTime::now() + REFRESH_MARGIN);
            if fresh {
                return Ok(cached.clone());
            }
        }
        let sts = aws_sdk_sts::Client::new(&self.base);
        let response = sts
            .assume_role()
            .role_arn(role_arn)
            .role_session_name(session_name(execution))
            .set_external_id(self.external_id.clone())
            .send()
            .await
            .map_err(|e| bot_error(&format!("assuming the member-account role {role_arn}"), e))?;
        let c = response.credentials().ok_or_else(|| {
            BotError::new(
                cloudbots_shared::error::ErrorName::Internal,
                format!("assuming {role_arn} returned no credentials"),
            )
        })?;
        let credentials = Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_string()),
            SystemTime::try_from(*c.expiration()).ok(),
            "cloudbots-member-role",
        );
        self.cache
            .lock()
            .expect("cache lock")
            .insert(key, credentials.clone());
        Ok(credentials)
    }
}

/// An STS session name (2–64 chars of `[\w+=,.@-]`) from the execution name.
pub fn session_name(execution: &str) -> String {
    let name: String = execution
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(*c))
        .take(64)
        .collect();
    if name.len() < 2 {
        "cloudbots".to_string()
    } else {
        name
    }
}

/// The step's configuration (same account, same credentials) in another region: a trail's
/// home region, a topic's, a key's.
pub fn in_region(aws: &SdkConfig, region: &str) -> SdkConfig {
    aws.to_builder()
        .region(aws_config::Region::new(region.to_string()))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_names_fit_sts_rules() {
        assert_eq!(session_name("cg-i-0abc-1234"), "cg-i-0abc-1234");
        assert_eq!(session_name(&"x".repeat(90)).len(), 64);
        assert_eq!(session_name("!"), "cloudbots");
    }
}
