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

use cloudbots_shared::catalogue::{BotSpec, PassRole, RestorerSpec, CATALOGUE, RESTORERS};
use cloudbots_shared::plan::UNDO_ROLE_SUFFIX;
use std::fmt::Write;

/// Every function's `CodeUri`: the workspace, relative to the template. SAM runs cargo-lambda
/// there for each function's binary (named by `BuildProperties.Binary`), so each is built from
/// the workspace's default members with the features of the deploy build, and after that build
/// SAM finds every binary up to date. (Run in one function package's directory, cargo would
/// resolve that package's features alone, and rebuild the SDK for each package.)
const CODE_URI: &str = "..";

/// The remediation state machine's definition, relative to the template.
pub const DEFINITION_URI: &str = "../state_machines/remediation.asl.json";
/// The undo state machine's definition, relative to the template.
pub const UNDO_DEFINITION_URI: &str = "../state_machines/undo.asl.json";

/// Every function's ARN is this prefix and its name (bots and restorers are invoked by name).
const FUNCTION_ARN_PREFIX: (&str, &str) = (
    "BotFunctionArnPrefix",
    r#"!Sub "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${FunctionNamePrefix}""#,
);
const AUDIT_TABLE_NAME: (&str, &str) = ("AuditTableName", "!Ref AuditTable");
const REPORT_FUNCTION_ARN: (&str, &str) = ("ReportFunctionArn", "!GetAtt ReportFunction.Arn");

/// The `${...}` names the remediation definition uses, with the values the template gives them.
pub const DEFINITION_SUBSTITUTIONS: [(&str, &str); 3] =
    [FUNCTION_ARN_PREFIX, REPORT_FUNCTION_ARN, AUDIT_TABLE_NAME];

