//! The Lambda function bots: detach blanket permissions from the function's role, detach
//! layers of other accounts, disable it, turn on active tracing, tag it.
//!
//! Each bot reads the live function first (its configuration, concurrency or tags): the
//! finding's copy may be hours old, and a function already as wanted is already compliant. A
//! function is named by the ARN built from the finding ([`lambda_function_arn`]), so the bots
//! act in the finding's account and region whatever the function running them.
//!
//! Every bot that changes the function ends in [`setting::change`]: it reads the change back
//! and records what it replaced, and `restore_lambda_function` puts that back (see
//! [`FunctionSetting`]). `lambda_detach_blanket_permissions` changes the function's role, not
//! the function: it records its detachments as the IAM policy bots do, and
//! `restore_iam_principal_policies` attaches them again — so only that bot links IAM.

use aws_config::SdkConfig;
use aws_sdk_lambda::operation::get_function_configuration::GetFunctionConfigurationOutput;
use aws_sdk_lambda::types::{TracingConfig, TracingMode};
use cloudbots_iam::iam_policies::restore::{
    change_principals, PrincipalSetting, Setting as PrincipalSettingKind,
};
use cloudbots_iam::principal::Principal;
use cloudbots_runtime::aws_error::{bot_error, none_if_code};
use cloudbots_runtime::bot::{dry_run, lambda_function_arn, params, Bot};
use cloudbots_runtime::cloudtrail::{finding_events, DEFAULT_WINDOW};
use cloudbots_runtime::exclusion::{tag_in_listing, TagReader};
use cloudbots_runtime::restorer::Restorer;
use cloudbots_runtime::setting::{self, restore_settings, Resource, Setting};
use cloudbots_shared::catalogue::TagSource;
use cloudbots_shared::error::BotError;
use cloudbots_shared::outcome::{BotInput, BotOutcome, OutcomeStatus};
use cloudbots_shared::params::{LambdaTagParams, NoParams};
use cloudbots_shared::policy::{decode_policy_document, statement_label, statements, strings};
use cloudbots_shared::restore::{RestoreInput, RestoreOutcome};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The bots of this module.
pub const BOTS: &[Bot] = &[
    DETACH_BLANKET_PERMISSIONS,
    DETACH_EXTERNAL_LAYER,
    DISABLE,
    ENABLE_ACTIVE_TRACING,
    TAG,
];

pub const DETACH_BLANKET_PERMISSIONS: Bot = Bot {
    name: "lambda_detach_blanket_permissions",
    tags: LAMBDA_TAGS,
    run: |input, aws| Box::pin(detach_blanket_permissions(input, aws)),
};

pub const DETACH_EXTERNAL_LAYER: Bot = Bot {
    name: "lambda_detach_external_layer",
    tags: LAMBDA_TAGS,
    run: |input, aws| {
        Box::pin(async move {
            let cloudtrail = aws_sdk_cloudtrail::Client::new(aws);
            let lambda = aws_sdk_lambda::Client::new(aws);
            detach_external_layer_with(input, &cloudtrail, &lambda).await
        })
    },
};

pub const DISABLE: Bot = Bot {
    name: "lambda_disable",
    tags: LAMBDA_TAGS,
    run: |input, aws| Box::pin(disable(input, aws)),
};

pub const ENABLE_ACTIVE_TRACING: Bot = Bot {
    name: "lambda_enable_active_tracing",
    tags: LAMBDA_TAGS,
    run: |input, aws| {
        Box::pin(async move {
            enable_active_tracing_with(input, &aws_sdk_lambda::Client::new(aws)).await
        })
    },
};

pub const TAG: Bot = Bot {
    name: "lambda_tag",
    tags: LAMBDA_TAGS,
    run: |input, aws| Box::pin(tag(input, aws)),
};

pub const RESTORE_LAMBDA_FUNCTION: Restorer = Restorer {
    name: "restore_lambda_function",
    run: |input, aws| {
        Box::pin(
            async move { restore_function_with(input, &aws_sdk_lambda::Client::new(aws)).await },
        )
    },
};

/// Lambda functions, by ARN.
pub const LAMBDA_TAGS: TagReader =
    TagReader::new(&[TagSource::LambdaFunction], |aws, _, arn, key| {
        Box::pin(read_function_tag(aws, arn, key))
    });

/// The error code Lambda gives for a function that does not exist.
const NOT_FOUND: &str = "ResourceNotFoundException";

