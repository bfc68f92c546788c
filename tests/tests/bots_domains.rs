//! Route 53 Domains bots. The local stack registers domains and reads them back, so the
//! reading (and what a bot decides from it) runs there under the bot's role; it lacks
//! EnableDomainAutoRenew, EnableDomainTransferLock and ListTagsForDomain, so the changing
//! calls and the opt-out tag read run on a mocked Route 53 Domains that answers exactly the
//! expected request. (An enforcing run through `run_step` reads the tag first, so the bots'
//! enforcing runs on the stack go through their inner functions.)
//!
//! For the same reason the bots' read-back of their change and `restore_domain_settings` (which
//! turns renewal or the lock off again: DisableDomainAutoRenew and DisableDomainTransferLock
//! are not on the stack either) are verified on the mocked Route 53 Domains, which answers
//! each read as the domain is at that point.

use aws_sdk_route53domains::operation::disable_domain_auto_renew::DisableDomainAutoRenewOutput;
use aws_sdk_route53domains::operation::disable_domain_transfer_lock::DisableDomainTransferLockOutput;
use aws_sdk_route53domains::operation::enable_domain_auto_renew::EnableDomainAutoRenewOutput;
use aws_sdk_route53domains::operation::enable_domain_transfer_lock::EnableDomainTransferLockOutput;
use aws_sdk_route53domains::operation::get_domain_detail::{
    GetDomainDetailError, GetDomainDetailOutput,
};
use aws_sdk_route53domains::operation::list_tags_for_domain::ListTagsForDomainOutput;
use aws_sdk_route53domains::types::error::InvalidInput;
use aws_sdk_route53domains::types::{ContactDetail, ContactType, CountryCode, Tag};
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use aws_smithy_types::error::ErrorMetadata;
use cloudbots_functions::bots::route53domains::{
    enable_auto_renew_with, enable_transfer_lock_with, read_domain_tag_with,
    restore_domain_settings_with, TRANSFER_LOCKED,
};
use cloudbots_shared::error::ErrorName;
use cloudbots_shared::outcome::{BotInput, BotOutcome, OutcomeStatus};
use cloudbots_shared::plan::Mode;
use cloudbots_shared::restore::{RestoreOutcome, RestoreStatus};
use cloudbots_tests::{aws, bot_aws, entity, restore_input, run_ok, step_input, unique_name};
use serde_json::Value;

fn domain_entity(name: &str) -> Value {
    entity("Route53Domain", name, name)
}

fn input(bot: &str, domain: &str, mode: Mode) -> BotInput {
    step_input(bot, domain_entity(domain), bot, mode)
}

/// Register `<unique>.com` on the local stack, renewing automatically or not.
async fn registered_domain(auto_renew: bool) -> String {
    let domain = format!("{}.com", unique_name("cloudbots-example"));
    let contact = ContactDetail::builder()
        .contact_type(ContactType::Person)
        .first_name("Ada")
        .last_name("Lovelace")
        .address_line1("1 Main Street")
        .city("Seattle")
        .state("WA")
        .country_code(CountryCode::Us)
        .zip_code("98101")
        .phone_number("+1.2065550100")
        .email("ada@example.com")
        .build();
    aws_sdk_route53domains::Client::new(&aws().await)
        .register_domain()
        .domain_name(&domain)
        .duration_in_years(2)
        .auto_renew(auto_renew)
        .admin_contact(contact.clone())
        .registrant_contact(contact.clone())
        .tech_contact(contact)
        .send()
        .await
        .expect("register_domain");
    domain
}

/// The domain as GetDomainDetail reads it: renewing automatically or not, with `statuses`.
#[derive(Clone, Copy)]
struct Detail {
    auto_renew: bool,
    statuses: &'static [&'static str],
}

const LAPSING: Detail = Detail {
    auto_renew: false,
    statuses: &[],
};
const RENEWING: Detail = Detail {
    auto_renew: true,
    statuses: &[],
};
const UNLOCKED: Detail = Detail {
    auto_renew: true,
    statuses: &["ok"],
};
const LOCKED: Detail = Detail {
    auto_renew: true,
    statuses: &[TRANSFER_LOCKED],
};

