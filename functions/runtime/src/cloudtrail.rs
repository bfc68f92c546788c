//! The CloudTrail event behind a Log.ic finding (reference §2.9).
//!
//! CloudGuard's Log.ic findings are queries over CloudTrail; the finding only says when the
//! alert window started (`alertWindowStartTime`, kept as the finding's `event_time`). The
//! bots that undo what the event did (a new network ACL, a new access key, a role attached
//! to an instance profile) look the event up here: the event with the given name or about
//! the given resource that is closest in time to the alert, within a window around it.

use crate::aws_error::bot_error;
use aws_sdk_cloudtrail::primitives::DateTime;
use aws_sdk_cloudtrail::types::{LookupAttribute, LookupAttributeKey};
use chrono::{DateTime as ChronoTime, Utc};
use cloudbots_shared::error::BotError;
use cloudbots_shared::outcome::{BotInput, BotOutcome, OutcomeStatus};
use serde_json::Value;
use std::time::Duration;

/// How far from the alert time an event may be (the original's default: half a minute).
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(30);

/// What to look for.
#[derive(Debug, Clone)]
pub struct EventQuery<'a> {
    /// `EventName`, `ResourceName`, `Username`, ... as CloudTrail's LookupAttributes name them.
    pub attribute: LookupAttributeKey,
    pub value: &'a str,
    /// Keep only events that name this resource among their `Resources`.
    pub resource_name: Option<&'a str>,
    pub window: Duration,
}

/// An event found: when it happened and its `CloudTrailEvent` record, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct TrailEvent {
    pub event_name: String,
    pub time: ChronoTime<Utc>,
    pub record: Value,
}

/// Parse the finding's alert time (`2020-12-01T10:00:00Z`, fractional seconds allowed).
pub fn alert_time(text: &str) -> Result<ChronoTime<Utc>, BotError> {
    ChronoTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            BotError::invalid_input(format!(
                "the finding's alert time '{text}' is not a timestamp: {e}"
            ))
        })
}

/// The matching event closest to `alert`, or None when CloudTrail has none in the window.
pub async fn closest_event(
    client: &aws_sdk_cloudtrail::Client,
    alert: ChronoTime<Utc>,
    query: &EventQuery<'_>,
) -> Result<Option<TrailEvent>, BotError> {
    Ok(events_near(client, alert, query).await?.into_iter().next())
}

/// The `event_name` event naming `resource` that the Log.ic finding of `input` is about: the
/// closest to the finding's alert time. When CloudTrail has none in the window, the step's
/// skipped outcome says so (`label` names the resource: `IAM role r`); a finding without an
/// alert time is invalid input.
pub async fn finding_event(
    input: &BotInput,
    client: &aws_sdk_cloudtrail::Client,
    event_name: &str,
    (resource, label): (&str, &str),
) -> Result<Result<TrailEvent, BotOutcome>, BotError> {
    let (events, time) = events_of_finding(input, client, event_name, Some(resource)).await?;
    Ok(events.into_iter().next().ok_or_else(|| {
        BotOutcome::new(
            input,
            OutcomeStatus::Skipped,
            format!(
                "No {event_name} event for {label} in CloudTrail within {} s of {time}: nothing to undo",
                DEFAULT_WINDOW.as_secs()
            ),
        )
    }))
}

/// Every `event_name` event in the window around the alert time of the Log.ic finding of
/// `input`, the closest first, with that alert time as the finding gives it: for bots that
/// pick the event by what its record says. A finding without an alert time is invalid input.
pub async fn finding_events<'a>(
    input: &'a BotInput,
    client: &aws_sdk_cloudtrail::Client,
    event_name: &str,
) -> Result<(Vec<TrailEvent>, &'a str), BotError> {
    events_of_finding(input, client, event_name, None).await
}

/// The `event_name` events (naming `resource`, when given) around the finding's alert time,
/// the closest first, with that alert time.
async fn events_of_finding<'a>(
    input: &'a BotInput,
    client: &aws_sdk_cloudtrail::Client,
    event_name: &str,
    resource: Option<&str>,
) -> Result<(Vec<TrailEvent>, &'a str), BotError> {
    let Some(time) = input.finding.event_time.as_deref() else {
        return Err(BotError::invalid_input(format!(
            "the finding has no alert time (alertWindowStartTime of a Log.ic finding): {} needs it to find the {event_name} event",
            input.step.bot
        )));
    };
    let query = EventQuery {
        attribute: LookupAttributeKey::EventName,
        value: event_name,
        resource_name: resource,
        window: DEFAULT_WINDOW,
    };
    Ok((events_near(client, alert_time(time)?, &query).await?, time))
}