/// The `${...}` names the undo definition uses, with the values the template gives them.
pub const UNDO_DEFINITION_SUBSTITUTIONS: [(&str, &str); 4] = [
    FUNCTION_ARN_PREFIX,
    ("UndoPlannerFunctionArn", "!GetAtt PlanUndoFunction.Arn"),
    REPORT_FUNCTION_ARN,
    AUDIT_TABLE_NAME,
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

/// The IAM path of every bot role. Member roles trust the hub account's roles under this path
/// only (`aws:PrincipalArn`), so neither the intake, the report nor any other role of the hub
/// account can assume them.
pub const BOT_ROLE_PATH: &str = "/cloudbots/";

/// The IAM path of every restorer role: apart from the bots', so no member role made for the
/// bots trusts a role that holds the inverse actions.
pub const RESTORER_ROLE_PATH: &str = "/cloudbots-undo/";

/// The namespace and name of the metric the state machine publishes for each step it refuses
/// because the account and region are over their remediation budget.
const THROTTLED_METRIC: (&str, &str) = ("CloudBots", "StepsThrottled");

/// The retention periods CloudWatch Logs accepts, in days.
const LOG_RETENTION_DAYS: [u32; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// The longest `FunctionNamePrefix` the template accepts, so that every function name (the
/// prefix and the longest bot name) fits Lambda's 64 characters.
pub fn max_function_name_prefix() -> usize {
    let longest = CATALOGUE
        .iter()
        .map(|b| b.name)
        .chain(RESTORERS.iter().map(|r| r.name))
        .map(str::len)
        .max()
        .unwrap_or(0);
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
        let ids = ResourceIds::of(bot.name);
        BotResources {
            bot,
            function_id: ids.function_id,
            role_id: ids.role_id,
            log_group_id: ids.log_group_id,
        }
    }
}

/// The logical ids of a function's resources, from its name.
#[derive(Debug, Clone)]
pub struct ResourceIds {
    pub function_id: String,
    pub role_id: String,
    pub log_group_id: String,
}

impl ResourceIds {
    pub fn of(name: &str) -> Self {
        let base = pascal_case(name);
        ResourceIds {
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
    rules(&mut out);
    mappings_and_conditions(&mut out);
    globals(&mut out);
    out.push_str("Resources:\n");
    for bot in &bots {
        bot_function(&mut out, bot);
    }
    for restorer in RESTORERS {
        restorer_function(&mut out, restorer);
    }
    intake(&mut out);
    report(&mut out);
    undo_planner(&mut out);
    remediation_state_machine(&mut out, &bots);
    undo_state_machine(&mut out);
    storage_and_topics(&mut out);
    alarms(&mut out);
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
  cloudbots: automatic remediation of CloudGuard, GuardDuty and Security Hub findings. An intake function
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
    AllowedPattern: \"[\\\\w+=,.@-]{1,59}\"
    Description: The role the bots assume in member accounts (multi mode), the RoleName of infra/member-role.yaml; the restorers assume the same name with -undo after it.
  ExternalId:
    Type: String
    NoEcho: true
    Default: \"\"
    MaxLength: 1224
    AllowedPattern: \"[\\\\w+=,.@:/-]*\"
    Description: The sts:ExternalId the member roles require (the ExternalId of infra/member-role.yaml); required in multi mode.
  AllowedAccounts:
    Type: String
    Default: \"\"
    AllowedPattern: \"[0-9, ]*\"
    Description: Comma-separated ids of the only accounts whose findings are remediated; empty allows every account the account mode allows.
  DeniedAccounts:
    Type: String
    Default: \"\"
    AllowedPattern: \"[0-9, ]*\"
    Description: Comma-separated ids of accounts whose findings are never remediated (refused and audited).
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
  BotModes:
    Type: String
    Default: \"\"
    AllowedPattern: \"[a-z0-9_=, -]*\"
    Description: Per-bot overrides of Mode, e.g. ec2_stop_instance=dry-run,s3_delete_acls=enforce.
  RemediationBudget:
    Type: Number
    Default: 50
    MinValue: 1
    Description: At most this many remediations per account and region in each budget window; steps over it are recorded as throttled, not run, and raise the StepsThrottled alarm.
  BudgetWindowMinutes:
    Type: Number
    Default: 60
    MinValue: 1
    MaxValue: 10080
    Description: The length of the remediation budget's window, in minutes.
  CircuitBreakerFailures:
    Type: Number
    Default: 3
    MinValue: 1
    Description: A resource whose steps failed this many times in a row is not remediated again (refused and audited).
  CircuitBreakerResetMinutes:
    Type: Number
    Default: 60
    MinValue: 1
    Description: Minutes after a resource's last failure before its open circuit lets one step through again.
  ExclusionTagKey:
    Type: String
    Default: cloudbots:exclude
    AllowedPattern: \"[\\\\w.:/=+@ -]{1,128}\"
    Description: The tag that opts a resource out (value all, or bot names, optionally with an expiry date); checked at intake and again by the bot.
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
  SecurityHubActions:
    Type: String
    Default: \"\"
    Description: Security Hub control ids and the bots to run for them, as a JSON object of control id to AUTO line (infra/securityhub-actions.json is a mapping to start from). Empty remediates no control finding.
  DataCenter:
    Type: String
    Default: USA
    AllowedValues: [USA, Europe, Australia, Singapore, India, Canada]
    Description: The CloudGuard data center whose account may publish findings to the input topic.
  EmailAddress:
    Type: String
    Default: \"\"
    Description: Optional email address subscribed to the output topic and to the alarm topic.
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

/// Checks CloudFormation makes before it creates anything.
fn rules(out: &mut String) {
    out.push_str(
        "Rules:
  MultiAccountNeedsExternalId:
    RuleCondition: !Equals [!Ref AccountMode, multi]
    Assertions:
      - Assert: !Not [!Equals [!Ref ExternalId, \"\"]]
        AssertDescription: AccountMode multi needs the ExternalId the member roles were created with.

",
    );
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
    /// A `StringEquals` condition: the key and the value it must have.
    condition: Option<(&'a str, &'a str)>,
}

impl<'a> Statement<'a> {
    fn new(sid: &'a str, actions: Vec<&'a str>, resources: Vec<String>) -> Self {
        Statement {
            sid,
            actions,
            resources,
            condition: None,
        }
    }
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
    /// The IAM path, when not `/`.
    path: Option<&'a str>,
    description: &'a str,
    trust: Trust,
    policy_name: &'a str,
    statements: Vec<Statement<'a>>,
    /// The member-account role it assumes, in multi-account mode only.
    assumes: Option<MemberRoleName>,
}

/// Which member-account role a hub role assumes: the bots' (`CrossAccountRoleName`) or the
/// restorers' (the same name with [`UNDO_ROLE_SUFFIX`]).
enum MemberRoleName {
    Bots,
    Undo,
}

impl MemberRoleName {
    fn suffix(&self) -> &'static str {
        match self {
            MemberRoleName::Bots => "",
            MemberRoleName::Undo => UNDO_ROLE_SUFFIX,
        }
    }
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
      Description: {description}{path}
      AssumeRolePolicyDocument:
        Version: \"2012-10-17\"
        Statement:
          - Effect: Allow
            Principal:
              Service: {service}
            Action: sts:AssumeRole",
        id = role.id,
        description = quoted(role.description),
        path = role
            .path
            .map(|path| format!("\n      Path: {path}"))
            .unwrap_or_default(),
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
        if let Some((key, value)) = statement.condition {
            writeln!(
                out,
                "                Condition:\n                  StringEquals:\n                    {key}: {value}"
            )
            .expect("writing to a String");
        }
    }
    if let Some(member_role) = &role.assumes {
        writeln!(
            out,
            "              - !If
                - IsMulti
                - Sid: AssumeMemberRole
                  Effect: Allow
                  Action: sts:AssumeRole
                  Resource: !Sub \"arn:${{AWS::Partition}}:iam::*:role/${{CrossAccountRoleName}}{}\"
                - !Ref AWS::NoValue",
            member_role.suffix()
        )
        .expect("writing to a String");
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
    out.push_str(
        "      Environment:
        Variables:
          EXTERNAL_ID: !Ref ExternalId

",
    );
    log_group(
        out,
        &bot.log_group_id,
        &format!("/aws/lambda/${{FunctionNamePrefix}}{name}"),
    );
    role(
        out,
        &RoleSpec {
            id: &bot.role_id,
            path: Some(BOT_ROLE_PATH),
            description: &format!("Runs the {name} bot: exactly the IAM actions the bot calls."),
            trust: Trust::Lambda,
            policy_name: name,
            statements: bot_statements(bot.bot),
            assumes: Some(MemberRoleName::Bots),
        },
    );
}

/// A bot's actions on any resource, and `iam:PassRole` apart: only the roles it passes, only to
/// the service it passes them to.
fn bot_statements(bot: &BotSpec) -> Vec<Statement<'_>> {
    function_statements("BotActions", bot.role_actions(), bot.pass_role())
}

/// A function's `actions` (statement `sid`) on any resource, and `iam:PassRole` apart when it
/// passes roles (`pass_role`): only those roles, only to that service.
fn function_statements<'a>(
    sid: &'a str,
    actions: Vec<&'a str>,
    pass_role: Option<PassRole>,
) -> Vec<Statement<'a>> {
    let Some(scope) = pass_role else {
        return vec![Statement::new(sid, actions, vec![quoted("*")])];
    };
    let actions = actions
        .into_iter()
        .filter(|action| *action != PASS_ROLE)
        .collect();
    let roles = scope
        .roles
        .iter()
        .map(|role| {
            format!("!Sub \"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/{role}\"")
        })
        .collect();
    vec![
        Statement::new(sid, actions, vec![quoted("*")]),
        Statement {
            condition: Some(("iam:PassedToService", scope.service)),
            ..Statement::new("PassRole", vec![PASS_ROLE], roles)
        },
    ]
}

const PASS_ROLE: &str = "iam:PassRole";

/// A restorer's function, under a role holding exactly its inverse actions.
fn restorer_function(out: &mut String, restorer: &RestorerSpec) {
    let name = restorer.name;
    let ids = ResourceIds::of(name);
    function(
        out,
        &FunctionSpec {
            id: &ids.function_id,
            binary: name,
            description: restorer.summary,
            role_id: &ids.role_id,
            log_group_id: &ids.log_group_id,
        },
    );
    out.push('\n');
    log_group(
        out,
        &ids.log_group_id,
        &format!("/aws/lambda/${{FunctionNamePrefix}}{name}"),
    );
    role(
        out,
        &RoleSpec {
            id: &ids.role_id,
            path: Some(RESTORER_ROLE_PATH),
            description: &format!(
                "Runs the {name} restorer (undo): exactly the IAM actions it calls."
            ),
            trust: Trust::Lambda,
            policy_name: name,
            statements: function_statements(
                "RestoreActions",
                restorer.iam_actions.to_vec(),
                restorer.pass_role(),
            ),
            assumes: Some(MemberRoleName::Undo),
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
                "Plans each CloudGuard, GuardDuty or Security Hub finding and starts its remediation execution.",
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
          BOT_MODES: !Ref BotModes
          GD_ACTIONS: !Ref GuardDutyActions
          SECURITYHUB_ACTIONS: !Ref SecurityHubActions
          ALLOWED_ACCOUNTS: !Ref AllowedAccounts
          DENIED_ACCOUNTS: !Ref DeniedAccounts
          BUDGET_PER_WINDOW: !Ref RemediationBudget
          BUDGET_WINDOW_MINUTES: !Ref BudgetWindowMinutes
          CIRCUIT_BREAKER_FAILURES: !Ref CircuitBreakerFailures
          CIRCUIT_BREAKER_RESET_MINUTES: !Ref CircuitBreakerResetMinutes
          EXCLUDE_TAG_KEY: !Ref ExclusionTagKey
      DeadLetterQueue:
        Type: SQS
        TargetArn: !GetAtt IntakeDeadLetterQueue.Arn
      EventInvokeConfig:
        MaximumRetryAttempts: 2
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
        SecurityHubFindings:
          Type: EventBridgeRule
          Properties:
",
    );
    writeln!(out, "            Pattern: {}\n", securityhub_pattern()).expect("write to a String");
    log_group(
        out,
        "IntakeLogGroup",
        "/aws/lambda/${FunctionNamePrefix}intake",
    );
    role(
        out,
        &RoleSpec {
            id: "IntakeRole",
            path: None,
            description:
                "Runs the intake function: starts remediation executions and records duplicates.",
            trust: Trust::Lambda,
            policy_name: "intake",
            statements: vec![
                Statement::new(
                    "StartRemediation",
                    vec!["states:StartExecution"],
                    vec!["!Ref RemediationStateMachine".into()],
                ),
                Statement::new(
                    "RecordAudit",
                    vec!["dynamodb:PutItem"],
                    vec!["!GetAtt AuditTable.Arn".into()],
                ),
                Statement::new(
                    "KeepFailedEvents",
                    vec!["sqs:SendMessage"],
                    vec!["!GetAtt IntakeDeadLetterQueue.Arn".into()],
                ),
            ],
            assumes: None,
        },
    );
}

/// The EventBridge pattern of the Security Hub rule: both formats, and of them only failed
/// control checks of Security Hub itself and GuardDuty findings, active and neither resolved nor
/// suppressed. Products are matched by the end of their ARN (`::product/aws/securityhub`), not
/// by the `arn:aws:securityhub` prefix every product's ARN has. The intake checks all of this
/// again; the rule keeps the rest from invoking it at all.
pub fn securityhub_pattern() -> serde_json::Value {
    let open_asff =
        serde_json::json!({"RecordState": ["ACTIVE"], "Workflow": {"Status": ["NEW", "NOTIFIED"]}});
    let mut asff_controls = open_asff.clone();
    asff_controls["ProductArn"] = serde_json::json!([{"suffix": "::product/aws/securityhub"}]);
    asff_controls["Compliance"] = serde_json::json!({"Status": ["FAILED"]});
    let mut asff_guardduty = open_asff;
    asff_guardduty["ProductArn"] = serde_json::json!([{"suffix": "::product/aws/guardduty"}]);
    serde_json::json!({
        "source": ["aws.securityhub"],
        "detail-type": ["Security Hub Findings - Imported", "Findings Imported V2"],
        "detail": {"findings": {"$or": [
            asff_controls,
            asff_guardduty,
            {
                "metadata": {"product": {"uid": [{"suffix": "::productv2/aws/securityhub"}]}},
                "class_uid": [2003],
                "compliance": {"status": ["Fail"]},
                "status_id": [1, 2],
            },
            {
                "metadata": {"product": {"uid": [{"suffix": "::productv2/aws/guardduty"}]}},
                "status_id": [1, 2],
            },
        ]}},
    })
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
            path: None,
            description: "Runs the report function: reads the audit records, publishes the output, marks Security Hub findings.",
            trust: Trust::Lambda,
            policy_name: "report",
            statements: vec![
                Statement::new(
                    "PublishOutput",
                    vec!["sns:Publish"],
                    vec!["!Ref OutputTopic".into()],
                ),
                Statement::new(
                    "EncryptOutput",
                    vec!["kms:Decrypt", "kms:GenerateDataKey"],
                    vec!["!GetAtt TopicKey.Arn".into()],
                ),
                Statement::new(
                    "ReadAudit",
                    vec!["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:Query"],
                    vec!["!GetAtt AuditTable.Arn".into()],
                ),
                // BatchUpdateFindings and BatchUpdateFindingsV2 both need this one action;
                // findings have no resource ARN to scope it to.
                Statement::new(
                    "MarkSecurityHubFindings",
                    vec!["securityhub:BatchUpdateFindings"],
                    vec![quoted("*")],
                ),
            ],
            assumes: None,
        },
    );
}

fn undo_planner(out: &mut String) {
    function(
        out,
        &FunctionSpec {
            id: "PlanUndoFunction",
            binary: "plan_undo",
            description: "Reads an execution's audit records into its undo plan.",
            role_id: "PlanUndoRole",
            log_group_id: "PlanUndoLogGroup",
        },
    );
    out.push_str(
        "      Environment:
        Variables:
          AUDIT_TABLE: !Ref AuditTable

",
    );
    log_group(
        out,
        "PlanUndoLogGroup",
        "/aws/lambda/${FunctionNamePrefix}plan_undo",
    );
    role(
        out,
        &RoleSpec {
            id: "PlanUndoRole",
            path: None,
            description: "Runs the undo planner: reads the audit records, nothing else.",
            trust: Trust::Lambda,
            policy_name: "plan_undo",
            statements: vec![Statement::new(
                "ReadAudit",
                vec!["dynamodb:Query"],
                vec!["!GetAtt AuditTable.Arn".into()],
            )],
            assumes: None,
        },
    );
}

/// A state machine: its definition and substitutions, logs, traces and role.
struct MachineSpec<'a> {
    /// `Remediation` → `RemediationStateMachine`, its role and log group.
    base: &'a str,
    /// After the function-name prefix: `remediation`.
    name: &'a str,
    definition_uri: &'a str,
    substitutions: &'a [(&'a str, &'a str)],
    description: &'a str,
    /// What it may do besides its logs and traces.
    statements: Vec<Statement<'a>>,
}

