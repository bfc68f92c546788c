//! The member-account roles (`infra/member-role.yaml`, `infra/member-role-policy.json`,
//! `infra/member-undo-role-policy.json`), generated from the bot catalogue.
//!
//! In multi-account mode every bot assumes one role in the finding's account. That role must
//! hold every action a bot may call there (the union of the catalogue's bot actions, so a bot
//! added to the catalogue cannot fail with AccessDenied in member accounts), and it must trust
//! nobody but the hub deployment's bot roles, and those only with the deployment's external
//! id. Undo is kept apart as in the hub: restorers assume a second role, the member role's name
//! with `-undo` after it, which holds only the restorers' actions and trusts only the hub's
//! restorer roles, so no role in a member account holds both a change and its inverse.
//! Rendered from the catalogue and checked in (a test fails when they differ), the template
//! deployed by a StackSet and the policies `infra/create_role.sh` attaches cannot drift from
//! what the bots and restorers call.

use crate::template::{BOT_ROLE_PATH, RESTORER_ROLE_PATH};
use cloudbots_shared::catalogue::{CATALOGUE, RESTORERS};
use cloudbots_shared::plan::{DEFAULT_CROSS_ACCOUNT_ROLE, UNDO_ROLE_SUFFIX};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::fmt::Write;

/// The name of the member role's inline policy.
pub const POLICY_NAME: &str = "cloudbots-bots";

/// One of the roles a member account holds for the hub.
pub struct MemberRole {
    /// Its logical id in `infra/member-role.yaml`.
    pub logical_id: &'static str,
    /// What follows the `RoleName` parameter in its name.
    pub name_suffix: &'static str,
    /// The IAM path of the hub roles it trusts, and its trust statement's id.
    pub trusted_path: &'static str,
    pub trust_sid: &'static str,
    /// Its one inline policy's name and statement id.
    pub policy_name: &'static str,
    pub sid: &'static str,
    pub description: &'static str,
    /// Every IAM action its policy allows.
    pub actions: fn() -> BTreeSet<&'static str>,
}

/// The role the bots assume.
pub const BOTS: MemberRole = MemberRole {
    logical_id: "CloudBotsRole",
    name_suffix: "",
    trusted_path: BOT_ROLE_PATH,
    trust_sid: "HubBotRoles",
    policy_name: POLICY_NAME,
    sid: "BotActions",
    description: "Assumed by the cloudbots bots of the hub account to remediate findings here.",
    actions: member_actions,
};

/// The role the restorers assume to undo the bots' changes.
pub const UNDO: MemberRole = MemberRole {
    logical_id: "CloudBotsUndoRole",
    name_suffix: UNDO_ROLE_SUFFIX,
    trusted_path: RESTORER_ROLE_PATH,
    trust_sid: "HubRestorerRoles",
    policy_name: "cloudbots-undo",
    sid: "RestoreActions",
    description: "Assumed by the cloudbots restorers of the hub account to undo remediations here.",
    actions: undo_actions,
};

/// Both roles, the bots' first.
pub const MEMBER_ROLES: [MemberRole; 2] = [BOTS, UNDO];

/// The longest `RoleName` a member account can use: the undo role's name must fit IAM's 64.
pub const MAX_ROLE_NAME: usize = 64 - UNDO_ROLE_SUFFIX.len();

/// Every IAM action any catalogued bot calls, sorted and without repeats.
pub fn member_actions() -> BTreeSet<&'static str> {
    CATALOGUE
        .iter()
        .flat_map(|bot| bot.role_actions())
        .collect()
}

/// Every IAM action any restorer calls, sorted and without repeats.
pub fn undo_actions() -> BTreeSet<&'static str> {
    RESTORERS
        .iter()
        .flat_map(|restorer| restorer.iam_actions.iter().copied())
        .collect()
}