async fn read_function_tag(
    aws: &SdkConfig,
    arn: &str,
    key: &str,
) -> Result<Option<String>, BotError> {
    let listed = aws_sdk_lambda::Client::new(aws)
        .list_tags()
        .resource(arn)
        .send()
        .await;
    tag_in_listing(listed, &[NOT_FOUND], arn, key, |out| {
        out.tags.unwrap_or_default()
    })
}

/// The finding's function: its ARN (what the API is given) and its name (what people read).
struct Function {
    arn: String,
    name: String,
}

impl Function {
    fn of(input: &BotInput) -> Result<Function, BotError> {
        let arn = lambda_function_arn(input)?;
        let name = function_name(&arn).to_string();
        Ok(Function { arn, name })
    }

    /// Skipped: the function is gone.
    fn gone(&self, input: &BotInput) -> BotOutcome {
        BotOutcome::gone(input, &format!("Function {}", self.name), "nothing to do")
    }
}

/// What the Lambda bots change on a function, as found and as left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "setting", rename_all = "snake_case")]
pub enum FunctionSetting {
    /// Reserved concurrency; none when the function has none (it shares the account's pool).
    ReservedConcurrency { value: Option<i32> },
    /// One tag; none when the function does not have it.
    Tag { key: String, value: Option<String> },
    /// The X-Ray tracing mode (`PassThrough`, `Active`).
    Tracing { mode: String },
    /// The layer versions, in the order the function loads them.
    Layers { arns: Vec<String> },
}

impl Setting for FunctionSetting {
    type Client = aws_sdk_lambda::Client;

    fn name(&self) -> &'static str {
        match self {
            FunctionSetting::ReservedConcurrency { .. } => "reserved concurrency",
            FunctionSetting::Tag { .. } => "tag",
            FunctionSetting::Tracing { .. } => "tracing mode",
            FunctionSetting::Layers { .. } => "layer list",
        }
    }

    fn words(&self) -> String {
        match self {
            FunctionSetting::ReservedConcurrency { value: Some(n) } => n.to_string(),
            FunctionSetting::ReservedConcurrency { value: None } => "none".to_string(),
            FunctionSetting::Tag {
                key,
                value: Some(value),
            } => format!("{key}={value}"),
            FunctionSetting::Tag { key, value: None } => format!("{key} absent"),
            FunctionSetting::Tracing { mode } => mode.clone(),
            FunctionSetting::Layers { arns } if arns.is_empty() => "none".to_string(),
            FunctionSetting::Layers { arns } => arns.join(", "),
        }
    }

    async fn read(&self, lambda: &aws_sdk_lambda::Client, arn: &str) -> Result<Self, BotError> {
        let gone =
            || BotError::not_found(format!("{} does not exist (any more)", function_label(arn)));
        Ok(match self {
            FunctionSetting::ReservedConcurrency { .. } => {
                let read = lambda
                    .get_function_concurrency()
                    .function_name(arn)
                    .send()
                    .await;
                let doing = format!(
                    "reading the reserved concurrency of {}",
                    function_label(arn)
                );
                FunctionSetting::ReservedConcurrency {
                    value: none_if_code(NOT_FOUND, &doing, read)?
                        .ok_or_else(gone)?
                        .reserved_concurrent_executions(),
                }
            }
            FunctionSetting::Tag { key, .. } => {
                let read = lambda.list_tags().resource(arn).send().await;
                let doing = format!("reading the tags of {}", function_label(arn));
                let tags = none_if_code(NOT_FOUND, &doing, read)?.ok_or_else(gone)?;
                FunctionSetting::Tag {
                    key: key.clone(),
                    value: tags.tags().and_then(|tags| tags.get(key)).cloned(),
                }
            }
            FunctionSetting::Tracing { .. } => {
                let configuration = configuration(lambda, arn).await?.ok_or_else(gone)?;
                FunctionSetting::Tracing {
                    mode: tracing_mode(&configuration).to_string(),
                }
            }
            FunctionSetting::Layers { .. } => {
                let configuration = configuration(lambda, arn).await?.ok_or_else(gone)?;
                FunctionSetting::Layers {
                    arns: layer_arns(&configuration)
                        .into_iter()
                        .map(str::to_string)
                        .collect(),
                }
            }
        })
    }

    async fn write(&self, lambda: &aws_sdk_lambda::Client, arn: &str) -> Result<(), BotError> {
        let doing = format!(
            "setting the {} of {} to {}",
            self.name(),
            function_label(arn),
            self.words()
        );
        // Every call ends alike: its answer dropped, its error the step's.
        macro_rules! send {
            ($request:expr) => {
                $request
                    .send()
                    .await
                    .map(drop)
                    .map_err(|e| bot_error(&doing, e))
            };
        }
        match self {
            FunctionSetting::ReservedConcurrency { value: Some(n) } => send!(lambda
                .put_function_concurrency()
                .function_name(arn)
                .reserved_concurrent_executions(*n)),
            FunctionSetting::ReservedConcurrency { value: None } => {
                send!(lambda.delete_function_concurrency().function_name(arn))
            }
            FunctionSetting::Tag {
                key,
                value: Some(value),
            } => send!(lambda.tag_resource().resource(arn).tags(key, value)),
            FunctionSetting::Tag { key, value: None } => {
                send!(lambda.untag_resource().resource(arn).tag_keys(key))
            }
            FunctionSetting::Tracing { mode } => send!(lambda
                .update_function_configuration()
                .function_name(arn)
                .tracing_config(TracingConfig::builder().mode(mode.as_str().into()).build())),
            FunctionSetting::Layers { arns } => send!(lambda
                .update_function_configuration()
                .function_name(arn)
                .set_layers(Some(arns.clone()))),
        }
    }
}

