//! A bucket's settings as the S3 bots find them and leave them: read, written, compared and
//! put in words in one place, so that every S3 bot verifies its change and records what it
//! replaced the same way, and one restorer, `restore_bucket_settings`, undoes them all.
//!
//! A bot reads the settings it is about to change (`before`), writes its change, reads them
//! back until they are as intended (`after`, else `NotVerified`) and records both. The restorer
//! reads the same settings again: when they are still as the bot left them (or the undo is
//! forced) it writes `before` back and reads it back too.
//!
//! Everything a setting holds is recorded (every ACL grant, the whole policy document, every
//! routing rule), never a summary, so what is put back is what was there. The one state S3
//! cannot return to is "never versioned": a bucket versioned once can only be suspended.

use super::*;
use aws_sdk_s3::types::{
    AccessControlPolicy, Condition, ErrorDocument, Grantee, IndexDocument, Owner, Permission,
    Protocol, Redirect, RedirectAllRequestsTo, RoutingRule, WebsiteConfiguration,
};
use cloudbots_runtime::restorer::Restorer;
use cloudbots_runtime::setting::{self, Resource};
use cloudbots_shared::restore::{RestoreInput, RestoreOutcome};
use serde::{Deserialize, Serialize};

pub const RESTORE_BUCKET_SETTINGS: Restorer = Restorer {
    name: "restore_bucket_settings",
    run: |input, aws| Box::pin(async { restore_settings(input, &Client::new(aws)).await }),
};

/// Which setting of a bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    PublicAccessBlock,
    Policy,
    Acl,
    Website,
    Encryption,
    Logging,
    Versioning,
}

/// One setting of a bucket, in full.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "setting", rename_all = "snake_case")]
pub enum BucketSetting {
    PublicAccessBlock(BlockSettings),
    /// The policy document; none when the bucket has no policy.
    Policy {
        document: Option<Value>,
    },
    Acl(BucketAcl),
    Website {
        configuration: Option<Website>,
    },
    Encryption {
        default: Option<DefaultEncryption>,
    },
    /// Where server access logs go; none when logging is off.
    Logging {
        target: Option<LogTarget>,
    },
    /// `Enabled` or `Suspended`; none for a bucket never versioned.
    Versioning {
        status: Option<String>,
    },
}

/// A bucket's Block Public Access settings as S3 returns them; `configured` is false for a
/// bucket that never had them written (all four off, and nothing to read back).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockSettings {
    pub configured: bool,
    pub block_public_acls: bool,
    pub ignore_public_acls: bool,
    pub block_public_policy: bool,
    pub restrict_public_buckets: bool,
}

/// A bucket's ACL: the owner's canonical id and every grant, sorted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketAcl {
    pub owner: String,
    pub grants: Vec<AclGrant>,
}

/// One ACL grant: the grantee as S3 identifies it (`CanonicalUser` by id, `Group` by URI,
/// `AmazonCustomerByEmail` by address) and the permission.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AclGrant {
    pub grantee_type: String,
    pub grantee: String,
    pub permission: String,
}

/// A static website configuration, every field of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Website {
    pub index_document: Option<String>,
    pub error_document: Option<String>,
    pub redirect_all_requests_to: Option<WebsiteRedirect>,
    pub routing_rules: Vec<WebsiteRoutingRule>,
}

/// Where a website redirects: host, protocol, and for routing rules the rest of S3's fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebsiteRedirect {
    pub host_name: Option<String>,
    pub protocol: Option<String>,
    pub http_redirect_code: Option<String>,
    pub replace_key_prefix_with: Option<String>,
    pub replace_key_with: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebsiteRoutingRule {
    pub http_error_code_returned_equals: Option<String>,
    pub key_prefix_equals: Option<String>,
    pub redirect: WebsiteRedirect,
}

/// The default encryption of new objects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DefaultEncryption {
    pub algorithm: String,
    pub kms_key: Option<String>,
    pub bucket_key_enabled: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogTarget {
    pub bucket: String,
    pub prefix: String,
}

