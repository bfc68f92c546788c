//! Operating a stack deployed with SAM (`cloudbots executions|show|undo --stack NAME`).
//!
//! The operating commands need the two state machines and the audit table, and in a deployed
//! stack CloudFormation chose their names. The stack's outputs (`StateMachineArn`,
//! `UndoStateMachineArn`, `AuditTableName`, declared by `infra/template.yaml`) are the one place
//! that names them, so the stack is read once with `DescribeStacks` and the operator configures
//! nothing else. Unlike the local stack's fixed moto endpoint and dummy keys, the AWS
//! configuration here is the operator's own: the standard chain (environment, profile, web
//! identity, container or instance role, and `AWS_ENDPOINT_URL`), with `--region` over its
//! region. An operator's identity may lack a permission and an older stack an output, so each
//! failure says what is wrong and what to do, rather than the SDK's error alone.

use crate::operate::{aws_error, Operated};
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_cloudformation::error::SdkError;
use aws_sdk_cloudformation::operation::describe_stacks::DescribeStacksError;
use aws_sdk_cloudformation::types::{Stack, StackStatus};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use cloudbots_functions::audit_store::AuditStore;

/// The output naming the remediation state machine.
pub const REMEDIATION_OUTPUT: &str = "StateMachineArn";
/// The output naming the undo state machine (stacks deployed before undo have none).
pub const UNDO_OUTPUT: &str = "UndoStateMachineArn";
/// The output naming the audit table.
pub const AUDIT_TABLE_OUTPUT: &str = "AuditTableName";
/// Every output the operating commands read, in the template's order.
pub const OUTPUTS: [&str; 3] = [REMEDIATION_OUTPUT, UNDO_OUTPUT, AUDIT_TABLE_OUTPUT];

/// The operator's AWS configuration: the standard chain, in `region` when one is given.
pub async fn operator_config(region: Option<&str>) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(region) = region {
        loader = loader.region(Region::new(region.to_string()));
    }
    loader.load().await
}

/// What a deployed stack's outputs name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackOutputs {
    pub remediation_arn: String,
    pub undo_arn: String,
    pub audit_table: String,
}

