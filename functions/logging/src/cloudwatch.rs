//! `cloudwatch_create_metric_filter`: CIS alarms on a trail's events.
//!
//! For each filter the rule names: a metric filter on the log group the trail sends its events
//! to (read from the live trail, not the finding's copy), an alarm on its metric, and one alarm
//! topic per region with one e-mail subscription. Each piece is looked up first; only what is
//! missing is created, so a second run changes nothing.
//!
//! The filters and alarms are settings of the log group (`alarm_setting`): the bot verifies
//! them after the change and records what they were for `restore_metric_alarms`.
//!
//! The alarms client is a parameter of [`create_metric_filter_with`]: CloudWatch's SDK speaks
//! the RPCv2 CBOR protocol, which the local stack does not, so its tests hand in a mocked one
//! while logs and SNS run against the local stack.

use crate::alarm_setting::{
    log_group_label, log_group_of, AlarmClients, AlarmDefinition, AlarmSetting, FilterDefinition,
    Metric, RESTORE_METRIC_ALARMS,
};
use crate::cloudtrail::{finding_trail, home, TRAIL_TAGS};
use aws_config::SdkConfig;
use cloudbots_runtime::aws_error::{bot_error, code};
use cloudbots_runtime::bot::{dry_run, params, Bot};
use cloudbots_runtime::session::in_region;
use cloudbots_runtime::setting::{self, Resource, Setting};
use cloudbots_shared::error::BotError;
use cloudbots_shared::outcome::{BotInput, BotOutcome, OutcomeStatus};
use cloudbots_shared::params::{CisFilter, MetricFilterParams};
use cloudbots_shared::region::partition;

/// The bots of this module.
pub const BOTS: &[Bot] = &[CREATE_METRIC_FILTER];

pub const CREATE_METRIC_FILTER: Bot = Bot {
    name: "cloudwatch_create_metric_filter",
    tags: TRAIL_TAGS,
    run: |input, aws| {
        Box::pin(create_metric_filter_with(
            input,
            aws,
            aws_sdk_cloudwatch::Client::new,
        ))
    },
};

/// The metric namespace of the filters (the original's).
pub const NAMESPACE: &str = "CISBenchmark";

/// The alarm topic of a region (the original's name).
fn topic_name(region: &str) -> String {
    format!("CloudTrailMetricFilterAlerts{region}")
}

fn alarm_name(filter: &CisFilter) -> String {
    format!("{} Alarm", filter.name)
}

