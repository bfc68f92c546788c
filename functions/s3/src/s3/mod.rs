//! S3 bots.
//!
//! This module holds what every S3 bot shares (a gone bucket is a skip) and the bucket-setting
//! bots; [`settings`] the settings they change (read, written, verified, recorded) and the
//! restorer that undoes every one of them, [`public_access`] the Block Public Access bot,
//! [`policy`] the bots that edit or delete the bucket policy.
//!
//! Every bot reads the bucket's live configuration before it changes anything: a bucket already
//! as the bot would leave it is reported compliant, and otherwise the outcome lists exactly what
//! changed (or, in dry-run, what would change), so the audit trail shows what the bucket allowed
//! before. Bucket policies are edited statement by statement and written back, never replaced:
//! statements a bot has no business with survive unchanged. A bucket that no longer exists is
//! skipped, whichever call finds it gone.

pub mod policy;
pub mod public_access;
pub mod settings;

use aws_config::SdkConfig;
use aws_sdk_s3::operation::list_object_versions::ListObjectVersionsOutput;
use aws_sdk_s3::types::{
    BucketLoggingStatus, BucketVersioningStatus, Grant, LoggingEnabled,
    PublicAccessBlockConfiguration, ServerSideEncryption, ServerSideEncryptionByDefault,
    ServerSideEncryptionConfiguration, ServerSideEncryptionRule, Type, VersioningConfiguration,
};
use aws_sdk_s3::Client;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use cloudbots_runtime::aws_error::{bot_error, code};
use cloudbots_runtime::bot::{dry_run, entity_id, entity_name, params, Bot};
use cloudbots_runtime::exclusion;
use cloudbots_runtime::s3_bucket::{delete_policy, BucketPolicy, LogBucket};
use cloudbots_runtime::verify::gone;
use cloudbots_shared::error::{BotError, ErrorName};
use cloudbots_shared::outcome::{BotInput, BotOutcome, OutcomeStatus};
use cloudbots_shared::params::{NoParams, S3EnableEncryptionParams};
use cloudbots_shared::policy::{is_public_principal, statement_label, strings};
use cloudbots_shared::region::partition;
use serde_json::{json, Value};
use settings::{
    change_settings, versioning_status, BucketAcl, BucketSetting, DefaultEncryption, LogTarget,
    Website,
};

/// The bots of this module.
pub const BOTS: &[Bot] = &[
    BLOCK_ALL_PUBLIC_ACCESS,
    DELETE_ACLS,
    DELETE_PERMISSIONS,
    DISABLE_STATIC_WEBSITE_HOSTING,
    ENABLE_ENCRYPTION,
    ENABLE_LOGGING,
    ENABLE_VERSIONING,
    LIMIT_ACCESS,
    ONLY_ALLOW_SSL,
    DELETE_BUCKET,
];

pub const BLOCK_ALL_PUBLIC_ACCESS: Bot = Bot {
    name: "s3_block_all_public_access",
    tags: exclusion::S3_TAGS,
    run: |input, aws| Box::pin(public_access::block_all_public_access(input, aws)),
};

pub const DELETE_ACLS: Bot = Bot {
    name: "s3_delete_acls",
    tags: exclusion::S3_TAGS,
    run: |input, aws| Box::pin(delete_acls(input, aws)),
};

pub const DELETE_PERMISSIONS: Bot = Bot {
    name: "s3_delete_permissions",
    tags: exclusion::S3_TAGS,
    run: |input, aws| Box::pin(policy::delete_permissions(input, aws)),
};

pub const DISABLE_STATIC_WEBSITE_HOSTING: Bot = Bot {
    name: "s3_disable_static_website_hosting",
    tags: exclusion::S3_TAGS,
    run: |input, aws| Box::pin(disable_static_website_hosting(input, aws)),
};

