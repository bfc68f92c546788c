//! Security Hub findings, as EventBridge delivers them: `Security Hub Findings - Imported`
//! (ASFF, Security Hub CSPM) and `Findings Imported V2` (OCSF, Security Hub v2).
//!
//! Both formats are first read into one [`Read`] shape, so the rules below are written once:
//!
//! - **What it is.** A Security Hub control finding is mapped by its security control id
//!   (`Compliance.SecurityControlId` / `compliance.control`, else parsed from the finding id;
//!   never the standard-specific `ProductFields.ControlId`) through the deployment's
//!   `SECURITYHUB_ACTIONS`. A GuardDuty finding relayed by Security Hub is the GuardDuty
//!   finding: mapped by type through `GD_ACTIONS`, with the fingerprint and entity of the
//!   direct delivery, so the two doors start one execution. Other products are skipped.
//! - **When to act.** Only an active record (not archived, closed or deleted), not suppressed,
//!   not already resolved, and for a control a failed check; anything else is skipped with
//!   the reason. The echo of cloudbots' own update of a finding (Security Hub re-emits every
//!   update) names this very execution in its note and is skipped as such.
//! - **Where.** The finding's own account and the resource's region, never the envelope's: an
//!   administrator's bus carries its members' findings, an aggregation region its linked
//!   regions'. The region that received it is kept: the finding is marked there.
//! - **On what.** The resource becomes the entity the bots read, through the one table of
//!   [`resources`]; a type not in it refuses every entry with the type named.
//!
//! The identity of a finding generation is its id and its update time (`UpdatedAt` /
//! `finding_info.modified_time`), which Security Hub's own workflow updates do not move.

pub mod resources;

use crate::audit::{AuditRecord, AuditStatus};
use crate::finding::{
    as_text, check_account_id, fingerprint, instant_millis, Finding, Rule, Source,
};
use crate::guardduty;
use crate::mapping::{is_control_id, Mappings};
use crate::region;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// The detail-type of ASFF findings (Security Hub CSPM).
pub const ASFF_DETAIL_TYPE: &str = "Security Hub Findings - Imported";
/// The detail-type of OCSF findings (Security Hub v2).
pub const OCSF_DETAIL_TYPE: &str = "Findings Imported V2";
/// The `source` of every Security Hub event.
pub const EVENT_SOURCE: &str = "aws.securityhub";
/// What cloudbots' notes and comments on a finding start with.
pub const NOTE_PREFIX: &str = "[cloudbots]";
/// The longest note or comment Security Hub takes.
pub const MAX_NOTE_CHARS: usize = 512;

/// The two finding formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// AWS Security Finding Format: marked with `BatchUpdateFindings`.
    Asff,
    /// Open Cybersecurity Schema Framework: marked with `BatchUpdateFindingsV2`.
    Ocsf,
}

/// The Security Hub finding an execution came from: what marking it needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityHubRecord {
    pub format: Format,
    /// ASFF `Id` / OCSF `finding_info.uid`.
    pub id: String,
    /// ASFF `ProductArn` / OCSF `metadata.product.uid`.
    pub product_arn: String,
    /// The account the finding belongs to (ASFF `AwsAccountId` / OCSF `cloud.account.uid`).
    pub account_id: String,
    /// OCSF `metadata.uid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata_uid: Option<String>,
    /// The region whose Security Hub delivered the event: the finding is marked there.
    pub region: String,
}

/// Whether an event comes from Security Hub.
pub fn is_securityhub_event(event: &Value) -> bool {
    event.get("source").and_then(Value::as_str) == Some(EVENT_SOURCE)
        || matches!(
            event.get("detail-type").and_then(Value::as_str),
            Some(ASFF_DETAIL_TYPE | OCSF_DETAIL_TYPE)
        )
}

