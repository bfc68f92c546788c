//! A mocked CloudTrail for the tests of the Log.ic bots, which look up the events around the
//! finding's alert time (the local stack serves no CloudTrail LookupEvents): findings raised at
//! [`ALERT`], and a CloudTrail answering with one event just after it.

use crate::step_input;
use aws_sdk_cloudtrail::operation::lookup_events::LookupEventsOutput;
use aws_sdk_cloudtrail::primitives::DateTime;
use aws_sdk_cloudtrail::types::{Event, Resource};
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use cloudbots_shared::outcome::BotInput;
use cloudbots_shared::plan::Mode;
use serde_json::Value;

/// When the findings of the Log.ic tests were raised.
pub const ALERT: &str = "2026-11-30T10:00:00Z";
/// `ALERT` in seconds since the epoch.
pub const ALERT_SECS: i64 = 1_796_032_800;

/// The input of the step running `bot` on `entity`, for a finding raised at [`ALERT`].
pub fn alert_input(bot: &str, entity: Value, mode: Mode) -> BotInput {
    let mut input = step_input(bot, entity, bot, mode);
    input.finding.event_time = Some(ALERT.to_string());
    input
}

/// A CloudTrail answering every lookup with its only event: `name`, 3 s after [`ALERT`],
/// recorded as `record`, naming the resource `resource` when given.
pub fn cloudtrail_with_event(
    name: &str,
    record: Value,
    resource: Option<&str>,
) -> aws_sdk_cloudtrail::Client {
    cloudtrail_with_event_after(3, name, record, resource)
}

/// A CloudTrail answering every lookup with its only event: `name`, `seconds` after
/// [`ALERT`], recorded as `record`, naming the resource `resource` when given.
pub fn cloudtrail_with_event_after(
    seconds: i64,
    name: &str,
    record: Value,
    resource: Option<&str>,
) -> aws_sdk_cloudtrail::Client {
    let event = Event::builder()
        .event_name(name)
        .event_time(DateTime::from_secs(ALERT_SECS + seconds))
        .set_resources(resource.map(|r| vec![Resource::builder().resource_name(r).build()]))
        .cloud_trail_event(record.to_string())
        .build();
    let rule = mock!(aws_sdk_cloudtrail::Client::lookup_events)
        .then_output(move || LookupEventsOutput::builder().events(event.clone()).build());
    mock_client!(aws_sdk_cloudtrail, RuleMode::MatchAny, [&rule])
}