pub const ENABLE_ENCRYPTION: Bot = Bot {
    name: "s3_enable_encryption",
    tags: exclusion::S3_TAGS,
    run: |input, aws| Box::pin(enable_encryption(input, aws)),
};

pub const ENABLE_LOGGING: Bot = Bot {
    name: "s3_enable_logging",
    tags: exclusion::S3_TAGS,
    run: |input, aws| Box::pin(enable_logging(input, aws)),
};

pub const ENABLE_VERSIONING: Bot = Bot {
    name: "s3_enable_versioning",
    tags: exclusion::S3_TAGS,
    run: |input, aws| Box::pin(enable_versioning(input, aws)),
};

pub const LIMIT_ACCESS: Bot = Bot {
    name: "s3_limit_access",
    tags: exclusion::S3_TAGS,
    run: |input, aws| Box::pin(policy::limit_access(input, aws)),
};

pub const ONLY_ALLOW_SSL: Bot = Bot {
    name: "s3_only_allow_ssl",
    tags: exclusion::S3_TAGS,
    run: |input, aws| Box::pin(policy::only_allow_ssl(input, aws)),
};

pub const DELETE_BUCKET: Bot = Bot {
    name: "s3_delete_bucket",
    tags: exclusion::S3_TAGS,
    run: |input, aws| Box::pin(delete_bucket(input, aws)),
};

// ---- shared plumbing ----

/// Why a bot stopped before reaching an outcome: the bucket is gone (a skip) or a failure.
enum Halt {
    BucketGone,
    Failed(BotError),
}

impl From<BotError> for Halt {
    fn from(error: BotError) -> Self {
        Halt::Failed(error)
    }
}

/// A failure on the finding's own bucket: `NotFound` (S3's `NoSuchBucket`) means it is gone.
fn on_bucket(error: BotError) -> Halt {
    if error.name == ErrorName::NotFound {
        Halt::BucketGone
    } else {
        Halt::Failed(error)
    }
}

/// What a bot did to one bucket, before a gone bucket is turned into a skip.
type BucketResult = Result<BotOutcome, Halt>;

/// An S3 error as a halt: `NoSuchBucket` means the bucket is gone, anything else fails.
fn halt<E>(doing: &str, err: SdkError<E, HttpResponse>) -> Halt
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    if code(&err) == Some("NoSuchBucket") {
        Halt::BucketGone
    } else {
        Halt::Failed(bot_error(doing, err))
    }
}

/// The bot's result, a gone bucket reported as skipped.
fn finish(input: &BotInput, bucket: &str, result: BucketResult) -> Result<BotOutcome, BotError> {
    match result {
        Ok(outcome) => Ok(outcome),
        Err(Halt::BucketGone) => Ok(BotOutcome::new(
            input,
            OutcomeStatus::Skipped,
            format!("Bucket {bucket} does not exist (any more): nothing to do"),
        )),
        Err(Halt::Failed(error)) => Err(error),
    }
}

/// Dry-run: what would change.
fn would(input: &BotInput, message: String, changes: Vec<String>) -> BucketResult {
    Ok(BotOutcome::would(input, message, changes))
}

/// The ARN of a bucket in the step's partition.
fn bucket_arn(input: &BotInput, bucket: &str) -> String {
    format!("arn:{}:s3:::{bucket}", partition(&input.target.region))
}

// ---- s3_delete_acls ----

fn grant_changes(bucket: &str, grants: &[String]) -> Vec<String> {
    grants
        .iter()
        .map(|g| format!("remove ACL grant {g} from bucket {bucket}"))
        .collect()
}

async fn delete_acls(input: &BotInput, aws: &SdkConfig) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let bucket = entity_id(input)?;
    let s3 = Client::new(aws);
    finish(input, bucket, delete_acls_on(input, &s3, bucket).await)
}