/// Every finding of a Security Hub event (one per event as delivered; all of them if an event
/// carries more), each read or refused with the reason.
pub fn from_eventbridge(event: &Value, mappings: &Mappings) -> Vec<Result<Finding, String>> {
    let detail_type = event
        .get("detail-type")
        .and_then(Value::as_str)
        .unwrap_or("");
    let format = match detail_type {
        ASFF_DETAIL_TYPE => Format::Asff,
        OCSF_DETAIL_TYPE => Format::Ocsf,
        other => {
            return vec![Err(format!(
                "Security Hub event '{}' is not read: cloudbots acts on imported findings ({ASFF_DETAIL_TYPE}, {OCSF_DETAIL_TYPE})",
                crate::intake_event::excerpt(other)
            ))]
        }
    };
    let findings = match event.pointer("/detail/findings").and_then(Value::as_array) {
        Some(findings) if !findings.is_empty() => findings,
        _ => {
            return vec![Err(format!(
                "{detail_type} event without detail.findings (a list of findings)"
            ))]
        }
    };
    let received_in = as_text(event.get("region")).unwrap_or_default();
    findings
        .iter()
        .map(|f| {
            let read = match format {
                Format::Asff => read_asff(f),
                Format::Ocsf => read_ocsf(f),
            }?;
            Ok(read.into_finding(&received_in, mappings))
        })
        .collect()
}

/// A note or comment for the finding: names the execution (which is how its echo is
/// recognised), within Security Hub's 512 characters.
pub fn note(execution_name: &str, summary: &str) -> String {
    let text = format!("{NOTE_PREFIX} execution {execution_name}: {summary}");
    if text.chars().count() <= MAX_NOTE_CHARS {
        text
    } else {
        let mut cut: String = text.chars().take(MAX_NOTE_CHARS - 1).collect();
        cut.push('…');
        cut
    }
}

/// How a finding is marked when its execution ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marking {
    /// Every step remediated the resource or found it compliant, and nothing was refused:
    /// ASFF `RESOLVED` / OCSF status 4. Otherwise (a step failed, was refused, skipped, only
    /// reported in dry-run, or never ran) `NOTIFIED` / status 2: a person should look.
    pub resolved: bool,
    /// The note (ASFF) or comment (OCSF): the execution and each bot's outcome.
    pub note: String,
}

impl Marking {
    /// ASFF `Workflow.Status`.
    pub fn workflow_status(&self) -> &'static str {
        if self.resolved {
            "RESOLVED"
        } else {
            "NOTIFIED"
        }
    }

    /// OCSF `status_id`: 4 Resolved, 2 In Progress.
    pub fn status_id(&self) -> i32 {
        if self.resolved {
            4
        } else {
            2
        }
    }
}

/// The marking of an execution's finding, from its plan and audit records.
pub fn marking(plan: &crate::plan::Plan, records: &[AuditRecord]) -> Marking {
    let status_of = |audit_id: &str| {
        records
            .iter()
            .find(|r| r.record_id == audit_id)
            .map(|r| r.status)
    };
    let mut resolved = plan.rejected.is_empty() && !plan.steps.is_empty();
    let mut outcomes = Vec::new();
    for step in &plan.steps {
        let status = status_of(&step.audit_id).unwrap_or(AuditStatus::NotRun);
        resolved &= matches!(
            status,
            AuditStatus::Remediated | AuditStatus::AlreadyCompliant
        );
        outcomes.push(format!("{} {}", step.bot, status.words()));
    }
    for rejected in &plan.rejected {
        let name = if rejected.bot.is_empty() {
            "an entry"
        } else {
            &rejected.bot
        };
        outcomes.push(format!("{name} refused ({})", rejected.reason));
    }
    Marking {
        resolved,
        note: note(&plan.execution_name, &outcomes.join("; ")),
    }
}

/// Which product produced a finding.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Product {
    /// Security Hub's own control checks.
    Controls,
    GuardDuty,
    Other(String),
}

impl Product {
    /// From the product ARN (`…::product/aws/securityhub`, `…::productv2/aws/guardduty`).
    fn of(arn: &str, name: Option<String>) -> Product {
        let path = arn.rsplit_once("::").map(|(_, p)| p).unwrap_or("");
        match path.split_once('/').map(|(_, rest)| rest) {
            Some("aws/securityhub") => Product::Controls,
            Some("aws/guardduty") => Product::GuardDuty,
            _ => Product::Other(name.unwrap_or_else(|| arn.to_string())),
        }
    }
}

