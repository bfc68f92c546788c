//! Operating a deployment: list its executions, show one (its audit records and what undo
//! would do), and undo one through the undo state machine.
//!
//! An undo is an execution of its own, `undo-<execution>` (then `undo-<execution>-2`, …), so
//! the console lists it beside the remediation it reverses. Its name is chosen once per
//! request: a request retried with the same name starts nothing new.

use crate::run::status_name;
use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_sfn::operation::describe_execution::DescribeExecutionOutput;
use aws_sdk_sfn::types::ExecutionStatus;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::date_time::Format;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use cloudbots_functions::audit_store::AuditStore;
use cloudbots_functions::undo_planner::UndoRequest;
use cloudbots_shared::audit::AuditRecord;
use cloudbots_shared::error::{BotError, ErrorName};
use cloudbots_shared::plan::Mode;
use cloudbots_shared::restore::{plan_undo, undo_execution_name, UndoPlan};
use serde::Serialize;
use std::time::{Duration, SystemTime};

/// A deployment's state machines and audit table.
pub struct Operated {
    pub sfn: aws_sdk_sfn::Client,
    pub audit: AuditStore,
    pub remediation_arn: String,
    pub undo_arn: String,
    /// The options naming this deployment on the command line (` --stack prod --region
    /// eu-west-1`; empty for the local stack), for the commands a message suggests.
    pub options: String,
}

/// Which state machine an execution belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Remediation,
    Undo,
}

/// One execution in a listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExecutionSummary {
    pub name: String,
    pub kind: Kind,
    /// `RUNNING`, `SUCCEEDED`, `FAILED`, …
    pub status: String,
    pub started: String,
    pub stopped: Option<String>,
    /// `started` as seconds and nanoseconds since the epoch, to order by.
    #[serde(skip)]
    pub started_at: (i64, u32),
}

/// One execution in full.
#[derive(Debug, Clone, Serialize)]
pub struct ExecutionDetail {
    #[serde(flatten)]
    pub summary: ExecutionSummary,
    /// The error and cause of an execution that failed.
    pub error: Option<String>,
    pub records: Vec<AuditRecord>,
    /// What undo would do (remediation executions).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub undo: Option<UndoPlan>,
}

/// The `undo` command's options.
#[derive(Debug, Clone, Copy)]
pub struct UndoOptions {
    pub mode: Mode,
    pub force: bool,
    /// How long to wait for the undo execution to end.
    pub timeout: Duration,
}

/// Describe an execution until it has ended, polling every 200 ms; None when it is still
/// running after `timeout`. `what` names it in errors.
pub async fn wait_for_end(
    sfn: &aws_sdk_sfn::Client,
    execution_arn: &str,
    what: &str,
    timeout: Duration,
) -> Result<Option<DescribeExecutionOutput>, String> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let described = sfn
            .describe_execution()
            .execution_arn(execution_arn)
            .send()
            .await
            .map_err(|e| aws_error(&format!("describing {what}"), "states:DescribeExecution", e))?;
        if described.status() != &ExecutionStatus::Running {
            return Ok(Some(described));
        }
        if tokio::time::Instant::now() > deadline {
            return Ok(None);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The error and cause of an execution that failed, as one line.
pub fn execution_error(described: &DescribeExecutionOutput) -> Option<String> {
    match (described.error(), described.cause()) {
        (None, None) => None,
        (error, cause) => Some(format!("{}: {}", error.unwrap_or(""), cause.unwrap_or(""))),
    }
}

/// The error codes of a call the caller's identity is not allowed to make.
const DENIED_CODES: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "UnauthorizedAccess",
    "AuthorizationError",
];

/// The error codes of a call whose credentials AWS did not accept.
const REFUSED_CREDENTIALS_CODES: &[&str] = &[
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
    "IncompleteSignature",
    "MissingAuthenticationToken",
    "AuthFailure",
];

/// What to do when no credentials were found.
const NO_CREDENTIALS: &str = "no AWS credentials found: set AWS_PROFILE to a profile of \
    ~/.aws/config, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (for an AWS IAM Identity \
    Center login: eval \"$(aws configure export-credentials --format env)\")";

