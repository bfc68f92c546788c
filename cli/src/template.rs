//! The SAM template (`infra/template.yaml`), generated from the bot catalogue.
//!
//! Every bot runs as its own function under its own role, and that role must hold exactly the
//! IAM actions the catalogue declares for the bot: no more (least privilege), no fewer (the bot
//! would fail with AccessDenied). Written by hand, dozens of functions, roles and log groups
//! would drift from the catalogue; rendered from it, they cannot. The rendered text is checked
//! in, because that file is what SAM builds and deploys, and a test fails when it differs from
//! [`render`].
//!
//! The text is built directly rather than through a YAML library: the short tags (`!Sub`,
//! `!GetAtt`, `!If`) that make the template readable are not plain YAML values, and a fixed
//! layout lets tests read single resources back out of the text.

use cloudbots_shared::catalogue::{BotSpec, CATALOGUE};
use std::fmt::Write;

/// The `cloudbots-functions` package, relative to the template: cargo-lambda builds each
/// function's binary (named by `BuildProperties.Binary`) from it.
const CODE_URI: &str = "../functions";

/// The state machine definition, relative to the template.
pub const DEFINITION_URI: &str = "../state_machines/remediation.asl.json";

/// The `${...}` names the definition uses, with the values the template gives them.
const DEFINITION_SUBSTITUTIONS: [(&str, &str); 3] = [
    (
        "BotFunctionArnPrefix",
        r#"!Sub "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${FunctionNamePrefix}""#,
    ),
    ("ReportFunctionArn", "!GetAtt ReportFunction.Arn"),
    ("AuditTableName", "!Ref AuditTable"),
];

/// CloudGuard's publishing account per data center: only it may publish to the input topic.
const DATA_CENTERS: [(&str, &str); 6] = [
    ("USA", "634729597623"),
    ("Europe", "723885542676"),
    ("Australia", "434316140879"),
    ("Singapore", "597850136722"),
    ("India", "578204784313"),
    ("Canada", "431603698195"),
];