impl StackOutputs {
    /// The outputs of the described stack `name` in `region` (both name it in errors).
    pub fn of(stack: &Stack, name: &str, region: &str) -> Result<StackOutputs, String> {
        let status = stack.stack_status();
        if status == Some(&StackStatus::DeleteComplete) {
            return Err(no_stack(name, region));
        }
        let value = |key: &str| {
            stack
                .outputs()
                .iter()
                .find(|o| o.output_key() == Some(key))
                .and_then(|o| o.output_value())
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let missing: Vec<&str> = OUTPUTS.into_iter().filter(|k| value(k).is_none()).collect();
        if missing.is_empty() {
            return Ok(StackOutputs {
                remediation_arn: value(REMEDIATION_OUTPUT).unwrap_or_default(),
                undo_arn: value(UNDO_OUTPUT).unwrap_or_default(),
                audit_table: value(AUDIT_TABLE_OUTPUT).unwrap_or_default(),
            });
        }
        let status = status.map_or("of unknown status", StackStatus::as_str);
        let deployed = matches!(
            stack.stack_status(),
            Some(
                StackStatus::CreateComplete
                    | StackStatus::UpdateComplete
                    | StackStatus::UpdateRollbackComplete
                    | StackStatus::ImportComplete
                    | StackStatus::ImportRollbackComplete
            )
        );
        let outputs = |names: &[&str]| match names {
            [one] => format!("output {one}"),
            several => format!("outputs {}", several.join(", ")),
        };
        Err(if !deployed {
            format!(
                "stack {name} in {region} is {status} and has no {}: wait until its deployment \
                 has finished, or fix it and deploy it again (`sam deploy`)",
                outputs(&missing)
            )
        } else if missing.len() == OUTPUTS.len() {
            format!(
                "stack {name} in {region} is not a cloudbots stack: it has none of the {}; give \
                 the name of the stack cloudbots was deployed as",
                outputs(&missing)
            )
        } else {
            format!(
                "stack {name} in {region} has no {}: it was deployed by an older cloudbots; \
                 deploy the current template (`sam build -t infra/template.yaml && sam deploy`) \
                 to add it",
                outputs(&missing)
            )
        })
    }
}

/// The error for a stack that does not exist.
fn no_stack(name: &str, region: &str) -> String {
    format!(
        "no stack {name} in {region}: give the name cloudbots was deployed as (`sam deploy \
         --stack-name`) and, for a stack in another region, --region"
    )
}

/// Whether `DescribeStacks` failed because there is no such stack.
fn is_missing_stack(err: &SdkError<DescribeStacksError>) -> bool {
    err.as_service_error().is_some_and(|e| {
        e.code() == Some("ValidationError")
            && e.message().is_some_and(|m| m.contains("does not exist"))
    })
}

impl Operated {
    /// The state machines and audit table of the stack `name`, read from its outputs with the
    /// AWS configuration `config` (its region is the stack's).
    pub async fn of_stack(config: &SdkConfig, name: &str) -> Result<Operated, String> {
        let region = config.region().map(Region::to_string).ok_or_else(|| {
            "no AWS region: pass --region R, or set AWS_REGION or the region of your AWS profile"
                .to_string()
        })?;
        let described = aws_sdk_cloudformation::Client::new(config)
            .describe_stacks()
            .stack_name(name)
            .send()
            .await;
        let described = match described {
            Ok(described) => described,
            Err(e) if is_missing_stack(&e) => return Err(no_stack(name, &region)),
            Err(e) => {
                return Err(aws_error(
                    &format!("reading stack {name} in {region}"),
                    "cloudformation:DescribeStacks",
                    e,
                ))
            }
        };
        let stack = described
            .stacks()
            .first()
            .ok_or_else(|| no_stack(name, &region))?;
        let outputs = StackOutputs::of(stack, name, &region)?;
        Ok(Operated {
            sfn: aws_sdk_sfn::Client::new(config),
            audit: AuditStore::new(aws_sdk_dynamodb::Client::new(config), &outputs.audit_table),
            remediation_arn: outputs.remediation_arn,
            undo_arn: outputs.undo_arn,
            options: format!(" --stack {name} --region {region}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_credential_types::provider::error::CredentialsError;
    use aws_sdk_cloudformation::types::Output;
    use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
    use aws_smithy_runtime_api::client::result::ConnectorError;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::error::ErrorMetadata;

    fn stack(status: StackStatus, outputs: &[(&str, &str)]) -> Stack {
        outputs
            .iter()
            .fold(Stack::builder().stack_status(status), |b, (k, v)| {
                b.outputs(Output::builder().output_key(*k).output_value(*v).build())
            })
            .build()
    }

    const ALL: [(&str, &str); 3] = [
        (
            "StateMachineArn",
            "arn:aws:states:eu-west-1:1:stateMachine:r",
        ),
        (
            "UndoStateMachineArn",
            "arn:aws:states:eu-west-1:1:stateMachine:u",
        ),
        ("AuditTableName", "cloudbots-audit"),
    ];

    #[test]
    fn a_stack_names_its_state_machines_and_audit_table_in_its_outputs() {
        let read = StackOutputs::of(&stack(StackStatus::UpdateComplete, &ALL), "cb", "eu-west-1");
        assert_eq!(
            read.unwrap(),
            StackOutputs {
                remediation_arn: ALL[0].1.to_string(),
                undo_arn: ALL[1].1.to_string(),
                audit_table: ALL[2].1.to_string(),
            }
        );
    }

    #[test]
    fn a_stack_without_an_output_names_it_and_what_to_do() {
        let older = stack(StackStatus::CreateComplete, &[ALL[0], ALL[2]]);
        assert_eq!(
            StackOutputs::of(&older, "cb", "eu-west-1").unwrap_err(),
            "stack cb in eu-west-1 has no output UndoStateMachineArn: it was deployed by an older \
             cloudbots; deploy the current template (`sam build -t infra/template.yaml && sam \
             deploy`) to add it"
        );
        let other = stack(StackStatus::CreateComplete, &[("TopicArn", "arn")]);
        assert_eq!(
            StackOutputs::of(&other, "web", "eu-west-1").unwrap_err(),
            "stack web in eu-west-1 is not a cloudbots stack: it has none of the outputs \
             StateMachineArn, UndoStateMachineArn, AuditTableName; give the name of the stack \
             cloudbots was deployed as"
        );
        let failed = stack(StackStatus::RollbackComplete, &[]);
        assert!(StackOutputs::of(&failed, "cb", "eu-west-1")
            .unwrap_err()
            .starts_with("stack cb in eu-west-1 is ROLLBACK_COMPLETE and has no outputs"));
        let deleted = stack(StackStatus::DeleteComplete, &ALL);
        assert!(StackOutputs::of(&deleted, "cb", "eu-west-1")
            .unwrap_err()
            .starts_with("no stack cb in eu-west-1: "));
    }

    #[test]
    fn the_outputs_read_are_those_the_template_declares() {
        let template = crate::template::render();
        let outputs = template
            .split("\nOutputs:\n")
            .nth(1)
            .expect("an Outputs section");
        for output in OUTPUTS {
            assert!(outputs.contains(&format!("\n  {output}:\n")), "{output}");
        }
    }

    fn service_error(
        status: u16,
        code: Option<&str>,
    ) -> SdkError<DescribeStacksError, HttpResponse> {
        let mut meta =
            ErrorMetadata::builder().message("User: arn:aws:iam::1:user/op is not authorized");
        if let Some(code) = code {
            meta = meta.code(code);
        }
        SdkError::service_error(
            DescribeStacksError::generic(meta.build()),
            HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::empty()),
        )
    }

    #[test]
    fn a_refused_call_names_the_action_to_grant() {
        for (status, code) in [
            (403, Some("AccessDenied")),
            (400, Some("AccessDeniedException")),
            (403, None),
        ] {
            let message = aws_error(
                "reading stack cb",
                "cloudformation:DescribeStacks",
                service_error(status, code),
            );
            assert!(
                message.starts_with(
                    "reading stack cb: access denied: your AWS identity needs \
                     cloudformation:DescribeStacks; grant it ("
                ),
                "{message}"
            );
        }
        assert_eq!(
            aws_error(
                "reading stack cb",
                "cloudformation:DescribeStacks",
                service_error(403, Some("AccessDenied")),
            ),
            "reading stack cb: access denied: your AWS identity needs \
             cloudformation:DescribeStacks; grant it (AccessDenied: User: \
             arn:aws:iam::1:user/op is not authorized)"
        );
        let throttled = aws_error(
            "reading stack cb",
            "cloudformation:DescribeStacks",
            service_error(400, Some("Throttling")),
        );
        assert!(
            throttled.starts_with("reading stack cb: service error: "),
            "{throttled}"
        );
        let expired = aws_error(
            "reading stack cb",
            "cloudformation:DescribeStacks",
            service_error(403, Some("ExpiredToken")),
        );
        assert!(
            expired.starts_with("reading stack cb: AWS refused the credentials (ExpiredToken: "),
            "{expired}"
        );
    }

    #[tokio::test]
    async fn a_configuration_without_a_region_asks_for_one() {
        let config = SdkConfig::builder().build();
        assert_eq!(
            Operated::of_stack(&config, "cb").await.err().unwrap(),
            "no AWS region: pass --region R, or set AWS_REGION or the region of your AWS profile"
        );
    }

    #[test]
    fn missing_credentials_say_how_to_provide_them() {
        let err: SdkError<DescribeStacksError, HttpResponse> =
            SdkError::dispatch_failure(ConnectorError::other(
                CredentialsError::not_loaded("no providers in chain").into(),
                None,
            ));
        assert_eq!(
            aws_error("reading stack cb", "cloudformation:DescribeStacks", err),
            "reading stack cb: no AWS credentials found: set AWS_PROFILE to a profile of \
             ~/.aws/config, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (for an AWS IAM \
             Identity Center login: eval \"$(aws configure export-credentials --format env)\")"
        );
    }
}