fn state_machine(out: &mut String, machine: MachineSpec) {
    let MachineSpec { base, name, .. } = machine;
    writeln!(
        out,
        "  {base}StateMachine:
    Type: AWS::Serverless::StateMachine
    Properties:
      Name: !Sub \"${{FunctionNamePrefix}}{name}\"
      Type: STANDARD
      DefinitionUri: {}
      DefinitionSubstitutions:",
        machine.definition_uri
    )
    .expect("writing to a String");
    for (name, value) in machine.substitutions {
        writeln!(out, "        {name}: {value}").expect("writing to a String");
    }
    writeln!(
        out,
        "      Role: !GetAtt {base}StateMachineRole.Arn
      Logging:
        Level: ALL
        IncludeExecutionData: true
        Destinations:
          - CloudWatchLogsLogGroup:
              LogGroupArn: !GetAtt {base}StateMachineLogGroup.Arn
      Tracing:
        Enabled: true
"
    )
    .expect("writing to a String");
    log_group(
        out,
        &format!("{base}StateMachineLogGroup"),
        &format!("/aws/vendedlogs/states/${{FunctionNamePrefix}}{name}"),
    );
    let mut statements = machine.statements;
    statements.extend([
        Statement::new(
            "DeliverLogs",
            vec![
                "logs:CreateLogDelivery",
                "logs:DeleteLogDelivery",
                "logs:DescribeLogGroups",
                "logs:DescribeResourcePolicies",
                "logs:GetLogDelivery",
                "logs:ListLogDeliveries",
                "logs:PutResourcePolicy",
                "logs:UpdateLogDelivery",
            ],
            vec![quoted("*")],
        ),
        Statement::new(
            "Trace",
            vec![
                "xray:GetSamplingRules",
                "xray:GetSamplingTargets",
                "xray:PutTelemetryRecords",
                "xray:PutTraceSegments",
            ],
            vec![quoted("*")],
        ),
    ]);
    role(
        out,
        &RoleSpec {
            id: &format!("{base}StateMachineRole"),
            path: None,
            description: machine.description,
            trust: Trust::StepFunctions,
            policy_name: name,
            statements,
            assumes: None,
        },
    );
}

