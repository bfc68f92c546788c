//! A KMS key as the encryption bots take it (SNS, SQS, Secrets Manager): checked for shape
//! when the rule is planned; the bot describes it before use.

use super::keyed_or_positional;
use crate::region::REGIONS;
use serde::{Deserialize, Serialize};

/// A KMS key: the key (id, ARN, alias name or alias ARN) and, optionally, the region to
/// describe it in (the resource's own otherwise).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KmsKeyParam {
    pub key_id: String,
    pub key_region: Option<String>,
}

pub(super) const KMS_KEY_USAGE: &str =
    "<kmsKeyId> [<kmsRegion>], or kmsKeyId=<key> [kmsRegion=<region>]";

impl KmsKeyParam {
    /// `<kmsKeyId> [<kmsRegion>]`, positional or `kmsKeyId=`/`kmsRegion=`.
    pub(super) fn parse(tokens: &[String]) -> Result<Self, String> {
        let mut values = keyed_or_positional(tokens, &["kmsKeyId", "kmsRegion"])?;
        let key_id = values
            .remove("kmsKeyId")
            .ok_or_else(|| format!("missing parameter 'kmsKeyId' (usage: {KMS_KEY_USAGE})"))?;
        Ok(KmsKeyParam {
            key_id: parse_kms_key_id(&key_id)?,
            key_region: values
                .remove("kmsRegion")
                .map(|r| parse_region(&r))
                .transpose()?,
        })
    }
}

/// A key id (`1234abcd-…`, `mrk-…`), key ARN, alias name (`alias/…`) or alias ARN.
pub(super) fn parse_kms_key_id(text: &str) -> Result<String, String> {
    let plausible = if let Some(rest) = text.strip_prefix("arn:") {
        rest.split(':').nth(1) == Some("kms")
            && ["key/", "alias/"]
                .iter()
                .any(|kind| rest.contains(&format!(":{kind}")))
    } else if let Some(alias) = text.strip_prefix("alias/") {
        !alias.is_empty()
    } else {
        text.len() >= 8 && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    if plausible {
        Ok(text.to_string())
    } else {
        Err(format!(
            "the KMS key must be a key id, key ARN, alias name (alias/...) or alias ARN, got '{text}'"
        ))
    }
}

/// Refuse a key named by an AWS-managed alias (`alias/aws/...`, or its ARN), for `reason`.
/// A key id or key ARN of an AWS-managed key is found out when the bot describes it.
pub(super) fn refuse_aws_managed_alias(key_id: &str, reason: &str) -> Result<(), String> {
    let alias = key_id
        .split_once(":alias/")
        .map(|(_, name)| format!("alias/{name}"))
        .unwrap_or_else(|| key_id.to_string());
    if alias.starts_with("alias/aws/") {
        Err(format!("{key_id} is an AWS-managed key: {reason}"))
    } else {
        Ok(())
    }
}

fn parse_region(text: &str) -> Result<String, String> {
    if REGIONS.iter().any(|(code, _)| *code == text) {
        Ok(text.to_string())
    } else {
        Err(format!(
            "kmsRegion must be a region code such as us-east-1, got '{text}'"
        ))
    }
}
