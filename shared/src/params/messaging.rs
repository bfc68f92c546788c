//! Parameters of the SNS and SQS bots.

use super::kms_key::{refuse_aws_managed_alias, KmsKeyParam, KMS_KEY_USAGE};
use super::BotParams;
use crate::policy::{lets_anyone_act, statement_label, statements};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `sqs_enforce_sse`: no parameters for SSE-SQS (keys SQS manages), or a KMS key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "encryption", rename_all = "snake_case")]
pub enum SqsEnforceSseParams {
    SqsManaged,
    Kms(KmsKeyParam),
}

impl BotParams for SqsEnforceSseParams {
    /// The original's documentation writes `sqs_enforce_sse kms <key> [<region>]` while its
    /// code took the first token as the key id; both forms are accepted here, a leading literal
    /// `kms` being read as the choice of KMS.
    fn parse(tokens: &[String]) -> Result<Self, String> {
        match tokens {
            [] => Ok(SqsEnforceSseParams::SqsManaged),
            [kms] if kms == "kms" => {
                Err(format!("kms needs the key (usage: [kms] {KMS_KEY_USAGE})"))
            }
            [kms, rest @ ..] if kms == "kms" => {
                KmsKeyParam::parse(rest).map(SqsEnforceSseParams::Kms)
            }
            _ => KmsKeyParam::parse(tokens).map(SqsEnforceSseParams::Kms),
        }
    }
}

/// `sns_enforce_sse`: `<kmsKeyId> [<kmsRegion>]`, a customer-managed key. AWS-managed keys
/// (`alias/aws/...`) are refused here already; a key id or ARN is checked when described.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnsEnforceSseParams {
    pub key: KmsKeyParam,
}

/// Why SNS topics get customer-managed keys only.
pub const SNS_AWS_MANAGED_KEY_REASON: &str = "AWS services (CloudWatch alarms, EventBridge, S3 events) cannot publish to a topic encrypted with an AWS-managed key, whose key policy cannot be changed: use a customer-managed key";

impl BotParams for SnsEnforceSseParams {
    fn parse(tokens: &[String]) -> Result<Self, String> {
        let key = KmsKeyParam::parse(tokens)?;
        refuse_aws_managed_alias(&key.key_id, SNS_AWS_MANAGED_KEY_REASON)?;
        Ok(SnsEnforceSseParams { key })
    }
}

/// `sns_set_topic_private`: without parameters, the topic's statements that let anyone act
/// without a condition are removed; with `policy=<JSON>`, the topic gets that policy.
///
/// The rule's `AUTO:` line is split on single spaces before the bot sees it (the original's
/// version of this bot expected a dictionary and never ran), so the tokens after `policy=`
/// are joined again with single spaces, which restores the policy as written. It must not
/// contain `|`, which separates a rule's compliance tags.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnsSetTopicPrivateParams {
    pub policy: Option<Value>,
}

const SNS_POLICY_USAGE: &str = "no parameters, or policy=<JSON policy document>";

