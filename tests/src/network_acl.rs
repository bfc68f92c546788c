//! Network ACLs for the tests of the Log.ic ACL bots (`acl_delete`, `acl_revert_modification`):
//! ACLs and inbound entries to create in moto, the CloudTrail records of their changes served
//! by a mocked CloudTrail (the local stack has none), and a revert run as its Lambda's role,
//! shared by the bot and undo tests.

use crate::cloudtrail::alert_input;
use crate::{aws, bot_aws, entity};
use aws_sdk_cloudtrail::operation::lookup_events::LookupEventsOutput;
use aws_sdk_cloudtrail::primitives::DateTime;
use aws_sdk_cloudtrail::types::Event;
use aws_sdk_ec2::types::{PortRange, RuleAction};
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use cloudbots_functions::bots::network_acl::acl_revert_modification_with;
use cloudbots_shared::outcome::{BotInput, BotOutcome};
use cloudbots_shared::plan::Mode;
use serde_json::{json, Value};

pub use crate::cloudtrail::{ALERT, ALERT_SECS};

/// A CloudTrail record of an entry change, `offset` seconds from the alert.
pub fn entry_event(name: &str, request: Value, offset: i64) -> Event {
    let record = json!({"eventName": name, "requestParameters": request});
    Event::builder()
        .event_name(name)
        .event_time(DateTime::from_secs(ALERT_SECS + offset))
        .cloud_trail_event(record.to_string())
        .build()
}

/// The request of an inbound TCP entry as CloudTrail records it.
pub fn tcp_entry(acl: &str, rule: i32, cidr: &str, (from, to): (i32, i32)) -> Value {
    json!({
        "networkAclId": acl, "ruleNumber": rule, "egress": false, "ruleAction": "allow",
        "aclProtocol": "6", "cidrBlock": cidr, "portRange": {"from": from, "to": to}, "icmpTypeCode": {}
    })
}

/// A CloudTrail client answering `near` for the lookup around the alert and `history`
/// (newest first) for the lookup of the ACL's earlier events.
pub fn cloudtrail_with_history(
    near: Vec<Event>,
    history: Vec<Event>,
) -> aws_sdk_cloudtrail::Client {
    let around_alert = mock!(aws_sdk_cloudtrail::Client::lookup_events)
        .match_requests(|r| r.start_time().is_some())
        .then_output(move || {
            LookupEventsOutput::builder()
                .set_events(Some(near.clone()))
                .build()
        });
    let earlier = mock!(aws_sdk_cloudtrail::Client::lookup_events)
        .match_requests(|r| r.start_time().is_none())
        .then_output(move || {
            LookupEventsOutput::builder()
                .set_events(Some(history.clone()))
                .build()
        });
    mock_client!(
        aws_sdk_cloudtrail,
        RuleMode::MatchAny,
        [&around_alert, &earlier]
    )
}

/// The input of the step running `bot` on network ACL `acl`, for a finding raised at
/// [`ALERT`].
pub fn acl_input(bot: &str, acl: &str, mode: Mode) -> BotInput {
    alert_input(bot, entity("NACL", acl, "cloudbots-test-acl"), mode)
}

/// A new network ACL in `vpc`; returns its id.
pub async fn new_acl(ec2: &aws_sdk_ec2::Client, vpc: &str) -> String {
    ec2.create_network_acl()
        .vpc_id(vpc)
        .send()
        .await
        .expect("create_network_acl")
        .network_acl()
        .unwrap()
        .network_acl_id()
        .unwrap()
        .to_string()
}

/// Add the inbound TCP entry `rule` allowing `ports` (from, to) from `cidr` to `acl`.
pub async fn add_tcp_entry(
    ec2: &aws_sdk_ec2::Client,
    acl: &str,
    rule: i32,
    cidr: &str,
    (from, to): (i32, i32),
) {
    ec2.create_network_acl_entry()
        .network_acl_id(acl)
        .rule_number(rule)
        .egress(false)
        .protocol("6")
        .rule_action(RuleAction::Allow)
        .cidr_block(cidr)
        .port_range(PortRange::builder().from(from).to(to).build())
        .send()
        .await
        .expect("create_network_acl_entry");
}

/// A new network ACL in a new VPC with the inbound TCP entries `entries` (rule, cidr, ports).
pub async fn acl_with(entries: &[(i32, &str, (i32, i32))]) -> String {
    let ec2 = aws_sdk_ec2::Client::new(&aws().await);
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.48.0.0/16")
        .send()
        .await
        .unwrap()
        .vpc()
        .unwrap()
        .vpc_id()
        .unwrap()
        .to_string();
    let acl = new_acl(&ec2, &vpc).await;
    for (rule, cidr, ports) in entries {
        add_tcp_entry(&ec2, &acl, *rule, cidr, *ports).await;
    }
    acl
}

/// A CloudTrail whose event closest to the alert created the inbound rule 100 (TCP 22 from
/// anywhere) of `acl`: the bot deletes that entry.
pub fn created_entry_trail(acl: &str) -> aws_sdk_cloudtrail::Client {
    cloudtrail_with_history(
        vec![entry_event(
            "CreateNetworkAclEntry",
            tcp_entry(acl, 100, "0.0.0.0/0", (22, 22)),
            2,
        )],
        vec![],
    )
}

/// Run `acl_revert_modification` (enforce) on `acl` as its role, with `cloudtrail` answering
/// the lookups of its events: the outcome.
pub async fn revert(acl: &str, cloudtrail: &aws_sdk_cloudtrail::Client) -> BotOutcome {
    let bot = "acl_revert_modification";
    let ec2 = aws_sdk_ec2::Client::new(&bot_aws(bot).await);
    acl_revert_modification_with(&acl_input(bot, acl, Mode::Enforce), &ec2, cloudtrail)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}
