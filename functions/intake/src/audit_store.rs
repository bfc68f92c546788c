//! The audit table, as the intake and the report use it. Step records are written by the
//! state machine itself; here we read them back, record duplicate deliveries, findings that
//! needed nothing (skipped, with the reason) and inputs the intake refused, and keep the CloudGuard feedback key out of the execution input (it waits
//! here for the report, which deletes it).

use aws_sdk_dynamodb::types::AttributeValue;
use cloudbots_runtime::aws_error::bot_error;
use cloudbots_shared::audit::{AuditRecord, AuditStatus, PK, SK};
use cloudbots_shared::error::BotError;
use cloudbots_shared::finding::{fingerprint, Secret};
use std::collections::HashMap;

/// Sort key of the feedback key's item.
const FEEDBACK_SECRET: &str = "secret#feedback";
/// How long an unused feedback key is kept (DynamoDB TTL attribute `expires_at`).
const SECRET_TTL_SECONDS: i64 = 86_400;
/// How long the record of a skipped finding is kept: findings that need nothing can be many
/// (CloudGuard's "send all events", every passed control), and they change nothing.
pub const SKIPPED_TTL_SECONDS: i64 = 30 * 86_400;

/// An item the intake writes about a delivery (not a step's record).
struct IntakeRecord<'a> {
    partition: &'a str,
    sort_key: &'a str,
    status: &'a str,
    message: &'a str,
    detail: &'a str,
    delivery: &'a str,
    recorded_at: &'a str,
    expires_at: Option<i64>,
}

/// The audit table.
#[derive(Clone)]
pub struct AuditStore {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

impl AuditStore {
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        AuditStore {
            client,
            table: table.into(),
        }
    }