impl BotParams for SnsSetTopicPrivateParams {
    fn parse(tokens: &[String]) -> Result<Self, String> {
        let Some(first) = tokens.first() else {
            return Ok(SnsSetTopicPrivateParams { policy: None });
        };
        let Some(head) = first.strip_prefix("policy=") else {
            return Err(format!(
                "unexpected parameter '{first}' (usage: {SNS_POLICY_USAGE})"
            ));
        };
        let text = std::iter::once(head)
            .chain(tokens[1..].iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" ");
        let policy: Value = serde_json::from_str(&text)
            .map_err(|e| format!("policy= is not a JSON policy document: {e}"))?;
        let listed = statements(&policy);
        if !policy.is_object() || listed.is_empty() {
            return Err("policy= must be a policy document with at least one Statement".into());
        }
        if let Some((index, open)) = listed
            .iter()
            .enumerate()
            .find(|(_, statement)| lets_anyone_act(statement))
        {
            return Err(format!(
                "policy= would leave the topic public: its {} allows anyone without a condition",
                statement_label(open, index)
            ));
        }
        Ok(SnsSetTopicPrivateParams {
            policy: Some(policy),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    const KEY_ARN: &str =
        "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    #[test]
    fn sqs_sse_takes_no_params_a_key_or_the_documented_leading_kms() {
        assert_eq!(
            SqsEnforceSseParams::parse(&[]).unwrap(),
            SqsEnforceSseParams::SqsManaged
        );
        let kms = |key: &str, region: Option<&str>| {
            SqsEnforceSseParams::Kms(KmsKeyParam {
                key_id: key.to_string(),
                key_region: region.map(str::to_string),
            })
        };
        assert_eq!(
            SqsEnforceSseParams::parse(&toks(KEY_ARN)).unwrap(),
            kms(KEY_ARN, None)
        );
        assert_eq!(
            SqsEnforceSseParams::parse(&toks("kms alias/queues eu-west-1")).unwrap(),
            kms("alias/queues", Some("eu-west-1"))
        );
        assert_eq!(
            SqsEnforceSseParams::parse(&toks("kmsKeyId=1234abcd-12ab-34cd-56ef-1234567890ab"))
                .unwrap(),
            kms("1234abcd-12ab-34cd-56ef-1234567890ab", None)
        );
    }

    #[test]
    fn sqs_sse_rejects_a_bare_kms_a_bad_key_a_bad_region_and_extra_tokens() {
        let error = |line: &str| SqsEnforceSseParams::parse(&toks(line)).unwrap_err();
        assert_eq!(
            error("kms"),
            "kms needs the key (usage: [kms] <kmsKeyId> [<kmsRegion>], or kmsKeyId=<key> [kmsRegion=<region>])"
        );
        assert_eq!(
            error("my key"),
            "the KMS key must be a key id, key ARN, alias name (alias/...) or alias ARN, got 'my'"
        );
        assert_eq!(
            error("alias/queues Oregon"),
            "kmsRegion must be a region code such as us-east-1, got 'Oregon'"
        );
        assert_eq!(
            error("alias/a us-east-1 extra"),
            "too many parameters: 'extra' (expected at most 2: kmsKeyId, kmsRegion)"
        );
    }

    #[test]
    fn sns_sse_takes_a_customer_key_and_refuses_aws_managed_aliases() {
        assert_eq!(
            SnsEnforceSseParams::parse(&toks("alias/topics us-west-2")).unwrap(),
            SnsEnforceSseParams {
                key: KmsKeyParam {
                    key_id: "alias/topics".into(),
                    key_region: Some("us-west-2".into()),
                }
            }
        );
        let refused = SnsEnforceSseParams::parse(&toks("alias/aws/sns")).unwrap_err();
        assert!(
            refused.starts_with("alias/aws/sns is an AWS-managed key: AWS services"),
            "{refused}"
        );
        assert!(SnsEnforceSseParams::parse(&toks(
            "arn:aws:kms:us-east-1:111122223333:alias/aws/sns"
        ))
        .is_err());
        assert_eq!(
            SnsEnforceSseParams::parse(&[]).unwrap_err(),
            "missing parameter 'kmsKeyId' (usage: <kmsKeyId> [<kmsRegion>], or kmsKeyId=<key> [kmsRegion=<region>])"
        );
    }

    #[test]
    fn sns_private_takes_nothing_or_a_policy_split_by_the_auto_line() {
        assert_eq!(
            SnsSetTopicPrivateParams::parse(&[]).unwrap(),
            SnsSetTopicPrivateParams { policy: None }
        );
        let line = r#"policy={"Version": "2012-10-17", "Statement": [{"Sid": "Owner", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sns:Publish", "Resource": "*"}]}"#;
        let parsed = SnsSetTopicPrivateParams::parse(&toks(line)).unwrap();
        assert_eq!(
            parsed.policy.unwrap()["Statement"][0]["Principal"]["AWS"],
            "arn:aws:iam::111122223333:root"
        );
    }

    #[test]
    fn sns_private_rejects_a_public_policy_bad_json_and_other_params() {
        let error = |line: &str| SnsSetTopicPrivateParams::parse(&toks(line)).unwrap_err();
        assert_eq!(
            error(r#"policy={"Statement":[{"Sid":"Open","Effect":"Allow","Principal":"*","Action":"sns:Publish"}]}"#),
            "policy= would leave the topic public: its statement Open allows anyone without a condition"
        );
        assert!(
            error(r#"policy={"Statement":"#).starts_with("policy= is not a JSON policy document: ")
        );
        assert_eq!(
            error(r#"policy={"Version":"2012-10-17"}"#),
            "policy= must be a policy document with at least one Statement"
        );
        assert_eq!(
            error("private"),
            "unexpected parameter 'private' (usage: no parameters, or policy=<JSON policy document>)"
        );
    }
}
