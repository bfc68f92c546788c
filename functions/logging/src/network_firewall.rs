//! `network_firewall_enable_logging`: a Network Firewall sends its flow or alert logs to an S3
//! bucket, a CloudWatch Logs group or a Kinesis Data Firehose stream.
//!
//! The firewall's logging configuration is read first: the same log type already going to the
//! same place is already compliant, and the configuration of the other log type is kept. With
//! `create`, the account's bucket (all public access blocked, with the log delivery service's
//! statements) or log group for the log type is found or created.
//!
//! The bot reads the logging configuration back after changing it and records the whole
//! configuration it replaced, so `restore_firewall_logging` can put it back; a bucket or log
//! group it created stays, with the logs delivered into it.

use aws_config::SdkConfig;
use aws_sdk_networkfirewall::types::{
    LogDestinationConfig, LogDestinationType, LogType, LoggingConfiguration,
};
use cloudbots_runtime::aws_error::{bot_error, code, none_if_code};
use cloudbots_runtime::bot::{dry_run, entity_id, params, Bot};
use cloudbots_runtime::exclusion::{tag_in_listing, TagReader};
use cloudbots_runtime::restorer::Restorer;
use cloudbots_runtime::s3_bucket::{self, LogBucket};
use cloudbots_runtime::setting::{self, restore_settings, Resource, Setting};
use cloudbots_shared::catalogue::TagSource;
use cloudbots_shared::error::BotError;
use cloudbots_shared::outcome::{BotInput, BotOutcome};
use cloudbots_shared::params::{
    FirewallLogDestinationType, FirewallLogType, NetworkFirewallLoggingParams,
};
use cloudbots_shared::region::partition;
use cloudbots_shared::restore::{RestoreInput, RestoreOutcome};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};

/// The bots of this module.
pub const BOTS: &[Bot] = &[ENABLE_LOGGING];

pub const ENABLE_LOGGING: Bot = Bot {
    name: "network_firewall_enable_logging",
    tags: FIREWALL_TAGS,
    run: |input, aws| Box::pin(enable_logging(input, aws)),
};

pub const RESTORE_FIREWALL_LOGGING: Restorer = Restorer {
    name: "restore_firewall_logging",
    run: |input, aws| Box::pin(restore_logging(input, aws)),
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

/// The `LogDestination` map Network Firewall takes for a destination.
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

/// One log destination of a firewall: a log type, and where it goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogDestination {
    /// `FLOW`, `ALERT` or `TLS`.
    pub log_type: String,
    /// `S3`, `CloudWatchLogs` or `KinesisDataFirehose`.
    pub destination_type: String,
    /// `bucketName`/`prefix`, `logGroup` or `deliveryStream`.
    pub destination: BTreeMap<String, String>,
}

impl LogDestination {
    fn of(config: &LogDestinationConfig) -> LogDestination {
        LogDestination {
            log_type: config.log_type().as_str().to_string(),
            destination_type: config.log_destination_type().as_str().to_string(),
            destination: config
                .log_destination()
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    }

    fn config(&self) -> Result<LogDestinationConfig, BotError> {
        LogDestinationConfig::builder()
            .log_type(LogType::from(self.log_type.as_str()))
            .log_destination_type(LogDestinationType::from(self.destination_type.as_str()))
            .set_log_destination(Some(self.destination.clone().into_iter().collect()))
            .build()
            .map_err(|e| BotError::invalid_input(format!("logging configuration: {e}")))
    }

    /// `FLOW logs to S3 bucketName=b,prefix=p`.
    fn words(&self) -> String {
        let destination: Vec<String> = self
            .destination
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        format!(
            "{} logs to {} {}",
            self.log_type,
            self.destination_type,
            destination.join(",")
        )
    }
}

/// The logging configuration of a firewall: its log destinations, by log type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirewallLogging {
    pub destinations: Vec<LogDestination>,
}

impl FirewallLogging {
    fn of(configs: &[LogDestinationConfig]) -> FirewallLogging {
        let mut destinations: Vec<LogDestination> =
            configs.iter().map(LogDestination::of).collect();
        destinations.sort_by(|a, b| a.log_type.cmp(&b.log_type));
        FirewallLogging { destinations }
    }
}

/// How people name the firewall of an ARN.
fn firewall_label(arn: &str) -> String {
    format!("firewall {}", arn.rsplit('/').next().unwrap_or(arn))
}

