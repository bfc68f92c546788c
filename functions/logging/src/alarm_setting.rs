//! What `cloudwatch_create_metric_filter` puts on a trail's log group, described once for its
//! verify after change and for `restore_metric_alarms`, its undo: each metric filter on the
//! log group and each alarm on a filter's metric, by name.
//!
//! A filter or alarm the bot created is deleted by undo when it still is as the bot left it;
//! one whose definition the bot replaced gets that definition back. The alarm topic and its
//! subscription stay: other alarms may notify through them, and a confirmed address would
//! have to confirm again.
//!
//! The alarms client is a parameter of [`restore_metric_alarms_with`], as it is of the bot:
//! CloudWatch's SDK speaks the RPCv2 CBOR protocol, which the local stack does not.

use aws_config::SdkConfig;
use aws_sdk_cloudwatch::types::{
    ComparisonOperator, Dimension, MetricAlarm, StandardUnit, Statistic,
};
use aws_sdk_cloudwatchlogs::types::{MetricFilter, MetricTransformation};
use cloudbots_runtime::aws_error::bot_error;
use cloudbots_runtime::restorer::Restorer;
use cloudbots_runtime::session::in_region;
use cloudbots_runtime::setting::{restore_settings, Setting};
use cloudbots_shared::error::{BotError, ErrorName};
use cloudbots_shared::restore::{RestoreInput, RestoreOutcome};
use serde::{Deserialize, Serialize};

pub const RESTORE_METRIC_ALARMS: Restorer = Restorer {
    name: "restore_metric_alarms",
    run: |input, aws| {
        Box::pin(restore_metric_alarms_with(
            input,
            aws,
            aws_sdk_cloudwatch::Client::new,
        ))
    },
};

/// The clients a log group's metric filters and their alarms are read and written with.
pub struct AlarmClients {
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub cloudwatch: aws_sdk_cloudwatch::Client,
}

/// What a metric filter counts into one metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    pub namespace: String,
    pub name: String,
    pub value: String,
    pub default_value: Option<f64>,
}

/// A metric filter: its pattern and the metrics it counts into.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FilterDefinition {
    pub pattern: String,
    pub metrics: Vec<Metric>,
}

/// An alarm on a metric: everything PutMetricAlarm sets for a metric of the log filters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlarmDefinition {
    pub description: Option<String>,
    pub namespace: Option<String>,
    pub metric_name: Option<String>,
    pub dimensions: Vec<(String, String)>,
    pub statistic: Option<String>,
    pub unit: Option<String>,
    pub period: Option<i32>,
    pub evaluation_periods: Option<i32>,
    pub datapoints_to_alarm: Option<i32>,
    pub threshold: Option<f64>,
    pub comparison_operator: Option<String>,
    pub treat_missing_data: Option<String>,
    pub actions_enabled: Option<bool>,
    pub alarm_actions: Vec<String>,
    pub ok_actions: Vec<String>,
    pub insufficient_data_actions: Vec<String>,
}

/// A metric filter of the log group, or an alarm, by name, as found and as left.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "setting", rename_all = "snake_case")]
pub enum AlarmSetting {
    /// The log group's metric filter `name`; none when it has none of that name.
    MetricFilter {
        name: String,
        filter: Option<FilterDefinition>,
    },
    /// The alarm `name` (of the region); none when there is none.
    Alarm {
        name: String,
        alarm: Option<Box<AlarmDefinition>>,
    },
}

/// The log group and region of a log group ARN
/// (`arn:aws:logs:<region>:<account>:log-group:<name>[:*]`).
pub fn log_group_of(arn: &str) -> Option<(&str, &str)> {
    let (head, rest) = arn.split_once(":log-group:")?;
    let region = head.split(':').nth(3).filter(|r| !r.is_empty())?;
    let group = Some(rest.strip_suffix(":*").unwrap_or(rest)).filter(|g| !g.is_empty())?;
    Some((group, region))
}

/// How people name the log group of an ARN.
pub fn log_group_label(arn: &str) -> String {
    format!(
        "log group {}",
        log_group_of(arn).map_or(arn, |(group, _)| group)
    )
}

fn group_name(arn: &str) -> Result<&str, BotError> {
    log_group_of(arn)
        .map(|(group, _)| group)
        .ok_or_else(|| BotError::invalid_input(format!("{arn} is not a log group ARN")))
}

fn filter_of(filter: &MetricFilter) -> FilterDefinition {
    FilterDefinition {
        pattern: filter.filter_pattern().unwrap_or_default().to_string(),
        metrics: filter
            .metric_transformations()
            .iter()
            .map(|t| Metric {
                namespace: t.metric_namespace().to_string(),
                name: t.metric_name().to_string(),
                value: t.metric_value().to_string(),
                default_value: t.default_value(),
            })
            .collect(),
    }
}