/// A resource of a finding, in either format.
#[derive(Debug, Clone, Default)]
pub struct Resource {
    /// ASFF `Type` (`AwsS3Bucket`) / OCSF `type` (`AWS::S3::Bucket`).
    pub kind: String,
    /// ASFF `Id` / OCSF `uid`.
    pub id: String,
    /// The resource's ARN when the finding gives one.
    pub arn: Option<String>,
    /// OCSF `name`.
    pub name: Option<String>,
    pub region: Option<String>,
    /// ASFF `Details.<Type>` / OCSF `data`.
    pub details: Value,
    pub tags: Vec<(String, String)>,
}

/// One finding of either format, read into what the rules need.
#[derive(Debug, Clone)]
struct Read {
    record: SecurityHubRecord,
    product: Product,
    /// The region the finding names for itself (ASFF `Region` / OCSF `cloud.region`).
    finding_region: Option<String>,
    /// The update time as written.
    updated: String,
    /// The security control id, for control findings.
    control_id: Option<String>,
    /// Whether the control check failed, and its status as written.
    failed: bool,
    compliance_status: Option<String>,
    /// Why the record is not an active, open finding (archived, closed, suppressed, resolved).
    not_open: Option<String>,
    /// The note (ASFF) or comment (OCSF) on the finding.
    note: String,
    title: String,
    severity: Option<String>,
    /// A GuardDuty finding's type and own id, and its occurrence count.
    threat_type: Option<String>,
    threat_id: String,
    threat_count: String,
    resource: Resource,
}

fn text_at(v: &Value, pointer: &str) -> Option<String> {
    as_text(v.pointer(pointer)).filter(|s| !s.is_empty())
}

fn read_asff(f: &Value) -> Result<Read, String> {
    if !f.is_object() {
        return Err("an ASFF finding must be a JSON object".to_string());
    }
    let required = |pointer: &str| {
        text_at(f, pointer).ok_or_else(|| format!("ASFF finding without {}", &pointer[1..]))
    };
    let id = required("/Id")?;
    let product_arn = required("/ProductArn")?;
    let account_id = required("/AwsAccountId")?;
    check_account_id(&account_id)?;
    let updated = required("/UpdatedAt")?;
    let raw = f
        .pointer("/Resources/0")
        .filter(|r| r.is_object())
        .ok_or("ASFF finding without Resources (a list of resources)")?;
    let kind = text_at(raw, "/Type").ok_or("ASFF finding's resource without Type")?;
    let resource_id = text_at(raw, "/Id").ok_or("ASFF finding's resource without Id")?;
    let resource = Resource {
        details: raw
            .pointer(&format!("/Details/{kind}"))
            .cloned()
            .unwrap_or(Value::Null),
        arn: Some(resource_id.clone()).filter(|id| id.starts_with("arn:")),
        region: text_at(raw, "/Region"),
        tags: raw
            .get("Tags")
            .and_then(Value::as_object)
            .map(|tags| {
                tags.iter()
                    .map(|(k, v)| (k.clone(), as_text(Some(v)).unwrap_or_default()))
                    .collect()
            })
            .unwrap_or_default(),
        kind,
        id: resource_id,
        name: None,
    };
    let product = Product::of(&product_arn, text_at(f, "/ProductName"));
    let compliance_status = text_at(f, "/Compliance/Status");
    let workflow = text_at(f, "/Workflow/Status").or_else(|| text_at(f, "/WorkflowState"));
    let not_open = if text_at(f, "/RecordState").as_deref() == Some("ARCHIVED") {
        Some("the finding is archived (RecordState ARCHIVED)".to_string())
    } else {
        match workflow.as_deref() {
            Some("SUPPRESSED") => Some("the finding is suppressed (Workflow SUPPRESSED)".into()),
            Some("RESOLVED") => Some("the finding is already resolved (Workflow RESOLVED)".into()),
            _ => None,
        }
    };
    Ok(Read {
        control_id: control_id(f, "/Compliance/SecurityControlId", &id),
        failed: compliance_status.as_deref() == Some("FAILED"),
        compliance_status,
        not_open,
        note: text_at(f, "/Note/Text").unwrap_or_default(),
        title: text_at(f, "/Title").unwrap_or_default(),
        severity: text_at(f, "/Severity/Label"),
        threat_id: finding_id_tail(&id),
        threat_count: f
            .pointer("/ProductFields")
            .and_then(|p| as_text(p.get("aws/guardduty/service/count")))
            .unwrap_or_default(),
        threat_type: threat_type(f, "/Types"),
        finding_region: text_at(f, "/Region"),
        updated,
        product,
        record: SecurityHubRecord {
            format: Format::Asff,
            id,
            product_arn,
            account_id,
            metadata_uid: None,
            region: String::new(),
        },
        resource,
    })
}

