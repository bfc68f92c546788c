//! `network_firewall_enable_logging`: a Network Firewall sends its flow or alert logs to an S3
//! bucket, a CloudWatch Logs group or a Kinesis Data Firehose stream.
//!
//! The firewall's logging configuration is read first: the same log type already going to the
//! same place is already compliant, and the configuration of the other log type is kept. With
//! `create`, the account's bucket (all public access blocked, with the log delivery service's
//! statements) or log group for the log type is found or created.

use aws_config::SdkConfig;
use aws_sdk_networkfirewall::types::{
    LogDestinationConfig, LogDestinationType, LogType, LoggingConfiguration,
};
use cloudbots_runtime::aws_error::{bot_error, code};
use cloudbots_runtime::bot::{entity_id, make_changes, params, Bot};
use cloudbots_runtime::exclusion::{tag_in_listing, TagReader};
use cloudbots_runtime::s3_bucket::{self, LogBucket};
use cloudbots_shared::catalogue::TagSource;
use cloudbots_shared::error::BotError;
use cloudbots_shared::outcome::{BotInput, BotOutcome};
use cloudbots_shared::params::{
    FirewallLogDestinationType, FirewallLogType, NetworkFirewallLoggingParams,
};
use cloudbots_shared::region::partition;
use serde_json::{json, Value};
use std::collections::HashMap;

/// The bots of this module.
pub const BOTS: &[Bot] = &[ENABLE_LOGGING];

pub const ENABLE_LOGGING: Bot = Bot {
    name: "network_firewall_enable_logging",
    tags: FIREWALL_TAGS,
    run: |input, aws| Box::pin(enable_logging(input, aws)),
};

/// Network firewalls, by ARN (their tags come with DescribeFirewall).
pub const FIREWALL_TAGS: TagReader =
    TagReader::new(&[TagSource::NetworkFirewall], |aws, _, arn, key| {
        Box::pin(read_firewall_tag(aws, arn, key))
    });

/// The error code Network Firewall gives for a firewall that does not exist.
const NOT_FOUND: &str = "ResourceNotFoundException";

/// The service that delivers vended logs into S3 buckets.
const LOG_DELIVERY_SERVICE: &str = "delivery.logs.amazonaws.com";

async fn read_firewall_tag(
    aws: &SdkConfig,
    arn: &str,
    key: &str,
) -> Result<Option<String>, BotError> {
    let described = aws_sdk_networkfirewall::Client::new(aws)
        .describe_firewall()
        .firewall_arn(arn)
        .send()
        .await;
    tag_in_listing(described, &[NOT_FOUND], arn, key, |out| {
        let tags = out
            .firewall
            .map(|f| f.tags.unwrap_or_default())
            .unwrap_or_default();
        tags.into_iter().map(|t| (t.key, t.value))
    })
}

fn log_type(wanted: FirewallLogType) -> LogType {
    match wanted {
        FirewallLogType::Flow => LogType::Flow,
        FirewallLogType::Alert => LogType::Alert,
    }
}

fn destination_type(wanted: FirewallLogDestinationType) -> LogDestinationType {
    match wanted {
        FirewallLogDestinationType::S3 => LogDestinationType::S3,
        FirewallLogDestinationType::CloudWatchLogs => LogDestinationType::CloudwatchLogs,
        FirewallLogDestinationType::KinesisDataFirehose => LogDestinationType::KinesisDataFirehose,
    }
}

/// The account's bucket or log group for a log type, as the original named them.
fn created_destination(kind: &str, log_type: &LogType, account: &str, region: &str) -> String {
    format!(
        "{account}-{kind}-network-firewall-{}-logs-{region}",
        log_type.as_str().to_ascii_lowercase()
    )
}

/// The `LogDestination` map Network Firewall takes for a destination.
/// Whether the log group named `group` exists (the prefix search lists longer names too).
async fn log_group_exists(aws: &SdkConfig, group: &str) -> Result<bool, BotError> {
    let out = aws_sdk_cloudwatchlogs::Client::new(aws)
        .describe_log_groups()
        .log_group_name_prefix(group)
        .send()
        .await
        .map_err(|e| bot_error(&format!("reading log group {group}"), e))?;
    Ok(out
        .log_groups()
        .iter()
        .any(|g| g.log_group_name() == Some(group)))
}

fn destination_map(kind: &LogDestinationType, destination: &str) -> HashMap<String, String> {
    let entry = |key: &str, value: &str| (key.to_string(), value.to_string());
    match kind {
        LogDestinationType::S3 => match destination.split_once('/') {
            Some((bucket, prefix)) if !prefix.is_empty() => {
                [entry("bucketName", bucket), entry("prefix", prefix)].into()
            }
            _ => [entry("bucketName", destination.trim_end_matches('/'))].into(),
        },
        LogDestinationType::CloudwatchLogs => [entry("logGroup", destination)].into(),
        _ => [entry("deliveryStream", destination)].into(),
    }
}

/// The statements that let the log delivery service write the account's logs into the bucket.
fn delivery_statements(bucket: &str, account: &str, region: &str) -> Vec<Value> {
    let arn = format!("arn:{}:s3:::{bucket}", partition(region));
    let condition = json!({"StringEquals": {"aws:SourceAccount": account}});
    vec![
        json!({
            "Sid": "AWSLogDeliveryWrite",
            "Effect": "Allow",
            "Principal": {"Service": LOG_DELIVERY_SERVICE},
            "Action": "s3:PutObject",
            "Resource": format!("{arn}/AWSLogs/{account}/*"),
            "Condition": {"StringEquals": {"aws:SourceAccount": account, "s3:x-amz-acl": "bucket-owner-full-control"}},
        }),
        json!({
            "Sid": "AWSLogDeliveryAclCheck",
            "Effect": "Allow",
            "Principal": {"Service": LOG_DELIVERY_SERVICE},
            "Action": "s3:GetBucketAcl",
            "Resource": arn,
            "Condition": condition,
        }),
    ]
}

