//! Parameters of the Secrets Manager and Systems Manager document bots.

use super::kms_key::{parse_kms_key_id, refuse_aws_managed_alias};
use super::{keyed_or_positional, BotParams};
use serde::{Deserialize, Serialize};

/// `secretsmanager_enable_encryption`: `<kmsKeyId>` (or `kmsKeyId=`), a customer-managed key
/// in the secret's region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretsManagerEnableEncryptionParams {
    pub key_id: String,
}

/// Why secrets get customer-managed keys only.
pub const SECRET_AWS_MANAGED_KEY_REASON: &str = "a secret encrypted with the AWS-managed aws/secretsmanager key can be read by any principal of the account allowed to call Secrets Manager, and that key's policy cannot be changed: use a customer-managed key";

impl BotParams for SecretsManagerEnableEncryptionParams {
    fn parse(tokens: &[String]) -> Result<Self, String> {
        let mut values = keyed_or_positional(tokens, &["kmsKeyId"])?;
        let key_id = values.remove("kmsKeyId").ok_or_else(|| {
            "missing parameter 'kmsKeyId' (usage: <kmsKeyId>, a customer-managed key)".to_string()
        })?;
        let key_id = parse_kms_key_id(&key_id)?;
        refuse_aws_managed_alias(&key_id, SECRET_AWS_MANAGED_KEY_REASON)?;
        Ok(SecretsManagerEnableEncryptionParams { key_id })
    }
}

/// `ssm_document_set_private`: public sharing is removed; with `AccountIdToAdd=<id>[,<id>…]`
/// the document is shared with those accounts instead.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsmDocumentSetPrivateParams {
    pub account_ids_to_add: Vec<String>,
}

impl BotParams for SsmDocumentSetPrivateParams {
    fn parse(tokens: &[String]) -> Result<Self, String> {
        let mut values = keyed_or_positional(tokens, &["AccountIdToAdd"])?;
        let Some(list) = values.remove("AccountIdToAdd") else {
            return Ok(SsmDocumentSetPrivateParams::default());
        };
        let mut account_ids_to_add = Vec::new();
        for id in list.split(',') {
            if id.len() != 12 || !id.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!(
                    "AccountIdToAdd must be 12-digit account ids separated by commas, got '{id}'"
                ));
            }
            if !account_ids_to_add.iter().any(|known| known == id) {
                account_ids_to_add.push(id.to_string());
            }
        }
        Ok(SsmDocumentSetPrivateParams { account_ids_to_add })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn secret_encryption_takes_exactly_one_customer_key() {
        assert_eq!(
            SecretsManagerEnableEncryptionParams::parse(&toks("alias/secrets")).unwrap(),
            SecretsManagerEnableEncryptionParams {
                key_id: "alias/secrets".into()
            }
        );
        assert_eq!(
            SecretsManagerEnableEncryptionParams::parse(&toks("kmsKeyId=mrk-1234abcd")).unwrap(),
            SecretsManagerEnableEncryptionParams {
                key_id: "mrk-1234abcd".into()
            }
        );
        let error =
            |line: &str| SecretsManagerEnableEncryptionParams::parse(&toks(line)).unwrap_err();
        assert_eq!(
            error(""),
            "missing parameter 'kmsKeyId' (usage: <kmsKeyId>, a customer-managed key)"
        );
        assert_eq!(
            error("alias/a alias/b"),
            "too many parameters: 'alias/b' (expected at most 1: kmsKeyId)"
        );
        assert!(error("alias/aws/secretsmanager")
            .starts_with("alias/aws/secretsmanager is an AWS-managed key: a secret encrypted"));
    }

    #[test]
    fn ssm_private_takes_nothing_or_account_ids_to_share_with() {
        assert_eq!(
            SsmDocumentSetPrivateParams::parse(&[]).unwrap(),
            SsmDocumentSetPrivateParams::default()
        );
        assert_eq!(
            SsmDocumentSetPrivateParams::parse(&toks(
                "AccountIdToAdd=111122223333,444455556666,111122223333"
            ))
            .unwrap()
            .account_ids_to_add,
            vec!["111122223333", "444455556666"]
        );
        assert_eq!(
            SsmDocumentSetPrivateParams::parse(&toks("AccountIdToAdd=All")).unwrap_err(),
            "AccountIdToAdd must be 12-digit account ids separated by commas, got 'All'"
        );
        assert_eq!(
            SsmDocumentSetPrivateParams::parse(&toks("AccountIdsToAdd=111122223333")).unwrap_err(),
            "unknown parameter 'AccountIdsToAdd' (expected AccountIdToAdd)"
        );
    }
}
