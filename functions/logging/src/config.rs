//! `config_enable`: AWS Config recording every supported resource of the region, delivered to
//! a bucket.
//!
//! The region's recorder, its status and its delivery channel are read first. Config allows one
//! of each per region, so an existing recorder or channel is updated in place under its own
//! name, never duplicated; a recorder already recording everything with a channel is compliant.
//! What the bot changes (`config_setting`) is read back until it shows and recorded for
//! `restore_config_recorder`.

use crate::config_setting::{
    config_label, is_recording, recorder_of, region_channels, region_recorders, Channel,
    ConfigSetting, Recorder, RESTORE_CONFIG_RECORDER,
};
use aws_config::SdkConfig;
use cloudbots_runtime::aws_error::{bot_error, code, none_if_code};
use cloudbots_runtime::bot::{dry_run, params, Bot};
use cloudbots_runtime::exclusion::IAM_TAGS;
use cloudbots_runtime::s3_bucket::{self, LogBucket};
use cloudbots_runtime::session::in_region;
use cloudbots_runtime::setting::{self, Resource};
use cloudbots_shared::error::BotError;
use cloudbots_shared::outcome::{BotInput, BotOutcome};
use cloudbots_shared::params::ConfigEnableParams;
use cloudbots_shared::region::partition;
use serde_json::{json, Value};

/// The bots of this module.
pub const BOTS: &[Bot] = &[ENABLE];

/// The entity is the region: no resource of its own carries an opt-out tag.
pub const ENABLE: Bot = Bot {
    name: "config_enable",
    tags: IAM_TAGS,
    run: |input, aws| Box::pin(enable(input, aws)),
};

/// The names Config's recorder and channel get when the region has none (the original's).
const DEFAULT_NAME: &str = "default";

/// The role Config records with (the original's name), and the managed policy it holds.
pub const CONFIG_ROLE: &str = "AWSConfigRole";
const CONFIG_ROLE_POLICY: &str = "policy/service-role/AWS_ConfigRole";

/// The account's default Config bucket (the original's name).
fn default_bucket(account: &str) -> String {
    format!("{account}awsconfiglogs")
}

/// The statements AWS documents for a Config delivery bucket, narrowed to this account.
fn delivery_statements(bucket: &str, account: &str, region: &str) -> Vec<Value> {
    let bucket_arn = format!("arn:{}:s3:::{bucket}", partition(region));
    let from_config = |sid: &str, action: &str, resource: String| {
        json!({
            "Sid": sid,
            "Effect": "Allow",
            "Principal": {"Service": "config.amazonaws.com"},
            "Action": action,
            "Resource": resource,
            "Condition": {"StringEquals": {"aws:SourceAccount": account}}
        })
    };
    let mut delivery = from_config(
        "AWSConfigBucketDelivery",
        "s3:PutObject",
        format!("{bucket_arn}/AWSLogs/{account}/Config/*"),
    );
    delivery["Condition"]["StringEquals"]["s3:x-amz-acl"] = json!("bucket-owner-full-control");
    vec![
        from_config(
            "AWSConfigBucketPermissionsCheck",
            "s3:GetBucketAcl",
            bucket_arn.clone(),
        ),
        from_config(
            "AWSConfigBucketExistenceCheck",
            "s3:ListBucket",
            bucket_arn.clone(),
        ),
        delivery,
    ]
}

