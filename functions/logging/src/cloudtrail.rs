//! CloudTrail bots: a trail that logs every region, validates its log files, encrypts them with
//! a customer-managed key and sends its events to CloudWatch Logs.
//!
//! The trail is read first (by the ARN or name the finding gives, in the trail's home region),
//! so a trail already as the bot would leave it is compliant and a trail that no longer exists
//! is skipped. What a bot creates on the way (the log bucket, the key, the log group, the
//! delivery role) is found and reused when it exists, so a step run twice creates nothing twice.
//!
//! Each bot ends in `change_trail`: the trail settings it changes (`trail_setting`) are
//! written, read back until they show and recorded for `restore_trail_settings`.

use crate::trail_setting::{
    trail_label, unless_empty, CreatedTrail, LogsDelivery, TrailSetting, RESTORE_TRAIL_SETTINGS,
};
use aws_config::SdkConfig;
use aws_sdk_cloudtrail::operation::update_trail::builders::UpdateTrailFluentBuilder;
use aws_sdk_cloudtrail::types::Trail;
use cloudbots_runtime::aws_error::{bot_error, code, none_if_code};
use cloudbots_runtime::bot::{dry_run, entity_id, params, Bot};
use cloudbots_runtime::exclusion::{tag_in_listing, TagReader};
use cloudbots_runtime::kms_key;
use cloudbots_runtime::s3_bucket::{self, LogBucket};
use cloudbots_runtime::session::in_region;
use cloudbots_runtime::setting::{self, Resource};
use cloudbots_shared::catalogue::TagSource;
use cloudbots_shared::error::{BotError, ErrorName};
use cloudbots_shared::outcome::{BotInput, BotOutcome};
use cloudbots_shared::params::{
    CloudtrailEnableParams, CloudtrailExistingKeyParams, CloudtrailSendToCloudwatchParams,
    KmsKeyParam, NoParams, TRAIL_AWS_MANAGED_KEY_REASON,
};
use cloudbots_shared::region::partition;
use serde_json::{json, Value};

/// The bots of this module.
pub const BOTS: &[Bot] = &[
    ENABLE,
    ENABLE_LOG_FILE_VALIDATION,
    ENCRYPT_WITH_EXISTING_KEY,
    ENCRYPT_WITH_NEW_KEY,
    SEND_TO_CLOUDWATCH,
];

pub const ENABLE: Bot = Bot {
    name: "cloudtrail_enable",
    tags: TRAIL_TAGS,
    run: |input, aws| Box::pin(enable(input, aws)),
};

pub const ENABLE_LOG_FILE_VALIDATION: Bot = Bot {
    name: "cloudtrail_enable_log_file_validation",
    tags: TRAIL_TAGS,
    run: |input, aws| Box::pin(enable_log_file_validation(input, aws)),
};

pub const ENCRYPT_WITH_EXISTING_KEY: Bot = Bot {
    name: "cloudtrail_encrypt_log_files_using_existing_key",
    tags: TRAIL_TAGS,
    run: |input, aws| Box::pin(encrypt_with_existing_key(input, aws)),
};

pub const ENCRYPT_WITH_NEW_KEY: Bot = Bot {
    name: "cloudtrail_encrypt_log_files_using_new_key_creation",
    tags: TRAIL_TAGS,
    run: |input, aws| Box::pin(encrypt_with_new_key(input, aws)),
};

pub const SEND_TO_CLOUDWATCH: Bot = Bot {
    name: "cloudtrail_send_to_cloudwatch",
    tags: TRAIL_TAGS,
    run: |input, aws| Box::pin(send_to_cloudwatch(input, aws)),
};

/// Trails, by ARN.
pub const TRAIL_TAGS: TagReader = TagReader::new(&[TagSource::Trail], |aws, _, arn, key| {
    Box::pin(read_trail_tag(aws, arn, key))
});