fn read_ocsf(f: &Value) -> Result<Read, String> {
    if !f.is_object() {
        return Err("an OCSF finding must be a JSON object".to_string());
    }
    let required = |pointer: &str, name: &str| {
        text_at(f, pointer).ok_or_else(|| format!("OCSF finding without {name}"))
    };
    let id = required("/finding_info/uid", "finding_info.uid")?;
    let product_arn = required("/metadata/product/uid", "metadata.product.uid")?;
    let account_id = required("/cloud/account/uid", "cloud.account.uid")?;
    check_account_id(&account_id)?;
    let updated = text_at(f, "/finding_info/modified_time")
        .or_else(|| text_at(f, "/finding_info/modified_time_dt"))
        .ok_or("OCSF finding without finding_info.modified_time")?;
    let raw = f
        .pointer("/resources/0")
        .filter(|r| r.is_object())
        .ok_or("OCSF finding without resources (a list of resources)")?;
    let kind = text_at(raw, "/type").ok_or("OCSF finding's resource without type")?;
    let uid = text_at(raw, "/uid");
    let uid_alt = text_at(raw, "/uid_alt");
    let name = text_at(raw, "/name");
    let resource = Resource {
        arn: [&uid_alt, &uid]
            .into_iter()
            .flatten()
            .find(|v| v.starts_with("arn:"))
            .cloned(),
        id: uid
            .clone()
            .or_else(|| name.clone())
            .ok_or("OCSF finding's resource without uid or name")?,
        region: text_at(raw, "/region").filter(|r| r != "global"),
        details: raw.get("data").cloned().unwrap_or(Value::Null),
        tags: raw
            .get("tags")
            .and_then(Value::as_array)
            .map(|tags| {
                tags.iter()
                    .filter_map(|t| Some((text_at(t, "/name")?, as_text(t.get("value"))?)))
                    .collect()
            })
            .unwrap_or_default(),
        kind,
        name,
    };
    let class = f.get("class_uid").and_then(Value::as_u64);
    let product = match Product::of(&product_arn, text_at(f, "/metadata/product/name")) {
        Product::Controls if class != Some(2003) => Product::Other(format!(
            "Security Hub class {}",
            class.map_or("none".to_string(), |c| c.to_string())
        )),
        product => product,
    };
    let compliance_status = text_at(f, "/compliance/status");
    let failed = f.pointer("/compliance/status_id").and_then(Value::as_u64) == Some(3)
        || compliance_status
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("fail"));
    let status = text_at(f, "/status");
    let status_named = |id: u64, word: &str| {
        format!(
            "the finding is {word} (status {})",
            status.clone().unwrap_or_else(|| id.to_string())
        )
    };
    let not_open = if f.get("activity_id").and_then(Value::as_u64) == Some(3) {
        Some("the finding is closed (activity Close)".to_string())
    } else {
        match f.get("status_id").and_then(Value::as_u64) {
            Some(3) => Some(status_named(3, "suppressed")),
            Some(4) => Some(status_named(4, "already resolved")),
            Some(5) => Some(status_named(5, "archived")),
            Some(6) => Some(status_named(6, "deleted")),
            _ => None,
        }
    };
    Ok(Read {
        control_id: control_id(f, "/compliance/control", &id),
        failed,
        compliance_status,
        not_open,
        note: text_at(f, "/comment").unwrap_or_default(),
        title: text_at(f, "/finding_info/title").unwrap_or_default(),
        severity: text_at(f, "/severity"),
        threat_id: text_at(f, "/finding_info/uid_alt").unwrap_or_else(|| finding_id_tail(&id)),
        threat_count: as_text(f.get("count")).unwrap_or_default(),
        threat_type: threat_type(f, "/finding_info/types"),
        finding_region: text_at(f, "/cloud/region"),
        updated,
        product,
        record: SecurityHubRecord {
            format: Format::Ocsf,
            id,
            product_arn,
            account_id,
            metadata_uid: text_at(f, "/metadata/uid"),
            region: String::new(),
        },
        resource,
    })
}