    /// Every audit record of an execution, in record order (steps, then rejected entries).
    pub async fn records(&self, execution: &str) -> Result<Vec<AuditRecord>, BotError> {
        let mut records = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("#pk = :pk")
                .expression_attribute_names("#pk", PK)
                .expression_attribute_values(":pk", AttributeValue::S(execution.to_string()))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| bot_error("reading the audit records", e))?;
            records.extend(page.items().iter().filter_map(parse_record));
            start = page.last_evaluated_key().cloned();
            if start.is_none() {
                return Ok(records);
            }
        }
    }

    /// Record that a finding generation arrived again and started nothing.
    pub async fn put_duplicate(
        &self,
        execution: &str,
        delivery: &str,
        now: &str,
    ) -> Result<(), BotError> {
        self.put_intake_record(IntakeRecord {
            partition: execution,
            sort_key: &format!("duplicate#{now}#{delivery}"),
            status: "duplicate",
            message: &format!("The same finding generation arrived again ({delivery}); execution {execution} already exists, nothing new started"),
            detail: "{}",
            delivery,
            recorded_at: now,
            expires_at: None,
        })
        .await
        .map_err(|e| bot_error("recording a duplicate delivery", e))
    }

    /// Record that a finding needed no execution (passed, archived, suppressed, resolved,
    /// unmapped, the echo of our own update…) and why, under the execution name its generation
    /// would have had. A redelivery rewrites the same item; the item expires after
    /// [`SKIPPED_TTL_SECONDS`].
    pub async fn put_skipped(
        &self,
        execution: &str,
        delivery: &str,
        reason: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), BotError> {
        self.put_intake_record(IntakeRecord {
            partition: execution,
            sort_key: &format!("skipped#{delivery}"),
            status: "skipped",
            message: reason,
            detail: "{}",
            delivery,
            recorded_at: &now.to_rfc3339(),
            expires_at: Some(now.timestamp() + SKIPPED_TTL_SECONDS),
        })
        .await
        .map_err(|e| bot_error("recording a skipped finding", e))
    }

    /// Record an input the intake could not read or run: the reason and a bounded,
    /// secret-free excerpt, in the day's [`invalid_partition`]. A redelivery of the same input
    /// rewrites the same item.
    pub async fn put_invalid(
        &self,
        delivery: &str,
        reason: &str,
        excerpt: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), BotError> {
        let id = fingerprint(&[delivery, reason, excerpt]);
        let detail = serde_json::json!({"delivery": delivery, "excerpt": excerpt});
        self.put_intake_record(IntakeRecord {
            partition: &invalid_partition(now),
            sort_key: &format!("invalid#{}", &id[..24]),
            status: "rejected",
            message: reason,
            detail: &detail.to_string(),
            delivery,
            recorded_at: &now.to_rfc3339(),
            expires_at: None,
        })
        .await
        .map_err(|e| bot_error("recording an invalid input", e))
    }

    async fn put_intake_record(
        &self,
        record: IntakeRecord<'_>,
    ) -> Result<
        (),
        aws_sdk_dynamodb::error::SdkError<aws_sdk_dynamodb::operation::put_item::PutItemError>,
    > {
        let mut item = HashMap::from([
            (PK.to_string(), s(record.partition)),
            (SK.to_string(), s(record.sort_key)),
            ("bot".to_string(), s("intake")),
            ("phase".to_string(), s("none")),
            ("status".to_string(), s(record.status)),
            ("message".to_string(), s(record.message)),
            ("detail".to_string(), s(record.detail)),
            ("recorded_at".to_string(), s(record.recorded_at)),
            ("entry".to_string(), s(record.delivery)),
        ]);
        if let Some(expires_at) = record.expires_at {
            item.insert(
                "expires_at".to_string(),
                AttributeValue::N(expires_at.to_string()),
            );
        }
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map(|_| ())
    }

    /// The inputs the intake refused today (UTC), as recorded by [`AuditStore::put_invalid`].
    pub async fn refused_today(&self) -> Result<Vec<AuditRecord>, BotError> {
        self.records(&invalid_partition(chrono::Utc::now())).await
    }

    /// Keep the CloudGuard feedback key for the report of `execution`.
    pub async fn put_feedback_key(
        &self,
        execution: &str,
        key: &Secret,
        now_epoch: i64,
    ) -> Result<(), BotError> {
        let item = HashMap::from([
            (PK.to_string(), s(execution)),
            (SK.to_string(), s(FEEDBACK_SECRET)),
            ("key".to_string(), s(key.expose())),
            (
                "expires_at".to_string(),
                AttributeValue::N((now_epoch + SECRET_TTL_SECONDS).to_string()),
            ),
        ]);
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| bot_error("storing the feedback key", e))?;
        Ok(())
    }

    /// Take (read and delete) the feedback key of `execution`.
    pub async fn take_feedback_key(&self, execution: &str) -> Result<Option<Secret>, BotError> {
        let key = HashMap::from([
            (PK.to_string(), s(execution)),
            (SK.to_string(), s(FEEDBACK_SECRET)),
        ]);
        let item = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| bot_error("reading the feedback key", e))?;
        Ok(item
            .attributes()
            .and_then(|a| a.get("key"))
            .and_then(|v| v.as_s().ok())
            .map(Secret::new))
    }
}

/// The audit partition holding the inputs the intake refused on `day` (one query lists them).
pub fn invalid_partition(day: chrono::DateTime<chrono::Utc>) -> String {
    format!("intake-invalid-{}", day.format("%Y-%m-%d"))
}

fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_string())
}

fn parse_record(item: &HashMap<String, AttributeValue>) -> Option<AuditRecord> {
    let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
    let status: AuditStatus =
        serde_json::from_value(serde_json::Value::String(text("status")?)).ok()?;
    Some(AuditRecord {
        execution_name: text(PK)?,
        record_id: text(SK)?,
        bot: text("bot").unwrap_or_default(),
        phase: text("phase").unwrap_or_default(),
        status,
        message: text("message").unwrap_or_default(),
        detail: text("detail").unwrap_or_default(),
        recorded_at: text("recorded_at").unwrap_or_default(),
        entry: text("entry").unwrap_or_default(),
    })
}
