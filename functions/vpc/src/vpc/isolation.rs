//! `vpc_isolate`: cut a VPC off (DNS off, every subnet on a deny-all network ACL, every IAM
//! user denied EC2 actions on it). Kept apart for the isolation ACL and deny policy it sets up
//! before changing the VPC's settings.

use super::settings::{dns_support, vpc_label, VpcClients, VpcSetting};
use super::{vpc_exists, vpc_gone, RESTORE_VPC_SETTINGS};
use aws_config::SdkConfig;
use aws_sdk_ec2::types::{Filter, NetworkAcl, RuleAction};
use cloudbots_runtime::aws_error::{bot_error, code};
use cloudbots_runtime::bot::{dry_run, entity_id, params};
use cloudbots_runtime::setting::{self, Resource};
use cloudbots_shared::error::BotError;
use cloudbots_shared::outcome::{BotInput, BotOutcome};
use cloudbots_shared::params::NoParams;
use serde_json::json;

/// The name of the policy that denies every user EC2 actions on the VPC, as the original
/// names it.
pub fn isolation_policy_name(vpc_id: &str) -> String {
    format!("isolate_deny_{vpc_id}_access_policy")
}

/// Deny EC2 actions on the VPC and on security groups inside it (the original's policy).
fn isolation_policy_document(region: &str, vpc_id: &str) -> String {
    let vpc_arn = format!("arn:aws:ec2:{region}:*:vpc/{vpc_id}");
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Action": "ec2:*",
            "Effect": "Deny",
            "Resource": [vpc_arn, format!("arn:aws:ec2:{region}:*:security-group/*")],
            "Condition": {"ArnEquals": {"ec2:Vpc": vpc_arn}}
        }]
    })
    .to_string()
}

/// Whether the ACL lets nothing through: every entry denies (a new ACL has only the final
/// deny-all entries).
fn denies_all(acl: &NetworkAcl) -> bool {
    acl.entries()
        .iter()
        .all(|e| e.rule_action() == Some(&RuleAction::Deny))
}

