//! `ssm_document_set_private`: a Systems Manager document no longer shared with everyone.
//!
//! The document's sharing is read first. Public sharing (`All`) is removed in one call and the
//! accounts the rule names are added in a second, so the document is private in between,
//! never public with the accounts added.

use aws_config::SdkConfig;
use aws_sdk_ssm::types::{DocumentPermissionType, ResourceTypeForTagging};
use cloudbots_runtime::aws_error::{bot_error, code};
use cloudbots_runtime::bot::{dry_run, entity_name, params, Bot};
use cloudbots_runtime::exclusion::{tag_in_listing, TagReader};
use cloudbots_shared::catalogue::TagSource;
use cloudbots_shared::error::BotError;
use cloudbots_shared::outcome::{BotInput, BotOutcome, OutcomeStatus};
use cloudbots_shared::params::SsmDocumentSetPrivateParams;

/// The bots of this module.
pub const BOTS: &[Bot] = &[DOCUMENT_SET_PRIVATE];

pub const DOCUMENT_SET_PRIVATE: Bot = Bot {
    name: "ssm_document_set_private",
    tags: SSM_DOCUMENT_TAGS,
    run: |input, aws| Box::pin(document_set_private(input, aws)),
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

async fn document_set_private(input: &BotInput, aws: &SdkConfig) -> Result<BotOutcome, BotError> {
    let SsmDocumentSetPrivateParams { account_ids_to_add } =
        params::<SsmDocumentSetPrivateParams>(input)?;
    let name = entity_name(input)?;
    let ssm = aws_sdk_ssm::Client::new(aws);
    let read = ssm
        .describe_document_permission()
        .name(name)
        .permission_type(DocumentPermissionType::Share)
        .send()
        .await;
    let shared_with = match read {
        Ok(out) => out.account_ids.unwrap_or_default(),
        Err(e) if code(&e) == Some(NOT_FOUND) => {
            return Ok(BotOutcome::gone(
                input,
                &format!("Document {name}"),
                "nothing to do",
            ))
        }
        Err(e) => {
            return Err(bot_error(
                &format!("reading who document {name} is shared with"),
                e,
            ))
        }
    };
    let public = shared_with.iter().any(|id| id.eq_ignore_ascii_case(PUBLIC));
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
    let modify = || {
        ssm.modify_document_permission()
            .name(name)
            .permission_type(DocumentPermissionType::Share)
    };
    if public {
        modify()
            .account_ids_to_remove(PUBLIC)
            .send()
            .await
            .map_err(|e| bot_error(&changes[0], e))?;
    }
    if !to_add.is_empty() {
        modify()
            .set_account_ids_to_add(Some(to_add))
            .send()
            .await
            .map_err(|e| bot_error(changes.last().expect("a change"), e))?;
    }
    Ok(BotOutcome::new(
        input,
        OutcomeStatus::Remediated,
        format!("Document {name} is now private"),
    )
    .with_changes(changes))
}