/// The bot, with `alarms` making the CloudWatch client from the configuration of the trail's
/// home region.
pub async fn create_metric_filter_with(
    input: &BotInput,
    aws: &SdkConfig,
    alarms: impl FnOnce(&SdkConfig) -> aws_sdk_cloudwatch::Client,
) -> Result<BotOutcome, BotError> {
    let wanted = params::<MetricFilterParams>(input)?;
    let (_, trail) = match finding_trail(input, aws).await? {
        Ok(found) => found,
        Err(gone) => return Ok(gone),
    };
    let name = trail.name().unwrap_or_default();
    let group_arn = trail
        .cloud_watch_logs_log_group_arn()
        .unwrap_or_default()
        .to_string();
    let Some((group, _)) = log_group_of(&group_arn) else {
        return Ok(BotOutcome::new(
            input,
            OutcomeStatus::Skipped,
            format!("Trail {name} sends no events to CloudWatch Logs: run cloudtrail_send_to_cloudwatch before this bot"),
        ));
    };
    let region = home(input, &trail).to_string();
    let aws = in_region(aws, &region);
    let clients = AlarmClients {
        logs: aws_sdk_cloudwatchlogs::Client::new(&aws),
        cloudwatch: alarms(&aws),
    };
    let sns = aws_sdk_sns::Client::new(&aws);

    let topic = topic_name(&region);
    let topic_arn = format!(
        "arn:{}:sns:{region}:{}:{topic}",
        partition(&region),
        input.target.account_id
    );
    let subscribed =
        match sns
            .list_subscriptions_by_topic()
            .topic_arn(&topic_arn)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
        {
            Ok(subscriptions) => Some(subscriptions.iter().any(|s| {
                s.protocol() == Some("email") && s.endpoint() == Some(wanted.email.as_str())
            })),
            Err(e) if code(&e) == Some("NotFound") => None,
            Err(e) => {
                return Err(bot_error(
                    &format!("listing the subscriptions of topic {topic}"),
                    e,
                ))
            }
        };

    // The filters and alarms missing, each with the definition it replaces (none, mostly).
    let mut filters = Vec::new();
    let mut alarms = Vec::new();
    for filter in wanted.cis_filters() {
        let found = AlarmSetting::MetricFilter {
            name: filter.name.to_string(),
            filter: None,
        };
        let found = found.read(&clients, &group_arn).await?;
        if !matches!(&found, AlarmSetting::MetricFilter { filter: Some(found), .. } if counts(found, filter))
        {
            filters.push((filter, found));
        }
        let found = AlarmSetting::Alarm {
            name: alarm_name(filter),
            alarm: None,
        };
        let found = found.read(&clients, &group_arn).await?;
        if !matches!(&found, AlarmSetting::Alarm { alarm: Some(found), .. } if notifies(found, filter, &topic_arn))
        {
            alarms.push((filter, found));
        }
    }
    let mut changes = Vec::new();
    if subscribed.is_none() {
        changes.push(format!("create topic {topic} for the alarms"));
    }
    for (filter, _) in &filters {
        changes.push(format!(
            "put metric filter {} on log group {group} (metric {NAMESPACE}/{})",
            filter.name, filter.name
        ));
    }
    for (filter, _) in &alarms {
        changes.push(format!(
            "put alarm '{}' on metric {NAMESPACE}/{}: at least 1 in 5 minutes notifies topic {topic}",
            alarm_name(filter),
            filter.name
        ));
    }
    if subscribed != Some(true) {
        changes.push(format!(
            "subscribe {} to topic {topic} (the address confirms it)",
            wanted.email
        ));
    }
    if changes.is_empty() {
        return Ok(BotOutcome::compliant(
            input,
            format!(
                "Log group {group} already has the metric filters and alarms {}, notifying {}",
                wanted.filters.join(", "),
                wanted.email
            ),
        ));
    }
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!(
                "Would alarm on {} events of trail {name}",
                wanted.filters.join(", ")
            ),
            changes,
        ));
    }

    if subscribed.is_none() {
        sns.create_topic()
            .name(&topic)
            .send()
            .await
            .map_err(|e| bot_error(&format!("creating topic {topic}"), e))?;
    }
    let (mut before, mut after) = (Vec::new(), Vec::new());
    for (filter, found) in filters {
        before.push(found);
        after.push(metric_filter(filter));
    }
    for (filter, found) in alarms {
        before.push(found);
        after.push(alarm(filter, &topic_arn));
    }
    let resource = Resource {
        client: &clients,
        id: group_arn.as_str(),
        label: log_group_label(&group_arn),
    };
    let outcome = setting::change(
        input,
        &resource,
        RESTORE_METRIC_ALARMS.name,
        (before, after),
        format!(
            "Log group {group} now alarms on {} events, notifying {}",
            wanted.filters.join(", "),
            wanted.email
        ),
        changes,
    )
    .await?;
    if subscribed != Some(true) {
        sns.subscribe()
            .topic_arn(&topic_arn)
            .protocol("email")
            .endpoint(&wanted.email)
            .send()
            .await
            .map_err(|e| bot_error(&format!("subscribing {} to topic {topic}", wanted.email), e))?;
    }
    Ok(outcome)
}

/// The metric filter `filter` as the bot puts it: counting into its metric of [`NAMESPACE`].
fn metric_filter(filter: &CisFilter) -> AlarmSetting {
    AlarmSetting::MetricFilter {
        name: filter.name.to_string(),
        filter: Some(FilterDefinition {
            pattern: filter.pattern.to_string(),
            metrics: vec![Metric {
                namespace: NAMESPACE.to_string(),
                name: filter.name.to_string(),
                value: "1".to_string(),
                default_value: None,
            }],
        }),
    }
}

/// Whether a metric filter of the filter's name counts its events into its metric.
fn counts(found: &FilterDefinition, filter: &CisFilter) -> bool {
    found.pattern == filter.pattern
        && found
            .metrics
            .iter()
            .any(|m| m.namespace == NAMESPACE && m.name == filter.name)
}

/// The alarm on the filter's metric as the bot puts it: at least 1 in 5 minutes notifies the
/// topic.
fn alarm(filter: &CisFilter, topic_arn: &str) -> AlarmSetting {
    AlarmSetting::Alarm {
        name: alarm_name(filter),
        alarm: Some(Box::new(AlarmDefinition {
            description: Some(format!(
                "CIS: {} events in the trail's log group",
                filter.name
            )),
            namespace: Some(NAMESPACE.to_string()),
            metric_name: Some(filter.name.to_string()),
            dimensions: Vec::new(),
            statistic: Some("Sum".to_string()),
            unit: None,
            period: Some(300),
            evaluation_periods: Some(1),
            datapoints_to_alarm: None,
            threshold: Some(1.0),
            comparison_operator: Some("GreaterThanOrEqualToThreshold".to_string()),
            treat_missing_data: None,
            actions_enabled: Some(true),
            alarm_actions: vec![topic_arn.to_string()],
            ok_actions: Vec::new(),
            insufficient_data_actions: Vec::new(),
        })),
    }
}

/// Whether an alarm of the filter's name watches its metric and notifies the topic.
fn notifies(found: &AlarmDefinition, filter: &CisFilter, topic_arn: &str) -> bool {
    found.metric_name.as_deref() == Some(filter.name)
        && found.namespace.as_deref() == Some(NAMESPACE)
        && found.alarm_actions.iter().any(|action| action == topic_arn)
}
