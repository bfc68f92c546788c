//! `ssm_document_set_private`: a Systems Manager document no longer shared with everyone.
//!
//! The document's sharing is read first. Public sharing (`All`) is removed in one call and the
//! accounts the rule names are added in a second, so the document is private in between,
//! never public with the accounts added. Who the document was shared with is recorded, and
//! `restore_document_permissions` shares it with exactly them again.

use aws_config::SdkConfig;
use aws_sdk_ssm::types::{DocumentPermissionType, ResourceTypeForTagging};
use cloudbots_runtime::aws_error::{bot_error, none_if_code};
use cloudbots_runtime::bot::{dry_run, entity_name, params, Bot};
use cloudbots_runtime::exclusion::{tag_in_listing, TagReader};
use cloudbots_runtime::restorer::Restorer;
use cloudbots_runtime::setting::{self, restore_settings, Resource, Setting};
use cloudbots_shared::catalogue::TagSource;
use cloudbots_shared::error::BotError;
use cloudbots_shared::outcome::{BotInput, BotOutcome};
use cloudbots_shared::params::SsmDocumentSetPrivateParams;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The bots of this module.
pub const BOTS: &[Bot] = &[DOCUMENT_SET_PRIVATE];

pub const DOCUMENT_SET_PRIVATE: Bot = Bot {
    name: "ssm_document_set_private",
    tags: SSM_DOCUMENT_TAGS,
    run: |input, aws| Box::pin(document_set_private(input, aws)),
};

pub const RESTORE_DOCUMENT_PERMISSIONS: Restorer = Restorer {
    name: "restore_document_permissions",
    run: |input, aws| {
        Box::pin(async move {
            let ssm = aws_sdk_ssm::Client::new(aws);
            restore_settings::<DocumentSharing>(input, &ssm, document_label).await
        })
    },
};

/// Systems Manager documents, by name.
pub const SSM_DOCUMENT_TAGS: TagReader =
    TagReader::new(&[TagSource::SsmDocument], |aws, _, name, key| {
        Box::pin(read_document_tag(aws, name, key))
    });

/// The error code SSM gives for a document that does not exist.
const NOT_FOUND: &str = "InvalidDocument";

/// The account id that shares a document with everyone.
const PUBLIC: &str = "All";

async fn read_document_tag(
    aws: &SdkConfig,
    name: &str,
    key: &str,
) -> Result<Option<String>, BotError> {
    let listed = aws_sdk_ssm::Client::new(aws)
        .list_tags_for_resource()
        .resource_type(ResourceTypeForTagging::Document)
        .resource_id(name)
        .send()
        .await;
    let gone = [NOT_FOUND, "InvalidResourceId"];
    tag_in_listing(listed, &gone, name, key, |out| {
        out.tag_list
            .unwrap_or_default()
            .into_iter()
            .map(|t| (t.key, t.value))
    })
}

/// The accounts a document is shared with, sorted (`All`, any case, shares it with everyone),
/// and the document version each is shared at, as SSM names it. Sharings are compared by their
/// accounts only: the version comes back with the account when it is shared again, and one
/// shared at the default version may be named `$DEFAULT` or by its number.
#[derive(Debug, Clone, Eq, Serialize, Deserialize)]
pub struct DocumentSharing {
    pub accounts: Vec<String>,
    #[serde(default)]
    pub versions: BTreeMap<String, String>,
}

impl PartialEq for DocumentSharing {
    fn eq(&self, other: &Self) -> bool {
        self.accounts == other.accounts
    }
}

/// Accounts to share a document with or stop sharing it with in one call: SSM takes everyone
/// (`All`) alone, and one document version per call.
struct Modification {
    add: bool,
    accounts: Vec<String>,
    version: Option<String>,
}

impl DocumentSharing {
    fn of(mut accounts: Vec<String>, versions: BTreeMap<String, String>) -> Self {
        accounts.sort();
        DocumentSharing { accounts, versions }
    }

    /// The accounts of `self` that `other` does not have, in calls: the accounts by version,
    /// then everyone.
    fn beyond(&self, other: &DocumentSharing, add: bool) -> Vec<Modification> {
        let mut by_version: BTreeMap<(bool, Option<&String>), Vec<String>> = BTreeMap::new();
        for account in self
            .accounts
            .iter()
            .filter(|id| !other.accounts.contains(id))
        {
            let version = self.versions.get(account).filter(|_| add);
            let group = by_version.entry((is_public(account), version)).or_default();
            group.push(account.clone());
        }
        by_version
            .into_iter()
            .map(|((_, version), accounts)| Modification {
                add,
                accounts,
                version: version.cloned(),
            })
            .collect()
    }
}