/// A build error of the SDK's own types: a defect here, never the user's input.
fn built<T>(result: Result<T, aws_smithy_types::error::operation::BuildError>) -> Result<T, Halt> {
    result.map_err(|e| Halt::Failed(BotError::new(ErrorName::Internal, e.to_string())))
}

impl Kind {
    pub(super) fn name(self) -> &'static str {
        match self {
            Kind::PublicAccessBlock => "public access block",
            Kind::Policy => "policy",
            Kind::Acl => "ACL",
            Kind::Website => "static website configuration",
            Kind::Encryption => "default encryption",
            Kind::Logging => "server access logging",
            Kind::Versioning => "versioning",
        }
    }

    /// The setting as the bucket has it now.
    pub(super) async fn read(self, s3: &Client, bucket: &str) -> Result<BucketSetting, Halt> {
        Ok(match self {
            Kind::PublicAccessBlock => {
                BucketSetting::PublicAccessBlock(BlockSettings::read(s3, bucket).await?)
            }
            Kind::Policy => BucketSetting::Policy {
                document: BucketPolicy::read(s3, bucket)
                    .await
                    .map_err(on_bucket)?
                    .map(|policy| policy.document()),
            },
            Kind::Acl => BucketSetting::Acl(BucketAcl::read(s3, bucket).await?),
            Kind::Website => BucketSetting::Website {
                configuration: Website::read(s3, bucket).await?,
            },
            Kind::Encryption => BucketSetting::Encryption {
                default: DefaultEncryption::read(s3, bucket).await?,
            },
            Kind::Logging => BucketSetting::Logging {
                target: LogTarget::read(s3, bucket).await?,
            },
            Kind::Versioning => BucketSetting::Versioning {
                status: versioning_status(s3, bucket).await?,
            },
        })
    }
}

impl BucketSetting {
    pub(super) fn kind(&self) -> Kind {
        match self {
            BucketSetting::PublicAccessBlock(_) => Kind::PublicAccessBlock,
            BucketSetting::Policy { .. } => Kind::Policy,
            BucketSetting::Acl(_) => Kind::Acl,
            BucketSetting::Website { .. } => Kind::Website,
            BucketSetting::Encryption { .. } => Kind::Encryption,
            BucketSetting::Logging { .. } => Kind::Logging,
            BucketSetting::Versioning { .. } => Kind::Versioning,
        }
    }

    /// Whether the bucket has none of this setting (no policy, no website, …).
    fn absent(&self) -> bool {
        match self {
            BucketSetting::PublicAccessBlock(block) => !block.configured,
            BucketSetting::Policy { document } => document.is_none(),
            BucketSetting::Website { configuration } => configuration.is_none(),
            BucketSetting::Encryption { default } => default.is_none(),
            BucketSetting::Logging { target } => target.is_none(),
            BucketSetting::Acl(_) | BucketSetting::Versioning { .. } => false,
        }
    }