/// The calls a mocked Route 53 Domains answers for `domain` only: each is counted.
struct Calls {
    enable_renew: Rule,
    enable_lock: Rule,
    disable_renew: Rule,
    disable_lock: Rule,
}

/// A Route 53 Domains whose domain reads as each of `reads` in turn (the last from then on),
/// and which accepts the enabling and disabling calls for `domain` only.
fn mocked_domains(domain: &str, reads: &[Detail]) -> (aws_sdk_route53domains::Client, Calls) {
    let output = |detail: Detail| {
        move || {
            GetDomainDetailOutput::builder()
                .auto_renew(detail.auto_renew)
                .set_status_list(Some(
                    detail.statuses.iter().map(|s| s.to_string()).collect(),
                ))
                .build()
        }
    };
    let (last, first) = reads.split_last().expect("a read");
    let detail = first
        .iter()
        .fold(
            mock!(aws_sdk_route53domains::Client::get_domain_detail).sequence(),
            |sequence, read| sequence.output(output(*read)),
        )
        .output(output(*last))
        .repeatedly()
        .build();
    let named = |name: &str| {
        let name = name.to_string();
        move |domain: Option<&str>| domain == Some(name.as_str())
    };
    let is = named(domain);
    let enable_renew = mock!(aws_sdk_route53domains::Client::enable_domain_auto_renew)
        .match_requests(move |r| is(r.domain_name()))
        .then_output(|| EnableDomainAutoRenewOutput::builder().build());
    let is = named(domain);
    let enable_lock = mock!(aws_sdk_route53domains::Client::enable_domain_transfer_lock)
        .match_requests(move |r| is(r.domain_name()))
        .then_output(|| {
            EnableDomainTransferLockOutput::builder()
                .operation_id("op-1234")
                .build()
        });
    let is = named(domain);
    let disable_renew = mock!(aws_sdk_route53domains::Client::disable_domain_auto_renew)
        .match_requests(move |r| is(r.domain_name()))
        .then_output(|| DisableDomainAutoRenewOutput::builder().build());
    let is = named(domain);
    let disable_lock = mock!(aws_sdk_route53domains::Client::disable_domain_transfer_lock)
        .match_requests(move |r| is(r.domain_name()))
        .then_output(|| {
            DisableDomainTransferLockOutput::builder()
                .operation_id("op-5678")
                .build()
        });
    let client = mock_client!(
        aws_sdk_route53domains,
        RuleMode::MatchAny,
        [
            &detail,
            &enable_renew,
            &enable_lock,
            &disable_renew,
            &disable_lock
        ]
    );
    let calls = Calls {
        enable_renew,
        enable_lock,
        disable_renew,
        disable_lock,
    };
    (client, calls)
}

/// A mocked Route 53 Domains reading the domain as each of `reads` in turn.
fn domains_with(domain: &str, reads: &[Detail]) -> aws_sdk_route53domains::Client {
    mocked_domains(domain, reads).0
}

#[tokio::test]
async fn auto_renew_is_turned_on_for_a_domain_that_would_lapse() {
    let bot = "route53domain_enable_auto_renew";
    let domains = domains_with("example.com", &[LAPSING, RENEWING]);
    let done = enable_auto_renew_with(&input(bot, "example.com", Mode::Enforce), &domains)
        .await
        .unwrap();
    assert_eq!(done.status, OutcomeStatus::Remediated, "{}", done.message);
    assert_eq!(
        done.changes,
        vec!["turn on automatic renewal of domain example.com"]
    );
    assert_eq!(done.message, "Domain example.com now renews automatically");

    let renewing = domains_with("example.com", &[RENEWING]);
    let again = enable_auto_renew_with(&input(bot, "example.com", Mode::Enforce), &renewing)
        .await
        .unwrap();
    assert_eq!(again.status, OutcomeStatus::AlreadyCompliant);
}

/// Route 53 Domains of the local stack, signed as `bot` with IAM enforced.
async fn stack_domains(bot: &str) -> aws_sdk_route53domains::Client {
    aws_sdk_route53domains::Client::new(&bot_aws(bot).await)
}

