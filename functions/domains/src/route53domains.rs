//! `route53domain_enable_auto_renew` and `route53domain_enable_transfer_lock`: keep a
//! registered domain from lapsing or being transferred away.
//!
//! Route 53 Domains is served from us-east-1 only, whatever the finding's region. The domain
//! is read first (GetDomainDetail): a domain already renewing automatically, or already
//! locked, is already compliant; a domain not registered in the account is skipped with what
//! the service said. After the change the domain is read again until it shows, and
//! `restore_domain_settings` turns automatic renewal or the transfer lock off again.

use aws_config::SdkConfig;
use aws_sdk_route53domains::error::ProvideErrorMetadata;
use aws_sdk_route53domains::operation::get_domain_detail::GetDomainDetailOutput;
use cloudbots_runtime::aws_error::{bot_error, code};
use cloudbots_runtime::bot::{dry_run, entity_name, params, Bot};
use cloudbots_runtime::exclusion::{tag_in_listing, TagReader};
use cloudbots_runtime::restorer::Restorer;
use cloudbots_runtime::session::in_region;
use cloudbots_runtime::setting::{self, restore_settings, settle, Resource, Setting};
use cloudbots_shared::catalogue::TagSource;
use cloudbots_shared::error::BotError;
use cloudbots_shared::outcome::{BotInput, BotOutcome, OutcomeStatus};
use cloudbots_shared::params::NoParams;
use cloudbots_shared::restore::{PriorState, RestoreInput, RestoreOutcome};
use serde::{Deserialize, Serialize};

/// The bots of this module.
pub const BOTS: &[Bot] = &[ENABLE_AUTO_RENEW, ENABLE_TRANSFER_LOCK];

pub const ENABLE_AUTO_RENEW: Bot = Bot {
    name: "route53domain_enable_auto_renew",
    tags: DOMAIN_TAGS,
    run: |input, aws| Box::pin(async move { enable_auto_renew_with(input, &client(aws)).await }),
};

pub const ENABLE_TRANSFER_LOCK: Bot = Bot {
    name: "route53domain_enable_transfer_lock",
    tags: DOMAIN_TAGS,
    run: |input, aws| Box::pin(async move { enable_transfer_lock_with(input, &client(aws)).await }),
};

pub const RESTORE_DOMAIN_SETTINGS: Restorer = Restorer {
    name: "restore_domain_settings",
    run: |input, aws| {
        Box::pin(async move { restore_domain_settings_with(input, &client(aws)).await })
    },
};

/// Registered domains, by name.
pub const DOMAIN_TAGS: TagReader =
    TagReader::new(&[TagSource::Route53Domain], |aws, _, name, key| {
        Box::pin(read_domain_tag(aws, name, key))
    });

/// The only region Route 53 Domains answers in.
pub const DOMAINS_REGION: &str = "us-east-1";

/// The status that says a domain cannot be transferred.
pub const TRANSFER_LOCKED: &str = "clientTransferProhibited";

/// Route 53 Domains answers `InvalidInput` for a domain that is not in the account.
const NOT_IN_ACCOUNT: &str = "InvalidInput";

fn client(aws: &SdkConfig) -> aws_sdk_route53domains::Client {
    aws_sdk_route53domains::Client::new(&in_region(aws, DOMAINS_REGION))
}

async fn read_domain_tag(
    aws: &SdkConfig,
    name: &str,
    key: &str,
) -> Result<Option<String>, BotError> {
    read_domain_tag_with(&client(aws), name, key).await
}

/// The value of the domain's tag `key`; None when it has none or is not in the account.
pub async fn read_domain_tag_with(
    domains: &aws_sdk_route53domains::Client,
    name: &str,
    key: &str,
) -> Result<Option<String>, BotError> {
    let listed = domains
        .list_tags_for_domain()
        .domain_name(name)
        .send()
        .await;
    tag_in_listing(listed, &[NOT_IN_ACCOUNT], name, key, |out| {
        let tags = out.tag_list.unwrap_or_default().into_iter();
        tags.map(|t| (t.key.unwrap_or_default(), t.value))
    })
}