async fn delete_acls_on(input: &BotInput, s3: &Client, bucket: &str) -> BucketResult {
    let acl = BucketAcl::read(s3, bucket).await?;
    let grants = acl.foreign_grants();
    if grants.is_empty() {
        return Ok(BotOutcome::compliant(
            input,
            format!("Bucket {bucket} grants ACL permissions to its owner only"),
        ));
    }
    let changes = grant_changes(bucket, &grants);
    if dry_run(input) {
        return would(
            input,
            format!(
                "Would remove {} ACL grant(s) from bucket {bucket}",
                grants.len()
            ),
            changes,
        );
    }
    let private = BucketSetting::Acl(acl.private());
    change_settings(
        input,
        s3,
        bucket,
        (vec![BucketSetting::Acl(acl)], vec![private]),
        format!(
            "Removed {} ACL grant(s) from bucket {bucket}: {}",
            grants.len(),
            grants.join("; ")
        ),
        changes,
    )
    .await
}

// ---- s3_disable_static_website_hosting ----

async fn disable_static_website_hosting(
    input: &BotInput,
    aws: &SdkConfig,
) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let bucket = entity_name(input)?;
    let s3 = Client::new(aws);
    finish(
        input,
        bucket,
        disable_static_website_hosting_on(input, &s3, bucket).await,
    )
}

async fn disable_static_website_hosting_on(
    input: &BotInput,
    s3: &Client,
    bucket: &str,
) -> BucketResult {
    let Some(website) = Website::read(s3, bucket).await? else {
        return Ok(BotOutcome::compliant(
            input,
            format!("Bucket {bucket} does not host a static website"),
        ));
    };
    let changes = vec![format!(
        "delete the static website configuration of bucket {bucket} ({})",
        website.words()
    )];
    if dry_run(input) {
        return would(
            input,
            format!("Would disable static website hosting of bucket {bucket}"),
            changes,
        );
    }
    change_settings(
        input,
        s3,
        bucket,
        (
            vec![BucketSetting::Website {
                configuration: Some(website),
            }],
            vec![BucketSetting::Website {
                configuration: None,
            }],
        ),
        format!("Disabled static website hosting of bucket {bucket}"),
        changes,
    )
    .await
}

// ---- s3_enable_encryption ----

async fn enable_encryption(input: &BotInput, aws: &SdkConfig) -> Result<BotOutcome, BotError> {
    let wanted = params::<S3EnableEncryptionParams>(input)?;
    let bucket = entity_id(input)?;
    let s3 = Client::new(aws);
    finish(
        input,
        bucket,
        enable_encryption_on(input, &s3, bucket, &wanted).await,
    )
}

async fn enable_encryption_on(
    input: &BotInput,
    s3: &Client,
    bucket: &str,
    wanted: &S3EnableEncryptionParams,
) -> BucketResult {
    let current = DefaultEncryption::read(s3, bucket).await?;
    let target = match wanted {
        S3EnableEncryptionParams::S3 => DefaultEncryption {
            algorithm: ServerSideEncryption::Aes256.as_str().to_string(),
            kms_key: None,
            bucket_key_enabled: false,
        },
        S3EnableEncryptionParams::Kms { kms_key_arn } => DefaultEncryption {
            algorithm: ServerSideEncryption::AwsKms.as_str().to_string(),
            kms_key: Some(kms_key_arn.clone()),
            bucket_key_enabled: false,
        },
    };
    if let Some(current) = &current {
        let satisfied = match wanted {
            // Any KMS encryption is at least as strong as SSE-S3: never downgrade it.
            S3EnableEncryptionParams::S3 => true,
            S3EnableEncryptionParams::Kms { .. } => {
                current.algorithm == target.algorithm && current.kms_key == target.kms_key
            }
        };
        if satisfied {
            return Ok(BotOutcome::compliant(
                input,
                format!(
                    "Bucket {bucket} is already encrypted by default with {}",
                    current.words()
                ),
            ));
        }
    }
    let was = current.as_ref().map_or(
        "no default encryption".to_string(),
        DefaultEncryption::words,
    );
    let words = target.words();
    let changes = vec![format!(
        "set the default encryption of bucket {bucket} to {words} (was {was})"
    )];
    if dry_run(input) {
        return would(
            input,
            format!("Would encrypt bucket {bucket} by default with {words}"),
            changes,
        );
    }
    change_settings(
        input,
        s3,
        bucket,
        (
            vec![BucketSetting::Encryption { default: current }],
            vec![BucketSetting::Encryption {
                default: Some(target),
            }],
        ),
        format!("Bucket {bucket} is now encrypted by default with {words}"),
        changes,
    )
    .await
}

