//! Deploying cloudbots into the local stack: the audit table, the output topic (subscribed to
//! the gateway so runs can show the message), the report function's settings, and the real
//! state machine definition with its `${...}` substitutions filled as SAM would fill them.

use super::gateway::{
    DeploymentFunctions, REPORT_FUNCTION, SNS_CAPTURE_PATH, UNDO_PLANNER_FUNCTION,
};
use super::{LocalStack, LOCAL_ACCOUNT, LOCAL_REGION};
use cloudbots_functions::audit_store::AuditStore;
use cloudbots_functions::report::Report;
use cloudbots_functions::undo_planner::UndoPlanner;
use cloudbots_shared::audit::{PK, SK};
use cloudbots_shared::output::OutputType;
use std::collections::BTreeMap;

/// The remediation state machine's definition in the repository.
pub const DEFINITION_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../state_machines/remediation.asl.json"
);
/// The undo state machine's definition in the repository.
pub const UNDO_DEFINITION_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../state_machines/undo.asl.json"
);
/// The output topic's name (the original's).
pub const OUTPUT_TOPIC: &str = "remediationOutput";

/// What a local deployment created.
#[derive(Debug, Clone)]
pub struct Deployment {
    pub state_machine_arn: String,
    pub undo_state_machine_arn: String,
    pub audit_table: String,
    pub output_topic_arn: String,
    pub output_topic_name: String,
}

/// Settings of a local deployment.
#[derive(Debug, Clone)]
pub struct DeployOptions {
    /// Names are suffixed with this, so several deployments can share one stack.
    pub name: String,
    pub output_type: OutputType,
}

impl Default for DeployOptions {
    fn default() -> Self {
        DeployOptions {
            name: "cloudbots".to_string(),
            output_type: OutputType::Json,
        }
    }
}

/// Fill the definition's `${Name}` substitutions; an unknown name is an error.
pub fn substitute(definition: &str, values: &BTreeMap<&str, String>) -> Result<String, String> {
    let mut out = String::with_capacity(definition.len());
    let mut rest = definition;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find('}').ok_or("unterminated ${ in the definition")?;
        let name = &after[..end];
        let value = values.get(name).ok_or_else(|| {
            format!("the definition uses ${{{name}}}, which the deployment does not provide")
        })?;
        out.push_str(value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The substitutions SAM fills, with the local stack's values; function names start with
/// `function_prefix` (the template's `FunctionNamePrefix`).
pub fn local_substitutions(
    function_prefix: &str,
    audit_table: &str,
) -> BTreeMap<&'static str, String> {
    let prefix =
        format!("arn:aws:lambda:{LOCAL_REGION}:{LOCAL_ACCOUNT}:function:{function_prefix}");
    BTreeMap::from([
        ("BotFunctionArnPrefix", prefix.clone()),
        ("ReportFunctionArn", format!("{prefix}{REPORT_FUNCTION}")),
        (
            "UndoPlannerFunctionArn",
            format!("{prefix}{UNDO_PLANNER_FUNCTION}"),
        ),
        ("AuditTableName", audit_table.to_string()),
    ])
}

/// Deploy into the stack and configure its gateway's report function.
pub async fn deploy(stack: &LocalStack, options: &DeployOptions) -> Result<Deployment, String> {
    let config = stack.sdk_config(LOCAL_REGION).await;
    let audit_table = format!("{}-audit", options.name);
    let function_prefix = format!("{}-", options.name);
    let dynamodb = aws_sdk_dynamodb::Client::new(&config);
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    };
    let attribute = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .expect("attribute")
    };
    let key = |name: &str, kind| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
            .expect("key")
    };
    dynamodb
        .create_table()
        .table_name(&audit_table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attribute(PK))
        .attribute_definitions(attribute(SK))
        .key_schema(key(PK, KeyType::Hash))
        .key_schema(key(SK, KeyType::Range))
        .send()
        .await
        .map_err(|e| {
            format!(
                "creating the audit table: {}",
                aws_sdk_dynamodb::error::DisplayErrorContext(e)
            )
        })?;

    let sns = aws_sdk_sns::Client::new(&config);
    let topic_name = format!("{}-{OUTPUT_TOPIC}", options.name);
    let topic = sns
        .create_topic()
        .name(&topic_name)
        .send()
        .await
        .map_err(|e| {
            format!(
                "creating the output topic: {}",
                aws_sdk_sns::error::DisplayErrorContext(e)
            )
        })?;
    let output_topic_arn = topic.topic_arn().unwrap_or_default().to_string();
    sns.subscribe()
        .topic_arn(&output_topic_arn)
        .protocol("http")
        .endpoint(format!(
            "http://127.0.0.1:{}{SNS_CAPTURE_PATH}/{topic_name}",
            stack.gateway_port
        ))
        .send()
        .await
        .map_err(|e| {
            format!(
                "subscribing to the output topic: {}",
                aws_sdk_sns::error::DisplayErrorContext(e)
            )
        })?;

    // The report runs on the stack's own runtime: give it clients of its own rather than the
    // ones used above, whose pooled connections belong to the caller's runtime.
    let report_config = stack.sdk_config(LOCAL_REGION).await;
    stack.gateway().add_deployment(
        &function_prefix,
        DeploymentFunctions {
            report: Report {
                sns: aws_sdk_sns::Client::new(&report_config),
                audit: AuditStore::new(aws_sdk_dynamodb::Client::new(&report_config), &audit_table),
                output_topic_arn: output_topic_arn.clone(),
                output_type: options.output_type,
                http: reqwest::Client::new(),
                // Through the gateway, which answers the finding updates moto lacks.
                securityhub: aws_sdk_securityhub::Client::new(
                    &super::local_sdk_config(stack.gateway_port, LOCAL_REGION).await,
                ),
            },
            undo_planner: UndoPlanner {
                audit: AuditStore::new(aws_sdk_dynamodb::Client::new(&report_config), &audit_table),
            },
        },
    );

    let substitutions = local_substitutions(&function_prefix, &audit_table);
    let sfn = aws_sdk_sfn::Client::new(&config);
    let create = |path: &'static str, suffix: &'static str| {
        let sfn = sfn.clone();
        let substitutions = &substitutions;
        async move {
            let definition =
                std::fs::read_to_string(path).map_err(|e| format!("reading {path}: {e}"))?;
            let definition = substitute(&definition, substitutions)?;
            let machine = sfn
                .create_state_machine()
                .name(format!("{}-{suffix}", options.name))
                .definition(definition)
                .role_arn(format!(
                    "arn:aws:iam::{LOCAL_ACCOUNT}:role/{}-{suffix}",
                    options.name
                ))
                .r#type(aws_sdk_sfn::types::StateMachineType::Standard)
                .send()
                .await
                .map_err(|e| {
                    format!(
                        "creating the {suffix} state machine: {}",
                        aws_sdk_sfn::error::DisplayErrorContext(e)
                    )
                })?;
            Ok::<_, String>(machine.state_machine_arn().to_string())
        }
    };
    Ok(Deployment {
        state_machine_arn: create(DEFINITION_PATH, "remediation").await?,
        undo_state_machine_arn: create(UNDO_DEFINITION_PATH, "undo").await?,
        audit_table,
        output_topic_arn,
        output_topic_name: topic_name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitutions_fill_known_names_and_reject_unknown_ones() {
        let values = BTreeMap::from([("A", "1".to_string())]);
        assert_eq!(substitute("x${A}y${A}", &values).unwrap(), "x1y1");
        assert_eq!(
            substitute("${B}", &values).unwrap_err(),
            "the definition uses ${B}, which the deployment does not provide"
        );
    }
}