fn is_public(account: &str) -> bool {
    account.eq_ignore_ascii_case(PUBLIC)
}

impl Setting for DocumentSharing {
    type Client = aws_sdk_ssm::Client;

    fn name(&self) -> &'static str {
        "sharing"
    }

    fn words(&self) -> String {
        match self.accounts.as_slice() {
            [] => "with no account".to_string(),
            accounts => format!("with {}", accounts.join(", ")),
        }
    }

    async fn read(&self, ssm: &aws_sdk_ssm::Client, name: &str) -> Result<Self, BotError> {
        shared_with(ssm, name).await?.ok_or_else(|| {
            BotError::not_found(format!(
                "{} does not exist (any more)",
                document_label(name)
            ))
        })
    }

    /// Stop sharing with the accounts (then everyone) it should not have, then share with the
    /// accounts (then everyone) it should: never public with accounts it is losing.
    async fn write(&self, ssm: &aws_sdk_ssm::Client, name: &str) -> Result<(), BotError> {
        let now = self.read(ssm, name).await?;
        let calls = now
            .beyond(self, false)
            .into_iter()
            .chain(self.beyond(&now, true));
        for Modification {
            add,
            accounts,
            version,
        } in calls
        {
            let doing = match add {
                true => format!("share document {name} with {}", accounts.join(", ")),
                false => format!("stop sharing document {name} with {}", accounts.join(", ")),
            };
            let call = ssm
                .modify_document_permission()
                .name(name)
                .permission_type(DocumentPermissionType::Share)
                .set_shared_document_version(version);
            let call = match add {
                true => call.set_account_ids_to_add(Some(accounts)),
                false => call.set_account_ids_to_remove(Some(accounts)),
            };
            call.send().await.map_err(|e| bot_error(&doing, e))?;
        }
        Ok(())
    }
}

/// Who the document `name` is shared with; None when there is no such document.
async fn shared_with(
    ssm: &aws_sdk_ssm::Client,
    name: &str,
) -> Result<Option<DocumentSharing>, BotError> {
    let read = ssm
        .describe_document_permission()
        .name(name)
        .permission_type(DocumentPermissionType::Share)
        .send()
        .await;
    let doing = format!("reading who document {name} is shared with");
    Ok(none_if_code(NOT_FOUND, &doing, read)?.map(|out| {
        let versions = out.account_sharing_info_list().iter().filter_map(|info| {
            let account = info.account_id()?.to_string();
            Some((account, info.shared_document_version()?.to_string()))
        });
        let versions = versions.collect();
        DocumentSharing::of(out.account_ids.unwrap_or_default(), versions)
    }))
}

fn document_label(name: &str) -> String {
    format!("document {name}")
}

async fn document_set_private(input: &BotInput, aws: &SdkConfig) -> Result<BotOutcome, BotError> {
    let SsmDocumentSetPrivateParams { account_ids_to_add } =
        params::<SsmDocumentSetPrivateParams>(input)?;
    let name = entity_name(input)?;
    let ssm = aws_sdk_ssm::Client::new(aws);
    let Some(before) = shared_with(&ssm, name).await? else {
        return Ok(BotOutcome::gone(
            input,
            &format!("Document {name}"),
            "nothing to do",
        ));
    };
    let shared_with = &before.accounts;
    let public = shared_with.iter().any(|id| is_public(id));
    let to_add: Vec<String> = account_ids_to_add
        .into_iter()
        .filter(|id| !shared_with.contains(id))
        .collect();
    if !public && to_add.is_empty() {
        let with = match shared_with.len() {
            0 => "with no account".to_string(),
            _ => format!("only with {}", shared_with.join(", ")),
        };
        return Ok(BotOutcome::compliant(
            input,
            format!("Document {name} is private: shared {with}"),
        ));
    }
    let mut changes = Vec::new();
    if public {
        changes.push(format!("stop sharing document {name} with everyone"));
    }
    if !to_add.is_empty() {
        changes.push(format!("share document {name} with {}", to_add.join(", ")));
    }
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!("Would make document {name} private"),
            changes,
        ));
    }
    let kept = shared_with.iter().filter(|id| !is_public(id)).cloned();
    let versions = before.versions.iter().filter(|(id, _)| !is_public(id));
    let versions = versions.map(|(id, version)| (id.clone(), version.clone()));
    let after = DocumentSharing::of(kept.chain(to_add).collect(), versions.collect());
    let resource = Resource {
        client: &ssm,
        id: name,
        label: document_label(name),
    };
    setting::change(
        input,
        &resource,
        RESTORE_DOCUMENT_PERMISSIONS.name,
        (vec![before], vec![after]),
        format!("Document {name} is now private"),
        changes,
    )
    .await
}