/// The firewall's log destinations; none when it does not exist.
async fn read_logging(
    nfw: &aws_sdk_networkfirewall::Client,
    arn: &str,
) -> Result<Option<Vec<LogDestinationConfig>>, BotError> {
    let read = nfw
        .describe_logging_configuration()
        .firewall_arn(arn)
        .send()
        .await;
    let doing = format!("reading the logging of {}", firewall_label(arn));
    Ok(none_if_code(NOT_FOUND, &doing, read)?.map(|out| {
        out.logging_configuration
            .map(|c| c.log_destination_configs)
            .unwrap_or_default()
    }))
}

impl Setting for FirewallLogging {
    type Client = aws_sdk_networkfirewall::Client;

    fn name(&self) -> &'static str {
        "logging"
    }

    fn words(&self) -> String {
        match self.destinations.is_empty() {
            true => "none".to_string(),
            false => self
                .destinations
                .iter()
                .map(LogDestination::words)
                .collect::<Vec<_>>()
                .join("; "),
        }
    }

    async fn read(
        &self,
        nfw: &aws_sdk_networkfirewall::Client,
        arn: &str,
    ) -> Result<Self, BotError> {
        read_logging(nfw, arn)
            .await?
            .map(|configs| FirewallLogging::of(&configs))
            .ok_or_else(|| {
                BotError::not_found(format!("{} does not exist (any more)", firewall_label(arn)))
            })
    }

    /// Network Firewall changes one destination per call, and not its type in place: the
    /// destinations of another type than wanted (or no longer wanted) are removed first, one
    /// by one, then each wanted one is changed in place or added.
    async fn write(
        &self,
        nfw: &aws_sdk_networkfirewall::Client,
        arn: &str,
    ) -> Result<(), BotError> {
        let mut now = self.read(nfw, arn).await?.destinations;
        let mut steps: Vec<Vec<LogDestination>> = Vec::new();
        for old in now.clone() {
            let kept = self
                .destinations
                .iter()
                .any(|d| d.log_type == old.log_type && d.destination_type == old.destination_type);
            if !kept {
                now.retain(|d| *d != old);
                steps.push(now.clone());
            }
        }
        for wanted in &self.destinations {
            match now.iter().position(|d| d.log_type == wanted.log_type) {
                Some(i) if now[i] == *wanted => continue,
                Some(i) => now[i] = wanted.clone(),
                None => now.push(wanted.clone()),
            }
            steps.push(now.clone());
        }
        for destinations in steps {
            let configs = destinations
                .iter()
                .map(LogDestination::config)
                .collect::<Result<Vec<_>, _>>()?;
            let configuration = LoggingConfiguration::builder()
                .set_log_destination_configs(Some(configs))
                .build()
                .map_err(|e| BotError::invalid_input(format!("logging configuration: {e}")))?;
            nfw.update_logging_configuration()
                .firewall_arn(arn)
                .logging_configuration(configuration)
                .send()
                .await
                .map_err(|e| {
                    bot_error(
                        &format!("changing the logging of {}", firewall_label(arn)),
                        e,
                    )
                })?;
        }
        Ok(())
    }
}

async fn restore_logging(
    input: &RestoreInput,
    aws: &SdkConfig,
) -> Result<RestoreOutcome, BotError> {
    restore_settings::<FirewallLogging>(
        input,
        &aws_sdk_networkfirewall::Client::new(aws),
        firewall_label,
    )
    .await
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
    let Some(current) = read_logging(&nfw, arn).await? else {
        return Ok(BotOutcome::gone(
            input,
            &format!("Firewall {firewall}"),
            "nothing to do",
        ));
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
                LogDestination::of(&config).words()
            ),
        ));
    }
    if let Some(old) = same_type {
        changes.push(format!(
            "stop sending {} from firewall {firewall}",
            LogDestination::of(old).words()
        ));
    }
    changes.push(format!(
        "send {} from firewall {firewall}",
        LogDestination::of(&config).words()
    ));
    let before = FirewallLogging::of(&current);
    let mut after = current.clone();
    after.retain(|c| *c.log_type() != log_type);
    after.push(config.clone());
    let after = FirewallLogging::of(&after);
    let kept = match current.iter().any(|c| *c.log_type() != log_type) {
        true => "; the other log type's destination is kept",
        false => "",
    };
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!(
                "Would turn on the {} logs of firewall {firewall}",
                log_type.as_str()
            ),
            changes,
        ));
    }
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
    let resource = Resource {
        client: &nfw,
        id: arn,
        label: firewall_label(arn),
    };
    setting::change(
        input,
        &resource,
        RESTORE_FIREWALL_LOGGING.name,
        (vec![before], vec![after]),
        format!(
            "Firewall {firewall} now sends {}{kept}",
            LogDestination::of(&config).words()
        ),
        changes,
    )
    .await
}