/// What the domain bots change on a registered domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "setting", rename_all = "snake_case")]
pub enum DomainSetting {
    /// Whether the domain renews automatically.
    AutoRenew { on: bool },
    /// Whether the domain is locked against transfer (`clientTransferProhibited`).
    TransferLock { locked: bool },
}

impl Setting for DomainSetting {
    type Client = aws_sdk_route53domains::Client;

    fn name(&self) -> &'static str {
        match self {
            DomainSetting::AutoRenew { .. } => "automatic renewal",
            DomainSetting::TransferLock { .. } => "transfer lock",
        }
    }

    fn words(&self) -> String {
        match self {
            DomainSetting::AutoRenew { on } | DomainSetting::TransferLock { locked: on } => {
                if *on { "on" } else { "off" }.to_string()
            }
        }
    }

    async fn read(
        &self,
        domains: &aws_sdk_route53domains::Client,
        name: &str,
    ) -> Result<Self, BotError> {
        let detail = match domains.get_domain_detail().domain_name(name).send().await {
            Ok(detail) => detail,
            Err(e) if code(&e) == Some(NOT_IN_ACCOUNT) => {
                return Err(BotError::not_found(format!(
                    "domain {name} is not registered in the account (any more)"
                )))
            }
            Err(e) => return Err(bot_error(&format!("reading domain {name}"), e)),
        };
        Ok(match self {
            DomainSetting::AutoRenew { .. } => DomainSetting::AutoRenew {
                on: detail.auto_renew() == Some(true),
            },
            DomainSetting::TransferLock { .. } => DomainSetting::TransferLock {
                locked: is_locked(&detail),
            },
        })
    }

    async fn write(
        &self,
        domains: &aws_sdk_route53domains::Client,
        name: &str,
    ) -> Result<(), BotError> {
        let doing = format!(
            "turning the {} of domain {name} {}",
            self.name(),
            self.words()
        );
        match self {
            DomainSetting::AutoRenew { on: true } => domains
                .enable_domain_auto_renew()
                .domain_name(name)
                .send()
                .await
                .map(drop)
                .map_err(|e| bot_error(&doing, e)),
            DomainSetting::AutoRenew { on: false } => domains
                .disable_domain_auto_renew()
                .domain_name(name)
                .send()
                .await
                .map(drop)
                .map_err(|e| bot_error(&doing, e)),
            DomainSetting::TransferLock { locked: true } => domains
                .enable_domain_transfer_lock()
                .domain_name(name)
                .send()
                .await
                .map(drop)
                .map_err(|e| bot_error(&doing, e)),
            DomainSetting::TransferLock { locked: false } => domains
                .disable_domain_transfer_lock()
                .domain_name(name)
                .send()
                .await
                .map(drop)
                .map_err(|e| bot_error(&doing, e)),
        }
    }
}

fn is_locked(detail: &GetDomainDetailOutput) -> bool {
    detail.status_list().iter().any(|s| s == TRANSFER_LOCKED)
}

fn domain_label(name: &str) -> String {
    format!("domain {name}")
}

/// Undo a domain bot's change with this Route 53 Domains client.
pub async fn restore_domain_settings_with(
    input: &RestoreInput,
    domains: &aws_sdk_route53domains::Client,
) -> Result<RestoreOutcome, BotError> {
    restore_settings::<DomainSetting>(input, domains, domain_label).await
}

/// The domain's details; `Err(outcome)` is the skip for a domain not in the account.
async fn domain_detail(
    input: &BotInput,
    domains: &aws_sdk_route53domains::Client,
    name: &str,
) -> Result<Result<GetDomainDetailOutput, BotOutcome>, BotError> {
    match domains.get_domain_detail().domain_name(name).send().await {
        Ok(detail) => Ok(Ok(detail)),
        Err(e) if code(&e) == Some(NOT_IN_ACCOUNT) => {
            let said = e.as_service_error().and_then(|s| s.message()).unwrap_or("");
            Ok(Err(BotOutcome::new(
                input,
                OutcomeStatus::Skipped,
                format!(
                    "Domain {name} is not registered in account {} ({}): nothing to do",
                    input.target.account_id,
                    said.split_whitespace().collect::<Vec<_>>().join(" ")
                ),
            )))
        }
        Err(e) => Err(bot_error(&format!("reading domain {name}"), e)),
    }
}