/// How people name the function of an ARN.
fn function_label(arn: &str) -> String {
    format!("function {}", function_name(arn))
}

/// Undo a Lambda bot's change with these clients.
pub async fn restore_function_with(
    input: &RestoreInput,
    lambda: &aws_sdk_lambda::Client,
) -> Result<RestoreOutcome, BotError> {
    restore_settings::<FunctionSetting>(input, lambda, function_label).await
}

/// The live configuration of the function `arn`; None when it no longer exists.
async fn configuration(
    lambda: &aws_sdk_lambda::Client,
    arn: &str,
) -> Result<Option<GetFunctionConfigurationOutput>, BotError> {
    let read = lambda
        .get_function_configuration()
        .function_name(arn)
        .send()
        .await;
    let doing = format!("reading the configuration of {}", function_label(arn));
    none_if_code(NOT_FOUND, &doing, read)
}

/// The tracing mode of a configuration (`PassThrough` when it names none).
fn tracing_mode(configuration: &GetFunctionConfigurationOutput) -> &str {
    configuration
        .tracing_config()
        .and_then(|t| t.mode())
        .map_or("PassThrough", TracingMode::as_str)
}

/// The layer versions of a configuration, in order.
fn layer_arns(configuration: &GetFunctionConfigurationOutput) -> Vec<&str> {
    configuration
        .layers()
        .iter()
        .filter_map(|layer| layer.arn())
        .collect()
}

/// Dry-run: what would change; otherwise give the function the settings `after`, read them
/// back and record what they were.
async fn change_function(
    input: &BotInput,
    lambda: &aws_sdk_lambda::Client,
    function: &Function,
    settings: (Vec<FunctionSetting>, Vec<FunctionSetting>),
    changes: Vec<String>,
    (would, done): (String, String),
) -> Result<BotOutcome, BotError> {
    if dry_run(input) {
        return Ok(BotOutcome::would(input, would, changes));
    }
    let resource = Resource {
        client: lambda,
        id: function.arn.as_str(),
        label: function_label(&function.arn),
    };
    setting::change(
        input,
        &resource,
        RESTORE_LAMBDA_FUNCTION.name,
        settings,
        done,
        changes,
    )
    .await
}

/// The function name in a function ARN (`arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]`)
/// or a bare name.
fn function_name(function: &str) -> &str {
    match function.split_once(":function:") {
        Some((_, rest)) => rest.split(':').next().unwrap_or(rest),
        None => function,
    }
}

// ---- lambda_detach_blanket_permissions ----