fn undo_state_machine(out: &mut String) {
    let functions = RESTORERS
        .iter()
        .map(|r| format!("!GetAtt {}.Arn", ResourceIds::of(r.name).function_id))
        .chain([
            "!GetAtt PlanUndoFunction.Arn".to_string(),
            "!GetAtt ReportFunction.Arn".to_string(),
        ])
        .collect();
    state_machine(
        out,
        MachineSpec {
            base: "Undo",
            name: "undo",
            definition_uri: UNDO_DEFINITION_URI,
            substitutions: &UNDO_DEFINITION_SUBSTITUTIONS,
            description: "Runs the undo state machine: invokes the undo planner, the restorers and the report, writes the audit.",
            statements: vec![
                Statement::new(
                    "InvokePlannerRestorersAndReport",
                    vec!["lambda:InvokeFunction"],
                    functions,
                ),
                Statement::new(
                    "WriteAudit",
                    vec!["dynamodb:PutItem"],
                    vec!["!GetAtt AuditTable.Arn".into()],
                ),
            ],
        },
    );
}

fn remediation_state_machine(out: &mut String, bots: &[BotResources]) {
    let functions = bots
        .iter()
        .map(|bot| format!("!GetAtt {}.Arn", bot.function_id))
        .chain(["!GetAtt ReportFunction.Arn".to_string()])
        .collect();
    state_machine(
        out,
        MachineSpec {
            base: "Remediation",
            name: "remediation",
            definition_uri: DEFINITION_URI,
            substitutions: &DEFINITION_SUBSTITUTIONS,
            description:
                "Runs the state machine: invokes the bot and report functions, writes the audit.",
            statements: vec![
                Statement::new(
                    "InvokeBotsAndReport",
                    vec!["lambda:InvokeFunction"],
                    functions,
                ),
                Statement::new(
                    "WriteAudit",
                    vec!["dynamodb:PutItem", "dynamodb:UpdateItem"],
                    vec!["!GetAtt AuditTable.Arn".into()],
                ),
                Statement {
                    condition: Some(("cloudwatch:namespace", THROTTLED_METRIC.0)),
                    ..Statement::new(
                        "PublishThrottledSteps",
                        vec!["cloudwatch:PutMetricData"],
                        vec![quoted("*")],
                    )
                },
            ],
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

  TopicKey:
    Type: AWS::KMS::Key
    Properties:
      Description: Encrypts the cloudbots topics at rest. CloudGuard publishes from its own account, which the AWS-managed SNS key does not allow.
      EnableKeyRotation: true
      KeyPolicy:
        Version: \"2012-10-17\"
        Statement:
          - Sid: AccountAdministers
            Effect: Allow
            Principal:
              AWS: !Sub \"arn:${AWS::Partition}:iam::${AWS::AccountId}:root\"
            Action: kms:*
            Resource: \"*\"
          - Sid: CloudGuardPublishes
            Effect: Allow
            Principal:
              AWS: !Sub
                - \"arn:${AWS::Partition}:iam::${PublisherAccount}:root\"
                - PublisherAccount: !FindInMap [DataCenters, !Ref DataCenter, PublisherAccount]
            Action:
              - kms:Decrypt
              - kms:GenerateDataKey*
            Resource: \"*\"
            Condition:
              StringEquals:
                kms:ViaService: !Sub \"sns.${AWS::Region}.amazonaws.com\"
          - Sid: ServicesPublish
            Effect: Allow
            Principal:
              Service:
                - sns.amazonaws.com
                - cloudwatch.amazonaws.com
            Action:
              - kms:Decrypt
              - kms:GenerateDataKey*
            Resource: \"*\"

  TopicKeyAlias:
    Type: AWS::KMS::Alias
    Properties:
      AliasName: !Sub \"alias/${FunctionNamePrefix}topics\"
      TargetKeyId: !Ref TopicKey

  InputTopic:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: d9-findings
      DisplayName: d9-findings
      KmsMasterKeyId: !GetAtt TopicKey.Arn

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
      KmsMasterKeyId: !GetAtt TopicKey.Arn

  OutputTopicSubscription:
    Type: AWS::SNS::Subscription
    Condition: HasEmail
    Properties:
      Protocol: email
      Endpoint: !Ref EmailAddress
      TopicArn: !Ref OutputTopic

  IntakeDeadLetterQueue:
    Type: AWS::SQS::Queue
    Properties:
      MessageRetentionPeriod: 1209600
      SqsManagedSseEnabled: true

  AlarmTopic:
    Type: AWS::SNS::Topic
    Properties:
      DisplayName: cloudbots alarms
      KmsMasterKeyId: !GetAtt TopicKey.Arn

  AlarmTopicSubscription:
    Type: AWS::SNS::Subscription
    Condition: HasEmail
    Properties:
      Protocol: email
      Endpoint: !Ref EmailAddress
      TopicArn: !Ref AlarmTopic

",
    );
}

/// A CloudWatch alarm that notifies the alarm topic when a metric's statistic reaches 1 in
/// five minutes.
struct Alarm<'a> {
    id: &'a str,
    description: &'a str,
    namespace: &'a str,
    metric: &'a str,
    /// The dimension's name and value; none for our own metric, published without one.
    dimension: Option<(&'a str, &'a str)>,
    statistic: &'a str,
}