async fn read_trail_tag(aws: &SdkConfig, arn: &str, key: &str) -> Result<Option<String>, BotError> {
    let listed = client(aws, home_region(arn))
        .list_tags()
        .resource_id_list(arn)
        .send()
        .await;
    tag_in_listing(listed, &[TRAIL_NOT_FOUND], arn, key, |out| {
        let resources = out.resource_tag_list.unwrap_or_default().into_iter();
        let tags = resources.flat_map(|resource| resource.tags_list.unwrap_or_default());
        tags.map(|t| (t.key, t.value))
    })
}

pub(crate) const TRAIL_NOT_FOUND: &str = "TrailNotFoundException";

/// The home region in a trail ARN (`arn:aws:cloudtrail:<region>:<account>:trail/<name>`);
/// None for a bare name, which is looked up in the step's region.
pub(crate) fn home_region(id: &str) -> Option<&str> {
    id.strip_prefix("arn:")
        .and_then(|rest| rest.split(':').nth(2))
        .filter(|region| !region.is_empty())
}

/// A CloudTrail client in `region`, or in the step's region.
pub(crate) fn client(aws: &SdkConfig, region: Option<&str>) -> aws_sdk_cloudtrail::Client {
    match region {
        Some(region) => aws_sdk_cloudtrail::Client::new(&in_region(aws, region)),
        None => aws_sdk_cloudtrail::Client::new(aws),
    }
}

/// The trail's home region (the step's when CloudTrail does not say).
pub(crate) fn home<'a>(input: &'a BotInput, trail: &'a Trail) -> &'a str {
    trail.home_region().unwrap_or(&input.target.region)
}

/// The trail `id` names, or None when it does not exist.
async fn read_trail(
    cloudtrail: &aws_sdk_cloudtrail::Client,
    id: &str,
) -> Result<Option<Trail>, BotError> {
    let read = cloudtrail.get_trail().name(id).send().await;
    Ok(
        none_if_code(TRAIL_NOT_FOUND, &format!("reading trail {id}"), read)?
            .and_then(|out| out.trail),
    )
}

/// The finding's trail, read in its home region: its client and description, or the outcome
/// when it no longer exists.
pub(crate) async fn finding_trail(
    input: &BotInput,
    aws: &SdkConfig,
) -> Result<Result<(aws_sdk_cloudtrail::Client, Trail), BotOutcome>, BotError> {
    let id = entity_id(input)?;
    let cloudtrail = client(aws, home_region(id));
    Ok(match read_trail(&cloudtrail, id).await? {
        Some(trail) => Ok((cloudtrail, trail)),
        None => Err(BotOutcome::gone(
            input,
            &format!("Trail {id}"),
            "nothing to do",
        )),
    })
}

/// Change the trail with `configure`; the failures CloudTrail reports for a key, role or log
/// group it cannot use are named.
pub(crate) async fn update_trail(
    cloudtrail: &aws_sdk_cloudtrail::Client,
    trail: &str,
    change: &str,
    configure: impl FnOnce(UpdateTrailFluentBuilder) -> UpdateTrailFluentBuilder,
) -> Result<(), BotError> {
    match configure(cloudtrail.update_trail().name(trail)).send().await {
        Ok(_) => Ok(()),
        Err(e) if code(&e) == Some("InsufficientEncryptionPolicyException") => {
            Err(BotError::invalid_input(format!(
                "{change}: the key's policy does not let CloudTrail use it (allow cloudtrail.amazonaws.com kms:GenerateDataKey* and kms:DescribeKey)"
            )))
        }
        // A delivery role created moments ago is not yet usable by CloudTrail: retried.
        Err(e) if code(&e) == Some("InvalidCloudWatchLogsRoleArnException") => Err(BotError::new(
            ErrorName::Transient,
            format!("{change}: CloudTrail cannot use the delivery role yet"),
        )),
        Err(e) => Err(bot_error(change, e)),
    }
}

/// The end of a bot that changes the trail `arn`: give it the settings `after` (it had
/// `before`), read them back and record both for `restore_trail_settings`.
async fn change_trail(
    input: &BotInput,
    cloudtrail: &aws_sdk_cloudtrail::Client,
    arn: &str,
    settings: (Vec<TrailSetting>, Vec<TrailSetting>),
    message: String,
    changes: Vec<String>,
) -> Result<BotOutcome, BotError> {
    let resource = Resource {
        client: cloudtrail,
        id: arn,
        label: trail_label(arn),
    };
    setting::change(
        input,
        &resource,
        RESTORE_TRAIL_SETTINGS.name,
        settings,
        message,
        changes,
    )
    .await
}