    /// Give the bucket this setting.
    async fn put(&self, s3: &Client, bucket: &str) -> Result<(), Halt> {
        let doing = format!("writing the {} of bucket {bucket}", self.kind().name());
        // Every write ends alike: sent, its answer dropped, a gone bucket a halt.
        macro_rules! send {
            ($request:expr) => {
                $request.send().await.map(drop).map_err(|e| halt(&doing, e))
            };
        }
        match self {
            BucketSetting::PublicAccessBlock(block) if block.configured => send!(s3
                .put_public_access_block()
                .bucket(bucket)
                .public_access_block_configuration(
                    PublicAccessBlockConfiguration::builder()
                        .block_public_acls(block.block_public_acls)
                        .ignore_public_acls(block.ignore_public_acls)
                        .block_public_policy(block.block_public_policy)
                        .restrict_public_buckets(block.restrict_public_buckets)
                        .build(),
                )),
            BucketSetting::PublicAccessBlock(_) => {
                send!(s3.delete_public_access_block().bucket(bucket))
            }
            BucketSetting::Policy {
                document: Some(document),
            } => send!(s3
                .put_bucket_policy()
                .bucket(bucket)
                .policy(document.to_string())),
            BucketSetting::Policy { document: None } => {
                delete_policy(s3, bucket).await.map_err(on_bucket)
            }
            BucketSetting::Acl(acl) => {
                let mut policy =
                    AccessControlPolicy::builder().owner(Owner::builder().id(&acl.owner).build());
                for grant in &acl.grants {
                    policy = policy.grants(grant.to_sdk()?);
                }
                send!(s3
                    .put_bucket_acl()
                    .bucket(bucket)
                    .access_control_policy(policy.build()))
            }
            BucketSetting::Website {
                configuration: Some(website),
            } => send!(s3
                .put_bucket_website()
                .bucket(bucket)
                .website_configuration(website.to_sdk()?)),
            BucketSetting::Website {
                configuration: None,
            } => send!(s3.delete_bucket_website().bucket(bucket)),
            BucketSetting::Encryption {
                default: Some(default),
            } => send!(s3
                .put_bucket_encryption()
                .bucket(bucket)
                .server_side_encryption_configuration(default.to_sdk()?)),
            BucketSetting::Encryption { default: None } => {
                send!(s3.delete_bucket_encryption().bucket(bucket))
            }
            BucketSetting::Logging { target } => {
                let mut status = BucketLoggingStatus::builder();
                if let Some(target) = target {
                    status = status.logging_enabled(built(
                        LoggingEnabled::builder()
                            .target_bucket(&target.bucket)
                            .target_prefix(&target.prefix)
                            .build(),
                    )?);
                }
                send!(s3
                    .put_bucket_logging()
                    .bucket(bucket)
                    .bucket_logging_status(status.build()))
            }
            BucketSetting::Versioning { status } => {
                let status = status.as_deref().map_or(
                    BucketVersioningStatus::Suspended,
                    BucketVersioningStatus::from,
                );
                send!(s3
                    .put_bucket_versioning()
                    .bucket(bucket)
                    .versioning_configuration(
                        VersioningConfiguration::builder().status(status).build(),
                    ))
            }
        }
    }
}

impl setting::Setting for BucketSetting {
    type Client = Client;

    fn name(&self) -> &'static str {
        self.kind().name()
    }

    /// The value as people read it.
    fn words(&self) -> String {
        let or_none = |words: Option<String>| words.unwrap_or_else(|| "none".to_string());
        match self {
            BucketSetting::PublicAccessBlock(block) => block.words(),
            BucketSetting::Policy { document } => or_none(document.as_ref().map(Value::to_string)),
            BucketSetting::Acl(acl) => acl.words(),
            BucketSetting::Website { configuration } => {
                or_none(configuration.as_ref().map(Website::words))
            }
            BucketSetting::Encryption { default } => {
                or_none(default.as_ref().map(DefaultEncryption::words))
            }
            BucketSetting::Logging { target } => target.as_ref().map_or("off".to_string(), |t| {
                format!("into bucket {} under prefix '{}'", t.bucket, t.prefix)
            }),
            BucketSetting::Versioning { status } => status
                .clone()
                .unwrap_or_else(|| "never enabled".to_string()),
        }
    }

    async fn read(&self, s3: &Client, bucket: &str) -> Result<BucketSetting, BotError> {
        self.kind().read(s3, bucket).await.map_err(halt_error)
    }

    async fn write(&self, s3: &Client, bucket: &str) -> Result<(), BotError> {
        self.put(s3, bucket).await.map_err(halt_error)
    }

    /// What writing this setting leaves: itself, except that a bucket never versioned can
    /// only be given back versioning `Suspended`.
    fn reachable(&self) -> BucketSetting {
        match self {
            BucketSetting::Versioning { status: None } => BucketSetting::Versioning {
                status: Some(BucketVersioningStatus::Suspended.as_str().to_string()),
            },
            other => other.clone(),
        }
    }

    /// Putting this setting back on `bucket`, in words.
    fn restoring_words(&self, bucket: &str) -> String {
        let name = self.kind().name();
        match self {
            BucketSetting::Versioning { status: None } => format!(
                "suspend the versioning of {bucket} (it was never enabled, and S3 cannot make a versioned bucket unversioned)"
            ),
            absent if absent.absent() => {
                format!("remove the {name} of {bucket} (it had none)")
            }
            _ => format!("set the {name} of {bucket} back to {}", self.words()),
        }
    }
}