/// The security control id at `pointer`, else the one in the finding id.
fn control_id(f: &Value, pointer: &str, id: &str) -> Option<String> {
    text_at(f, pointer)
        .filter(|c| is_control_id(c))
        .or_else(|| control_of_finding_id(id))
}

/// The GuardDuty finding type among the finding types listed at `pointer`.
fn threat_type(f: &Value, pointer: &str) -> Option<String> {
    f.pointer(pointer)?
        .as_array()?
        .iter()
        .filter_map(Value::as_str)
        .find_map(guardduty_type)
}

/// The security control id in a control finding's id: `…:security-control/S3.8/finding/…`,
/// or a Foundational Security Best Practices one, whose control ids are the security control
/// ids (`…:subscription/aws-foundational-security-best-practices/v/1.0.0/EC2.2/finding/…`).
/// Other standards' ids (`PCI.KMS.1`, CIS `2.7`) are not control ids and give none.
fn control_of_finding_id(id: &str) -> Option<String> {
    let (before, _) = id.split_once("/finding/")?;
    let control = if let Some((_, control)) = before.split_once(":security-control/") {
        control
    } else if before.contains(":subscription/aws-foundational-security-best-practices/v/") {
        before.rsplit('/').next()?
    } else {
        return None;
    };
    is_control_id(control).then(|| control.to_string())
}

/// The finding's own id after `/finding/` in its ARN (a GuardDuty finding id), or the id.
fn finding_id_tail(id: &str) -> String {
    id.rsplit_once("/finding/")
        .map_or(id, |(_, tail)| tail)
        .to_string()
}

/// A GuardDuty finding type from a Security Hub finding type: ASFF writes
/// `TTPs/Initial Access/UnauthorizedAccess:EC2-SSHBruteForce` for
/// `UnauthorizedAccess:EC2/SSHBruteForce`; OCSF lists it as written
/// (`Execution:Runtime/NewBinaryExecuted`).
fn guardduty_type(text: &str) -> Option<String> {
    if let Some((purpose, rest)) = text.split_once(':') {
        if !purpose.contains('/') && rest.contains('/') {
            return Some(text.to_string());
        }
    }
    let last = text.rsplit('/').next()?;
    let (purpose, rest) = last.split_once(':')?;
    let (resource, threat) = rest.split_once('-')?;
    (!purpose.is_empty() && !resource.is_empty() && !threat.is_empty())
        .then(|| format!("{purpose}:{resource}/{threat}"))
}

/// The region of an ARN (`arn:aws:sqs:us-east-2:…` → `us-east-2`), when it names one.
fn arn_region(arn: &str) -> Option<&str> {
    arn.split(':').nth(3).filter(|r| !r.is_empty())
}