impl MemberRole {
    /// The role's permissions policy, as `create_role.sh` attaches it.
    pub fn policy_document(&self) -> Value {
        json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": self.sid,
                "Effect": "Allow",
                "Action": (self.actions)(),
                "Resource": "*",
            }],
        })
    }

    /// The text of its policy file (`infra/member-role-policy.json`,
    /// `infra/member-undo-role-policy.json`).
    pub fn render_policy(&self) -> String {
        let mut text = serde_json::to_string_pretty(&self.policy_document()).expect("a JSON value");
        text.push('\n');
        text
    }

    fn render_resource(&self, out: &mut String) {
        let role_name = if self.name_suffix.is_empty() {
            "!Ref RoleName".to_string()
        } else {
            format!("!Sub \"${{RoleName}}{}\"", self.name_suffix)
        };
        write!(
            out,
            "  {id}:
    Type: AWS::IAM::Role
    Properties:
      RoleName: {role_name}
      Description: {description}
      MaxSessionDuration: 3600
      AssumeRolePolicyDocument:
        Version: \"2012-10-17\"
        Statement:
          - Sid: {trust_sid}
            Effect: Allow
            Principal:
              AWS: !Sub \"arn:${{AWS::Partition}}:iam::${{HubAccountId}}:root\"
            Action: sts:AssumeRole
            Condition:
              StringEquals:
                sts:ExternalId: !Ref ExternalId
              ArnLike:
                aws:PrincipalArn: !Sub \"arn:${{AWS::Partition}}:iam::${{HubAccountId}}:role{path}*\"
      Policies:
        - PolicyName: {policy}
          PolicyDocument:
            Version: \"2012-10-17\"
            Statement:
              - Sid: {sid}
                Effect: Allow
                Action:
",
            id = self.logical_id,
            description = self.description,
            path = self.trusted_path,
            trust_sid = self.trust_sid,
            policy = self.policy_name,
            sid = self.sid,
        )
        .expect("writing to a String");
        for action in (self.actions)() {
            writeln!(out, "                  - {action}").expect("writing to a String");
        }
        out.push_str("                Resource: \"*\"\n\n");
    }
}

/// The full text of `infra/member-role.yaml`.
pub fn render() -> String {
    let mut out = format!(
        "# Generated from the bot catalogue by `cloudbots member-role`: edit cli/src/member_role.rs, not this file.
AWSTemplateFormatVersion: \"2010-09-09\"
Description: >-
  cloudbots member-account roles: let the bots of a cloudbots deployment in the hub account
  remediate findings in this account (AccountMode multi), and its restorers undo them. Deploy
  it in every member account, for example with a service-managed StackSet over an
  organizational unit.

Parameters:
  HubAccountId:
    Type: String
    AllowedPattern: \"[0-9]{{12}}\"
    ConstraintDescription: a 12-digit AWS account id
    Description: The account where cloudbots is deployed; only its bot and restorer roles may assume these roles.
  ExternalId:
    Type: String
    NoEcho: true
    MinLength: 2
    MaxLength: 1224
    AllowedPattern: \"[\\\\w+=,.@:/-]*\"
    Description: The secret the hub deployment's ExternalId parameter holds; the roles cannot be assumed without it.
  RoleName:
    Type: String
    Default: {DEFAULT_CROSS_ACCOUNT_ROLE}
    AllowedPattern: \"[\\\\w+=,.@-]{{1,{MAX_ROLE_NAME}}}\"
    Description: The bots' role's name; the hub deployment's CrossAccountRoleName must be the same. The restorers' role is named the same with {UNDO_ROLE_SUFFIX} after it.

Resources:
"
    );
    for role in &MEMBER_ROLES {
        role.render_resource(&mut out);
    }
    out.push_str(
        "Outputs:
  RoleArn:
    Description: The role the hub deployment's bots assume in this account.
    Value: !GetAtt CloudBotsRole.Arn
  UndoRoleArn:
    Description: The role the hub deployment's restorers assume in this account to undo a remediation.
    Value: !GetAtt CloudBotsUndoRole.Arn
",
    );
    out
}
