//! Buckets the bots write to or edit: a bucket policy read, changed statement by statement and
//! written back, and the log buckets that services deliver into (S3 server access logs,
//! CloudTrail, Config, load balancers), found in the account or created in the finding's
//! region with all public access blocked, and given the policy statements that let the service
//! write to them, keeping the statements they have. A log bucket's plan is read first and
//! listed as changes, so dry-run shows exactly what would be created or granted.
//!
//! Errors are the step's errors; a bucket that does not exist is `NotFound` (S3's
//! `NoSuchBucket`), which the S3 bots turn into "the bucket is gone".

use crate::aws_error::{bot_error, code};
use aws_sdk_s3::types::{
    BucketLocationConstraint, CreateBucketConfiguration, PublicAccessBlockConfiguration,
};
use aws_sdk_s3::Client;
use cloudbots_shared::error::{BotError, ErrorName};
use serde_json::{json, Map, Value};

/// A bucket policy document, read from the bucket, edited statement by statement, written back.
pub struct BucketPolicy {
    document: Map<String, Value>,
}

impl BucketPolicy {
    /// The bucket's policy, or None when it has none.
    pub async fn read(s3: &Client, bucket: &str) -> Result<Option<Self>, BotError> {
        let text = match s3.get_bucket_policy().bucket(bucket).send().await {
            Ok(out) => out.policy().unwrap_or_default().to_string(),
            Err(e) if code(&e) == Some("NoSuchBucketPolicy") => return Ok(None),
            Err(e) => {
                return Err(bot_error(
                    &format!("reading the policy of bucket {bucket}"),
                    e,
                ))
            }
        };
        match serde_json::from_str(&text) {
            Ok(Value::Object(document)) => Ok(Some(BucketPolicy { document })),
            _ => Err(BotError::new(
                ErrorName::Internal,
                format!("the policy of bucket {bucket} is not a JSON object: {text}"),
            )),
        }
    }

    /// A policy with no statement yet.
    pub fn empty() -> Self {
        let mut document = Map::new();
        document.insert("Version".into(), json!("2012-10-17"));
        document.insert("Statement".into(), json!([]));
        BucketPolicy { document }
    }

    /// The statements, whether the document lists them or gives a single one.
    pub fn statements(&self) -> Vec<Value> {
        match self.document.get("Statement") {
            Some(Value::Array(list)) => list.clone(),
            Some(one @ Value::Object(_)) => vec![one.clone()],
            _ => Vec::new(),
        }
    }

    pub fn set_statements(&mut self, statements: Vec<Value>) {
        self.document
            .insert("Statement".into(), Value::Array(statements));
    }

    pub fn document(&self) -> Value {
        Value::Object(self.document.clone())
    }

    pub fn text(&self) -> String {
        self.document().to_string()
    }

    /// Write the policy back; a policy left without statements is deleted (S3 refuses it).
    pub async fn save(&self, s3: &Client, bucket: &str) -> Result<(), BotError> {
        if self.statements().is_empty() {
            return delete_policy(s3, bucket).await;
        }
        s3.put_bucket_policy()
            .bucket(bucket)
            .policy(self.text())
            .send()
            .await
            .map_err(|e| bot_error(&format!("writing the policy of bucket {bucket}"), e))?;
        Ok(())
    }
}

pub async fn delete_policy(s3: &Client, bucket: &str) -> Result<(), BotError> {
    s3.delete_bucket_policy()
        .bucket(bucket)
        .send()
        .await
        .map_err(|e| bot_error(&format!("deleting the policy of bucket {bucket}"), e))?;
    Ok(())
}

/// Whether the bucket exists in the account. A name taken by another account is an error:
/// logs must never be delivered to someone else's bucket.
pub async fn exists_in_account(s3: &Client, bucket: &str, account: &str) -> Result<bool, BotError> {
    match s3
        .head_bucket()
        .bucket(bucket)
        .expected_bucket_owner(account)
        .send()
        .await
    {
        Ok(_) => Ok(true),
        Err(e) if matches!(code(&e), Some("NotFound" | "NoSuchBucket")) => Ok(false),
        Err(e) => Err(bot_error(
            &format!("checking that bucket {bucket} exists and belongs to account {account}"),
            e,
        )),
    }
}

/// Create a private bucket for logs in `region`, all public access blocked. A bucket the
/// account created meanwhile (another run) is just as good.
pub async fn create_log_bucket(s3: &Client, bucket: &str, region: &str) -> Result<(), BotError> {
    let mut create = s3.create_bucket().bucket(bucket);
    // us-east-1 is the default location and must not be named.
    if region != "us-east-1" {
        create = create.create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(region))
                .build(),
        );
    }
    match create.send().await {
        Ok(_) => {}
        Err(e) if code(&e) == Some("BucketAlreadyOwnedByYou") => {}
        Err(e) => return Err(bot_error(&format!("creating log bucket {bucket}"), e)),
    }
    s3.put_public_access_block()
        .bucket(bucket)
        .public_access_block_configuration(
            PublicAccessBlockConfiguration::builder()
                .block_public_acls(true)
                .ignore_public_acls(true)
                .block_public_policy(true)
                .restrict_public_buckets(true)
                .build(),
        )
        .send()
        .await
        .map_err(|e| bot_error(&format!("blocking public access to log bucket {bucket}"), e))?;
    Ok(())
}

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
    /// the ones the service needs; `grants(present, wanted)` says whether a statement the
    /// policy has already grants a wanted one ([`same_sid`] when the Sid is what counts).
    pub async fn plan(
        s3: &Client,
        named: Option<String>,
        default: String,
        account: &str,
        statements: impl FnOnce(&str) -> Vec<Value>,
        grants: impl Fn(&Value, &Value) -> bool,
    ) -> Result<Self, BotError> {
        let is_named = named.is_some();
        let name = named.unwrap_or_else(|| default.clone());
        let create = !exists_in_account(s3, &name, account).await?;
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
            .filter(|wanted| !present.iter().any(|s| grants(s, wanted)))
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
            let noun = match sids.len() {
                1 => "statement",
                _ => "statements",
            };
            changes.push(format!(
                "add {noun} {} to the policy of bucket {}: {who}",
                sids.join(", "),
                self.name
            ));
        }
        changes
    }

    /// Create the bucket and grant the statements; whether the bucket was created.
    pub async fn apply(mut self, s3: &Client, region: &str) -> Result<bool, BotError> {
        if self.create {
            create_log_bucket(s3, &self.name, region).await?;
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

/// Whether a statement a policy has is the wanted one: the same Sid.
pub fn same_sid(present: &Value, wanted: &Value) -> bool {
    present.get("Sid") == wanted.get("Sid")
}