fn alarm_of(alarm: &MetricAlarm) -> AlarmDefinition {
    let strings = |values: &[String]| values.to_vec();
    AlarmDefinition {
        description: alarm.alarm_description().map(str::to_string),
        namespace: alarm.namespace().map(str::to_string),
        metric_name: alarm.metric_name().map(str::to_string),
        dimensions: alarm
            .dimensions()
            .iter()
            .map(|d| {
                let part = |part: Option<&str>| part.unwrap_or_default().to_string();
                (part(d.name()), part(d.value()))
            })
            .collect(),
        statistic: alarm.statistic().map(|s| s.as_str().to_string()),
        unit: alarm.unit().map(|u| u.as_str().to_string()),
        period: alarm.period(),
        evaluation_periods: alarm.evaluation_periods(),
        datapoints_to_alarm: alarm.datapoints_to_alarm(),
        threshold: alarm.threshold(),
        comparison_operator: alarm.comparison_operator().map(|c| c.as_str().to_string()),
        treat_missing_data: alarm.treat_missing_data().map(str::to_string),
        actions_enabled: alarm.actions_enabled(),
        alarm_actions: strings(alarm.alarm_actions()),
        ok_actions: strings(alarm.ok_actions()),
        insufficient_data_actions: strings(alarm.insufficient_data_actions()),
    }
}

fn filter_words(name: &str, filter: &FilterDefinition) -> String {
    let metrics: Vec<String> = filter
        .metrics
        .iter()
        .map(|m| format!("{}/{} += {}", m.namespace, m.name, m.value))
        .collect();
    format!(
        "{name} with pattern '{}' counting {}",
        filter.pattern,
        metrics.join(", ")
    )
}

fn alarm_words(name: &str, alarm: &AlarmDefinition) -> String {
    let or_unset = |value: &Option<String>| value.clone().unwrap_or_else(|| "-".to_string());
    format!(
        "'{name}' on {}/{}: {} over {}s {} {} in {} period(s) notifying [{}]",
        or_unset(&alarm.namespace),
        or_unset(&alarm.metric_name),
        or_unset(&alarm.statistic),
        alarm.period.unwrap_or_default(),
        or_unset(&alarm.comparison_operator),
        alarm.threshold.unwrap_or_default(),
        alarm.evaluation_periods.unwrap_or_default(),
        alarm.alarm_actions.join(", ")
    )
}

impl Setting for AlarmSetting {
    type Client = AlarmClients;

    fn name(&self) -> &'static str {
        match self {
            AlarmSetting::MetricFilter { .. } => "metric filter",
            AlarmSetting::Alarm { .. } => "alarm",
        }
    }

    fn words(&self) -> String {
        match self {
            AlarmSetting::MetricFilter { name, filter: None } => format!("{name} absent"),
            AlarmSetting::MetricFilter {
                name,
                filter: Some(filter),
            } => filter_words(name, filter),
            AlarmSetting::Alarm { name, alarm: None } => format!("'{name}' absent"),
            AlarmSetting::Alarm {
                name,
                alarm: Some(alarm),
            } => alarm_words(name, alarm),
        }
    }

    async fn read(&self, clients: &AlarmClients, group_arn: &str) -> Result<Self, BotError> {
        match self {
            AlarmSetting::MetricFilter { name, .. } => {
                let group = group_name(group_arn)?;
                let found = clients
                    .logs
                    .describe_metric_filters()
                    .log_group_name(group)
                    .filter_name_prefix(name)
                    .send()
                    .await
                    .map_err(|e| {
                        bot_error(
                            &format!("reading the metric filters of log group {group}"),
                            e,
                        )
                    })?;
                Ok(AlarmSetting::MetricFilter {
                    name: name.clone(),
                    filter: found
                        .metric_filters()
                        .iter()
                        .find(|f| f.filter_name() == Some(name.as_str()))
                        .map(filter_of),
                })
            }
            AlarmSetting::Alarm { name, .. } => {
                let found = clients
                    .cloudwatch
                    .describe_alarms()
                    .alarm_names(name)
                    .send()
                    .await
                    .map_err(|e| bot_error(&format!("reading alarm '{name}'"), e))?;
                Ok(AlarmSetting::Alarm {
                    name: name.clone(),
                    alarm: found
                        .metric_alarms()
                        .iter()
                        .find(|a| a.alarm_name() == Some(name.as_str()))
                        .map(|alarm| Box::new(alarm_of(alarm))),
                })
            }
        }
    }

    async fn write(&self, clients: &AlarmClients, group_arn: &str) -> Result<(), BotError> {
        let group = group_name(group_arn)?;
        match self {
            AlarmSetting::MetricFilter {
                name,
                filter: Some(filter),
            } => put_filter(&clients.logs, group, name, filter).await,
            AlarmSetting::MetricFilter { name, filter: None } => clients
                .logs
                .delete_metric_filter()
                .log_group_name(group)
                .filter_name(name)
                .send()
                .await
                .map(drop)
                .map_err(|e| {
                    bot_error(
                        &format!("deleting metric filter {name} of log group {group}"),
                        e,
                    )
                }),
            AlarmSetting::Alarm {
                name,
                alarm: Some(alarm),
            } => put_alarm(&clients.cloudwatch, name, alarm).await,
            AlarmSetting::Alarm { name, alarm: None } => clients
                .cloudwatch
                .delete_alarms()
                .alarm_names(name)
                .send()
                .await
                .map(drop)
                .map_err(|e| bot_error(&format!("deleting alarm '{name}'"), e)),
        }
    }
}

