//! The bucket a service delivers the account's logs into (CloudTrail, Config): found in the
//! account or created in the finding's region with all public access blocked, and given the
//! policy statements that let the service write to it, keeping the statements it has.
//!
//! The plan is read first and listed as changes, so dry-run shows exactly what would be created
//! or granted; a bucket already as wanted adds no change.

use aws_sdk_s3::Client;
use cloudbots_runtime::s3_bucket::{self, BucketPolicy};
use cloudbots_shared::error::BotError;
use serde_json::Value;

/// What the bucket needs before the service can deliver into it.
pub struct LogBucket {
    pub name: String,
    create: bool,
    policy: BucketPolicy,
    missing: Vec<Value>,
}

impl LogBucket {
    /// Read the bucket the rule `named` (which must exist in the account) or else the
    /// account's `default` log bucket (created when missing), and its policy. `statements` are
    /// the ones the service needs, matched by Sid against those the policy has.
    pub async fn plan(
        s3: &Client,
        named: Option<String>,
        default: String,
        account: &str,
        statements: impl FnOnce(&str) -> Vec<Value>,
    ) -> Result<Self, BotError> {
        let is_named = named.is_some();
        let name = named.unwrap_or_else(|| default.clone());
        let create = !s3_bucket::exists_in_account(s3, &name, account).await?;
        if create && is_named {
            return Err(BotError::invalid_input(format!(
                "bucket {name} does not exist in account {account}: name an existing bucket, or leave bucket_name out for {default}"
            )));
        }
        let statements = statements(&name);
        let policy = match create {
            true => BucketPolicy::empty(),
            false => BucketPolicy::read(s3, &name)
                .await?
                .unwrap_or_else(BucketPolicy::empty),
        };
        let present = policy.statements();
        let missing = statements
            .into_iter()
            .filter(|wanted| !present.iter().any(|s| s.get("Sid") == wanted.get("Sid")))
            .collect();
        Ok(LogBucket {
            name,
            create,
            policy,
            missing,
        })
    }

    /// The changes, in the order [`LogBucket::apply`] makes them; `who` says in words what the
    /// statements allow.
    pub fn changes(&self, region: &str, who: &str) -> Vec<String> {
        let mut changes = Vec::new();
        if self.create {
            changes.push(format!(
                "create bucket {} in {region} with all public access blocked",
                self.name
            ));
        }
        if !self.missing.is_empty() {
            let sids: Vec<&str> = self
                .missing
                .iter()
                .filter_map(|s| s["Sid"].as_str())
                .collect();
            changes.push(format!(
                "add statements {} to the policy of bucket {}: {who}",
                sids.join(", "),
                self.name
            ));
        }
        changes
    }

    /// Create the bucket and grant the statements; whether the bucket was created.
    pub async fn apply(mut self, s3: &Client, region: &str) -> Result<bool, BotError> {
        if self.create {
            s3_bucket::create_log_bucket(s3, &self.name, region).await?;
        }
        if !self.missing.is_empty() {
            let mut statements = self.policy.statements();
            statements.append(&mut self.missing);
            self.policy.set_statements(statements);
            self.policy.save(s3, &self.name).await?;
        }
        Ok(self.create)
    }
}
