//! `iam_user_detach` (Log.ic): take a user out of the group a CloudTrail `AddUserToGroup` event
//! added it to. What it changes is the user's group membership, which is verified, recorded and
//! undone (the user is added to the group again).

use super::*;
use aws_sdk_cloudtrail::types::LookupAttributeKey;
use cloudbots_runtime::cloudtrail::{alert_time, closest_event, EventQuery, DEFAULT_WINDOW};
use restore::Setting;

/// The CloudTrail event a Log.ic `iam_user_detach` finding is about.
const ADD_USER_TO_GROUP: &str = "AddUserToGroup";

pub(super) async fn user_detach(input: &BotInput, aws: &SdkConfig) -> Result<BotOutcome, BotError> {
    let cloudtrail = aws_sdk_cloudtrail::Client::new(aws);
    user_detach_with(input, &cloudtrail, &Iam::new(aws)).await
}

/// Remove the user from the group the finding's AddUserToGroup event added it to.
pub async fn user_detach_with(
    input: &BotInput,
    cloudtrail: &aws_sdk_cloudtrail::Client,
    iam: &Iam,
) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let user = entity_name(input)?;
    let Some(time) = input.finding.event_time.as_deref() else {
        return Err(BotError::invalid_input(format!(
            "the finding has no alert time (alertWindowStartTime of a Log.ic finding): {} needs it to find the {ADD_USER_TO_GROUP} event",
            input.step.bot
        )));
    };
    let query = EventQuery {
        attribute: LookupAttributeKey::EventName,
        value: ADD_USER_TO_GROUP,
        resource_name: Some(user),
        window: DEFAULT_WINDOW,
    };
    let Some(event) = closest_event(cloudtrail, alert_time(time)?, &query).await? else {
        return Ok(BotOutcome::new(
            input,
            OutcomeStatus::Skipped,
            format!(
                "No {ADD_USER_TO_GROUP} event for IAM user {user} in CloudTrail within {} s of {time}: nothing to undo",
                DEFAULT_WINDOW.as_secs()
            ),
        ));
    };
    let Some(group) = event.record["requestParameters"]["groupName"].as_str() else {
        return Err(BotError::invalid_input(format!(
            "the {ADD_USER_TO_GROUP} event of {} names no group in its requestParameters",
            event.time.to_rfc3339()
        )));
    };
    let member = Principal::user(user);
    let Some(groups) = member.groups(iam).await? else {
        return Ok(BotOutcome::gone(
            input,
            &member.to_string(),
            "nothing to detach",
        ));
    };
    if !groups.iter().any(|g| g == group) {
        return Ok(BotOutcome::compliant(
            input,
            format!("{member} is not a member of IAM group {group}"),
        ));
    }
    let changes = vec![format!("remove {member} from IAM group {group}")];
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!("Would remove {member} from IAM group {group}"),
            changes,
        ));
    }
    let membership = |member_of| {
        vec![PrincipalSetting::of(
            &member,
            Setting::membership(group, member_of),
        )]
    };
    change_principals(
        input,
        iam,
        user,
        (membership(true), membership(false)),
        format!("{member} removed from IAM group {group}"),
        changes,
    )
    .await
}