// ---- s3_enable_logging ----

/// The service that delivers server access logs.
const LOG_DELIVERY_SERVICE: &str = "logging.s3.amazonaws.com";

/// The original's log bucket: one per account and region.
fn log_bucket_name(account: &str, region: &str) -> String {
    format!("{account}s3accesslogs{region}")
}

/// The statement letting S3 deliver the account's server access logs into the log bucket.
fn log_delivery_statement(log_bucket_arn: &str, account: &str) -> Value {
    json!({
        "Sid": "S3ServerAccessLogsPolicy",
        "Effect": "Allow",
        "Principal": {"Service": LOG_DELIVERY_SERVICE},
        "Action": "s3:PutObject",
        "Resource": format!("{log_bucket_arn}/*"),
        "Condition": {"StringEquals": {"aws:SourceAccount": account}}
    })
}

/// Whether a statement already lets S3 deliver this account's logs into the log bucket: an
/// unconditional grant does, and so does one with our condition.
fn grants_log_delivery(statement: &Value, wanted: &Value) -> bool {
    let principal = statement.get("Principal").and_then(|p| p.get("Service"));
    let actions = strings(statement.get("Action"));
    let resources = strings(statement.get("Resource"));
    let wanted_resource = wanted["Resource"].as_str().unwrap_or_default();
    statement.get("Effect").and_then(Value::as_str) == Some("Allow")
        && strings(principal).contains(&LOG_DELIVERY_SERVICE)
        && actions
            .iter()
            .any(|a| ["s3:putobject", "s3:*", "*"].contains(&a.to_ascii_lowercase().as_str()))
        && resources.iter().any(|r| *r == wanted_resource || *r == "*")
        && match statement.get("Condition") {
            None => true,
            Some(condition) => *condition == wanted["Condition"],
        }
}

async fn enable_logging(input: &BotInput, aws: &SdkConfig) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let bucket = entity_id(input)?;
    let s3 = Client::new(aws);
    finish(input, bucket, enable_logging_on(input, &s3, bucket).await)
}

async fn enable_logging_on(input: &BotInput, s3: &Client, bucket: &str) -> BucketResult {
    let account = input.target.account_id.as_str();
    let region = input.target.region.as_str();
    let log_bucket = log_bucket_name(account, region);

    if let Some(target) = LogTarget::read(s3, bucket).await? {
        return Ok(BotOutcome::compliant(
            input,
            format!(
                "Bucket {bucket} already logs server access into bucket {} (prefix '{}')",
                target.bucket, target.prefix
            ),
        ));
    }
    if bucket == log_bucket {
        return Ok(BotOutcome::new(
            input,
            OutcomeStatus::Skipped,
            format!("Bucket {bucket} is the access-log bucket itself: logging it into itself would log every log delivery"),
        ));
    }

    let log_bucket = LogBucket::plan(
        s3,
        None,
        log_bucket,
        account,
        |name| vec![log_delivery_statement(&bucket_arn(input, name), account)],
        grants_log_delivery,
    )
    .await?;
    let prefix = format!("{bucket}/");
    let mut changes = log_bucket.changes(
        region,
        &format!(
            "{LOG_DELIVERY_SERVICE} may put the server access logs of account {account}'s buckets"
        ),
    );
    changes.push(format!(
        "log server access of bucket {bucket} into bucket {} under prefix {prefix}",
        log_bucket.name
    ));
    let log_bucket_name = log_bucket.name.clone();
    if dry_run(input) {
        return would(
            input,
            format!(
                "Would enable server access logging of bucket {bucket} into bucket {log_bucket_name}"
            ),
            changes,
        );
    }

    let created = log_bucket.apply(s3, region).await?;
    let outcome = change_settings(
        input,
        s3,
        bucket,
        (
            vec![BucketSetting::Logging { target: None }],
            vec![BucketSetting::Logging {
                target: Some(LogTarget {
                    bucket: log_bucket_name.clone(),
                    prefix: prefix.clone(),
                }),
            }],
        ),
        format!(
            "Bucket {bucket} now logs server access into bucket {log_bucket_name} under prefix {prefix}"
        ),
        changes,
    )
    .await?;
    Ok(if created {
        outcome.with_artifacts(vec![log_bucket_name])
    } else {
        outcome
    })
}