async fn detach_blanket_permissions(
    input: &BotInput,
    aws: &SdkConfig,
) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let function = Function::of(input)?;
    let lambda = aws_sdk_lambda::Client::new(aws);
    let iam = aws_sdk_iam::Client::new(aws);
    let Some(configuration) = configuration(&lambda, &function.arn).await? else {
        return Ok(function.gone(input));
    };
    let Some(role) = configuration.role().and_then(|arn| arn.rsplit('/').next()) else {
        return Ok(BotOutcome::new(
            input,
            OutcomeStatus::Skipped,
            format!(
                "Function {} has no execution role: nothing to detach",
                function.name
            ),
        ));
    };
    let principal = Principal::role(role);
    let Some(blanket) = blanket_policies(&iam, &principal).await? else {
        return Ok(BotOutcome::gone(
            input,
            &format!("Role {role} of function {}", function.name),
            "nothing to detach",
        ));
    };
    if blanket.is_empty() {
        return Ok(BotOutcome::compliant(
            input,
            format!(
                "Role {role} of function {} has no attached policy that allows actions on all resources",
                function.name
            ),
        ));
    }
    let changes: Vec<String> = blanket
        .iter()
        .map(|policy| {
            format!(
                "detach policy {} ({}) from role {role}: {} allow actions on all resources",
                policy.name(),
                policy.arn,
                policy.statements.join(", ")
            )
        })
        .collect();
    let names = blanket
        .iter()
        .map(BlanketPolicy::name)
        .collect::<Vec<_>>()
        .join(", ");
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!(
                "Would detach {names} from role {role} of function {}",
                function.name
            ),
            changes,
        ));
    }
    // The role's attachments, recorded as the IAM policy bots record theirs: their restorer
    // attaches the policies again.
    let attachments = |attached| {
        blanket
            .iter()
            .map(|p| {
                PrincipalSetting::of(&principal, PrincipalSettingKind::managed(&p.arn, attached))
            })
            .collect()
    };
    change_principals(
        input,
        &iam,
        &function.arn,
        (attachments(true), attachments(false)),
        format!(
            "Detached {names} from role {role} of function {} (to undo, attach them to the role again)",
            function.name
        ),
        changes,
    )
    .await
}

/// A managed policy attached to the role that allows some action on every resource.
struct BlanketPolicy {
    arn: String,
    /// The statements that do, labelled.
    statements: Vec<String>,
}

impl BlanketPolicy {
    /// The policy's name: the last part of its ARN.
    fn name(&self) -> &str {
        self.arn.rsplit('/').next().unwrap_or(&self.arn)
    }
}

/// The role's attached managed policies whose default version allows an action on `*`; None
/// when the role no longer exists.
async fn blanket_policies(
    iam: &aws_sdk_iam::Client,
    role: &Principal,
) -> Result<Option<Vec<BlanketPolicy>>, BotError> {
    let Some(attached) = role.attached_policies(iam).await? else {
        return Ok(None);
    };
    let mut blanket = Vec::new();
    for arn in attached {
        let document = default_version_document(iam, &arn).await?;
        let statements: Vec<String> = statements(&document)
            .into_iter()
            .enumerate()
            .filter(|(_, statement)| allows_on_every_resource(statement))
            .map(|(index, statement)| statement_label(statement, index))
            .collect();
        if !statements.is_empty() {
            blanket.push(BlanketPolicy { arn, statements });
        }
    }
    Ok(Some(blanket))
}

/// The document of a managed policy's default version.
async fn default_version_document(iam: &aws_sdk_iam::Client, arn: &str) -> Result<Value, BotError> {
    let policy = iam
        .get_policy()
        .policy_arn(arn)
        .send()
        .await
        .map_err(|e| bot_error(&format!("reading policy {arn}"), e))?;
    let version = policy
        .policy()
        .and_then(|p| p.default_version_id())
        .unwrap_or("v1");
    let document = iam
        .get_policy_version()
        .policy_arn(arn)
        .version_id(version)
        .send()
        .await
        .map_err(|e| bot_error(&format!("reading version {version} of policy {arn}"), e))?;
    let text = document
        .policy_version()
        .and_then(|v| v.document())
        .unwrap_or("{}");
    serde_json::from_str(&decode_policy_document(text)).map_err(|e| {
        BotError::invalid_input(format!(
            "version {version} of policy {arn} is not a JSON policy document: {e}"
        ))
    })
}

/// An `Allow` statement whose resources include `*` itself (not merely a pattern with a
/// wildcard, such as `arn:aws:s3:::logs/*`).
fn allows_on_every_resource(statement: &Value) -> bool {
    statement.get("Effect").and_then(Value::as_str) == Some("Allow")
        && strings(statement.get("Resource")).contains(&"*")
}

// ---- lambda_detach_external_layer ----

/// The CloudTrail name of the call that changes a function's layers.
const UPDATE_EVENT: &str = "UpdateFunctionConfiguration20150331v2";