/// How people name a bucket.
fn bucket_label(bucket: &str) -> String {
    format!("bucket {bucket}")
}

/// The end of every bucket-setting bot: write `after`, read the settings back until they are
/// as intended (else the step fails `NotVerified`), and record `before` for undo.
pub(super) async fn change_settings(
    input: &BotInput,
    s3: &Client,
    bucket: &str,
    (before, after): (Vec<BucketSetting>, Vec<BucketSetting>),
    message: String,
    changes: Vec<String>,
) -> BucketResult {
    let resource = Resource {
        client: s3,
        id: bucket,
        label: bucket_label(bucket),
    };
    setting::change(
        input,
        &resource,
        RESTORE_BUCKET_SETTINGS.name,
        (before, after),
        message,
        changes,
    )
    .await
    .map_err(on_bucket)
}

/// A halt as an error: a bucket gone while verifying or restoring is `NotFound`.
fn halt_error(halt: Halt) -> BotError {
    match halt {
        Halt::BucketGone => BotError::not_found("the bucket does not exist (any more)"),
        Halt::Failed(error) => error,
    }
}

pub(super) async fn restore_settings(
    input: &RestoreInput,
    s3: &Client,
) -> Result<RestoreOutcome, BotError> {
    setting::restore_settings::<BucketSetting>(input, s3, bucket_label).await
}

impl BlockSettings {
    pub const ALL_ON: BlockSettings = BlockSettings {
        configured: true,
        block_public_acls: true,
        ignore_public_acls: true,
        block_public_policy: true,
        restrict_public_buckets: true,
    };

    /// The four settings, named as in the S3 API, and whether each is on.
    fn named(self) -> [(&'static str, bool); 4] {
        [
            ("BlockPublicAcls", self.block_public_acls),
            ("IgnorePublicAcls", self.ignore_public_acls),
            ("BlockPublicPolicy", self.block_public_policy),
            ("RestrictPublicBuckets", self.restrict_public_buckets),
        ]
    }

    /// The settings that are off.
    pub(super) fn off(self) -> Vec<&'static str> {
        self.named()
            .into_iter()
            .filter(|(_, on)| !on)
            .map(|(name, _)| name)
            .collect()
    }

    /// The settings as people read them: `BlockPublicAcls=true, …` or `none configured`.
    fn words(self) -> String {
        if !self.configured {
            return "none configured".to_string();
        }
        let named: Vec<String> = self
            .named()
            .iter()
            .map(|(name, on)| format!("{name}={on}"))
            .collect();
        named.join(", ")
    }

    pub(super) async fn read(s3: &Client, bucket: &str) -> Result<BlockSettings, Halt> {
        match s3.get_public_access_block().bucket(bucket).send().await {
            Ok(out) => {
                let config = out.public_access_block_configuration();
                let on = |value: Option<bool>| value.unwrap_or(false);
                Ok(BlockSettings {
                    configured: true,
                    block_public_acls: on(config.and_then(|c| c.block_public_acls())),
                    ignore_public_acls: on(config.and_then(|c| c.ignore_public_acls())),
                    block_public_policy: on(config.and_then(|c| c.block_public_policy())),
                    restrict_public_buckets: on(config.and_then(|c| c.restrict_public_buckets())),
                })
            }
            Err(e) if code(&e) == Some("NoSuchPublicAccessBlockConfiguration") => {
                Ok(BlockSettings {
                    configured: false,
                    block_public_acls: false,
                    ignore_public_acls: false,
                    block_public_policy: false,
                    restrict_public_buckets: false,
                })
            }
            Err(e) => Err(halt(
                &format!("reading the public access block of bucket {bucket}"),
                e,
            )),
        }
    }
}