/// The finding's domain (the bots take no params) and its details; `Err(outcome)` is the skip
/// for a domain not in the account.
async fn finding_domain<'a>(
    input: &'a BotInput,
    domains: &aws_sdk_route53domains::Client,
) -> Result<Result<(&'a str, GetDomainDetailOutput), BotOutcome>, BotError> {
    params::<NoParams>(input)?;
    let name = entity_name(input)?;
    Ok(domain_detail(input, domains, name)
        .await?
        .map(|detail| (name, detail)))
}

/// Turn on automatic renewal of the finding's domain.
pub async fn enable_auto_renew_with(
    input: &BotInput,
    domains: &aws_sdk_route53domains::Client,
) -> Result<BotOutcome, BotError> {
    let (name, detail) = match finding_domain(input, domains).await? {
        Ok(found) => found,
        Err(skipped) => return Ok(skipped),
    };
    if detail.auto_renew() == Some(true) {
        return Ok(BotOutcome::compliant(
            input,
            format!("Domain {name} already renews automatically"),
        ));
    }
    let expires = detail
        .expiration_date()
        .map(|d| format!(" (it expires {d})"))
        .unwrap_or_default();
    let change = format!("turn on automatic renewal of domain {name}");
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!("Would turn on automatic renewal of domain {name}{expires}"),
            vec![change],
        ));
    }
    let renewal = |on| DomainSetting::AutoRenew { on };
    setting::change(
        input,
        &Resource {
            client: domains,
            id: name,
            label: domain_label(name),
        },
        RESTORE_DOMAIN_SETTINGS.name,
        (vec![renewal(false)], vec![renewal(true)]),
        format!("Domain {name} now renews automatically{expires}"),
        vec![change],
    )
    .await
}

/// Lock the finding's domain against transfer.
pub async fn enable_transfer_lock_with(
    input: &BotInput,
    domains: &aws_sdk_route53domains::Client,
) -> Result<BotOutcome, BotError> {
    let (name, detail) = match finding_domain(input, domains).await? {
        Ok(found) => found,
        Err(skipped) => return Ok(skipped),
    };
    if is_locked(&detail) {
        return Ok(BotOutcome::compliant(
            input,
            format!("Domain {name} is already locked against transfer"),
        ));
    }
    let change = format!("lock domain {name} against transfer ({TRANSFER_LOCKED})");
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!("Would lock domain {name} against transfer"),
            vec![change],
        ));
    }
    let lock = |locked| DomainSetting::TransferLock { locked };
    // Not `setting::change`: some top-level domains have no transfer lock, which is a skip.
    let operation = match domains
        .enable_domain_transfer_lock()
        .domain_name(name)
        .send()
        .await
    {
        Ok(out) => out.operation_id().unwrap_or("?").to_string(),
        Err(e) if matches!(code(&e), Some("TLDRulesViolation" | "UnsupportedTLD")) => {
            let said = e.as_service_error().and_then(|s| s.message()).unwrap_or("");
            return Ok(BotOutcome::new(
                input,
                OutcomeStatus::Skipped,
                format!("Domain {name} cannot be locked against transfer: {said}"),
            ));
        }
        Err(e) => {
            return Err(bot_error(
                &format!("locking domain {name} against transfer"),
                e,
            ))
        }
    };
    let resource = Resource {
        client: domains,
        id: name,
        label: domain_label(name),
    };
    let verified = settle(&resource, &[lock(true)]).await?;
    let prior = PriorState::of(
        input,
        RESTORE_DOMAIN_SETTINGS.name,
        name,
        serde_json::json!([lock(false)]),
        serde_json::json!([lock(true)]),
    );
    Ok(BotOutcome::remediated(
        input,
        format!("Domain {name} locked against transfer (operation {operation})"),
        vec![change],
    )
    .with_verified(verified)
    .with_prior(prior))
}