/// An AWS call that failed, for people: what was being done, then why. A call the caller's
/// identity may not make names the IAM `action` to grant it; missing or refused credentials
/// say how to provide them; anything else keeps the SDK's whole explanation.
pub fn aws_error<E>(doing: &str, action: &str, err: SdkError<E, HttpResponse>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    if let Some(credentials) = credentials_error(&err) {
        return match credentials {
            CredentialsError::CredentialsNotLoaded(_) => format!("{doing}: {NO_CREDENTIALS}"),
            other => format!(
                "{doing}: could not load the AWS credentials ({}): check your AWS profile \
                 (AWS_PROFILE, ~/.aws/config) or renew the credentials",
                DisplayErrorContext(other)
            ),
        };
    }
    if let SdkError::ServiceError(service) = &err {
        let code = service.err().code();
        let status = service.raw().status().as_u16();
        let why = match (code, service.err().message()) {
            (Some(code), Some(message)) => format!("{code}: {message}"),
            (Some(code), None) => code.to_string(),
            (None, Some(message)) => format!("HTTP {status}: {message}"),
            (None, None) => format!("HTTP {status}"),
        };
        if code.is_some_and(|c| DENIED_CODES.contains(&c)) || (code.is_none() && status == 403) {
            return format!(
                "{doing}: access denied: your AWS identity needs {action}; grant it ({why})"
            );
        }
        if code.is_some_and(|c| REFUSED_CREDENTIALS_CODES.contains(&c)) {
            return format!(
                "{doing}: AWS refused the credentials ({why}): renew them, or choose others \
                 (AWS_PROFILE)"
            );
        }
    }
    format!("{doing}: {}", DisplayErrorContext(&err))
}

/// The credentials error that stopped a call before it was sent, if that is why it failed.
fn credentials_error<'a>(
    err: &'a (dyn std::error::Error + 'static),
) -> Option<&'a CredentialsError> {
    let mut next = Some(err);
    while let Some(e) = next {
        if let Some(credentials) = e.downcast_ref::<CredentialsError>() {
            return Some(credentials);
        }
        next = e.source();
    }
    None
}

/// An audit table read that failed, for people: a refusal names `dynamodb:Query`.
fn audit_error(e: BotError) -> String {
    const DOING: &str = "reading the audit records";
    match e.name {
        ErrorName::AccessDenied => format!(
            "{DOING}: access denied: your AWS identity needs dynamodb:Query on the audit table; \
             grant it ({})",
            e.message
                .strip_prefix(&format!("{DOING}: "))
                .unwrap_or(&e.message)
        ),
        _ => e.to_string(),
    }
}

fn timestamp(t: &aws_smithy_types::DateTime) -> String {
    t.fmt(Format::DateTime).unwrap_or_default()
}

/// Whether an execution ended without succeeding.
fn failed(status: &str) -> bool {
    matches!(status, "FAILED" | "TIMED_OUT" | "ABORTED")
}

impl Operated {
    fn machine(&self, kind: Kind) -> &str {
        match kind {
            Kind::Remediation => &self.remediation_arn,
            Kind::Undo => &self.undo_arn,
        }
    }

    /// The executions started in the last `since` (all when None), newest first; with
    /// `failed_only`, those that failed, timed out or were aborted.
    pub async fn executions(
        &self,
        since: Option<Duration>,
        failed_only: bool,
    ) -> Result<Vec<ExecutionSummary>, String> {
        let after = since.map(|d| SystemTime::now() - d);
        let mut listed = Vec::new();
        for kind in [Kind::Remediation, Kind::Undo] {
            let items = self
                .sfn
                .list_executions()
                .state_machine_arn(self.machine(kind))
                .into_paginator()
                .items()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await
                .map_err(|e| aws_error("listing the executions", "states:ListExecutions", e))?;
            for item in items {
                let start = item.start_date();
                let started = SystemTime::try_from(*start).ok();
                if after.is_some_and(|after| started.is_none_or(|s| s < after)) {
                    continue;
                }
                let status = item.status().as_str().to_string();
                if failed_only && !failed(&status) {
                    continue;
                }
                listed.push(ExecutionSummary {
                    name: item.name().to_string(),
                    kind,
                    status,
                    started: timestamp(start),
                    stopped: item.stop_date().map(timestamp),
                    started_at: (start.secs(), start.subsec_nanos()),
                });
            }
        }
        listed.sort_by(|a, b| b.started_at.cmp(&a.started_at).then(a.name.cmp(&b.name)));
        Ok(listed)
    }

    fn execution_arn(&self, kind: Kind, name: &str) -> String {
        format!(
            "{}:{name}",
            self.machine(kind)
                .replacen(":stateMachine:", ":execution:", 1)
        )
    }

