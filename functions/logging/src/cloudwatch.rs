//! `cloudwatch_create_metric_filter`: CIS alarms on a trail's events.
//!
//! For each filter the rule names: a metric filter on the log group the trail sends its events
//! to (read from the live trail, not the finding's copy), an alarm on its metric, and one alarm
//! topic per region with one e-mail subscription. Each piece is looked up first; only what is
//! missing is created, so a second run changes nothing.
//!
//! The alarms client is a parameter of [`create_metric_filter_with`]: CloudWatch's SDK speaks
//! the RPCv2 CBOR protocol, which the local stack does not, so its tests hand in a mocked one
//! while logs and SNS run against the local stack.

use crate::cloudtrail::{finding_trail, home, TRAIL_TAGS};
use aws_config::SdkConfig;
use aws_sdk_cloudwatch::types::{ComparisonOperator, Statistic};
use aws_sdk_cloudwatchlogs::types::MetricTransformation;
use cloudbots_runtime::aws_error::{bot_error, code};
use cloudbots_runtime::bot::{dry_run, params, Bot};
use cloudbots_runtime::session::in_region;
use cloudbots_shared::error::{BotError, ErrorName};
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

/// The log group name in a log group ARN (`arn:aws:logs:<region>:<account>:log-group:<name>:*`).
fn log_group_name(arn: &str) -> Option<&str> {
    let (_, rest) = arn.split_once(":log-group:")?;
    Some(rest.strip_suffix(":*").unwrap_or(rest)).filter(|name| !name.is_empty())
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
    let Some(group) = trail
        .cloud_watch_logs_log_group_arn()
        .and_then(log_group_name)
    else {
        return Ok(BotOutcome::new(
            input,
            OutcomeStatus::Skipped,
            format!("Trail {name} sends no events to CloudWatch Logs: run cloudtrail_send_to_cloudwatch before this bot"),
        ));
    };
    let region = home(input, &trail).to_string();
    let aws = in_region(aws, &region);
    let logs = aws_sdk_cloudwatchlogs::Client::new(&aws);
    let cloudwatch = alarms(&aws);
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

    let mut filters = Vec::new();
    let mut alarms = Vec::new();
    for filter in wanted.cis_filters() {
        if !has_metric_filter(&logs, group, filter).await? {
            filters.push(filter);
        }
        if !has_alarm(&cloudwatch, filter, &topic_arn).await? {
            alarms.push(filter);
        }
    }
    let mut changes = Vec::new();
    if subscribed.is_none() {
        changes.push(format!("create topic {topic} for the alarms"));
    }
    for filter in &filters {
        changes.push(format!(
            "put metric filter {} on log group {group} (metric {NAMESPACE}/{})",
            filter.name, filter.name
        ));
    }
    for filter in &alarms {
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
    for filter in filters {
        put_metric_filter(&logs, group, filter).await?;
    }
    for filter in alarms {
        put_alarm(&cloudwatch, filter, &topic_arn).await?;
    }
    if subscribed != Some(true) {
        sns.subscribe()
            .topic_arn(&topic_arn)
            .protocol("email")
            .endpoint(&wanted.email)
            .send()
            .await
            .map_err(|e| bot_error(&format!("subscribing {} to topic {topic}", wanted.email), e))?;
    }
    Ok(BotOutcome::new(
        input,
        OutcomeStatus::Remediated,
        format!(
            "Log group {group} now alarms on {} events, notifying {}",
            wanted.filters.join(", "),
            wanted.email
        ),
    )
    .with_changes(changes))
}

async fn has_metric_filter(
    logs: &aws_sdk_cloudwatchlogs::Client,
    group: &str,
    filter: &CisFilter,
) -> Result<bool, BotError> {
    let found = logs
        .describe_metric_filters()
        .log_group_name(group)
        .filter_name_prefix(filter.name)
        .send()
        .await
        .map_err(|e| {
            bot_error(
                &format!("reading the metric filters of log group {group}"),
                e,
            )
        })?;
    Ok(found.metric_filters().iter().any(|f| {
        f.filter_name() == Some(filter.name)
            && f.filter_pattern() == Some(filter.pattern)
            && f.metric_transformations()
                .iter()
                .any(|t| t.metric_namespace() == NAMESPACE && t.metric_name() == filter.name)
    }))
}

async fn put_metric_filter(
    logs: &aws_sdk_cloudwatchlogs::Client,
    group: &str,
    filter: &CisFilter,
) -> Result<(), BotError> {
    let doing = format!("putting metric filter {} on log group {group}", filter.name);
    let transformation = MetricTransformation::builder()
        .metric_namespace(NAMESPACE)
        .metric_name(filter.name)
        .metric_value("1")
        .build()
        .map_err(|e| BotError::new(ErrorName::Internal, format!("{doing}: {e}")))?;
    logs.put_metric_filter()
        .log_group_name(group)
        .filter_name(filter.name)
        .filter_pattern(filter.pattern)
        .metric_transformations(transformation)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| bot_error(&doing, e))
}

async fn has_alarm(
    cloudwatch: &aws_sdk_cloudwatch::Client,
    filter: &CisFilter,
    topic_arn: &str,
) -> Result<bool, BotError> {
    let name = alarm_name(filter);
    let found = cloudwatch
        .describe_alarms()
        .alarm_names(&name)
        .send()
        .await
        .map_err(|e| bot_error(&format!("reading alarm '{name}'"), e))?;
    Ok(found.metric_alarms().iter().any(|alarm| {
        alarm.metric_name() == Some(filter.name)
            && alarm.namespace() == Some(NAMESPACE)
            && alarm
                .alarm_actions()
                .iter()
                .any(|action| action == topic_arn)
    }))
}

async fn put_alarm(
    cloudwatch: &aws_sdk_cloudwatch::Client,
    filter: &CisFilter,
    topic_arn: &str,
) -> Result<(), BotError> {
    let name = alarm_name(filter);
    cloudwatch
        .put_metric_alarm()
        .alarm_name(&name)
        .alarm_description(format!(
            "CIS: {} events in the trail's log group",
            filter.name
        ))
        .namespace(NAMESPACE)
        .metric_name(filter.name)
        .statistic(Statistic::Sum)
        .period(300)
        .evaluation_periods(1)
        .threshold(1.0)
        .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
        .alarm_actions(topic_arn)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| bot_error(&format!("putting alarm '{name}'"), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_group_is_read_from_its_arn() {
        assert_eq!(
            log_group_name(
                "arn:aws:logs:us-east-1:111122223333:log-group:CloudTrail/DefaultLogGroup:*"
            ),
            Some("CloudTrail/DefaultLogGroup")
        );
        assert_eq!(
            log_group_name("arn:aws:logs:us-east-1:111122223333:log-group:a:b"),
            Some("a:b")
        );
        assert_eq!(
            log_group_name("arn:aws:logs:us-east-1:111122223333:log-group:"),
            None
        );
        assert_eq!(log_group_name("CloudTrail/DefaultLogGroup"), None);
    }
}
