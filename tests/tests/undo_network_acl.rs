//! Verify and undo of the network ACL entry revert (`acl_revert_modification`, Log.ic) on the
//! local stack with a mocked CloudTrail, the bot and its restorer (`restore_network_acl_entries`)
//! running as a user allowed exactly its own role's actions (IAM enforced): each ACL is
//! described in full before the revert and equals that description after undo; a second undo
//! restores nothing; entries changed since are refused unless forced; and a deletion answered
//! "done" on the wire but never made fails the step `NotVerified`.

use cloudbots_functions::bots::network_acl::acl_revert_modification_with;
use cloudbots_shared::outcome::OutcomeStatus;
use cloudbots_shared::plan::Mode;
use cloudbots_tests::network_acl::{
    acl_input, acl_with, add_tcp_entry, cloudtrail_with_history, created_entry_trail, entry_event,
    revert, tcp_entry,
};
use cloudbots_tests::wire::{faulty_client, functions_config, query_no_op};
use cloudbots_tests::{assert_not_as_intended, assert_refused_then_forced, assert_undone, aws};
use serde_json::json;

async fn ec2() -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::new(&aws().await)
}

/// The whole network ACL as EC2 describes it: every entry (sorted), its associations, its VPC.
async fn described_acl(acl: &str) -> String {
    let out = ec2()
        .await
        .describe_network_acls()
        .network_acl_ids(acl)
        .send()
        .await
        .expect("describe_network_acls");
    let acl = &out.network_acls()[0];
    let mut entries: Vec<String> = acl.entries().iter().map(|e| format!("{e:?}")).collect();
    entries.sort();
    format!(
        "{:?} in {:?}, default {:?}, entries {entries:?}, associations {:?}",
        acl.network_acl_id(),
        acl.vpc_id(),
        acl.is_default(),
        acl.associations()
    )
}

#[tokio::test]
async fn acl_reverts_are_verified_and_undone_to_the_entries_they_replaced() {
    // The event created rule 100 (the bot deletes it), deleted rule 110 (the bot creates it
    // again), replaced rule 130 (the bot puts its earlier definition back).
    let acl = acl_with(&[
        (100, "0.0.0.0/0", (22, 22)),
        (200, "10.0.0.0/8", (443, 443)),
    ])
    .await;
    let created = created_entry_trail(&acl);
    let deleted_acl = acl_with(&[(200, "10.0.0.0/8", (443, 443))]).await;
    let deleted = cloudtrail_with_history(
        vec![entry_event(
            "DeleteNetworkAclEntry",
            json!({"networkAclId": deleted_acl, "ruleNumber": 110, "egress": false}),
            -1,
        )],
        vec![entry_event(
            "CreateNetworkAclEntry",
            tcp_entry(&deleted_acl, 110, "10.0.0.0/8", (22, 22)),
            -200,
        )],
    );
    let replaced_acl = acl_with(&[(130, "0.0.0.0/0", (0, 65535))]).await;
    let replaced = cloudtrail_with_history(
        vec![entry_event(
            "ReplaceNetworkAclEntry",
            tcp_entry(&replaced_acl, 130, "0.0.0.0/0", (0, 65535)),
            1,
        )],
        vec![entry_event(
            "CreateNetworkAclEntry",
            tcp_entry(&replaced_acl, 130, "0.0.0.0/0", (443, 443)),
            -300,
        )],
    );
    for (case, acl, cloudtrail, left) in [
        (
            "created entry",
            &acl,
            &created,
            "inbound rule 200 allow protocol 6 ports 443-443 from 10.0.0.0/8",
        ),
        (
            "deleted entry",
            &deleted_acl,
            &deleted,
            "inbound rule 110 allow protocol 6 ports 22-22 from 10.0.0.0/8, inbound rule 200 allow protocol 6 ports 443-443 from 10.0.0.0/8",
        ),
        (
            "replaced entry",
            &replaced_acl,
            &replaced,
            "inbound rule 130 allow protocol 6 ports 443-443 from 0.0.0.0/0",
        ),
    ] {
        let before = described_acl(acl).await;
        let outcome = revert(acl, cloudtrail).await;
        assert_eq!(outcome.status, OutcomeStatus::Remediated, "{case}: {}", outcome.message);
        assert_eq!(
            outcome.verified,
            [format!("the entry list of network ACL {acl} is {left}")],
            "{case}"
        );
        assert_ne!(described_acl(acl).await, before, "{case}");
        assert_undone(&outcome, case, &before, || described_acl(acl)).await;
    }
}

#[tokio::test]
async fn acl_entries_changed_since_the_revert_are_refused_unless_forced() {
    let acl = acl_with(&[(100, "0.0.0.0/0", (22, 22))]).await;
    let cloudtrail = created_entry_trail(&acl);
    let before = described_acl(&acl).await;
    let outcome = revert(&acl, &cloudtrail).await;
    add_tcp_entry(&ec2().await, &acl, 300, "192.168.0.0/16", (80, 80)).await;
    assert_refused_then_forced(
        &outcome,
        &["its entry list is inbound rule 300 allow protocol 6 ports 80-80 from 192.168.0.0/16, not only the final deny-all rules as the bot left it"],
        &before,
        || described_acl(&acl),
    )
    .await;
}

#[tokio::test]
async fn an_acl_revert_that_does_not_show_fails_not_verified() {
    let acl = acl_with(&[(100, "0.0.0.0/0", (22, 22))]).await;
    let cloudtrail = created_entry_trail(&acl);
    let action = "DeleteNetworkAclEntry";
    let (client, faults) = faulty_client(action, &[query_no_op(action); 2]).await;
    let ec2 = aws_sdk_ec2::Client::new(&functions_config(client).await);
    let input = acl_input("acl_revert_modification", &acl, Mode::Enforce);
    let error = acl_revert_modification_with(&input, &ec2, &cloudtrail)
        .await
        .unwrap_err();
    assert_eq!(faults.seen(), 1);
    assert_not_as_intended(
        &error,
        &format!("network ACL {acl}"),
        "its entry list is inbound rule 100 allow protocol 6 ports 22-22 from 0.0.0.0/0, not only the final deny-all rules",
    );
}
