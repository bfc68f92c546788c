//! Undo of every security-group rule bot: authorize again the rules the bot revoked and revoke
//! the rules it added (the pieces of a split, the new scope of a move), nothing else.
//!
//! The bot recorded the group's rules before and after its change. The group is restored only
//! when its rules still are exactly those the bot left (descriptions included); otherwise the
//! difference is shown and nothing is done, unless the undo is forced. Rules someone else
//! added or removed since are never touched: undo reverses the bot's own change only.

use super::rules::{
    authorize, checked, difference, existing_security_group, revoke, rules_of, unmet, Rule,
};
use aws_config::SdkConfig;
use cloudbots_runtime::restorer::{recorded, restore, Restorer};
use cloudbots_runtime::verify::reread;
use cloudbots_shared::error::BotError;
use cloudbots_shared::restore::{RestoreInput, RestoreOutcome};

pub const RESTORE_SECURITY_GROUP_RULES: Restorer = Restorer {
    name: "restore_security_group_rules",
    run: |input, aws| Box::pin(restore_security_group_rules(input, aws)),
};

/// How the group's rules now differ from the rules the bot left.
fn drift(now: &[Rule], left: &[Rule]) -> Vec<String> {
    let added = now
        .iter()
        .filter(|r| !left.contains(r))
        .map(|r| format!("added since: {}", r.render()));
    let removed = left
        .iter()
        .filter(|r| !now.contains(r))
        .map(|r| format!("removed since: {}", r.render()));
    added.chain(removed).collect()
}

async fn restore_security_group_rules(
    input: &RestoreInput,
    aws: &SdkConfig,
) -> Result<RestoreOutcome, BotError> {
    let prior = &input.step.prior;
    let before: Vec<Rule> = recorded(input, &prior.before)?;
    let left: Vec<Rule> = recorded(input, &prior.after)?;
    let group_id = prior.resource.as_str();
    let ec2 = aws_sdk_ec2::Client::new(aws);
    let now = rules_of(&existing_security_group(&ec2, group_id).await?);
    // The bot's own change, limited to what is still to reverse.
    let reauthorize = difference(&difference(&before, &left), &now);
    let remove: Vec<Rule> = difference(&left, &before)
        .into_iter()
        .filter(|r| now.iter().any(|n| n.same_rule(r)))
        .collect();
    let changes = reauthorize
        .iter()
        .map(|r| format!("authorize {}", r.render()))
        .chain(remove.iter().map(|r| format!("revoke {}", r.render())))
        .collect();
    let what = format!("security group {group_id}");
    let apply = async {
        authorize(&ec2, group_id, &reauthorize).await?;
        revoke(&ec2, group_id, &remove).await?;
        reread(
            &what,
            || existing_security_group(&ec2, group_id),
            |group| unmet(&rules_of(group), &reauthorize, &remove),
        )
        .await?;
        Ok(checked(&reauthorize, &remove))
    };
    restore(input, &what, drift(&now, &left), changes, apply).await
}