#[tokio::test]
async fn auto_renew_reads_the_stacks_domain_with_its_role() {
    let bot = "route53domain_enable_auto_renew";
    let renewing = registered_domain(true).await;
    let compliant = enable_auto_renew_with(
        &input(bot, &renewing, Mode::Enforce),
        &stack_domains(bot).await,
    )
    .await
    .unwrap();
    assert_eq!(
        compliant.status,
        OutcomeStatus::AlreadyCompliant,
        "{}",
        compliant.message
    );
    assert_eq!(
        compliant.message,
        format!("Domain {renewing} already renews automatically")
    );

    let lapsing = registered_domain(false).await;
    let dry = run_ok(bot, domain_entity(&lapsing), Mode::DryRun).await;
    assert_eq!(dry.status, OutcomeStatus::DryRun);
    assert!(
        dry.message.starts_with(&format!(
            "Would turn on automatic renewal of domain {lapsing} (it expires "
        )),
        "{}",
        dry.message
    );
}

#[tokio::test]
async fn a_domain_not_in_the_account_is_skipped() {
    let bot = "route53domain_enable_transfer_lock";
    let outcome = enable_transfer_lock_with(
        &input(bot, "not-ours-cloudbots.com", Mode::Enforce),
        &stack_domains(bot).await,
    )
    .await
    .unwrap();
    assert_eq!(outcome.status, OutcomeStatus::Skipped);
    assert!(
        outcome.message.starts_with(
            "Domain not-ours-cloudbots.com is not registered in account 123456789012 ("
        ),
        "{}",
        outcome.message
    );
}

#[tokio::test]
async fn the_opt_out_tag_is_read_from_the_domain() {
    let rule = mock!(aws_sdk_route53domains::Client::list_tags_for_domain)
        .match_requests(|r| r.domain_name() == Some("example.com"))
        .then_output(|| {
            ListTagsForDomainOutput::builder()
                .tag_list(Tag::builder().key("owner").value("web").build())
                .tag_list(Tag::builder().key("cloudbots:exclude").value("all").build())
                .build()
        });
    let domains = mock_client!(aws_sdk_route53domains, RuleMode::MatchAny, [&rule]);
    let value = read_domain_tag_with(&domains, "example.com", "cloudbots:exclude")
        .await
        .unwrap();
    assert_eq!(value.as_deref(), Some("all"));
}

#[tokio::test]
async fn transfer_lock_is_set_once_and_named_by_its_operation() {
    let bot = "route53domain_enable_transfer_lock";
    let unlocked = domains_with("example.com", &[UNLOCKED, LOCKED]);
    let done = enable_transfer_lock_with(&input(bot, "example.com", Mode::Enforce), &unlocked)
        .await
        .unwrap();
    assert_eq!(done.status, OutcomeStatus::Remediated, "{}", done.message);
    assert_eq!(
        done.message,
        "Domain example.com locked against transfer (operation op-1234)"
    );

    let locked = domains_with("example.com", &[LOCKED]);
    let again = enable_transfer_lock_with(&input(bot, "example.com", Mode::Enforce), &locked)
        .await
        .unwrap();
    assert_eq!(again.status, OutcomeStatus::AlreadyCompliant);
    assert_eq!(
        again.message,
        "Domain example.com is already locked against transfer"
    );
}

#[tokio::test]
async fn transfer_lock_dry_run_on_the_stack_lists_the_lock() {
    let domain = registered_domain(true).await;
    let dry = run_ok(
        "route53domain_enable_transfer_lock",
        domain_entity(&domain),
        Mode::DryRun,
    )
    .await;
    assert_eq!(dry.status, OutcomeStatus::DryRun, "{}", dry.message);
    assert_eq!(
        dry.changes,
        vec![format!(
            "lock domain {domain} against transfer (clientTransferProhibited)"
        )]
    );
}

// ---- verify and undo, on the mocked Route 53 Domains ----

/// `restore_domain_settings` undoing `outcome` with `domains`.
async fn undo(outcome: &BotOutcome, domains: &aws_sdk_route53domains::Client) -> RestoreOutcome {
    restore_domain_settings_with(&restore_input(outcome, Mode::Enforce, false), domains)
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", outcome.bot))
}