/// Detach the layers of another account that the finding's UpdateFunctionConfiguration
/// event attached to the function.
pub async fn detach_external_layer_with(
    input: &BotInput,
    cloudtrail: &aws_sdk_cloudtrail::Client,
    lambda: &aws_sdk_lambda::Client,
) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let function = Function::of(input)?;
    let skipped = |reason: String| Ok(BotOutcome::new(input, OutcomeStatus::Skipped, reason));
    let (events, time) = finding_events(input, cloudtrail, UPDATE_EVENT).await?;
    let Some(event) = events.iter().find(|event| {
        let changed = event.record["requestParameters"]["functionName"].as_str();
        changed.map(function_name) == Some(function.name.as_str())
    }) else {
        return skipped(format!(
            "No {UPDATE_EVENT} event of function {} in CloudTrail within {} s of {time}: nothing to detach",
            function.name,
            DEFAULT_WINDOW.as_secs()
        ));
    };
    let account = input.target.account_id.as_str();
    let external: Vec<&str> = strings(Some(&event.record["requestParameters"]["layers"]))
        .into_iter()
        .filter(|layer| layer_account(layer) != Some(account))
        .map(unversioned_layer)
        .collect();
    if external.is_empty() {
        return skipped(format!(
            "The {UPDATE_EVENT} event of function {} at {} attached no layer of another account: nothing to detach",
            function.name,
            event.time.to_rfc3339()
        ));
    }

    let Some(configuration) = configuration(lambda, &function.arn).await? else {
        return Ok(function.gone(input));
    };
    let layers = layer_arns(&configuration);
    let (detached, kept): (Vec<&str>, Vec<&str>) = layers
        .iter()
        .partition(|layer| external.contains(&unversioned_layer(layer)));
    if detached.is_empty() {
        return Ok(BotOutcome::compliant(
            input,
            format!(
                "Function {} no longer has the layer(s) of another account {} attached",
                function.name,
                external.join(", ")
            ),
        ));
    }
    let keeping = match kept.is_empty() {
        true => "no other layer".to_string(),
        false => format!("keeping {} in that order", kept.join(", ")),
    };
    let change = format!(
        "detach layer(s) {} from function {}, {keeping}",
        detached.join(", "),
        function.name
    );
    let layers_of = |arns: &[&str]| FunctionSetting::Layers {
        arns: arns.iter().map(|arn| arn.to_string()).collect(),
    };
    change_function(
        input,
        lambda,
        &function,
        (vec![layers_of(&layers)], vec![layers_of(&kept)]),
        vec![change.clone()],
        (
            format!("Would {change}"),
            format!(
                "Detached layer(s) {} of another account from function {} (to undo, set its layers back to {})",
                detached.join(", "),
                function.name,
                layers.join(", ")
            ),
        ),
    )
    .await
}

/// The account that owns a layer version (`arn:aws:lambda:<region>:<account>:layer:<name>:<version>`).
fn layer_account(layer: &str) -> Option<&str> {
    layer.split(':').nth(4)
}

/// A layer's ARN without its version: the same layer whichever version is attached.
fn unversioned_layer(layer: &str) -> &str {
    match layer.match_indices(':').nth(6) {
        Some((at, _)) => &layer[..at],
        None => layer,
    }
}

// ---- lambda_disable ----

async fn disable(input: &BotInput, aws: &SdkConfig) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let function = Function::of(input)?;
    let lambda = aws_sdk_lambda::Client::new(aws);
    let read = lambda
        .get_function_concurrency()
        .function_name(&function.arn)
        .send()
        .await;
    let doing = format!(
        "reading the reserved concurrency of function {}",
        function.name
    );
    let Some(concurrency) = none_if_code(NOT_FOUND, &doing, read)? else {
        return Ok(function.gone(input));
    };
    let previous = concurrency.reserved_concurrent_executions();
    if previous == Some(0) {
        return Ok(BotOutcome::compliant(
            input,
            format!(
                "Function {} is already disabled: reserved concurrency 0",
                function.name
            ),
        ));
    }
    let (was, undo) = match previous {
        None => (
            "no reserved concurrency".to_string(),
            "delete its reserved concurrency".to_string(),
        ),
        Some(n) => (
            format!("reserved concurrency {n}"),
            format!("set its reserved concurrency back to {n}"),
        ),
    };
    let change = format!(
        "set the reserved concurrency of function {} to 0 (was {was})",
        function.name
    );
    let concurrency = |value| FunctionSetting::ReservedConcurrency { value };
    change_function(
        input,
        &lambda,
        &function,
        (vec![concurrency(previous)], vec![concurrency(Some(0))]),
        vec![change],
        (
            format!("Would disable function {}", function.name),
            format!(
                "Function {} disabled: reserved concurrency 0, was {was} (to undo, {undo})",
                function.name
            ),
        ),
    )
    .await
}

