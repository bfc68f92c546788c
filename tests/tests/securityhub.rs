//! Security Hub findings end to end: an ASFF and an OCSF control finding go through the intake
//! and the real state machine of the local stack with the shipped mapping
//! (`infra/securityhub-actions.json`), the resource is fixed in moto, and the report marks the
//! finding (`BatchUpdateFindings` / `BatchUpdateFindingsV2`, which moto lacks, are answered by
//! the local gateway, which keeps each request). The echo Security Hub emits for that update
//! starts nothing, and a finding that cannot be marked is not remediated again.

use cloudbots_cli::local::{LOCAL_ACCOUNT, LOCAL_REGION};
use cloudbots_cli::run::{ExecutionView, Sent};
use cloudbots_functions::intake::Disposition;
use cloudbots_shared::audit::AuditStatus;
use cloudbots_shared::mapping::Mappings;
use cloudbots_tests::e2e::{audit_store, invoked, json_deployment, local_planner, send_with};
use cloudbots_tests::{aws, stack, unique_name};
use serde_json::{json, Value};

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/../tests/fixtures/securityhub/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).expect(&path)).unwrap()
}

/// The shipped mapping, as a deployment that chose it has it.
fn shipped_mapping() -> Mappings {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../infra/securityhub-actions.json"
    );
    Mappings::default()
        .with_securityhub(&std::fs::read_to_string(path).unwrap())
        .unwrap()
}

async fn send(event: &Value) -> Sent {
    send_with(
        json_deployment().await,
        local_planner(),
        shipped_mapping(),
        event,
    )
    .await
}

/// Assert the event started nothing and was recorded as skipped with `reason` under the
/// execution name its generation would have had.
async fn assert_skipped(sent: &Sent, reason: &str) {
    assert!(sent.executions.is_empty());
    let [Disposition::Skipped {
        execution_name,
        reason: said,
        delivery,
    }] = &sent.dispositions[..]
    else {
        panic!("expected a skip: {:?}", sent.dispositions)
    };
    assert_eq!(said, reason);
    let records = audit_store(json_deployment().await)
        .await
        .records(execution_name)
        .await
        .unwrap();
    let skipped: Vec<_> = records
        .iter()
        .filter(|r| r.status == AuditStatus::Skipped)
        .map(|r| (r.record_id.as_str(), r.message.as_str()))
        .collect();
    assert_eq!(skipped, [(format!("skipped#{delivery}").as_str(), reason)]);
}

fn only_execution(sent: &Sent) -> &ExecutionView {
    match (&sent.dispositions[..], &sent.executions[..]) {
        ([Disposition::Started { .. }], [view]) => view,
        _ => panic!("expected one execution: {:?}", sent.dispositions),
    }
}

/// The ASFF S3.8 finding of the fixture, about `bucket` of the local account.
fn asff_s3_8(bucket: &str) -> Value {
    let mut event = fixture("asff_s3.8_bucket-public-access-block_failed_consolidated.json");
    event["account"] = json!(LOCAL_ACCOUNT);
    event["region"] = json!(LOCAL_REGION);
    let finding = &mut event["detail"]["findings"][0];
    finding["Id"] = json!(format!(
        "arn:aws:securityhub:{LOCAL_REGION}:{LOCAL_ACCOUNT}:security-control/S3.8/finding/{bucket}"
    ));
    finding["AwsAccountId"] = json!(LOCAL_ACCOUNT);
    finding["Resources"][0]["Id"] = json!(format!("arn:aws:s3:::{bucket}"));
    finding["Resources"][0]["Region"] = json!(LOCAL_REGION);
    event
}

async fn new_bucket() -> String {
    let bucket = unique_name("sh-public-assets");
    aws_sdk_s3::Client::new(&aws().await)
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("create_bucket");
    bucket
}

async fn public_access_block(bucket: &str) -> Option<Vec<Option<bool>>> {
    let out = aws_sdk_s3::Client::new(&aws().await)
        .get_public_access_block()
        .bucket(bucket)
        .send()
        .await
        .ok()?;
    let c = out.public_access_block_configuration()?;
    Some(vec![
        c.block_public_acls(),
        c.ignore_public_acls(),
        c.block_public_policy(),
        c.restrict_public_buckets(),
    ])
}