// ---- s3_enable_versioning ----

async fn enable_versioning(input: &BotInput, aws: &SdkConfig) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let bucket = entity_id(input)?;
    let s3 = Client::new(aws);
    finish(
        input,
        bucket,
        enable_versioning_on(input, &s3, bucket).await,
    )
}

async fn enable_versioning_on(input: &BotInput, s3: &Client, bucket: &str) -> BucketResult {
    let status = versioning_status(s3, bucket).await?;
    let was = match &status {
        Some(status) if status == BucketVersioningStatus::Enabled.as_str() => {
            return Ok(BotOutcome::compliant(
                input,
                format!("Bucket {bucket} is already versioned"),
            ))
        }
        Some(status) => format!("was {status}"),
        None => "never enabled before".to_string(),
    };
    let changes = vec![format!("enable versioning of bucket {bucket} ({was})")];
    if dry_run(input) {
        return would(
            input,
            format!("Would enable versioning of bucket {bucket}"),
            changes,
        );
    }
    change_settings(
        input,
        s3,
        bucket,
        (
            vec![BucketSetting::Versioning { status }],
            vec![BucketSetting::Versioning {
                status: Some(BucketVersioningStatus::Enabled.as_str().to_string()),
            }],
        ),
        format!("Versioning enabled for bucket {bucket}"),
        changes,
    )
    .await
}

// ---- s3_delete_bucket ----

async fn delete_bucket(input: &BotInput, aws: &SdkConfig) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let bucket = entity_id(input)?;
    let s3 = Client::new(aws);
    finish(input, bucket, delete_bucket_on(input, &s3, bucket).await)
}

async fn delete_bucket_on(input: &BotInput, s3: &Client, bucket: &str) -> BucketResult {
    // Versions and delete markers count: a versioned bucket with only those is not empty to S3.
    let listed = first_version(s3, bucket).await?;
    if !listed.versions().is_empty() || !listed.delete_markers().is_empty() {
        return Ok(BotOutcome::new(
            input,
            OutcomeStatus::Skipped,
            format!("Bucket {bucket} is not empty: it is not deleted, and its objects are never deleted by this bot"),
        ));
    }
    let changes = vec![format!("delete empty bucket {bucket}")];
    if dry_run(input) {
        return would(
            input,
            format!("Would delete empty bucket {bucket}"),
            changes,
        );
    }
    match s3.delete_bucket().bucket(bucket).send().await {
        Ok(_) => {}
        Err(e) if code(&e) == Some("BucketNotEmpty") => {
            return Err(Halt::Failed(BotError::new(
                ErrorName::Conflict,
                format!("bucket {bucket} received objects while it was being deleted: not deleted"),
            )))
        }
        Err(e) => return Err(halt(&format!("deleting bucket {bucket}"), e)),
    }
    let verified = gone(&format!("bucket {bucket}"), || async {
        match first_version(s3, bucket).await {
            Ok(listed) => Ok(Some(listed)),
            Err(Halt::BucketGone) => Ok(None),
            Err(Halt::Failed(error)) => Err(error),
        }
    })
    .await?;
    Ok(BotOutcome::new(
        input,
        OutcomeStatus::Remediated,
        format!("Deleted empty bucket {bucket}"),
    )
    .with_changes(changes)
    .with_verified(vec![verified]))
}

