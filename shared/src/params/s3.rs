//! Parameters of the S3 bots.

use super::BotParams;
use serde::{Deserialize, Serialize};

/// The usage line quoted in rejections, as the original documents it.
const ENCRYPTION_USAGE: &str = "s3_enable_encryption <s3|kms> [<kms-key-arn>]";

/// `s3_enable_encryption s3` or `s3_enable_encryption kms <kms-key-arn>` (positional, as in the
/// original). `sse-s3`, the name the original's documentation uses, is accepted for `s3`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "encryption_type", rename_all = "lowercase")]
pub enum S3EnableEncryptionParams {
    /// SSE-S3: keys managed by S3 (`AES256`).
    S3,
    /// SSE-KMS with this customer-managed key.
    Kms { kms_key_arn: String },
}

impl BotParams for S3EnableEncryptionParams {
    fn parse(tokens: &[String]) -> Result<Self, String> {
        let (kind, key) = match tokens {
            [] => {
                return Err(format!(
                    "missing parameter 'encryption_type' (usage: {ENCRYPTION_USAGE})"
                ))
            }
            [kind] => (kind, None),
            [kind, key] => (kind, Some(key)),
            _ => {
                return Err(format!(
                    "too many parameters: '{}' (usage: {ENCRYPTION_USAGE})",
                    tokens.join(" ")
                ))
            }
        };
        match (kind.to_ascii_lowercase().as_str(), key) {
            ("s3" | "sse-s3", None) => Ok(S3EnableEncryptionParams::S3),
            ("s3" | "sse-s3", Some(key)) => Err(format!(
                "a KMS key is given only with kms, got '{kind} {key}' (usage: {ENCRYPTION_USAGE})"
            )),
            ("kms", None) => Err(format!(
                "kms needs the ARN of the KMS key (usage: {ENCRYPTION_USAGE})"
            )),
            ("kms", Some(key)) => Ok(S3EnableEncryptionParams::Kms {
                kms_key_arn: parse_kms_key_arn(key)?,
            }),
            _ => Err(format!("encryption_type must be s3 or kms, got '{kind}'")),
        }
    }
}

/// A KMS key ARN (`...:key/<id>`) or alias ARN (`...:alias/<name>`). A bare key id would be
/// resolved in whichever account makes the call, so only full ARNs are accepted.
fn parse_kms_key_arn(text: &str) -> Result<String, String> {
    let parts: Vec<&str> = text.splitn(6, ':').collect();
    let well_formed = match parts.as_slice() {
        ["arn", partition, "kms", region, account, resource] => {
            partition.starts_with("aws")
                && !region.is_empty()
                && account.len() == 12
                && account.bytes().all(|b| b.is_ascii_digit())
                && ["key/", "alias/"].iter().any(|kind| {
                    resource
                        .strip_prefix(kind)
                        .is_some_and(|name| !name.is_empty())
                })
        }
        _ => false,
    };
    if well_formed {
        Ok(text.to_string())
    } else {
        Err(format!(
            "the KMS key must be a key ARN such as arn:aws:kms:us-east-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab, got '{text}'"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<String> {
        s.split(' ')
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect()
    }

    const KEY: &str = "arn:aws:kms:us-east-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    #[test]
    fn s3_enable_encryption_accepts_the_original_grammar() {
        for s3 in ["s3", "S3", "sse-s3"] {
            assert_eq!(
                S3EnableEncryptionParams::parse(&toks(s3)).unwrap(),
                S3EnableEncryptionParams::S3
            );
        }
        let alias = "arn:aws-us-gov:kms:us-gov-west-1:111122223333:alias/buckets";
        for key in [KEY, alias] {
            assert_eq!(
                S3EnableEncryptionParams::parse(&toks(&format!("KMS {key}"))).unwrap(),
                S3EnableEncryptionParams::Kms {
                    kms_key_arn: key.to_string()
                }
            );
        }
        assert_eq!(
            serde_json::to_value(
                S3EnableEncryptionParams::parse(&toks(&format!("kms {KEY}"))).unwrap()
            )
            .unwrap(),
            serde_json::json!({"encryption_type": "kms", "kms_key_arn": KEY})
        );
    }

    #[test]
    fn s3_enable_encryption_precise_rejections() {
        let cases = [
            ("", "missing parameter 'encryption_type' (usage: s3_enable_encryption <s3|kms> [<kms-key-arn>])".to_string()),
            ("aes", "encryption_type must be s3 or kms, got 'aes'".to_string()),
            ("kms", "kms needs the ARN of the KMS key (usage: s3_enable_encryption <s3|kms> [<kms-key-arn>])".to_string()),
            (&format!("s3 {KEY}"), format!("a KMS key is given only with kms, got 's3 {KEY}' (usage: s3_enable_encryption <s3|kms> [<kms-key-arn>])")),
            (&format!("kms {KEY} now"), format!("too many parameters: 'kms {KEY} now' (usage: s3_enable_encryption <s3|kms> [<kms-key-arn>])")),
        ];
        for (input, reason) in &cases {
            assert_eq!(
                &S3EnableEncryptionParams::parse(&toks(input)).unwrap_err(),
                reason,
                "{input}"
            );
        }
        for bad_key in [
            "1234abcd-12ab-34cd-56ef-1234567890ab",
            "alias/buckets",
            "arn:aws:kms:us-east-2:1111:key/abc",
            "arn:aws:s3:us-east-2:111122223333:key/abc",
            "arn:aws:kms:us-east-2:111122223333:key/",
            "arn:aws:kms::111122223333:key/abc",
        ] {
            assert_eq!(
                S3EnableEncryptionParams::parse(&toks(&format!("kms {bad_key}"))).unwrap_err(),
                format!("the KMS key must be a key ARN such as arn:aws:kms:us-east-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab, got '{bad_key}'")
            );
        }
    }
}