// ---- lambda_enable_active_tracing ----

/// Turn on active tracing of the finding's function.
pub async fn enable_active_tracing_with(
    input: &BotInput,
    lambda: &aws_sdk_lambda::Client,
) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let function = Function::of(input)?;
    let Some(configuration) = configuration(lambda, &function.arn).await? else {
        return Ok(function.gone(input));
    };
    let was = tracing_mode(&configuration);
    if was == TracingMode::Active.as_str() {
        return Ok(BotOutcome::compliant(
            input,
            format!("Function {} already traces actively", function.name),
        ));
    }
    let change = format!(
        "set the tracing mode of function {} to Active (was {was})",
        function.name
    );
    let tracing = |mode: &str| FunctionSetting::Tracing {
        mode: mode.to_string(),
    };
    change_function(
        input,
        lambda,
        &function,
        (vec![tracing(was)], vec![tracing(TracingMode::Active.as_str())]),
        vec![change],
        (
            format!("Would turn on active tracing of function {}", function.name),
            format!(
                "Function {} now traces actively (was {was}); its role needs X-Ray write permission (AWSXRayDaemonWriteAccess) for the traces to arrive",
                function.name
            ),
        ),
    )
    .await
}

// ---- lambda_tag ----

async fn tag(input: &BotInput, aws: &SdkConfig) -> Result<BotOutcome, BotError> {
    let LambdaTagParams { key, value } = params(input)?;
    let function = Function::of(input)?;
    let lambda = aws_sdk_lambda::Client::new(aws);
    let listed = lambda.list_tags().resource(&function.arn).send().await;
    let doing = format!("reading the tags of function {}", function.name);
    let Some(tags) = none_if_code(NOT_FOUND, &doing, listed)? else {
        return Ok(function.gone(input));
    };
    let current = tags.tags().and_then(|tags| tags.get(&key));
    if current == Some(&value) {
        return Ok(BotOutcome::compliant(
            input,
            format!("Function {} is already tagged {key}={value}", function.name),
        ));
    }
    let change = match current {
        None => format!("tag function {} with {key}={value}", function.name),
        Some(old) => format!(
            "tag function {} with {key}={value} (was {key}={old})",
            function.name
        ),
    };
    let tag = |value: Option<&String>| FunctionSetting::Tag {
        key: key.clone(),
        value: value.cloned(),
    };
    change_function(
        input,
        &lambda,
        &function,
        (vec![tag(current)], vec![tag(Some(&value))]),
        vec![change.clone()],
        (
            format!("Would {change}"),
            format!("Function {} tagged {key}={value}", function.name),
        ),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn function_names_come_from_arns_with_or_without_qualifier() {
        let arn = "arn:aws:lambda:us-east-1:123456789012:function:billing";
        assert_eq!(function_name(arn), "billing");
        assert_eq!(function_name(&format!("{arn}:prod")), "billing");
        assert_eq!(function_name("billing"), "billing");
    }

    #[test]
    fn a_layer_is_known_by_its_account_and_its_unversioned_arn() {
        let layer = "arn:aws:lambda:us-east-1:999999999999:layer:miner:3";
        assert_eq!(layer_account(layer), Some("999999999999"));
        assert_eq!(
            unversioned_layer(layer),
            "arn:aws:lambda:us-east-1:999999999999:layer:miner"
        );
    }

    #[test]
    fn only_allow_statements_on_the_bare_wildcard_are_blanket() {
        let allow_all =
            json!({"Effect": "Allow", "Action": "logs:*", "Resource": ["arn:aws:logs:*:*:*", "*"]});
        let pattern =
            json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::logs/*"});
        let deny = json!({"Effect": "Deny", "Action": "*", "Resource": "*"});
        assert!(allows_on_every_resource(&allow_all));
        assert!(!allows_on_every_resource(&pattern));
        assert!(!allows_on_every_resource(&deny));
    }
}
