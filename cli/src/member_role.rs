//! The member-account role (`infra/member-role.yaml`, `infra/member-role-policy.json`),
//! generated from the bot catalogue.
//!
//! In multi-account mode every bot assumes one role in the finding's account. That role must
//! hold every action a bot may call there (the union of the catalogue's bot actions, so a bot
//! added to the catalogue cannot fail with AccessDenied in member accounts), and it must trust
//! nobody but the hub deployment's bot roles, and those only with the deployment's external
//! id. Rendered from the catalogue and checked in (a test fails when they differ), the
//! template deployed by a StackSet and the policy `infra/create_role.sh` attaches cannot drift
//! from what the bots call.

use crate::template::BOT_ROLE_PATH;
use cloudbots_shared::catalogue::CATALOGUE;
use cloudbots_shared::plan::DEFAULT_CROSS_ACCOUNT_ROLE;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::fmt::Write;

/// The name of the member role's inline policy.
pub const POLICY_NAME: &str = "cloudbots-bots";

/// Every IAM action any catalogued bot calls, sorted and without repeats.
pub fn member_actions() -> BTreeSet<&'static str> {
    CATALOGUE
        .iter()
        .flat_map(|bot| bot.role_actions())
        .collect()
}

/// The member role's permissions policy, as `create_role.sh` attaches it.
pub fn policy_document() -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "BotActions",
            "Effect": "Allow",
            "Action": member_actions(),
            "Resource": "*",
        }],
    })
}

/// The text of `infra/member-role-policy.json`.
pub fn render_policy() -> String {
    let mut text = serde_json::to_string_pretty(&policy_document()).expect("a JSON value");
    text.push('\n');
    text
}

/// The full text of `infra/member-role.yaml`.
pub fn render() -> String {
    let mut out = format!(
        "# Generated from the bot catalogue by `cloudbots member-role`: edit cli/src/member_role.rs, not this file.
AWSTemplateFormatVersion: \"2010-09-09\"
Description: >-
  cloudbots member-account role: lets the bots of a cloudbots deployment in the hub account
  remediate findings in this account (AccountMode multi). Deploy it in every member account,
  for example with a service-managed StackSet over an organizational unit.

Parameters:
  HubAccountId:
    Type: String
    AllowedPattern: \"[0-9]{{12}}\"
    ConstraintDescription: a 12-digit AWS account id
    Description: The account where cloudbots is deployed; only its bot roles may assume this role.
  ExternalId:
    Type: String
    NoEcho: true
    MinLength: 2
    MaxLength: 1224
    AllowedPattern: \"[\\\\w+=,.@:/-]*\"
    Description: The secret the hub deployment's ExternalId parameter holds; the role cannot be assumed without it.
  RoleName:
    Type: String
    Default: {DEFAULT_CROSS_ACCOUNT_ROLE}
    AllowedPattern: \"[\\\\w+=,.@-]{{1,64}}\"
    Description: The role's name; the hub deployment's CrossAccountRoleName must be the same.

Resources:
  CloudBotsRole:
    Type: AWS::IAM::Role
    Properties:
      RoleName: !Ref RoleName
      Description: Assumed by the cloudbots bots of the hub account to remediate findings here.
      MaxSessionDuration: 3600
      AssumeRolePolicyDocument:
        Version: \"2012-10-17\"
        Statement:
          - Sid: HubBotRoles
            Effect: Allow
            Principal:
              AWS: !Sub \"arn:${{AWS::Partition}}:iam::${{HubAccountId}}:root\"
            Action: sts:AssumeRole
            Condition:
              StringEquals:
                sts:ExternalId: !Ref ExternalId
              ArnLike:
                aws:PrincipalArn: !Sub \"arn:${{AWS::Partition}}:iam::${{HubAccountId}}:role{BOT_ROLE_PATH}*\"
      Policies:
        - PolicyName: {POLICY_NAME}
          PolicyDocument:
            Version: \"2012-10-17\"
            Statement:
              - Sid: BotActions
                Effect: Allow
                Action:
"
    );
    for action in member_actions() {
        writeln!(out, "                  - {action}").expect("writing to a String");
    }
    out.push_str(
        "                Resource: \"*\"

Outputs:
  RoleArn:
    Description: The role the hub deployment's bots assume in this account.
    Value: !GetAtt CloudBotsRole.Arn
",
    );
    out
}