impl BucketAcl {
    pub(super) async fn read(s3: &Client, bucket: &str) -> Result<BucketAcl, Halt> {
        let acl = s3
            .get_bucket_acl()
            .bucket(bucket)
            .send()
            .await
            .map_err(|e| halt(&format!("reading the ACL of bucket {bucket}"), e))?;
        let mut grants: Vec<AclGrant> = acl.grants().iter().map(AclGrant::of).collect();
        grants.sort();
        Ok(BucketAcl {
            owner: acl
                .owner()
                .and_then(|o| o.id())
                .unwrap_or_default()
                .to_string(),
            grants,
        })
    }

    /// The grants to anyone but the owner, in words: what the `private` ACL removes.
    pub(super) fn foreign_grants(&self) -> Vec<String> {
        self.grants
            .iter()
            .filter(|g| !g.to_owner(&self.owner))
            .map(|g| g.words(&self.owner))
            .collect()
    }

    /// The canned ACL `private`: the owner's full control, nothing else.
    pub(super) fn private(&self) -> BucketAcl {
        BucketAcl {
            owner: self.owner.clone(),
            grants: vec![AclGrant {
                grantee_type: Type::CanonicalUser.as_str().to_string(),
                grantee: self.owner.clone(),
                permission: Permission::FullControl.as_str().to_string(),
            }],
        }
    }

    fn words(&self) -> String {
        let grants: Vec<String> = self.grants.iter().map(|g| g.words(&self.owner)).collect();
        if grants.is_empty() {
            "no grant".to_string()
        } else {
            grants.join(", ")
        }
    }
}

impl AclGrant {
    fn of(grant: &Grant) -> AclGrant {
        let grantee = grant.grantee();
        let grantee_type = grantee.map_or(Type::CanonicalUser, |g| g.r#type().clone());
        let identity = grantee.and_then(|g| match &grantee_type {
            Type::Group => g.uri(),
            Type::AmazonCustomerByEmail => g.email_address(),
            _ => g.id(),
        });
        AclGrant {
            grantee_type: grantee_type.as_str().to_string(),
            grantee: identity.unwrap_or_default().to_string(),
            permission: grant
                .permission()
                .map_or("(no permission)", |p| p.as_str())
                .to_string(),
        }
    }

    /// Whether the grant is to the bucket's owner.
    pub(super) fn to_owner(&self, owner: &str) -> bool {
        self.grantee_type == Type::CanonicalUser.as_str() && self.grantee == owner
    }

    /// `READ for group AllUsers`, `FULL_CONTROL for the owner`, …
    pub(super) fn words(&self, owner: &str) -> String {
        let who = match Type::from(self.grantee_type.as_str()) {
            _ if self.to_owner(owner) => "the owner".to_string(),
            Type::Group => format!(
                "group {}",
                self.grantee.rsplit('/').next().unwrap_or(&self.grantee)
            ),
            Type::AmazonCustomerByEmail => self.grantee.clone(),
            _ => format!("canonical user {}", self.grantee),
        };
        format!("{} for {who}", self.permission)
    }

    fn to_sdk(&self) -> Result<Grant, Halt> {
        let kind = Type::from(self.grantee_type.as_str());
        let grantee = Grantee::builder().r#type(kind.clone());
        let grantee = match kind {
            Type::Group => grantee.uri(&self.grantee),
            Type::AmazonCustomerByEmail => grantee.email_address(&self.grantee),
            _ => grantee.id(&self.grantee),
        };
        Ok(Grant::builder()
            .grantee(built(grantee.build())?)
            .permission(Permission::from(self.permission.as_str()))
            .build())
    }
}

/// The bucket's versioning status: `Enabled`, `Suspended`, or none when never versioned.
pub(super) async fn versioning_status(s3: &Client, bucket: &str) -> Result<Option<String>, Halt> {
    Ok(s3
        .get_bucket_versioning()
        .bucket(bucket)
        .send()
        .await
        .map_err(|e| halt(&format!("reading the versioning of bucket {bucket}"), e))?
        .status()
        .map(|s| s.as_str().to_string()))
}

impl LogTarget {
    /// Where the bucket's server access logs go, if anywhere.
    pub(super) async fn read(s3: &Client, bucket: &str) -> Result<Option<LogTarget>, Halt> {
        Ok(s3
            .get_bucket_logging()
            .bucket(bucket)
            .send()
            .await
            .map_err(|e| halt(&format!("reading the logging of bucket {bucket}"), e))?
            .logging_enabled()
            .map(|enabled| LogTarget {
                bucket: enabled.target_bucket().to_string(),
                prefix: enabled.target_prefix().to_string(),
            }))
    }
}

impl WebsiteRedirect {
    fn of(redirect: &Redirect) -> WebsiteRedirect {
        WebsiteRedirect {
            host_name: redirect.host_name().map(str::to_string),
            protocol: redirect.protocol().map(|p| p.as_str().to_string()),
            http_redirect_code: redirect.http_redirect_code().map(str::to_string),
            replace_key_prefix_with: redirect.replace_key_prefix_with().map(str::to_string),
            replace_key_with: redirect.replace_key_with().map(str::to_string),
        }
    }

