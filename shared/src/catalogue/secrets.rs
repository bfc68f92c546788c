//! Secrets Manager, ACM and Systems Manager document bots: the account's secrets,
//! certificates and shared documents.

use super::{parse_as, BotSpec, ParamSpec, Phase};
use crate::params::{NoParams, SecretsManagerEnableEncryptionParams, SsmDocumentSetPrivateParams};

/// The secrets, certificates and documents bots of the catalogue.
pub const BOTS: &[BotSpec] = &[
    BotSpec {
        name: "secretsmanager_enable_encryption",
        summary: "Encrypt the secret with the given customer-managed KMS key.",
        phase: Phase::Modify,
        guard: false,
        entity_type: "SecretsManager",
        changes_instance: false,
        iam_actions: &[
            "kms:Decrypt",
            "kms:DescribeKey",
            "kms:GenerateDataKey",
            "secretsmanager:DescribeSecret",
            "secretsmanager:UpdateSecret",
        ],
        params: &[ParamSpec {
            name: "kmsKeyId",
            description: "the customer-managed KMS key in the secret's region (id, ARN, alias/<name> or alias ARN)",
            required: true,
        }],
        example: "AUTO: secretsmanager_enable_encryption alias/secrets",
        differences: "Reads the secret first: a secret already encrypted with that key is already compliant, a secret that no longer exists is skipped. AWS-managed keys are refused with the reason, an `alias/aws/...` key when the rule is planned. The secret is set to the key's ARN whichever way the rule names it. `kms:Decrypt` and `kms:GenerateDataKey` are in the role because Secrets Manager re-encrypts the current secret value with the caller's permissions.",
        parse: parse_as::<SecretsManagerEnableEncryptionParams>,
    },
    BotSpec {
        name: "ssm_document_set_private",
        summary: "Stop sharing the Systems Manager document publicly; with AccountIdToAdd, share it with those accounts instead.",
        phase: Phase::Contain,
        guard: false,
        entity_type: "SsmDocument",
        changes_instance: false,
        iam_actions: &["ssm:DescribeDocumentPermission", "ssm:ModifyDocumentPermission"],
        params: &[ParamSpec {
            name: "AccountIdToAdd",
            description: "`AccountIdToAdd=<id>,<id>`: 12-digit accounts to share the document with once it is private",
            required: false,
        }],
        example: "AUTO: ssm_document_set_private AccountIdToAdd=111122223333",
        differences: "The original never ran (it read its parameters as a dictionary). The document's sharing is read first: a document not shared publicly and already shared with the given accounts is already compliant. Public sharing is removed first, then the accounts are added, so the document is never public with them.",
        parse: parse_as::<SsmDocumentSetPrivateParams>,
    },
    BotSpec {
        name: "acm_delete_certificate",
        summary: "Delete the ACM certificate, unless a load balancer or other AWS resource still uses it.",
        phase: Phase::Destroy,
        guard: false,
        entity_type: "AcmCertificate",
        changes_instance: false,
        iam_actions: &["acm:DeleteCertificate", "acm:DescribeCertificate"],
        params: &[],
        example: "AUTO: acm_delete_certificate",
        differences: "Opt-in like every destroy bot (`DestroyBots`). A certificate in use is skipped with the resources that use it, never force-deleted (the original's delete failed with ResourceInUseException); a certificate that no longer exists is already compliant.",
        parse: parse_as::<NoParams>,
    },
];