/// The alarms of a deployment: every one notifies the alarm topic.
pub const ALARMS: [&str; 5] = [
    "ExecutionsFailedAlarm",
    "ExecutionsTimedOutAlarm",
    "IntakeErrorsAlarm",
    "IntakeDeadLetterAlarm",
    "StepsThrottledAlarm",
];

fn alarms(out: &mut String) {
    let alarms = [
        Alarm {
            id: ALARMS[0],
            description: "A remediation execution failed: a step failed, an entry was rejected, or a guard step stopped the plan.",
            namespace: "AWS/States",
            metric: "ExecutionsFailed",
            dimension: Some(("StateMachineArn", "!Ref RemediationStateMachine")),
            statistic: "Sum",
        },
        Alarm {
            id: ALARMS[1],
            description: "A remediation execution timed out.",
            namespace: "AWS/States",
            metric: "ExecutionsTimedOut",
            dimension: Some(("StateMachineArn", "!Ref RemediationStateMachine")),
            statistic: "Sum",
        },
        Alarm {
            id: ALARMS[2],
            description: "The intake function failed on an event.",
            namespace: "AWS/Lambda",
            metric: "Errors",
            dimension: Some(("FunctionName", "!Ref IntakeFunction")),
            statistic: "Sum",
        },
        Alarm {
            id: ALARMS[3],
            description: "Events the intake could not handle wait in its dead-letter queue.",
            namespace: "AWS/SQS",
            metric: "ApproximateNumberOfMessagesVisible",
            dimension: Some(("QueueName", "!GetAtt IntakeDeadLetterQueue.QueueName")),
            statistic: "Maximum",
        },
        Alarm {
            id: ALARMS[4],
            description: "Steps were refused because an account and region are over their remediation budget.",
            namespace: THROTTLED_METRIC.0,
            metric: THROTTLED_METRIC.1,
            dimension: None,
            statistic: "Sum",
        },
    ];
    for alarm in alarms {
        writeln!(
            out,
            "  {id}:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmDescription: {description}
      Namespace: {namespace}
      MetricName: {metric}",
            id = alarm.id,
            description = quoted(alarm.description),
            namespace = alarm.namespace,
            metric = alarm.metric,
        )
        .expect("writing to a String");
        if let Some((name, value)) = alarm.dimension {
            writeln!(
                out,
                "      Dimensions:\n        - Name: {name}\n          Value: {value}"
            )
            .expect("writing to a String");
        }
        writeln!(
            out,
            "      Statistic: {}
      Period: 300
      EvaluationPeriods: 1
      Threshold: 1
      ComparisonOperator: GreaterThanOrEqualToThreshold
      TreatMissingData: notBreaching
      AlarmActions:
        - !Ref AlarmTopic
",
            alarm.statistic
        )
        .expect("writing to a String");
    }
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
  UndoStateMachineArn:
    Description: The undo state machine; each execution undoes one remediation (undo-<execution>).
    Value: !Ref UndoStateMachine
  AuditTableName:
    Description: The audit table, one item per step of every execution.
    Value: !Ref AuditTable
  AlarmTopicARN:
    Description: The topic the alarms notify; subscribe on-call tools to it.
    Value: !Ref AlarmTopic
  IntakeDeadLetterQueueUrl:
    Description: Events the intake failed on, kept as they arrived.
    Value: !Ref IntakeDeadLetterQueue
",
    );
}
