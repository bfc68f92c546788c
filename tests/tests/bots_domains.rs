//! Route 53 Domains bots. The local stack registers domains and reads them back, so the
//! reading (and what a bot decides from it) runs there under the bot's role; it lacks
//! EnableDomainAutoRenew, EnableDomainTransferLock and ListTagsForDomain, so the changing
//! calls and the opt-out tag read run on a mocked Route 53 Domains that answers exactly the
//! expected request. (An enforcing run through `run_step` reads the tag first, so the bots'
//! enforcing runs on the stack go through their inner functions.)

use aws_sdk_route53domains::operation::enable_domain_auto_renew::EnableDomainAutoRenewOutput;
use aws_sdk_route53domains::operation::enable_domain_transfer_lock::EnableDomainTransferLockOutput;
use aws_sdk_route53domains::operation::get_domain_detail::GetDomainDetailOutput;
use aws_sdk_route53domains::operation::list_tags_for_domain::ListTagsForDomainOutput;
use aws_sdk_route53domains::types::{ContactDetail, ContactType, CountryCode, Tag};
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use cloudbots_functions::bots::route53domains::{
    enable_auto_renew_with, enable_transfer_lock_with, read_domain_tag_with, TRANSFER_LOCKED,
};
use cloudbots_shared::outcome::{BotInput, OutcomeStatus};
use cloudbots_shared::plan::Mode;
use cloudbots_tests::{aws, bot_aws, entity, run_ok, step_input, unique_name};
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

/// A Route 53 Domains whose domain has `auto_renew` and `statuses`, and which accepts the
/// enabling calls for `domain` only.
fn domains_with(
    domain: &str,
    auto_renew: bool,
    statuses: &[&str],
) -> aws_sdk_route53domains::Client {
    let statuses: Vec<String> = statuses.iter().map(|s| s.to_string()).collect();
    let detail = mock!(aws_sdk_route53domains::Client::get_domain_detail).then_output(move || {
        GetDomainDetailOutput::builder()
            .auto_renew(auto_renew)
            .set_status_list(Some(statuses.clone()))
            .build()
    });
    let name = domain.to_string();
    let renew = mock!(aws_sdk_route53domains::Client::enable_domain_auto_renew)
        .match_requests(move |r| r.domain_name() == Some(name.as_str()))
        .then_output(|| EnableDomainAutoRenewOutput::builder().build());
    let name = domain.to_string();
    let lock = mock!(aws_sdk_route53domains::Client::enable_domain_transfer_lock)
        .match_requests(move |r| r.domain_name() == Some(name.as_str()))
        .then_output(|| {
            EnableDomainTransferLockOutput::builder()
                .operation_id("op-1234")
                .build()
        });
    mock_client!(
        aws_sdk_route53domains,
        RuleMode::MatchAny,
        [&detail, &renew, &lock]
    )
}

#[tokio::test]
async fn auto_renew_is_turned_on_for_a_domain_that_would_lapse() {
    let bot = "route53domain_enable_auto_renew";
    let domains = domains_with("example.com", false, &[]);
    let done = enable_auto_renew_with(&input(bot, "example.com", Mode::Enforce), &domains)
        .await
        .unwrap();
    assert_eq!(done.status, OutcomeStatus::Remediated, "{}", done.message);
    assert_eq!(
        done.changes,
        vec!["turn on automatic renewal of domain example.com"]
    );
    assert_eq!(done.message, "Domain example.com now renews automatically");

    let renewing = domains_with("example.com", true, &[]);
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
    let unlocked = domains_with("example.com", true, &["ok"]);
    let done = enable_transfer_lock_with(&input(bot, "example.com", Mode::Enforce), &unlocked)
        .await
        .unwrap();
    assert_eq!(done.status, OutcomeStatus::Remediated, "{}", done.message);
    assert_eq!(
        done.message,
        "Domain example.com locked against transfer (operation op-1234)"
    );

    let locked = domains_with("example.com", true, &[TRANSFER_LOCKED]);
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