fn describe_config(config: &LogDestinationConfig) -> String {
    let mut parts: Vec<String> = config
        .log_destination()
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    parts.sort();
    format!(
        "{} logs to {} {}",
        config.log_type().as_str(),
        config.log_destination_type().as_str(),
        parts.join(",")
    )
}

async fn enable_logging(input: &BotInput, aws: &SdkConfig) -> Result<BotOutcome, BotError> {
    let wanted: NetworkFirewallLoggingParams = params(input)?;
    let arn = entity_id(input)?;
    let (account, region) = (
        input.target.account_id.as_str(),
        input.target.region.as_str(),
    );
    let firewall = arn.rsplit('/').next().unwrap_or(arn);
    let nfw = aws_sdk_networkfirewall::Client::new(aws);
    let read = nfw
        .describe_logging_configuration()
        .firewall_arn(arn)
        .send()
        .await;
    let current: Vec<LogDestinationConfig> = match read {
        Ok(out) => out
            .logging_configuration
            .map(|c| c.log_destination_configs)
            .unwrap_or_default(),
        Err(e) if code(&e) == Some(NOT_FOUND) => {
            return Ok(BotOutcome::gone(
                input,
                &format!("Firewall {firewall}"),
                "nothing to do",
            ))
        }
        Err(e) => {
            return Err(bot_error(
                &format!("reading the logging of firewall {firewall}"),
                e,
            ))
        }
    };
    let log_type = log_type(wanted.log_type);
    let kind = destination_type(wanted.destination_type);

    // The destination, and what making it ready changes.
    let mut changes = Vec::new();
    let s3 = aws_sdk_s3::Client::new(aws);
    let (destination, bucket) = match (&wanted.destination, &kind) {
        (Some(named), _) => (named.clone(), None),
        (None, LogDestinationType::S3) => {
            let bucket = LogBucket::plan(
                &s3,
                None,
                created_destination("s3", &log_type, account, region),
                account,
                |bucket| delivery_statements(bucket, account, region),
                s3_bucket::same_sid,
            )
            .await?;
            changes.extend(bucket.changes(
                region,
                &format!("the log delivery service may put account {account}'s logs"),
            ));
            (bucket.name.clone(), Some(bucket))
        }
        (None, _) => {
            let group = created_destination("cloudwatch", &log_type, account, region);
            if !log_group_exists(aws, &group).await? {
                changes.push(format!("create log group {group}"));
            }
            (group, None)
        }
    };
    let config = LogDestinationConfig::builder()
        .log_type(log_type.clone())
        .log_destination_type(kind.clone())
        .set_log_destination(Some(destination_map(&kind, &destination)))
        .build()
        .map_err(|e| BotError::invalid_input(format!("logging configuration: {e}")))?;
    let same_type = current.iter().find(|c| *c.log_type() == log_type);
    if same_type == Some(&config) {
        return Ok(BotOutcome::compliant(
            input,
            format!(
                "Firewall {firewall} already sends {}",
                describe_config(&config)
            ),
        ));
    }
    let others: Vec<LogDestinationConfig> = current
        .iter()
        .filter(|c| *c.log_type() != log_type)
        .cloned()
        .collect();
    // Network Firewall changes one destination per call, and not its type in place: a
    // destination of another type for this log type is removed first.
    let mut steps: Vec<Vec<LogDestinationConfig>> = Vec::new();
    if let Some(old) = same_type {
        changes.push(format!(
            "stop sending {} from firewall {firewall}",
            describe_config(old)
        ));
        if old.log_destination_type() != &kind {
            steps.push(others.clone());
        }
    }
    let mut last = others;
    last.push(config.clone());
    steps.push(last);
    changes.push(format!(
        "send {} from firewall {firewall}",
        describe_config(&config)
    ));
    let kept = match current.iter().any(|c| *c.log_type() != log_type) {
        true => "; the other log type's destination is kept",
        false => "",
    };
    let apply = async {
        if let Some(bucket) = bucket {
            bucket.apply(&s3, region).await?;
        }
        if wanted.destination.is_none() && kind == LogDestinationType::CloudwatchLogs {
            let created = aws_sdk_cloudwatchlogs::Client::new(aws)
                .create_log_group()
                .log_group_name(&destination)
                .send()
                .await;
            match created {
                Ok(_) => {}
                Err(e) if code(&e) == Some("ResourceAlreadyExistsException") => {}
                Err(e) => return Err(bot_error(&format!("creating log group {destination}"), e)),
            }
        }
        for configs in steps {
            nfw.update_logging_configuration()
                .firewall_arn(arn)
                .logging_configuration(
                    LoggingConfiguration::builder()
                        .set_log_destination_configs(Some(configs))
                        .build()
                        .map_err(|e| {
                            BotError::invalid_input(format!("logging configuration: {e}"))
                        })?,
                )
                .send()
                .await
                .map_err(|e| {
                    bot_error(&format!("changing the logging of firewall {firewall}"), e)
                })?;
        }
        Ok(())
    };
    make_changes(
        input,
        changes,
        format!(
            "Would turn on the {} logs of firewall {firewall}",
            log_type.as_str()
        ),
        apply,
        format!(
            "Firewall {firewall} now sends {}{kept}",
            describe_config(&config)
        ),
    )
    .await
}