/// The retention periods CloudWatch Logs accepts, in days.
const LOG_RETENTION_DAYS: [u32; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// The longest `FunctionNamePrefix` the template accepts, so that every function name (the
/// prefix and the longest bot name) fits Lambda's 64 characters.
pub fn max_function_name_prefix() -> usize {
    let longest = CATALOGUE.iter().map(|b| b.name.len()).max().unwrap_or(0);
    64 - longest
}

/// The logical ids of one bot's resources.
#[derive(Debug, Clone)]
pub struct BotResources {
    pub bot: &'static BotSpec,
    pub function_id: String,
    pub role_id: String,
    pub log_group_id: String,
}

impl BotResources {
    fn new(bot: &'static BotSpec) -> Self {
        let base = pascal_case(bot.name);
        BotResources {
            bot,
            function_id: format!("{base}Function"),
            role_id: format!("{base}Role"),
            log_group_id: format!("{base}LogGroup"),
        }
    }
}

/// The resources of every catalogued bot, in catalogue order.
pub fn bot_resources() -> Vec<BotResources> {
    CATALOGUE.iter().copied().map(BotResources::new).collect()
}

/// `ec2_stop_instance` → `Ec2StopInstance`: a bot name as a CloudFormation logical id.
fn pascal_case(name: &str) -> String {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// The full text of `infra/template.yaml`.
pub fn render() -> String {
    let bots = bot_resources();
    let mut out = String::new();
    header(&mut out);
    parameters(&mut out);
    mappings_and_conditions(&mut out);
    globals(&mut out);
    out.push_str("Resources:\n");
    for bot in &bots {
        bot_function(&mut out, bot);
    }
    intake(&mut out);
    report(&mut out);
    state_machine(&mut out, &bots);
    storage_and_topics(&mut out);
    outputs(&mut out);
    out
}

/// A YAML double-quoted scalar.
fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                write!(out, "\\u{:04x}", c as u32).expect("writing to a String");
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn header(out: &mut String) {
    out.push_str(
        "# Generated from the bot catalogue by `cloudbots template`: edit cli/src/template.rs, not this file.
AWSTemplateFormatVersion: \"2010-09-09\"
Transform: AWS::Serverless-2016-10-31
Description: >-
  cloudbots: automatic remediation of CloudGuard and GuardDuty findings. An intake function
  plans each finding and starts one Step Functions execution, which runs one function per bot,
  in order, and records every step in the audit table; a report function publishes the result.

",
    );
}

fn parameters(out: &mut String) {
    out.push_str(
        "Parameters:
  AccountMode:
    Type: String
    Default: single
    AllowedValues: [single, multi]
    Description: single remediates only this account; multi also assumes CrossAccountRoleName in the finding's account.
  CrossAccountRoleName:
    Type: String
    Default: Dome9CloudBots
    AllowedPattern: \"[\\\\w+=,.@-]{1,64}\"
    Description: The role the bots assume in member accounts (multi mode).
  OutputType:
    Type: String
    Default: JSON
    AllowedValues: [JSON, text]
    Description: Format of the messages published to the output topic.
  Mode:
    Type: String
    Default: enforce
    AllowedValues: [enforce, dry-run]
    Description: dry-run makes every bot report what it would change, and change nothing.
  SnapshotBeforeChange:
    Type: String
    Default: \"true\"
    AllowedValues: [\"true\", \"false\"]
    Description: Snapshot an instance's volumes before any step that stops, terminates or quarantines it.
  DestroyBots:
    Type: String
    Default: \"\"
    AllowedPattern: \"[a-z0-9_, ]*\"
    Description: Comma-separated names of the destroy-phase bots (those that delete resources) this deployment may run; any other is refused and audited.
  GuardDutyActions:
    Type: String
    Default: \"\"
    Description: GuardDuty finding types and the bots to run for them, as the original's GD_ACTIONS JSON.
  DataCenter:
    Type: String
    Default: USA
    AllowedValues: [USA, Europe, Australia, Singapore, India, Canada]
    Description: The CloudGuard data center whose account may publish findings to the input topic.
  EmailAddress:
    Type: String
    Default: \"\"
    Description: Optional email address subscribed to the output topic.
",
    );
    write!(
        out,
        "  FunctionNamePrefix:
    Type: String
    Default: cloudbots-
    AllowedPattern: \"[A-Za-z0-9_-]{{0,{max_prefix}}}\"
    Description: Prefix of every function name; a bot's function is the prefix followed by the bot's name.
  LogRetentionDays:
    Type: Number
    Default: 90
    AllowedValues: [{}]
    Description: How long the functions' and the state machine's logs are kept.

",
        LOG_RETENTION_DAYS.map(|days| days.to_string()).join(", "),
        max_prefix = max_function_name_prefix(),
    )
    .expect("writing to a String");
}

fn mappings_and_conditions(out: &mut String) {
    out.push_str("Mappings:\n  DataCenters:\n");
    for (name, account) in DATA_CENTERS {
        writeln!(out, "    {name}:\n      PublisherAccount: \"{account}\"")
            .expect("writing to a String");
    }
    out.push_str(
        "
Conditions:
  IsMulti: !Equals [!Ref AccountMode, multi]
  HasEmail: !Not [!Equals [!Ref EmailAddress, \"\"]]

",
    );
}

fn globals(out: &mut String) {
    out.push_str(
        "Globals:
  Function:
    Runtime: provided.al2023
    Architectures: [arm64]
    Handler: bootstrap
    Tracing: Active
    Timeout: 60
    MemorySize: 128
    Environment:
      Variables:
        RUST_LOG: info

",
    );
}

/// A function built from the `cloudbots-functions` package, with its own log group.
struct FunctionSpec<'a> {
    id: &'a str,
    binary: &'a str,
    description: &'a str,
    role_id: &'a str,
    log_group_id: &'a str,
}

fn function(out: &mut String, f: &FunctionSpec) {
    writeln!(
        out,
        "  {id}:
    Type: AWS::Serverless::Function
    Metadata:
      BuildMethod: rust-cargolambda
      BuildProperties:
        Binary: {binary}
    Properties:
      FunctionName: !Sub \"${{FunctionNamePrefix}}{binary}\"
      Description: {description}
      CodeUri: {CODE_URI}
      Role: !GetAtt {role}.Arn
      LoggingConfig:
        LogGroup: !Ref {log_group}",
        id = f.id,
        binary = f.binary,
        description = quoted(f.description),
        role = f.role_id,
        log_group = f.log_group_id,
    )
    .expect("writing to a String");
}

/// A log group that goes with the stack: a kept one would block the next deployment's
/// function of the same name.
fn log_group(out: &mut String, id: &str, name: &str) {
    writeln!(
        out,
        "  {id}:
    Type: AWS::Logs::LogGroup
    DeletionPolicy: Delete
    UpdateReplacePolicy: Delete
    Properties:
      LogGroupName: !Sub \"{name}\"
      RetentionInDays: !Ref LogRetentionDays
"
    )
    .expect("writing to a String");
}

/// One statement of an inline policy; `resources` are YAML values (`"*"`, `!GetAtt X.Arn`).
struct Statement<'a> {
    sid: &'a str,
    actions: Vec<&'a str>,
    resources: Vec<String>,
}

/// Who assumes a role.
#[derive(Clone, Copy)]
enum Trust {
    /// A function: it also gets the managed policies for its logs and X-Ray traces.
    Lambda,
    /// The state machine, and only on behalf of this account.
    StepFunctions,
}

/// A role with one inline policy.
struct RoleSpec<'a> {
    id: &'a str,
    description: &'a str,
    trust: Trust,
    policy_name: &'a str,
    statements: Vec<Statement<'a>>,
    /// Add `sts:AssumeRole` on the member-account role, in multi-account mode only.
    assumes_member_role: bool,
}

fn role(out: &mut String, role: &RoleSpec) {
    let service = match role.trust {
        Trust::Lambda => "lambda.amazonaws.com",
        Trust::StepFunctions => "states.amazonaws.com",
    };
    writeln!(
        out,
        "  {id}:
    Type: AWS::IAM::Role
    Properties:
      Description: {description}
      AssumeRolePolicyDocument:
        Version: \"2012-10-17\"
        Statement:
          - Effect: Allow
            Principal:
              Service: {service}
            Action: sts:AssumeRole",
        id = role.id,
        description = quoted(role.description),
    )
    .expect("writing to a String");
    match role.trust {
        Trust::StepFunctions => out.push_str(
            "            Condition:
              StringEquals:
                aws:SourceAccount: !Ref AWS::AccountId
",
        ),
        Trust::Lambda => out.push_str(
            "      ManagedPolicyArns:
        - !Sub \"arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole\"
        - !Sub \"arn:${AWS::Partition}:iam::aws:policy/AWSXRayDaemonWriteAccess\"
",
        ),
    }
    writeln!(
        out,
        "      Policies:
        - PolicyName: {}
          PolicyDocument:
            Version: \"2012-10-17\"
            Statement:",
        role.policy_name
    )
    .expect("writing to a String");
    for statement in &role.statements {
        writeln!(
            out,
            "              - Sid: {}\n                Effect: Allow\n                Action:",
            statement.sid
        )
        .expect("writing to a String");
        for action in &statement.actions {
            writeln!(out, "                  - {action}").expect("writing to a String");
        }
        out.push_str("                Resource:\n");
        for resource in &statement.resources {
            writeln!(out, "                  - {resource}").expect("writing to a String");
        }
    }
    if role.assumes_member_role {
        out.push_str(
            "              - !If
                - IsMulti
                - Sid: AssumeMemberRole
                  Effect: Allow
                  Action: sts:AssumeRole
                  Resource: !Sub \"arn:${AWS::Partition}:iam::*:role/${CrossAccountRoleName}\"
                - !Ref AWS::NoValue
",
        );
    }
    out.push('\n');
}

fn bot_function(out: &mut String, bot: &BotResources) {
    let name = bot.bot.name;
    function(
        out,
        &FunctionSpec {
            id: &bot.function_id,
            binary: name,
            description: bot.bot.summary,
            role_id: &bot.role_id,
            log_group_id: &bot.log_group_id,
        },
    );
    out.push('\n');
    log_group(
        out,
        &bot.log_group_id,
        &format!("/aws/lambda/${{FunctionNamePrefix}}{name}"),
    );
    role(
        out,
        &RoleSpec {
            id: &bot.role_id,
            description: &format!("Runs the {name} bot: exactly the IAM actions the bot calls."),
            trust: Trust::Lambda,
            policy_name: name,
            statements: vec![Statement {
                sid: "BotActions",
                actions: bot.bot.iam_actions.to_vec(),
                resources: vec![quoted("*")],
            }],
            assumes_member_role: true,
        },
    );
}

fn intake(out: &mut String) {
    function(
        out,
        &FunctionSpec {
            id: "IntakeFunction",
            binary: "intake",
            description:
                "Plans each CloudGuard or GuardDuty finding and starts its remediation execution.",
            role_id: "IntakeRole",
            log_group_id: "IntakeLogGroup",
        },
    );
    out.push_str(
        "      Environment:
        Variables:
          STATE_MACHINE_ARN: !Ref RemediationStateMachine
          AUDIT_TABLE: !Ref AuditTable
          HOME_ACCOUNT_ID: !Ref AWS::AccountId
          ACCOUNT_MODE: !Ref AccountMode
          CROSS_ACCOUNT_ROLE_NAME: !Ref CrossAccountRoleName
          SNAPSHOT_BEFORE_CHANGE: !Ref SnapshotBeforeChange
          DESTROY_BOTS: !Ref DestroyBots
          MODE: !Ref Mode
          GD_ACTIONS: !Ref GuardDutyActions
      Events:
        CloudGuardFindings:
          Type: SNS
          Properties:
            Topic: !Ref InputTopic
        GuardDutyFindings:
          Type: EventBridgeRule
          Properties:
            Pattern:
              source: [\"aws.guardduty\"]
              detail-type: [\"GuardDuty Finding\"]

",
    );
    log_group(
        out,
        "IntakeLogGroup",
        "/aws/lambda/${FunctionNamePrefix}intake",
    );
    role(
        out,
        &RoleSpec {
            id: "IntakeRole",
            description:
                "Runs the intake function: starts remediation executions and records duplicates.",
            trust: Trust::Lambda,
            policy_name: "intake",
            statements: vec![
                Statement {
                    sid: "StartRemediation",
                    actions: vec!["states:StartExecution"],
                    resources: vec!["!Ref RemediationStateMachine".into()],
                },
                Statement {
                    sid: "RecordAudit",
                    actions: vec!["dynamodb:PutItem"],
                    resources: vec!["!GetAtt AuditTable.Arn".into()],
                },
            ],
            assumes_member_role: false,
        },
    );
}

fn report(out: &mut String) {
    function(
        out,
        &FunctionSpec {
            id: "ReportFunction",
            binary: "report",
            description: "Publishes an execution's result, built from its audit records.",
            role_id: "ReportRole",
            log_group_id: "ReportLogGroup",
        },
    );
    out.push_str(
        "      Environment:
        Variables:
          OUTPUT_TOPIC_ARN: !Ref OutputTopic
          OUTPUT_TYPE: !Ref OutputType
          AUDIT_TABLE: !Ref AuditTable

",
    );
    log_group(
        out,
        "ReportLogGroup",
        "/aws/lambda/${FunctionNamePrefix}report",
    );
    role(
        out,
        &RoleSpec {
            id: "ReportRole",
            description: "Runs the report function: reads the audit records, publishes the output.",
            trust: Trust::Lambda,
            policy_name: "report",
            statements: vec![
                Statement {
                    sid: "PublishOutput",
                    actions: vec!["sns:Publish"],
                    resources: vec!["!Ref OutputTopic".into()],
                },
                Statement {
                    sid: "ReadAudit",
                    actions: vec!["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:Query"],
                    resources: vec!["!GetAtt AuditTable.Arn".into()],
                },
            ],
            assumes_member_role: false,
        },
    );
}

fn state_machine(out: &mut String, bots: &[BotResources]) {
    writeln!(
        out,
        "  RemediationStateMachine:
    Type: AWS::Serverless::StateMachine
    Properties:
      Name: !Sub \"${{FunctionNamePrefix}}remediation\"
      Type: STANDARD
      DefinitionUri: {DEFINITION_URI}
      DefinitionSubstitutions:"
    )
    .expect("writing to a String");
    for (name, value) in DEFINITION_SUBSTITUTIONS {
        writeln!(out, "        {name}: {value}").expect("writing to a String");
    }
    out.push_str(
        "      Role: !GetAtt RemediationStateMachineRole.Arn
      Logging:
        Level: ALL
        IncludeExecutionData: true
        Destinations:
          - CloudWatchLogsLogGroup:
              LogGroupArn: !GetAtt RemediationStateMachineLogGroup.Arn
      Tracing:
        Enabled: true

",
    );
    log_group(
        out,
        "RemediationStateMachineLogGroup",
        "/aws/vendedlogs/states/${FunctionNamePrefix}remediation",
    );
    let functions = bots
        .iter()
        .map(|bot| format!("!GetAtt {}.Arn", bot.function_id))
        .chain(["!GetAtt ReportFunction.Arn".to_string()])
        .collect();
    role(
        out,
        &RoleSpec {
            id: "RemediationStateMachineRole",
            description:
                "Runs the state machine: invokes the bot and report functions, writes the audit.",
            trust: Trust::StepFunctions,
            policy_name: "remediation",
            statements: vec![
                Statement {
                    sid: "InvokeBotsAndReport",
                    actions: vec!["lambda:InvokeFunction"],
                    resources: functions,
                },
                Statement {
                    sid: "WriteAudit",
                    actions: vec!["dynamodb:PutItem"],
                    resources: vec!["!GetAtt AuditTable.Arn".into()],
                },
                Statement {
                    sid: "DeliverLogs",
                    actions: vec![
                        "logs:CreateLogDelivery",
                        "logs:DeleteLogDelivery",
                        "logs:DescribeLogGroups",
                        "logs:DescribeResourcePolicies",
                        "logs:GetLogDelivery",
                        "logs:ListLogDeliveries",
                        "logs:PutResourcePolicy",
                        "logs:UpdateLogDelivery",
                    ],
                    resources: vec![quoted("*")],
                },
                Statement {
                    sid: "Trace",
                    actions: vec![
                        "xray:GetSamplingRules",
                        "xray:GetSamplingTargets",
                        "xray:PutTelemetryRecords",
                        "xray:PutTraceSegments",
                    ],
                    resources: vec![quoted("*")],
                },
            ],
            assumes_member_role: false,
        },
    );
}

fn storage_and_topics(out: &mut String) {
    out.push_str(
        "  AuditTable:
    Type: AWS::DynamoDB::Table
    DeletionPolicy: Retain
    UpdateReplacePolicy: Retain
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions:
        - AttributeName: execution_name
          AttributeType: S
        - AttributeName: record_id
          AttributeType: S
      KeySchema:
        - AttributeName: execution_name
          KeyType: HASH
        - AttributeName: record_id
          KeyType: RANGE
      PointInTimeRecoverySpecification:
        PointInTimeRecoveryEnabled: true
      SSESpecification:
        SSEEnabled: true
      TimeToLiveSpecification:
        AttributeName: expires_at
        Enabled: true

  InputTopic:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: d9-findings
      DisplayName: d9-findings

  InputTopicPolicy:
    Type: AWS::SNS::TopicPolicy
    Properties:
      Topics:
        - !Ref InputTopic
      PolicyDocument:
        Version: \"2012-10-17\"
        Id: D9DeliveryPolicy
        Statement:
          - Sid: D9DeliveryPolicy
            Effect: Allow
            Principal:
              AWS: !Sub
                - \"arn:${AWS::Partition}:iam::${PublisherAccount}:root\"
                - PublisherAccount: !FindInMap [DataCenters, !Ref DataCenter, PublisherAccount]
            Action: sns:Publish
            Resource: !Ref InputTopic

  OutputTopic:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: remediationOutput

  OutputTopicSubscription:
    Type: AWS::SNS::Subscription
    Condition: HasEmail
    Properties:
      Protocol: email
      Endpoint: !Ref EmailAddress
      TopicArn: !Ref OutputTopic

",
    );
}

fn outputs(out: &mut String) {
    out.push_str(
        "Outputs:
  InputTopicARN:
    Description: The topic CloudGuard sends findings to (JSON - Full entity).
    Value: !Ref InputTopic
  OutputTopicARN:
    Description: The topic the remediation results are published to.
    Value: !Ref OutputTopic
  StateMachineArn:
    Description: The remediation state machine; its executions are the remediation history.
    Value: !Ref RemediationStateMachine
  AuditTableName:
    Description: The audit table, one item per step of every execution.
    Value: !Ref AuditTable
",
    );
}