    fn to_sdk(&self) -> Redirect {
        Redirect::builder()
            .set_host_name(self.host_name.clone())
            .set_protocol(self.protocol.as_deref().map(Protocol::from))
            .set_http_redirect_code(self.http_redirect_code.clone())
            .set_replace_key_prefix_with(self.replace_key_prefix_with.clone())
            .set_replace_key_with(self.replace_key_with.clone())
            .build()
    }
}

impl WebsiteRoutingRule {
    fn of(rule: &RoutingRule) -> WebsiteRoutingRule {
        WebsiteRoutingRule {
            http_error_code_returned_equals: rule
                .condition()
                .and_then(|c| c.http_error_code_returned_equals())
                .map(str::to_string),
            key_prefix_equals: rule
                .condition()
                .and_then(|c| c.key_prefix_equals())
                .map(str::to_string),
            redirect: rule.redirect().map(WebsiteRedirect::of).unwrap_or_default(),
        }
    }
}

impl Website {
    /// The bucket's static website configuration, if it has one.
    pub(super) async fn read(s3: &Client, bucket: &str) -> Result<Option<Website>, Halt> {
        match s3.get_bucket_website().bucket(bucket).send().await {
            Ok(out) => Ok(Some(Website {
                index_document: out.index_document().map(|d| d.suffix().to_string()),
                error_document: out.error_document().map(|d| d.key().to_string()),
                redirect_all_requests_to: out.redirect_all_requests_to().map(|r| WebsiteRedirect {
                    host_name: Some(r.host_name().to_string()),
                    protocol: r.protocol().map(|p| p.as_str().to_string()),
                    ..WebsiteRedirect::default()
                }),
                routing_rules: out
                    .routing_rules()
                    .iter()
                    .map(WebsiteRoutingRule::of)
                    .collect(),
            })),
            Err(e) if code(&e) == Some("NoSuchWebsiteConfiguration") => Ok(None),
            Err(e) => Err(halt(
                &format!("reading the static website configuration of bucket {bucket}"),
                e,
            )),
        }
    }