async fn enable(input: &BotInput, aws: &SdkConfig) -> Result<BotOutcome, BotError> {
    let wanted = params::<ConfigEnableParams>(input)?;
    let (account, region) = (
        input.target.account_id.as_str(),
        input.target.region.as_str(),
    );
    let config = aws_sdk_config::Client::new(aws);
    let recorder = region_recorders(&config, region).await?.into_iter().next();
    let recording = is_recording(&config, region).await?;
    let channel = region_channels(&config, region).await?.into_iter().next();

    let include_global = wanted
        .include_global_resource_types_region
        .as_deref()
        .is_none_or(|global| global == region);
    let records_everything = recorder
        .as_ref()
        .and_then(|r| r.recording_group())
        .is_some_and(|group| {
            group.all_supported() && group.include_global_resource_types() == include_global
        });
    if records_everything && recording && channel.is_some() {
        return Ok(BotOutcome::compliant(
            input,
            format!("Config already records every supported resource of {region}"),
        ));
    }

    let recorder_name = recorder
        .as_ref()
        .and_then(|r| r.name())
        .unwrap_or(DEFAULT_NAME)
        .to_string();
    let iam = aws_sdk_iam::Client::new(aws);
    // A recorder keeps its role; a new one gets the account's Config role.
    let existing_role = recorder
        .as_ref()
        .and_then(|r| r.role_arn())
        .map(str::to_string);
    let role = match &existing_role {
        Some(_) => None,
        None => Some(
            none_if_code(
                "NoSuchEntity",
                &format!("reading role {CONFIG_ROLE}"),
                iam.get_role().role_name(CONFIG_ROLE).send().await,
            )?
            .and_then(|out| out.role),
        ),
    };
    let bucket_region = wanted.bucket_region.as_deref().unwrap_or(region);
    let s3 = aws_sdk_s3::Client::new(&in_region(aws, bucket_region));
    let bucket = match &channel {
        Some(_) => None,
        None => Some(
            LogBucket::plan(
                &s3,
                wanted.bucket_name.clone(),
                default_bucket(account),
                account,
                |bucket| delivery_statements(bucket, account, region),
                s3_bucket::same_sid,
            )
            .await?,
        ),
    };

    let mut changes = Vec::new();
    if let Some(None) = role {
        changes.push(format!(
            "create role {CONFIG_ROLE}, which Config may assume, with the managed policy AWS_ConfigRole"
        ));
    }
    if !records_everything {
        let global = match include_global {
            true => "global resources included",
            false => "global resources left to the recorder of another region",
        };
        changes.push(match recorder {
            Some(_) => format!(
                "make Config recorder {recorder_name} record every supported resource of {region} ({global})"
            ),
            None => format!(
                "create Config recorder {recorder_name} recording every supported resource of {region} ({global})"
            ),
        });
    }
    if let Some(bucket) = &bucket {
        changes.extend(bucket.changes(
            bucket_region,
            &format!("Config may deliver account {account}'s configuration history"),
        ));
        changes.push(format!(
            "create Config delivery channel {DEFAULT_NAME} into bucket {} every hour",
            bucket.name
        ));
    }
    if !recording {
        changes.push(format!("start Config recorder {recorder_name}"));
    }
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!("Would enable Config in {region}"),
            changes,
        ));
    }

    let role_arn = match (existing_role, role) {
        (Some(arn), _) => arn,
        (None, Some(Some(role))) => role.arn,
        (None, _) => create_config_role(&iam, account, region).await?,
    };
    let (mut before, mut after) = (Vec::new(), Vec::new());
    if !records_everything {
        before.push(ConfigSetting::Recorder {
            recorder: recorder.as_ref().map(recorder_of),
        });
        after.push(ConfigSetting::Recorder {
            recorder: Some(Recorder {
                name: recorder_name,
                role_arn,
                all_supported: true,
                include_global_resource_types: include_global,
                resource_types: Vec::new(),
                excluded_resource_types: Vec::new(),
                strategy: Some("ALL_SUPPORTED_RESOURCE_TYPES".to_string()),
            }),
        });
    }
    let mut artifacts = Vec::new();
    if let Some(bucket) = bucket {
        let name = bucket.name.clone();
        if bucket.apply(&s3, bucket_region).await? {
            artifacts.push(name.clone());
        }
        before.push(ConfigSetting::DeliveryChannel { channel: None });
        after.push(ConfigSetting::DeliveryChannel {
            channel: Some(Channel {
                name: DEFAULT_NAME.to_string(),
                bucket: name,
                key_prefix: None,
                kms_key_arn: None,
                sns_topic_arn: None,
                delivery_frequency: Some("One_Hour".to_string()),
            }),
        });
    }
    if !recording {
        before.push(ConfigSetting::Recording { on: false });
        after.push(ConfigSetting::Recording { on: true });
    }
    let resource = Resource {
        client: &config,
        id: region,
        label: config_label(region),
    };
    let outcome = setting::change(
        input,
        &resource,
        RESTORE_CONFIG_RECORDER.name,
        (before, after),
        format!("Config now records every supported resource of {region}"),
        changes,
    )
    .await?;
    Ok(outcome.with_artifacts(artifacts))
}

async fn create_config_role(
    iam: &aws_sdk_iam::Client,
    account: &str,
    region: &str,
) -> Result<String, BotError> {
    let partition = partition(region);
    let trust = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "config.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": account}}
        }]
    });
    let arn = match iam
        .create_role()
        .role_name(CONFIG_ROLE)
        .description("Lets AWS Config record the account's resources")
        .assume_role_policy_document(trust.to_string())
        .send()
        .await
    {
        Ok(out) => out.role.map(|role| role.arn).unwrap_or_default(),
        // Created meanwhile by another run.
        Err(e) if code(&e) == Some("EntityAlreadyExists") => {
            format!("arn:{partition}:iam::{account}:role/{CONFIG_ROLE}")
        }
        Err(e) => return Err(bot_error(&format!("creating role {CONFIG_ROLE}"), e)),
    };
    iam.attach_role_policy()
        .role_name(CONFIG_ROLE)
        .policy_arn(format!("arn:{partition}:iam::aws:{CONFIG_ROLE_POLICY}"))
        .send()
        .await
        .map_err(|e| {
            bot_error(
                &format!("attaching AWS_ConfigRole to role {CONFIG_ROLE}"),
                e,
            )
        })?;
    Ok(arn)
}