    /// The execution `name` (an undo when it starts with `undo-`), or None when there is none.
    async fn describe(&self, name: &str) -> Result<Option<ExecutionDetail>, String> {
        let kind = if name.starts_with("undo-") {
            Kind::Undo
        } else {
            Kind::Remediation
        };
        let described = match self
            .sfn
            .describe_execution()
            .execution_arn(self.execution_arn(kind, name))
            .send()
            .await
        {
            Ok(described) => described,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_execution_does_not_exist()) =>
            {
                return Ok(None)
            }
            Err(e) => {
                return Err(aws_error(
                    &format!("describing execution {name}"),
                    "states:DescribeExecution",
                    e,
                ))
            }
        };
        let records = self.audit.records(name).await.map_err(audit_error)?;
        let error = execution_error(&described);
        let undo =
            (kind == Kind::Remediation).then(|| plan_undo(name, &records, Mode::Enforce, false));
        Ok(Some(ExecutionDetail {
            summary: ExecutionSummary {
                name: name.to_string(),
                kind,
                status: described.status().as_str().to_string(),
                started: timestamp(described.start_date()),
                stopped: described.stop_date().map(timestamp),
                started_at: (
                    described.start_date().secs(),
                    described.start_date().subsec_nanos(),
                ),
            },
            error,
            records,
            undo,
        }))
    }

    /// The execution `name`: its status, its audit records and what undo would do.
    pub async fn show(&self, name: &str) -> Result<ExecutionDetail, String> {
        self.describe(name)
            .await?
            .ok_or_else(|| format!("no execution named {name} in this deployment"))
    }

    /// Undo the remediation execution `name`: start its undo execution, wait for it to end,
    /// and return it with its audit records.
    pub async fn undo(&self, name: &str, options: UndoOptions) -> Result<ExecutionDetail, String> {
        let original = self.show(name).await?;
        if original.summary.kind == Kind::Undo {
            return Err(format!(
                "{name} is an undo execution: undo reverses remediations only"
            ));
        }
        if original.summary.status == ExecutionStatus::Running.as_str() {
            return Err(format!(
                "{name} is still running: undo it once it has ended"
            ));
        }
        let mut attempt = 1;
        let undo_name = loop {
            let candidate = undo_execution_name(name, attempt);
            if self.describe(&candidate).await?.is_none() {
                break candidate;
            }
            attempt += 1;
        };
        let request = UndoRequest {
            execution: String::new(),
            undoes: name.to_string(),
            mode: options.mode,
            force: options.force,
        };
        let started = self
            .sfn
            .start_execution()
            .state_machine_arn(&self.undo_arn)
            .name(&undo_name)
            .input(serde_json::to_string(&request).map_err(|e| e.to_string())?)
            .send()
            .await
            .map_err(|e| aws_error(&format!("starting {undo_name}"), "states:StartExecution", e))?;
        if wait_for_end(
            &self.sfn,
            started.execution_arn(),
            &undo_name,
            options.timeout,
        )
        .await?
        .is_none()
        {
            return Err(format!(
                "{undo_name} is still running after {:?}: see `cloudbots show {undo_name}{}`",
                options.timeout, self.options
            ));
        }
        self.show(&undo_name).await
    }
}

/// A duration as people write it: `90s`, `30m`, `12h`, `7d`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("{text:?} is not a duration like 90s, 30m, 12h or 7d");
    let (number, unit) = text.split_at(text.len().saturating_sub(1));
    let number: u64 = number.parse().map_err(|_| bad())?;
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(bad()),
    };
    Ok(Duration::from_secs(number * seconds))
}

/// A listing as a table.
pub fn executions_text(executions: &[ExecutionSummary]) -> String {
    if executions.is_empty() {
        return "no executions\n".to_string();
    }
    executions
        .iter()
        .map(|e| {
            format!(
                "{:<20} {:<11} {:<9} {}\n",
                e.started,
                match e.kind {
                    Kind::Remediation => "remediation",
                    Kind::Undo => "undo",
                },
                e.status,
                e.name
            )
        })
        .collect()
}

/// An execution for people: status, each audit record, and what undo would do.
pub fn detail_text(detail: &ExecutionDetail) -> String {
    let summary = &detail.summary;
    let mut out = format!(
        "execution {}  {}  started {}{}\n",
        summary.name,
        summary.status,
        summary.started,
        summary
            .stopped
            .as_ref()
            .map(|s| format!(", ended {s}"))
            .unwrap_or_default()
    );
    if let Some(error) = &detail.error {
        out.push_str(&format!("  error: {error}\n"));
    }
    out.push_str("  audit records:\n");
    for r in &detail.records {
        out.push_str(&format!(
            "    {:<12} {:<38} {:<18} {}\n",
            r.record_id,
            r.bot,
            status_name(r.status),
            r.message.trim_end()
        ));
    }
    if let Some(plan) = &detail.undo {
        out.push_str("  undo would:\n");
        if plan.steps.is_empty() {
            out.push_str("    restore nothing\n");
        }
        for step in &plan.steps {
            out.push_str(&format!(
                "    restore {} changed by {} ({}) with {}\n",
                step.prior.resource, step.bot, step.record_id, step.prior.restorer
            ));
        }
        for left in &plan.left_alone {
            out.push_str(&format!(
                "    leave {} ({}): {}: {}\n",
                left.bot,
                left.record_id,
                left.verdict.as_str(),
                left.reason
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(parse_duration("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("12h").unwrap(), Duration::from_secs(43_200));
        assert_eq!(parse_duration("7d").unwrap(), Duration::from_secs(604_800));
        assert_eq!(
            parse_duration("soon").unwrap_err(),
            "\"soon\" is not a duration like 90s, 30m, 12h or 7d"
        );
        assert!(parse_duration("").is_err());
    }
}