// ---- cloudtrail_enable ----

/// The account's trail log bucket when the rule names none (the original's name).
fn default_bucket(account: &str) -> String {
    format!("acct{account}cloudtraillogs")
}

/// The statements that let CloudTrail deliver the account's trails into the bucket (the
/// policy AWS documents, narrowed to this account's trails).
fn delivery_statements(bucket: &str, account: &str, region: &str) -> [Value; 2] {
    let bucket_arn = format!("arn:{}:s3:::{bucket}", partition(region));
    [
        json!({
            "Sid": "AWSCloudTrailAclCheck20150319",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:GetBucketAcl",
            "Resource": bucket_arn,
            "Condition": {"StringEquals": {"aws:SourceAccount": account}}
        }),
        json!({
            "Sid": "AWSCloudTrailWrite20150319",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": format!("{bucket_arn}/AWSLogs/{account}/*"),
            "Condition": {"StringEquals": {
                "s3:x-amz-acl": "bucket-owner-full-control",
                "aws:SourceAccount": account
            }}
        }),
    ]
}

async fn enable(input: &BotInput, aws: &SdkConfig) -> Result<BotOutcome, BotError> {
    let CloudtrailEnableParams {
        trail_name,
        bucket_name,
    } = params::<CloudtrailEnableParams>(input)?;
    let (account, region) = (
        input.target.account_id.as_str(),
        input.target.region.as_str(),
    );
    let cloudtrail = client(aws, None);
    if let Some(trail) = read_trail(&cloudtrail, &trail_name).await? {
        return enable_existing(input, &cloudtrail, &trail).await;
    }

    let s3 = aws_sdk_s3::Client::new(aws);
    let bucket = LogBucket::plan(
        &s3,
        bucket_name,
        default_bucket(account),
        account,
        |bucket| delivery_statements(bucket, account, region).into(),
        s3_bucket::same_sid,
    )
    .await?;
    let mut changes = bucket.changes(
        region,
        &format!("CloudTrail may deliver account {account}'s trail logs"),
    );
    changes.push(format!(
        "create trail {trail_name} logging every region into bucket {}, log file validation on",
        bucket.name
    ));
    changes.push(format!("start logging of trail {trail_name}"));
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!("Would enable CloudTrail with trail {trail_name}"),
            changes,
        ));
    }

    let bucket_name = bucket.name.clone();
    let created_bucket = bucket.apply(&s3, region).await?;
    let arn = format!(
        "arn:{}:cloudtrail:{region}:{account}:trail/{trail_name}",
        partition(region)
    );
    let created = CreatedTrail {
        bucket: bucket_name.clone(),
        every_region: true,
        global_service_events: true,
        log_file_validation: true,
        logging: true,
    };
    let existence = |trail| TrailSetting::Existence { trail };
    let outcome = change_trail(
        input,
        &cloudtrail,
        &arn,
        (vec![existence(None)], vec![existence(Some(created))]),
        format!("Trail {trail_name} now logs every region into bucket {bucket_name}"),
        changes,
    )
    .await?;
    Ok(if created_bucket {
        outcome.with_artifacts(vec![bucket_name])
    } else {
        outcome
    })
}

pub(crate) async fn start_logging(
    cloudtrail: &aws_sdk_cloudtrail::Client,
    trail: &str,
) -> Result<(), BotError> {
    cloudtrail
        .start_logging()
        .name(trail)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| bot_error(&format!("starting the logging of trail {trail}"), e))
}

/// A trail of the rule's name exists: it is made to log every region, and started.
async fn enable_existing(
    input: &BotInput,
    cloudtrail: &aws_sdk_cloudtrail::Client,
    trail: &Trail,
) -> Result<BotOutcome, BotError> {
    let name = trail.name().unwrap_or_default();
    let logging = cloudtrail
        .get_trail_status()
        .name(name)
        .send()
        .await
        .map_err(|e| bot_error(&format!("reading the status of trail {name}"), e))?
        .is_logging
        .unwrap_or(false);
    let every_region = trail.is_multi_region_trail().unwrap_or(false);
    if logging && every_region {
        return Ok(BotOutcome::compliant(
            input,
            format!("Trail {name} already logs every region"),
        ));
    }
    let mut changes = Vec::new();
    if !every_region {
        changes.push(format!(
            "make trail {name} log every region and global service events"
        ));
    }
    if !logging {
        changes.push(format!("start logging of trail {name}"));
    }
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!("Would enable CloudTrail with trail {name}"),
            changes,
        ));
    }
    let (mut before, mut after) = (Vec::new(), Vec::new());
    if !every_region {
        before.push(TrailSetting::Scope {
            every_region,
            global_service_events: trail.include_global_service_events().unwrap_or(false),
        });
        after.push(TrailSetting::Scope {
            every_region: true,
            global_service_events: true,
        });
    }
    if !logging {
        before.push(TrailSetting::Logging { on: false });
        after.push(TrailSetting::Logging { on: true });
    }
    change_trail(
        input,
        cloudtrail,
        trail.trail_arn().unwrap_or(name),
        (before, after),
        format!("Trail {name} now logs every region"),
        changes,
    )
    .await
}

// ---- cloudtrail_enable_log_file_validation ----

async fn enable_log_file_validation(
    input: &BotInput,
    aws: &SdkConfig,
) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let (cloudtrail, trail) = match finding_trail(input, aws).await? {
        Ok(found) => found,
        Err(gone) => return Ok(gone),
    };
    let name = trail.name().unwrap_or_default();
    if trail.log_file_validation_enabled().unwrap_or(false) {
        return Ok(BotOutcome::compliant(
            input,
            format!("Trail {name} already validates its log files"),
        ));
    }
    let change = format!("turn on log file validation of trail {name}");
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!("Would {change}"),
            vec![change],
        ));
    }
    let validation = |on| TrailSetting::LogFileValidation { on };
    change_trail(
        input,
        &cloudtrail,
        trail.trail_arn().unwrap_or(name),
        (vec![validation(false)], vec![validation(true)]),
        format!("Trail {name} now validates its log files (a signed digest every hour)"),
        vec![change],
    )
    .await
}

// ---- cloudtrail_encrypt_log_files_using_existing_key ----

async fn encrypt_with_existing_key(
    input: &BotInput,
    aws: &SdkConfig,
) -> Result<BotOutcome, BotError> {
    let CloudtrailExistingKeyParams { key_id } = params::<CloudtrailExistingKeyParams>(input)?;
    let (cloudtrail, trail) = match finding_trail(input, aws).await? {
        Ok(found) => found,
        Err(gone) => return Ok(gone),
    };
    let name = trail.name().unwrap_or_default();
    // The key must live in the trail's home region.
    let key = kms_key::describe(
        aws,
        &KmsKeyParam {
            key_id,
            key_region: Some(home(input, &trail).to_string()),
        },
    )
    .await?
    .customer_managed(TRAIL_AWS_MANAGED_KEY_REASON)?;
    if unless_empty(trail.kms_key_id()).is_some_and(|current| key.names(&current)) {
        return Ok(BotOutcome::compliant(
            input,
            format!(
                "Trail {name} already encrypts its log files with KMS key {}",
                key.arn
            ),
        ));
    }
    let change = format!(
        "encrypt the log files of trail {name} with KMS key {}",
        key.arn
    );
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!("Would {change}"),
            vec![change],
        ));
    }
    let kms_key = |key: Option<&str>| TrailSetting::KmsKey {
        key: unless_empty(key),
    };
    change_trail(
        input,
        &cloudtrail,
        trail.trail_arn().unwrap_or(name),
        (
            vec![kms_key(trail.kms_key_id())],
            vec![kms_key(Some(&key.arn))],
        ),
        format!(
            "Trail {name} now encrypts its log files with KMS key {}",
            key.arn
        ),
        vec![change],
    )
    .await
}

// ---- cloudtrail_encrypt_log_files_using_new_key_creation ----

/// The alias of the key created for a trail: found again by a second run, never created twice.
fn trail_key_alias(trail: &str) -> String {
    format!("alias/cloudbots/cloudtrail/{trail}")
}

/// The key policy AWS documents for trail log files: the account administers the key,
/// CloudTrail encrypts the account's trails with it, the account's principals decrypt them.
fn trail_key_policy(account: &str, region: &str) -> Value {
    let partition = partition(region);
    let trails = format!("arn:{partition}:cloudtrail:*:{account}:trail/*");
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Enable IAM User Permissions",
                "Effect": "Allow",
                "Principal": {"AWS": format!("arn:{partition}:iam::{account}:root")},
                "Action": "kms:*",
                "Resource": "*"
            },
            {
                "Sid": "Allow CloudTrail to encrypt logs",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "kms:GenerateDataKey*",
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account},
                    "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": trails}
                }
            },
            {
                "Sid": "Allow CloudTrail to describe key",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "kms:DescribeKey",
                "Resource": "*"
            },
            {
                "Sid": "Allow principals in the account to decrypt log files",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": ["kms:Decrypt", "kms:ReEncryptFrom"],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"kms:CallerAccount": account},
                    "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": trails}
                }
            }
        ]
    })
}

async fn encrypt_with_new_key(input: &BotInput, aws: &SdkConfig) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let (cloudtrail, trail) = match finding_trail(input, aws).await? {
        Ok(found) => found,
        Err(gone) => return Ok(gone),
    };
    let name = trail.name().unwrap_or_default();
    if let Some(current) = unless_empty(trail.kms_key_id()) {
        return Ok(BotOutcome::compliant(
            input,
            format!("Trail {name} already encrypts its log files with KMS key {current}"),
        ));
    }
    let account = input.target.account_id.as_str();
    let region = home(input, &trail).to_string();
    let alias = trail_key_alias(name);
    let kms = aws_sdk_kms::Client::new(&in_region(aws, &region));
    let existing = none_if_code(
        "NotFoundException",
        &format!("looking up KMS key {alias}"),
        kms.describe_key().key_id(&alias).send().await,
    )?
    .and_then(|out| out.key_metadata)
    .and_then(|key| key.arn);

    let mut changes = Vec::new();
    if existing.is_none() {
        changes.push(format!(
            "create a KMS key {alias} in {region} that CloudTrail may encrypt account {account}'s trails with, rotation on"
        ));
    }
    changes.push(format!(
        "encrypt the log files of trail {name} with KMS key {alias}, log file validation on"
    ));
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!("Would encrypt the log files of trail {name} with a new KMS key"),
            changes,
        ));
    }
    let (key_arn, created) = match existing {
        Some(arn) => (arn, false),
        None => (
            create_trail_key(input, &kms, name, &alias, account, &region).await?,
            true,
        ),
    };
    let mut before = vec![TrailSetting::KmsKey { key: None }];
    let mut after = vec![TrailSetting::KmsKey {
        key: Some(key_arn.clone()),
    }];
    if !trail.log_file_validation_enabled().unwrap_or(false) {
        before.push(TrailSetting::LogFileValidation { on: false });
        after.push(TrailSetting::LogFileValidation { on: true });
    }
    let outcome = change_trail(
        input,
        &cloudtrail,
        trail.trail_arn().unwrap_or(name),
        (before, after),
        format!("Trail {name} now encrypts its log files with KMS key {key_arn}"),
        changes,
    )
    .await?;
    Ok(if created {
        outcome.with_artifacts(vec![key_arn])
    } else {
        outcome
    })
}

/// Create the trail's key, tagged with the execution, name it, turn its rotation on.
async fn create_trail_key(
    input: &BotInput,
    kms: &aws_sdk_kms::Client,
    trail: &str,
    alias: &str,
    account: &str,
    region: &str,
) -> Result<String, BotError> {
    let doing = format!("creating KMS key {alias}");
    let key = kms
        .create_key()
        .description(format!("Log files of CloudTrail trail {trail}"))
        .policy(trail_key_policy(account, region).to_string())
        .tags(
            aws_sdk_kms::types::Tag::builder()
                .tag_key("cloudbots:execution")
                .tag_value(&input.execution)
                .build()
                .map_err(|e| BotError::new(ErrorName::Internal, e.to_string()))?,
        )
        .send()
        .await
        .map_err(|e| bot_error(&doing, e))?
        .key_metadata
        .ok_or_else(|| BotError::new(ErrorName::Internal, format!("{doing}: no key returned")))?;
    let arn = key.arn().unwrap_or_default().to_string();
    kms.create_alias()
        .alias_name(alias)
        .target_key_id(key.key_id())
        .send()
        .await
        .map_err(|e| bot_error(&format!("naming KMS key {arn} {alias}"), e))?;
    kms.enable_key_rotation()
        .key_id(key.key_id())
        .send()
        .await
        .map_err(|e| bot_error(&format!("turning on the rotation of KMS key {arn}"), e))?;
    Ok(arn)
}

// ---- cloudtrail_send_to_cloudwatch ----

/// The role CloudTrail assumes to deliver into CloudWatch Logs (the original's name).
pub const DELIVERY_ROLE: &str = "CloudTrail_CloudWatchLogs_Role";

/// Its inline policy: the log groups it may deliver into (the original's name).
pub const DELIVERY_POLICY: &str = "CloudWatchLogsAllowDelivery";

async fn send_to_cloudwatch(input: &BotInput, aws: &SdkConfig) -> Result<BotOutcome, BotError> {
    let CloudtrailSendToCloudwatchParams { log_group } =
        params::<CloudtrailSendToCloudwatchParams>(input)?;
    let (cloudtrail, trail) = match finding_trail(input, aws).await? {
        Ok(found) => found,
        Err(gone) => return Ok(gone),
    };
    let name = trail.name().unwrap_or_default();
    if let Some(current) = unless_empty(trail.cloud_watch_logs_log_group_arn()) {
        return Ok(BotOutcome::compliant(
            input,
            format!("Trail {name} already sends its events to CloudWatch Logs ({current})"),
        ));
    }
    let account = input.target.account_id.as_str();
    let region = home(input, &trail).to_string();
    let partition = partition(&region);
    let group_arn = format!("arn:{partition}:logs:{region}:{account}:log-group:{log_group}");
    let logs = aws_sdk_cloudwatchlogs::Client::new(&in_region(aws, &region));
    let iam = aws_sdk_iam::Client::new(aws);

    let group_exists = logs
        .describe_log_groups()
        .log_group_name_prefix(&log_group)
        .send()
        .await
        .map_err(|e| bot_error(&format!("looking up log group {log_group}"), e))?
        .log_groups()
        .iter()
        .any(|group| group.log_group_name() == Some(log_group.as_str()));
    let role = none_if_code(
        "NoSuchEntity",
        &format!("reading role {DELIVERY_ROLE}"),
        iam.get_role().role_name(DELIVERY_ROLE).send().await,
    )?
    .and_then(|out| out.role);
    let mut policy = match role {
        Some(_) => none_if_code(
            "NoSuchEntity",
            &format!("reading policy {DELIVERY_POLICY} of role {DELIVERY_ROLE}"),
            iam.get_role_policy()
                .role_name(DELIVERY_ROLE)
                .policy_name(DELIVERY_POLICY)
                .send()
                .await,
        )?
        .map(|out| decode_policy(&out.policy_document))
        .transpose()?
        .unwrap_or_else(|| json!({"Version": "2012-10-17", "Statement": []})),
        None => json!({"Version": "2012-10-17", "Statement": []}),
    };
    let streams = format!("{group_arn}:log-stream:*");
    let grant = !delivery_allowed(&policy, &streams);

    let mut changes = Vec::new();
    if !group_exists {
        changes.push(format!("create log group {log_group} in {region}"));
    }
    if role.is_none() {
        changes.push(format!(
            "create role {DELIVERY_ROLE}, which CloudTrail may assume"
        ));
    }
    if grant {
        changes.push(format!(
            "let role {DELIVERY_ROLE} write log streams of log group {log_group} (its policy {DELIVERY_POLICY})"
        ));
    }
    changes.push(format!(
        "send the events of trail {name} to log group {log_group} through role {DELIVERY_ROLE}"
    ));
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!("Would send the events of trail {name} to CloudWatch Logs"),
            changes,
        ));
    }

    if !group_exists {
        match logs
            .create_log_group()
            .log_group_name(&log_group)
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) if code(&e) == Some("ResourceAlreadyExistsException") => {}
            Err(e) => return Err(bot_error(&format!("creating log group {log_group}"), e)),
        }
    }
    let role_arn = match role {
        Some(role) => role.arn,
        None => create_delivery_role(&iam, account, &region).await?,
    };
    if grant {
        add_delivery_grant(&mut policy, &streams);
        iam.put_role_policy()
            .role_name(DELIVERY_ROLE)
            .policy_name(DELIVERY_POLICY)
            .policy_document(policy.to_string())
            .send()
            .await
            .map_err(|e| {
                bot_error(
                    &format!("writing policy {DELIVERY_POLICY} of role {DELIVERY_ROLE}"),
                    e,
                )
            })?;
    }
    let delivery = LogsDelivery {
        log_group_arn: format!("{group_arn}:*"),
        role_arn,
    };
    change_trail(
        input,
        &cloudtrail,
        trail.trail_arn().unwrap_or(name),
        (
            vec![TrailSetting::CloudWatchLogs { delivery: None }],
            vec![TrailSetting::CloudWatchLogs {
                delivery: Some(delivery),
            }],
        ),
        format!("Trail {name} now sends its events to log group {log_group}"),
        changes,
    )
    .await
}

/// An IAM policy document as IAM returns it (URL-encoded JSON).
fn decode_policy(document: &str) -> Result<Value, BotError> {
    let text = cloudbots_shared::policy::decode_policy_document(document);
    serde_json::from_str(&text).map_err(|e| {
        BotError::new(
            ErrorName::Internal,
            format!("policy {DELIVERY_POLICY} of role {DELIVERY_ROLE} is not JSON: {e}"),
        )
    })
}

/// Whether the policy lets the role create streams in and write events to `streams`.
fn delivery_allowed(policy: &Value, streams: &str) -> bool {
    cloudbots_shared::policy::statements(policy)
        .iter()
        .any(|statement| {
            statement.get("Effect").and_then(Value::as_str) == Some("Allow")
                && cloudbots_shared::policy::strings(statement.get("Resource")).contains(&streams)
        })
}

/// Add `streams` to the policy's delivery statement (created on the first grant).
fn add_delivery_grant(policy: &mut Value, streams: &str) {
    let mut statements: Vec<Value> = cloudbots_shared::policy::statements(policy)
        .into_iter()
        .cloned()
        .collect();
    match statements
        .iter_mut()
        .find(|s| s.get("Sid").and_then(Value::as_str) == Some("CloudTrailDelivery"))
    {
        Some(statement) => {
            let mut resources: Vec<Value> =
                cloudbots_shared::policy::strings(statement.get("Resource"))
                    .into_iter()
                    .map(|r| json!(r))
                    .collect();
            resources.push(json!(streams));
            statement["Resource"] = Value::Array(resources);
        }
        None => statements.push(json!({
            "Sid": "CloudTrailDelivery",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [streams]
        })),
    }
    policy["Statement"] = Value::Array(statements);
}

async fn create_delivery_role(
    iam: &aws_sdk_iam::Client,
    account: &str,
    region: &str,
) -> Result<String, BotError> {
    let trust = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": account}}
        }]
    });
    let created = iam
        .create_role()
        .role_name(DELIVERY_ROLE)
        .description("Lets CloudTrail deliver trail events into CloudWatch Logs")
        .assume_role_policy_document(trust.to_string())
        .send()
        .await;
    match created {
        Ok(out) => Ok(out.role.map(|role| role.arn).unwrap_or_default()),
        // Created meanwhile by another run.
        Err(e) if code(&e) == Some("EntityAlreadyExists") => Ok(format!(
            "arn:{}:iam::{account}:role/{DELIVERY_ROLE}",
            partition(region)
        )),
        Err(e) => Err(bot_error(&format!("creating role {DELIVERY_ROLE}"), e)),
    }
}
