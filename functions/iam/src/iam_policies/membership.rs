//! `iam_user_detach` (Log.ic): take a user out of the group a CloudTrail `AddUserToGroup` event
//! added it to. What it changes is the user's group membership, which is verified, recorded and
//! undone (the user is added to the group again).

use super::*;
use cloudbots_runtime::cloudtrail::finding_event;
use cloudbots_runtime::proceed;
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
    let event = proceed!(
        finding_event(
            input,
            cloudtrail,
            ADD_USER_TO_GROUP,
            (user, &format!("IAM user {user}"))
        )
        .await?
    );
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