    /// `index document index.html, error document error.html, 2 routing rule(s)`.
    pub(super) fn words(&self) -> String {
        let mut parts = Vec::new();
        if let Some(index) = &self.index_document {
            parts.push(format!("index document {index}"));
        }
        if let Some(error) = &self.error_document {
            parts.push(format!("error document {error}"));
        }
        if let Some(redirect) = &self.redirect_all_requests_to {
            parts.push(format!(
                "redirect to {}",
                redirect.host_name.as_deref().unwrap_or_default()
            ));
        }
        if !self.routing_rules.is_empty() {
            parts.push(format!("{} routing rule(s)", self.routing_rules.len()));
        }
        parts.join(", ")
    }

    fn to_sdk(&self) -> Result<WebsiteConfiguration, Halt> {
        let mut website = WebsiteConfiguration::builder();
        if let Some(index) = &self.index_document {
            website =
                website.index_document(built(IndexDocument::builder().suffix(index).build())?);
        }
        if let Some(error) = &self.error_document {
            website = website.error_document(built(ErrorDocument::builder().key(error).build())?);
        }
        if let Some(redirect) = &self.redirect_all_requests_to {
            website = website.redirect_all_requests_to(built(
                RedirectAllRequestsTo::builder()
                    .set_host_name(redirect.host_name.clone())
                    .set_protocol(redirect.protocol.as_deref().map(Protocol::from))
                    .build(),
            )?);
        }
        for rule in &self.routing_rules {
            let condition = (rule.http_error_code_returned_equals.is_some()
                || rule.key_prefix_equals.is_some())
            .then(|| {
                Condition::builder()
                    .set_http_error_code_returned_equals(
                        rule.http_error_code_returned_equals.clone(),
                    )
                    .set_key_prefix_equals(rule.key_prefix_equals.clone())
                    .build()
            });
            website = website.routing_rules(
                RoutingRule::builder()
                    .set_condition(condition)
                    .redirect(rule.redirect.to_sdk())
                    .build(),
            );
        }
        Ok(website.build())
    }
}

impl DefaultEncryption {
    /// The bucket's default encryption, if it has one.
    pub(super) async fn read(s3: &Client, bucket: &str) -> Result<Option<DefaultEncryption>, Halt> {
        match s3.get_bucket_encryption().bucket(bucket).send().await {
            Ok(out) => Ok(out
                .server_side_encryption_configuration()
                .and_then(|c| c.rules().first())
                .and_then(|rule| {
                    rule.apply_server_side_encryption_by_default()
                        .map(|d| DefaultEncryption {
                            algorithm: d.sse_algorithm().as_str().to_string(),
                            kms_key: d.kms_master_key_id().map(str::to_string),
                            bucket_key_enabled: rule.bucket_key_enabled() == Some(true),
                        })
                })),
            Err(e) if code(&e) == Some("ServerSideEncryptionConfigurationNotFoundError") => {
                Ok(None)
            }
            Err(e) => Err(halt(
                &format!("reading the default encryption of bucket {bucket}"),
                e,
            )),
        }
    }

    /// `aws:kms with key K`, `AES256`, with `, bucket key on` when it is.
    pub(super) fn words(&self) -> String {
        let mut words = match &self.kms_key {
            Some(key) => format!("{} with key {key}", self.algorithm),
            None => self.algorithm.clone(),
        };
        if self.bucket_key_enabled {
            words.push_str(", bucket key on");
        }
        words
    }

    fn to_sdk(&self) -> Result<ServerSideEncryptionConfiguration, Halt> {
        let default = built(
            ServerSideEncryptionByDefault::builder()
                .sse_algorithm(ServerSideEncryption::from(self.algorithm.as_str()))
                .set_kms_master_key_id(self.kms_key.clone())
                .build(),
        )?;
        built(
            ServerSideEncryptionConfiguration::builder()
                .rules(
                    ServerSideEncryptionRule::builder()
                        .apply_server_side_encryption_by_default(default)
                        .bucket_key_enabled(self.bucket_key_enabled)
                        .build(),
                )
                .build(),
        )
    }
}