/// The bucket's first object version or delete marker, if any.
async fn first_version(s3: &Client, bucket: &str) -> Result<ListObjectVersionsOutput, Halt> {
    s3.list_object_versions()
        .bucket(bucket)
        .max_keys(1)
        .send()
        .await
        .map_err(|e| halt(&format!("listing the objects of bucket {bucket}"), e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_s3::operation::create_bucket::CreateBucketOutput;
    use aws_sdk_s3::operation::delete_bucket::DeleteBucketError;
    use aws_sdk_s3::operation::get_bucket_logging::GetBucketLoggingOutput;
    use aws_sdk_s3::operation::get_bucket_versioning::{
        GetBucketVersioningError, GetBucketVersioningOutput,
    };
    use aws_sdk_s3::operation::list_object_versions::ListObjectVersionsOutput;
    use aws_sdk_s3::operation::put_bucket_versioning::PutBucketVersioningOutput;
    use aws_smithy_mocks::{
        create_mock_http_client, mock, MockResponseInterceptor, Rule, RuleMode,
    };
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::error::ErrorMetadata;
    use cloudbots_shared::finding::from_cloudguard;
    use cloudbots_shared::plan::{plan, Mode, PlannerConfig};

    /// The step running `AUTO: <line>` on `bucket`, planned as the intake plans it.
    fn step(line: &str, bucket: &str, mode: Mode) -> BotInput {
        let message = json!({
            "reportTime": "2026-11-30T10:00:00.000Z",
            "rule": {"name": "test rule", "complianceTags": format!("AUTO: {line}"), "severity": "High"},
            "status": "Failed",
            "account": {"id": "123456789012", "vendor": "AWS"},
            "entity": {"id": bucket, "name": bucket, "type": "S3Bucket", "region": "us_east_1", "accountNumber": "123456789012"}
        });
        let finding = from_cloudguard(&message).expect("a valid finding");
        let config = PlannerConfig {
            snapshot_before_change: false,
            mode,
            ..Default::default()
        }
        .with_every_destroy_bot();
        let planned = plan(&finding, &config);
        BotInput {
            execution: planned.execution_name,
            step: planned.steps[0].clone(),
            finding: planned.finding,
            target: planned.target,
            mode,
        }
    }

    /// An S3 client answered by `rules` instead of the network.
    fn mocked_s3(rules: &[&Rule]) -> Client {
        let interceptor = rules.iter().fold(
            MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny),
            |interceptor, rule| interceptor.with_rule(rule),
        );
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .region(aws_sdk_s3::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_s3::config::Credentials::new(
                "test", "test", None, None, "test",
            ))
            .http_client(create_mock_http_client())
            .interceptor(interceptor)
            .build();
        Client::from_conf(config)
    }

    /// GetBucketVersioning answering each status in turn, the last one from then on.
    fn versioning_reads(statuses: &[Option<BucketVersioningStatus>]) -> Rule {
        let (last, first) = statuses.split_last().expect("a status");
        let output = |status: &Option<BucketVersioningStatus>| {
            let status = status.clone();
            move || {
                GetBucketVersioningOutput::builder()
                    .set_status(status.clone())
                    .build()
            }
        };
        let sequence = first
            .iter()
            .fold(mock!(Client::get_bucket_versioning).sequence(), |seq, s| {
                seq.output(output(s))
            });
        sequence.output(output(last)).repeatedly().build()
    }

    fn putting_versioning(status: BucketVersioningStatus) -> Rule {
        mock!(Client::put_bucket_versioning)
            .match_requests(move |req| {
                req.versioning_configuration().and_then(|c| c.status()) == Some(&status)
            })
            .then_output(|| PutBucketVersioningOutput::builder().build())
    }

    async fn versioning_outcome(s3: &Client, mode: Mode) -> BotOutcome {
        let input = step("s3_enable_versioning", "logs", mode);
        finish(
            &input,
            "logs",
            enable_versioning_on(&input, s3, "logs").await,
        )
        .unwrap()
    }

    /// The undo of `outcome`'s change, by `restore_bucket_settings` on `s3`.
    async fn undo_versioning(
        outcome: &BotOutcome,
        s3: &Client,
    ) -> cloudbots_shared::restore::RestoreOutcome {
        let input = cloudbots_shared::restore::RestoreInput {
            execution: "undo-x".to_string(),
            undoes: "x".to_string(),
            step: cloudbots_shared::restore::UndoStep {
                index: 0,
                audit_id: "undo#000".to_string(),
                record_id: "step#000".to_string(),
                bot: outcome.bot.clone(),
                prior: *outcome.prior.clone().expect("a recorded prior state"),
            },
            mode: Mode::Enforce,
            force: false,
        };
        settings::restore_settings(&input, s3).await.unwrap()
    }

    #[tokio::test]
    async fn enable_versioning_is_verified_and_undone_to_suspended() {
        use BucketVersioningStatus::{Enabled, Suspended};
        for (was, words, restored) in [
            (
                Some(Suspended),
                "was Suspended",
                "set the versioning of bucket logs back to Suspended",
            ),
            (
                None,
                "never enabled before",
                "suspend the versioning of bucket logs (it was never enabled, and S3 cannot make a versioned bucket unversioned)",
            ),
        ] {
            let (get, put) = (
                versioning_reads(&[was.clone(), Some(Enabled)]),
                putting_versioning(Enabled),
            );
            let outcome = versioning_outcome(&mocked_s3(&[&get, &put]), Mode::Enforce).await;
            assert_eq!(outcome.status, OutcomeStatus::Remediated);
            assert_eq!(outcome.message, "Versioning enabled for bucket logs");
            assert_eq!(
                outcome.changes,
                [format!("enable versioning of bucket logs ({words})")]
            );
            assert_eq!(outcome.verified, ["the versioning of bucket logs is Enabled"]);
            assert_eq!(put.num_calls(), 1);

            let (get, put) = (
                versioning_reads(&[Some(Enabled), Some(Suspended)]),
                putting_versioning(Suspended),
            );
            let undone = undo_versioning(&outcome, &mocked_s3(&[&get, &put])).await;
            assert_eq!(undone.message, format!("Restored the versioning of bucket logs: {restored}"));
            assert_eq!(undone.verified, ["the versioning of bucket logs is Suspended"]);
            assert_eq!(put.num_calls(), 1);

            let (get, put) = (
                versioning_reads(&[Some(Suspended)]),
                putting_versioning(Suspended),
            );
            let again = undo_versioning(&outcome, &mocked_s3(&[&get, &put])).await;
            assert_eq!(
                again.status,
                cloudbots_shared::restore::RestoreStatus::NothingToRestore
            );
            assert_eq!(put.num_calls(), 0);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn enable_versioning_that_does_not_show_fails_not_verified() {
        let (get, put) = (
            versioning_reads(&[None]),
            putting_versioning(BucketVersioningStatus::Enabled),
        );
        let input = step("s3_enable_versioning", "logs", Mode::Enforce);
        let s3 = mocked_s3(&[&get, &put]);
        let error = finish(
            &input,
            "logs",
            enable_versioning_on(&input, &s3, "logs").await,
        )
        .unwrap_err();
        assert_eq!(error.name, ErrorName::NotVerified);
        assert_eq!(
            error.message,
            "bucket logs read back after the change is not as intended (3 reads): its versioning is never enabled, not Enabled"
        );
        assert_eq!(get.num_calls(), 4, "one read before, three after");
    }

    #[tokio::test]
    async fn enable_versioning_dry_run_names_the_suspended_state_and_changes_nothing() {
        let (get, put) = (
            versioning_reads(&[Some(BucketVersioningStatus::Suspended)]),
            putting_versioning(BucketVersioningStatus::Enabled),
        );
        let outcome = versioning_outcome(&mocked_s3(&[&get, &put]), Mode::DryRun).await;
        assert_eq!(outcome.status, OutcomeStatus::DryRun);
        assert_eq!(
            outcome.changes,
            ["enable versioning of bucket logs (was Suspended)"]
        );
        assert_eq!(put.num_calls(), 0);
    }

    #[tokio::test]
    async fn enable_versioning_leaves_a_versioned_bucket_and_skips_a_missing_one() {
        let (get, put) = (
            versioning_reads(&[Some(BucketVersioningStatus::Enabled)]),
            putting_versioning(BucketVersioningStatus::Enabled),
        );
        let outcome = versioning_outcome(&mocked_s3(&[&get, &put]), Mode::Enforce).await;
        assert_eq!(outcome.status, OutcomeStatus::AlreadyCompliant);
        assert_eq!(outcome.message, "Bucket logs is already versioned");
        assert_eq!(put.num_calls(), 0);

        let gone = mock!(Client::get_bucket_versioning).then_error(|| {
            GetBucketVersioningError::generic(ErrorMetadata::builder().code("NoSuchBucket").build())
        });
        let outcome = versioning_outcome(&mocked_s3(&[&gone]), Mode::Enforce).await;
        assert_eq!(outcome.status, OutcomeStatus::Skipped);
        assert_eq!(
            outcome.message,
            "Bucket logs does not exist (any more): nothing to do"
        );
    }

    #[tokio::test]
    async fn enable_logging_refuses_a_log_bucket_name_held_by_another_account() {
        let not_logging = mock!(Client::get_bucket_logging)
            .then_output(|| GetBucketLoggingOutput::builder().build());
        let taken = mock!(Client::head_bucket).then_http_response(|| {
            HttpResponse::new(StatusCode::try_from(403).unwrap(), SdkBody::empty())
        });
        let create =
            mock!(Client::create_bucket).then_output(|| CreateBucketOutput::builder().build());
        let s3 = mocked_s3(&[&not_logging, &taken, &create]);
        let input = step("s3_enable_logging", "data", Mode::Enforce);
        let error =
            finish(&input, "data", enable_logging_on(&input, &s3, "data").await).unwrap_err();
        assert_eq!(error.name, ErrorName::AccessDenied, "{error}");
        assert!(
            error.message.starts_with("checking that bucket 123456789012s3accesslogsus-east-1 exists and belongs to account 123456789012: "),
            "{error}"
        );
        assert_eq!(
            create.num_calls(),
            0,
            "nothing is created under a taken name"
        );
    }

    #[tokio::test]
    async fn delete_bucket_reports_objects_arriving_during_the_deletion_as_a_conflict() {
        let empty = mock!(Client::list_object_versions)
            .then_output(|| ListObjectVersionsOutput::builder().build());
        let filled_meanwhile = mock!(Client::delete_bucket).then_error(|| {
            DeleteBucketError::generic(ErrorMetadata::builder().code("BucketNotEmpty").build())
        });
        let s3 = mocked_s3(&[&empty, &filled_meanwhile]);
        let input = step("s3_delete_bucket", "data", Mode::Enforce);
        let error =
            finish(&input, "data", delete_bucket_on(&input, &s3, "data").await).unwrap_err();
        assert_eq!(error.name, ErrorName::Conflict);
        assert_eq!(
            error.message,
            "bucket data received objects while it was being deleted: not deleted"
        );
    }
}