impl Read {
    fn into_finding(mut self, received_in: &str, mappings: &Mappings) -> Finding {
        self.record.region = received_in.to_string();
        let account_id = self.record.account_id.clone();
        let raw_region = self
            .resource
            .region
            .clone()
            .or_else(|| {
                self.resource
                    .arn
                    .as_deref()
                    .and_then(arn_region)
                    .map(str::to_string)
            })
            .or_else(|| self.finding_region.clone())
            .or_else(|| Some(received_in.to_string()).filter(|r| !r.is_empty()));
        let (region, region_error) = match region::normalise(raw_region.as_deref()) {
            Ok(code) => (code, None),
            Err(e) => (raw_region.unwrap_or_default(), Some(e)),
        };
        let built = resources::entity_of(&self.resource, &account_id, &region);
        let (entity_id, entity_name, mut entity, resource_error) = match built {
            Ok(entity) => (entity.id, entity.name, entity.value, None),
            Err(reason) => (String::new(), String::new(), json!({}), Some(reason)),
        };
        if !self.resource.tags.is_empty() {
            entity["tags"] = self
                .resource
                .tags
                .iter()
                .map(|(key, value)| json!({"key": key, "value": value}))
                .collect();
        }

        let (source, rule_id, action, fingerprint, mut skip_reason) = match &self.product {
            Product::GuardDuty => {
                let kind = self.threat_type.clone().unwrap_or_default();
                let action = mappings.guardduty.action_for(&kind).map(str::to_string);
                let skip = if self.threat_type.is_none() {
                    Some("GuardDuty finding without a finding type".to_string())
                } else if action.is_none() {
                    Some(guardduty::unmapped(&kind))
                } else {
                    guardduty::sample_skip(&entity_id)
                };
                let id = guardduty::generation_fingerprint(
                    &account_id,
                    &self.threat_id,
                    &self.updated,
                    &self.threat_count,
                );
                (Source::GuardDuty, Some(kind), action, id, skip)
            }
            product => {
                let updated = instant_millis(&self.updated)
                    .map_or_else(|| self.updated.clone(), |ms| ms.to_string());
                let id = fingerprint(&["securityhub", &account_id, &self.record.id, &updated]);
                let control = self.control_id.clone();
                let action = control
                    .as_deref()
                    .and_then(|c| mappings.securityhub.action_for(c))
                    .map(str::to_string);
                let skip = match (product, &control) {
                    (Product::Other(name), _) => Some(format!(
                        "findings of {name} are not acted on: cloudbots acts on Security Hub control findings and GuardDuty findings"
                    )),
                    (_, None) => Some(
                        "a Security Hub finding without a security control id (Compliance.SecurityControlId / compliance.control)".to_string(),
                    ),
                    (_, Some(control)) if !self.failed => Some(format!(
                        "control {control} is {}: nothing to remediate",
                        self.compliance_status.as_deref().unwrap_or("without a compliance status")
                    )),
                    (_, Some(control)) if action.is_none() => Some(format!(
                        "no bots are mapped to Security Hub control {control} (SECURITYHUB_ACTIONS)"
                    )),
                    _ => None,
                };
                (Source::SecurityHub, control, action, id, skip)
            }
        };
        if let Some(not_open) = &self.not_open {
            skip_reason = Some(format!("{not_open}: nothing to remediate"));
        }

        let mut finding = Finding {
            source,
            fingerprint,
            finding_key: Some(self.record.id.clone()),
            account_id,
            region,
            refusal: region_error.or(resource_error),
            status: if self.failed || source == Source::GuardDuty {
                "Failed".to_string()
            } else {
                self.compliance_status.clone().unwrap_or_default()
            },
            report_time: Some(self.updated.clone()),
            rule: Rule {
                name: if self.title.is_empty() {
                    rule_id.clone().unwrap_or_default()
                } else {
                    self.title.clone()
                },
                id: rule_id,
                severity: self.severity.clone(),
                compliance_tags: action,
            },
            entity_id,
            entity_name,
            entity,
            securityhub: Some(self.record.clone()),
            ..Finding::of_aws_event(source)
        };
        let execution = crate::plan::execution_name(&finding);
        if self.note.starts_with(NOTE_PREFIX)
            && self.note.contains(&format!("execution {execution}:"))
        {
            skip_reason = Some(format!(
                "the echo of cloudbots' own update of this finding (execution {execution}): nothing to do"
            ));
        }
        finding.skip_reason = skip_reason;
        finding
    }
}

#[cfg(test)]
mod tests;