pub(super) async fn vpc_isolate(input: &BotInput, aws: &SdkConfig) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let vpc_id = entity_id(input)?;
    let ec2 = aws_sdk_ec2::Client::new(aws);
    let iam = aws_sdk_iam::Client::new(aws);
    if !vpc_exists(&ec2, vpc_id).await? {
        return Ok(vpc_gone(input, vpc_id));
    }

    let dns_on = dns_support(&ec2, vpc_id).await?;

    let acls = ec2
        .describe_network_acls()
        .filters(Filter::builder().name("vpc-id").values(vpc_id).build())
        .send()
        .await
        .map_err(|e| bot_error(&format!("listing the network ACLs of VPC {vpc_id}"), e))?;
    let isolation_acl = acls
        .network_acls()
        .iter()
        .find(|a| a.is_default() != Some(true) && denies_all(a))
        .and_then(|a| a.network_acl_id())
        .map(str::to_string);
    // Subnets still on an ACL that lets traffic through: (subnet, its ACL).
    let open: Vec<(String, String)> = acls
        .network_acls()
        .iter()
        .filter(|a| !denies_all(a))
        .flat_map(|a| {
            let acl = a.network_acl_id().unwrap_or_default();
            a.associations()
                .iter()
                .filter_map(move |a| Some((a.subnet_id()?.to_string(), acl.to_string())))
        })
        .collect();

    let policy_name = isolation_policy_name(vpc_id);
    let policy_arn = format!(
        "arn:aws:iam::{}:policy/{policy_name}",
        input.target.account_id
    );
    let policy_exists = match iam.get_policy().policy_arn(&policy_arn).send().await {
        Ok(_) => true,
        Err(e) if code(&e) == Some("NoSuchEntity") => false,
        Err(e) => return Err(bot_error(&format!("reading IAM policy {policy_arn}"), e)),
    };
    let attached: Vec<String> = if policy_exists {
        iam.list_entities_for_policy()
            .policy_arn(&policy_arn)
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| bot_error(&format!("listing the users of IAM policy {policy_arn}"), e))?
            .iter()
            .flat_map(|page| page.policy_users())
            .filter_map(|u| u.user_name().map(str::to_string))
            .collect()
    } else {
        Vec::new()
    };
    let users: Vec<String> = iam
        .list_users()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| bot_error("listing the IAM users of the account", e))?
        .iter()
        .map(|u| u.user_name().to_string())
        .filter(|name| !attached.contains(name))
        .collect();

    let new_acl = "a new network ACL (deny all)";
    let acl_label = isolation_acl.as_deref().unwrap_or(new_acl);
    let mut changes = Vec::new();
    if dns_on {
        changes.push(format!("turn off DNS support of VPC {vpc_id}"));
    }
    if isolation_acl.is_none() && !open.is_empty() {
        changes.push(format!("create {new_acl} in VPC {vpc_id}"));
    }
    changes.extend(
        open.iter()
            .map(|(subnet, _)| format!("associate subnet {subnet} with {acl_label}")),
    );
    if !policy_exists {
        changes.push(format!(
            "create IAM policy {policy_arn} (deny EC2 actions on VPC {vpc_id})"
        ));
    }
    changes.extend(
        users
            .iter()
            .map(|user| format!("attach IAM policy {policy_arn} to IAM user {user}")),
    );
    if changes.is_empty() {
        return Ok(BotOutcome::compliant(input, format!(
                "VPC {vpc_id} is already isolated: DNS off, every subnet on a deny-all network ACL, every IAM user denied by {policy_name}"
            )));
    }
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!(
                "Would isolate VPC {vpc_id} with {} change(s)",
                changes.len()
            ),
            changes,
        ));
    }

    // What the isolation ACL and the deny policy need exists first; then every part changes
    // as one set of settings, read back and recorded together.
    let mut before = Vec::new();
    let mut after = Vec::new();
    if dns_on {
        before.push(VpcSetting::DnsSupport { enabled: true });
        after.push(VpcSetting::DnsSupport { enabled: false });
    }
    let mut artifacts = Vec::new();
    if !open.is_empty() {
        let acl_id = match isolation_acl {
            Some(id) => id,
            None => {
                let created = ec2
                    .create_network_acl()
                    .vpc_id(vpc_id)
                    .send()
                    .await
                    .map_err(|e| {
                        bot_error(&format!("creating a network ACL in VPC {vpc_id}"), e)
                    })?;
                let id = created
                    .network_acl()
                    .and_then(|a| a.network_acl_id())
                    .unwrap_or_default()
                    .to_string();
                artifacts.push(id.clone());
                id
            }
        };
        for (subnet, acl) in &open {
            let on = |acl: &str| VpcSetting::SubnetAcl {
                subnet: subnet.clone(),
                acl: acl.to_string(),
            };
            before.push(on(acl));
            after.push(on(&acl_id));
        }
    }
    if !policy_exists {
        match iam
            .create_policy()
            .policy_name(&policy_name)
            .policy_document(isolation_policy_document(&input.target.region, vpc_id))
            .description("Denies EC2 actions on an isolated VPC. Created by cloudbots.")
            .send()
            .await
        {
            Ok(_) => artifacts.push(policy_arn.clone()),
            Err(e) if code(&e) == Some("EntityAlreadyExists") => {}
            Err(e) => return Err(bot_error(&format!("creating IAM policy {policy_name}"), e)),
        }
    }
    for user in users {
        let deny = |attached| VpcSetting::UserDenyPolicy {
            user: user.clone(),
            policy_arn: policy_arn.clone(),
            attached,
        };
        before.push(deny(false));
        after.push(deny(true));
    }
    let clients = VpcClients { ec2, iam };
    let resource = Resource {
        client: &clients,
        id: vpc_id,
        label: vpc_label(vpc_id),
    };
    let message = format!("Vpc {vpc_id} isolated successfully: {}", changes.join("; "));
    let outcome = setting::change(
        input,
        &resource,
        RESTORE_VPC_SETTINGS.name,
        (before, after),
        message,
        changes,
    )
    .await?;
    Ok(outcome.with_artifacts(artifacts))
}