async fn put_filter(
    logs: &aws_sdk_cloudwatchlogs::Client,
    group: &str,
    name: &str,
    filter: &FilterDefinition,
) -> Result<(), BotError> {
    let doing = format!("putting metric filter {name} on log group {group}");
    let mut put = logs
        .put_metric_filter()
        .log_group_name(group)
        .filter_name(name)
        .filter_pattern(&filter.pattern);
    for metric in &filter.metrics {
        let transformation = MetricTransformation::builder()
            .metric_namespace(&metric.namespace)
            .metric_name(&metric.name)
            .metric_value(&metric.value)
            .set_default_value(metric.default_value)
            .build()
            .map_err(|e| BotError::new(ErrorName::Internal, format!("{doing}: {e}")))?;
        put = put.metric_transformations(transformation);
    }
    put.send().await.map(drop).map_err(|e| bot_error(&doing, e))
}

async fn put_alarm(
    cloudwatch: &aws_sdk_cloudwatch::Client,
    name: &str,
    alarm: &AlarmDefinition,
) -> Result<(), BotError> {
    let doing = format!("putting alarm '{name}'");
    let dimensions = alarm
        .dimensions
        .iter()
        .map(|(name, value)| Dimension::builder().name(name).value(value).build())
        .collect();
    cloudwatch
        .put_metric_alarm()
        .alarm_name(name)
        .set_alarm_description(alarm.description.clone())
        .set_namespace(alarm.namespace.clone())
        .set_metric_name(alarm.metric_name.clone())
        .set_dimensions(Some(dimensions))
        .set_statistic(alarm.statistic.as_deref().map(Statistic::from))
        .set_unit(alarm.unit.as_deref().map(StandardUnit::from))
        .set_period(alarm.period)
        .set_evaluation_periods(alarm.evaluation_periods)
        .set_datapoints_to_alarm(alarm.datapoints_to_alarm)
        .set_threshold(alarm.threshold)
        .set_comparison_operator(
            alarm
                .comparison_operator
                .as_deref()
                .map(ComparisonOperator::from),
        )
        .set_treat_missing_data(alarm.treat_missing_data.clone())
        .set_actions_enabled(alarm.actions_enabled)
        .set_alarm_actions(Some(alarm.alarm_actions.clone()))
        .set_ok_actions(Some(alarm.ok_actions.clone()))
        .set_insufficient_data_actions(Some(alarm.insufficient_data_actions.clone()))
        .send()
        .await
        .map(drop)
        .map_err(|e| bot_error(&doing, e))
}

/// The restorer, with `alarms` making the CloudWatch client from the configuration of the log
/// group's region.
pub async fn restore_metric_alarms_with(
    input: &RestoreInput,
    aws: &SdkConfig,
    alarms: impl FnOnce(&SdkConfig) -> aws_sdk_cloudwatch::Client,
) -> Result<RestoreOutcome, BotError> {
    let arn = input.step.prior.resource.as_str();
    let (_, region) = log_group_of(arn).ok_or_else(|| {
        BotError::invalid_input(format!(
            "the prior state recorded by {} names {arn}, which is not a log group ARN",
            input.step.bot
        ))
    })?;
    let aws = in_region(aws, region);
    let clients = AlarmClients {
        logs: aws_sdk_cloudwatchlogs::Client::new(&aws),
        cloudwatch: alarms(&aws),
    };
    restore_settings::<AlarmSetting>(input, &clients, log_group_label).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_group_and_its_region_are_read_from_its_arn() {
        assert_eq!(
            log_group_of("arn:aws:logs:eu-west-1:111122223333:log-group:CloudTrail/Default:*"),
            Some(("CloudTrail/Default", "eu-west-1"))
        );
        assert_eq!(
            log_group_of("arn:aws:logs:us-east-1:111122223333:log-group:a:b"),
            Some(("a:b", "us-east-1"))
        );
        assert_eq!(
            log_group_of("arn:aws:logs:us-east-1:111122223333:log-group:"),
            None
        );
        assert_eq!(log_group_of("CloudTrail/DefaultLogGroup"), None);
    }
}