/// Every matching event in the window, the closest to `alert` first: for bots that pick the
/// event by what its record says (the function it changed, ...), which CloudTrail cannot
/// filter on.
pub async fn events_near(
    client: &aws_sdk_cloudtrail::Client,
    alert: ChronoTime<Utc>,
    query: &EventQuery<'_>,
) -> Result<Vec<TrailEvent>, BotError> {
    let window = chrono::Duration::from_std(query.window).unwrap_or(chrono::Duration::seconds(30));
    let attribute = LookupAttribute::builder()
        .attribute_key(query.attribute.clone())
        .attribute_value(query.value)
        .build()
        .map_err(|e| BotError::invalid_input(format!("CloudTrail lookup: {e}")))?;
    let mut events = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .lookup_events()
            .lookup_attributes(attribute.clone())
            .start_time(DateTime::from_secs((alert - window).timestamp()))
            .end_time(DateTime::from_secs((alert + window).timestamp()))
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| {
                bot_error(
                    &format!(
                        "looking up CloudTrail events {}={}",
                        query.attribute.as_str(),
                        query.value
                    ),
                    e,
                )
            })?;
        for event in page.events() {
            let names_resource = query.resource_name.is_none_or(|wanted| {
                event
                    .resources()
                    .iter()
                    .any(|r| r.resource_name() == Some(wanted))
            });
            let (Some(time), Some(record)) = (event.event_time(), event.cloud_trail_event()) else {
                continue;
            };
            let Some(time) = ChronoTime::<Utc>::from_timestamp(time.secs(), time.subsec_nanos())
            else {
                continue;
            };
            if names_resource {
                events.push(TrailEvent {
                    event_name: event.event_name().unwrap_or_default().to_string(),
                    time,
                    record: serde_json::from_str(record).unwrap_or(Value::Null),
                });
            }
        }
        match page.next_token() {
            Some(next) => token = Some(next.to_string()),
            None => break,
        }
    }
    events.sort_by_key(|e| (e.time - alert).num_milliseconds().abs());
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_cloudtrail::operation::lookup_events::LookupEventsOutput;
    use aws_sdk_cloudtrail::types::{Event, Resource};
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    fn event(name: &str, secs: i64, resource: &str) -> Event {
        Event::builder()
            .event_name(name)
            .event_time(DateTime::from_secs(secs))
            .resources(Resource::builder().resource_name(resource).build())
            .cloud_trail_event(format!(
                r#"{{"eventName": "{name}", "requestParameters": {{"id": "{resource}"}}}}"#
            ))
            .build()
    }

    // CloudTrail LookupEvents is not served by the local stack (moto), so these tests mock it.
    #[tokio::test]
    async fn picks_the_event_closest_to_the_alert_across_pages_and_filters_resources() {
        let alert = alert_time("2020-12-01T10:00:00Z").unwrap();
        let t = alert.timestamp();
        let first_page = mock!(aws_sdk_cloudtrail::Client::lookup_events)
            .match_requests(|r| r.next_token().is_none())
            .then_output(move || {
                LookupEventsOutput::builder()
                    .events(event("CreateNetworkAcl", t - 20, "acl-far"))
                    .events(event("CreateNetworkAcl", t + 2, "acl-other"))
                    .next_token("page-2")
                    .build()
            });
        let second_page = mock!(aws_sdk_cloudtrail::Client::lookup_events)
            .match_requests(|r| r.next_token() == Some("page-2"))
            .then_output(move || {
                LookupEventsOutput::builder()
                    .events(event("CreateNetworkAcl", t + 5, "acl-near"))
                    .build()
            });
        let client = mock_client!(
            aws_sdk_cloudtrail,
            RuleMode::MatchAny,
            [&first_page, &second_page]
        );

        let any = EventQuery {
            attribute: LookupAttributeKey::EventName,
            value: "CreateNetworkAcl",
            resource_name: None,
            window: DEFAULT_WINDOW,
        };
        let found = closest_event(&client, alert, &any).await.unwrap().unwrap();
        assert_eq!(
            found.record["requestParameters"]["id"], "acl-other",
            "2 s away beats 5 s and 20 s"
        );

        let only_near = EventQuery {
            resource_name: Some("acl-near"),
            ..any.clone()
        };
        let found = closest_event(&client, alert, &only_near)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.record["requestParameters"]["id"], "acl-near");
        let none = EventQuery {
            resource_name: Some("acl-missing"),
            ..any
        };
        assert_eq!(closest_event(&client, alert, &none).await.unwrap(), None);
    }

    #[test]
    fn alert_times_are_parsed_or_rejected() {
        assert_eq!(
            alert_time("2020-12-01T10:00:00.5Z").unwrap().timestamp(),
            1606816800
        );
        assert!(alert_time("yesterday")
            .unwrap_err()
            .message
            .contains("is not a timestamp"));
    }
}