/// The Security Hub updates the report made for a finding id.
fn updates_of(finding_id: &str) -> Vec<(&'static str, String, Value)> {
    stack()
        .gateway()
        .securityhub_updates()
        .into_iter()
        .filter(|u| u.request.to_string().contains(finding_id))
        .map(|u| (u.operation, u.region, u.request))
        .collect()
}

#[tokio::test]
async fn an_asff_control_finding_is_remediated_marked_resolved_and_its_echo_starts_nothing() {
    let bucket = new_bucket().await;
    assert_eq!(public_access_block(&bucket).await, None);
    let event = asff_s3_8(&bucket);
    let finding_id = event["detail"]["findings"][0]["Id"]
        .as_str()
        .unwrap()
        .to_string();

    let sent = send(&event).await;
    let view = only_execution(&sent);
    assert!(view.name.starts_with("sh-"), "{}", view.name);
    assert_eq!(view.status, "SUCCEEDED", "{:?}", view.error);
    assert_eq!(
        invoked(&view.name),
        ["s3_block_all_public_access", "report"]
    );
    assert_eq!(view.records[0].status, AuditStatus::Remediated);
    assert_eq!(
        public_access_block(&bucket).await,
        Some(vec![Some(true); 4]),
        "the bucket's public access is blocked"
    );

    let updates = updates_of(&finding_id);
    assert_eq!(updates.len(), 1, "{updates:?}");
    let (operation, region, request) = &updates[0];
    assert_eq!(*operation, "BatchUpdateFindings");
    assert_eq!(region, LOCAL_REGION);
    assert_eq!(
        request["FindingIdentifiers"],
        json!([{"Id": finding_id, "ProductArn": "arn:aws:securityhub:us-east-1::product/aws/securityhub"}])
    );
    assert_eq!(request["Workflow"]["Status"], "RESOLVED");
    assert_eq!(request["Note"]["UpdatedBy"], "cloudbots");
    assert_eq!(
        request["Note"]["Text"],
        format!(
            "[cloudbots] execution {}: s3_block_all_public_access remediated",
            view.name
        )
    );

    // Security Hub emits the updated finding again: same generation, our note.
    let mut echo = event.clone();
    echo["id"] = json!("echo-event");
    echo["detail"]["findings"][0]["Workflow"] = json!({"Status": "RESOLVED"});
    echo["detail"]["findings"][0]["Note"] = json!({"Text": request["Note"]["Text"], "UpdatedBy": "cloudbots", "UpdatedAt": "2026-12-03T10:00:00Z"});
    let sent = send(&echo).await;
    assert_skipped(
        &sent,
        &format!(
            "the echo of cloudbots' own update of this finding (execution {}): nothing to do",
            view.name
        ),
    )
    .await;
    assert_eq!(updates_of(&finding_id).len(), 1, "the echo marks nothing");
}