#[tokio::test]
async fn auto_renew_and_transfer_lock_are_verified_and_turned_off_again_by_undo() {
    for (bot, reads, undo_reads, verified, restored) in [
        (
            "route53domain_enable_auto_renew",
            [LAPSING, RENEWING],
            [RENEWING, LAPSING],
            "the automatic renewal of domain example.com is on",
            "the automatic renewal of domain example.com is off",
        ),
        (
            "route53domain_enable_transfer_lock",
            [UNLOCKED, LOCKED],
            [LOCKED, UNLOCKED],
            "the transfer lock of domain example.com is on",
            "the transfer lock of domain example.com is off",
        ),
    ] {
        let (domains, calls) = mocked_domains("example.com", &reads);
        let input = input(bot, "example.com", Mode::Enforce);
        let done = match bot {
            "route53domain_enable_auto_renew" => enable_auto_renew_with(&input, &domains).await,
            _ => enable_transfer_lock_with(&input, &domains).await,
        }
        .unwrap();
        assert_eq!(done.status, OutcomeStatus::Remediated, "{}", done.message);
        assert_eq!(done.verified, [verified], "{bot}");
        assert_eq!(
            calls.enable_renew.num_calls() + calls.enable_lock.num_calls(),
            1
        );

        let (domains, calls) = mocked_domains("example.com", &undo_reads);
        let undone = undo(&done, &domains).await;
        assert_eq!(undone.status, RestoreStatus::Restored, "{}", undone.message);
        assert_eq!(undone.verified, [restored], "{bot}");
        let disabled = (
            calls.disable_renew.num_calls(),
            calls.disable_lock.num_calls(),
        );
        match bot {
            "route53domain_enable_auto_renew" => assert_eq!(disabled, (1, 0)),
            _ => assert_eq!(disabled, (0, 1)),
        }

        let (domains, calls) = mocked_domains("example.com", &undo_reads[1..]);
        let again = undo(&done, &domains).await;
        assert_eq!(again.status, RestoreStatus::NothingToRestore, "{bot}");
        assert_eq!(
            calls.disable_renew.num_calls() + calls.disable_lock.num_calls(),
            0
        );
    }
}

#[tokio::test]
async fn a_domain_change_that_does_not_show_fails_not_verified() {
    for (bot, unchanged, mismatch) in [
        (
            "route53domain_enable_auto_renew",
            LAPSING,
            "its automatic renewal is off, not on",
        ),
        (
            "route53domain_enable_transfer_lock",
            UNLOCKED,
            "its transfer lock is off, not on",
        ),
    ] {
        let domains = domains_with("example.com", &[unchanged]);
        let input = input(bot, "example.com", Mode::Enforce);
        let error = match bot {
            "route53domain_enable_auto_renew" => enable_auto_renew_with(&input, &domains).await,
            _ => enable_transfer_lock_with(&input, &domains).await,
        }
        .unwrap_err();
        assert_eq!(error.name, ErrorName::NotVerified, "{bot}: {error}");
        assert_eq!(
            error.message,
            format!("domain example.com read back after the change is not as intended (3 reads): {mismatch}")
        );
    }
}

#[tokio::test]
async fn undo_of_a_domain_no_longer_in_the_account_fails_not_found() {
    let (domains, _) = mocked_domains("example.com", &[LAPSING, RENEWING]);
    let bot = "route53domain_enable_auto_renew";
    let done = enable_auto_renew_with(&input(bot, "example.com", Mode::Enforce), &domains)
        .await
        .unwrap();
    let gone = mock!(aws_sdk_route53domains::Client::get_domain_detail).then_error(|| {
        let said = "Domain example.com not found in account";
        GetDomainDetailError::InvalidInput(
            InvalidInput::builder()
                .message(said)
                .meta(
                    ErrorMetadata::builder()
                        .code("InvalidInput")
                        .message(said)
                        .build(),
                )
                .build(),
        )
    });
    let domains = mock_client!(aws_sdk_route53domains, RuleMode::MatchAny, [&gone]);
    let error = restore_domain_settings_with(&restore_input(&done, Mode::Enforce, false), &domains)
        .await
        .unwrap_err();
    assert_eq!(error.name, ErrorName::NotFound, "{error}");
    assert_eq!(
        error.message,
        "domain example.com is not registered in the account (any more)"
    );
}