#[tokio::test]
async fn an_ocsf_control_finding_is_remediated_and_marked_with_the_v2_call() {
    let sqs = aws_sdk_sqs::Client::new(&aws().await);
    let name = unique_name("sh-queue");
    let url = sqs
        .create_queue()
        .queue_name(&name)
        .attributes(
            aws_sdk_sqs::types::QueueAttributeName::SqsManagedSseEnabled,
            "false",
        )
        .send()
        .await
        .expect("create_queue")
        .queue_url()
        .unwrap()
        .to_string();
    let arn = format!("arn:aws:sqs:{LOCAL_REGION}:{LOCAL_ACCOUNT}:{name}");
    let mut event = fixture("ocsf_sqs.1_queue-encryption_failed.json");
    event["account"] = json!(LOCAL_ACCOUNT);
    event["region"] = json!(LOCAL_REGION);
    let finding = &mut event["detail"]["findings"][0];
    let finding_id = format!(
        "arn:aws:securityhub:{LOCAL_REGION}:{LOCAL_ACCOUNT}:security-control/SQS.1/finding/{name}"
    );
    finding["finding_info"]["uid"] = json!(finding_id);
    finding["cloud"]["account"]["uid"] = json!(LOCAL_ACCOUNT);
    finding["cloud"]["region"] = json!(LOCAL_REGION);
    finding["resources"][0]["uid"] = json!(url);
    finding["resources"][0]["uid_alt"] = json!(arn);
    finding["resources"][0]["region"] = json!(LOCAL_REGION);
    let product = finding["metadata"]["product"]["uid"].clone();

    let sent = send(&event).await;
    let view = only_execution(&sent);
    assert_eq!(view.status, "SUCCEEDED", "{:?}", view.error);
    assert_eq!(invoked(&view.name), ["sqs_enforce_sse", "report"]);
    let attributes = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::SqsManagedSseEnabled)
        .send()
        .await
        .expect("get_queue_attributes");
    assert_eq!(
        attributes
            .attributes()
            .and_then(|a| a.get(&aws_sdk_sqs::types::QueueAttributeName::SqsManagedSseEnabled))
            .map(String::as_str),
        Some("true"),
        "the queue is encrypted"
    );

    let updates = updates_of(&finding_id);
    assert_eq!(updates.len(), 1, "{updates:?}");
    let (operation, _, request) = &updates[0];
    assert_eq!(*operation, "BatchUpdateFindingsV2");
    assert_eq!(
        request["FindingIdentifiers"],
        json!([{"CloudAccountUid": LOCAL_ACCOUNT, "FindingInfoUid": finding_id, "MetadataProductUid": product}])
    );
    assert_eq!(request["StatusId"], 4);
    assert_eq!(
        request["Comment"],
        format!(
            "[cloudbots] execution {}: sqs_enforce_sse remediated",
            view.name
        )
    );
}

#[tokio::test]
async fn a_finding_that_cannot_be_marked_is_not_remediated_again() {
    let bucket = new_bucket().await;
    let event = asff_s3_8(&bucket);
    let finding_id = event["detail"]["findings"][0]["Id"]
        .as_str()
        .unwrap()
        .to_string();
    stack().gateway().refuse_securityhub_update(&finding_id, 1);

    let sent = send(&event).await;
    let view = only_execution(&sent);
    assert_eq!(view.status, "SUCCEEDED", "{:?}", view.error);
    assert_eq!(
        invoked(&view.name),
        ["s3_block_all_public_access", "report"],
        "one bot run, one report: nothing retried"
    );
    assert_eq!(
        public_access_block(&bucket).await,
        Some(vec![Some(true); 4])
    );
    let report = stack()
        .gateway()
        .invocations_of(&view.name)
        .into_iter()
        .find(|i| i.function == "report")
        .unwrap();
    let result = report.result.expect("the report succeeds");
    assert!(result.get("finding_marked").is_none(), "{result}");
    assert!(
        result["finding_mark_failed"]
            .as_str()
            .unwrap()
            .contains("AccessDeniedException"),
        "{result}"
    );
    assert!(updates_of(&finding_id).is_empty());
}

#[tokio::test]
async fn a_passed_or_unmapped_control_finding_starts_nothing_and_says_why() {
    let passed = fixture("asff_s3.12_bucket-acls_PASSED_consolidated.json");
    let ocsf_passed = fixture("ocsf_sqs.3_queue-public-access_PASSED.json");
    let mut unmapped = fixture("ocsf_ec2.19_sg-high-risk-ports_failed.json");
    unmapped["detail"]["findings"][0]["cloud"]["account"]["uid"] = json!(LOCAL_ACCOUNT);
    for (event, reason) in [
        (passed, "control S3.12 is PASSED: nothing to remediate"),
        (
            ocsf_passed,
            "the finding is already resolved (status Resolved): nothing to remediate",
        ),
        (
            unmapped,
            "no bots are mapped to Security Hub control EC2.19 (SECURITYHUB_ACTIONS)",
        ),
    ] {
        assert_skipped(&send(&event).await, reason).await;
    }
}
