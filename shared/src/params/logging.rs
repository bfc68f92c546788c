//! Parameters of the CloudTrail, CloudWatch, Config and Network Firewall bots.

use super::kms_key::{parse_kms_key_id, refuse_aws_managed_alias};
use super::{keyed_or_positional, BotParams};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The trail `cloudtrail_enable` creates when the rule names none (the original's).
pub const DEFAULT_TRAIL_NAME: &str = "allRegionTrail";

/// The log group `cloudtrail_send_to_cloudwatch` uses when the rule names none.
pub const DEFAULT_TRAIL_LOG_GROUP: &str = "CloudTrail/DefaultLogGroup";

/// `cloudtrail_enable`: `trail_name=<name> bucket_name=<bucket>`, both optional, also
/// positional; the original's literal `''` means "not given".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloudtrailEnableParams {
    pub trail_name: String,
    /// An existing bucket to log to; None to create (or reuse) the account's log bucket.
    pub bucket_name: Option<String>,
}

impl BotParams for CloudtrailEnableParams {
    fn parse(tokens: &[String]) -> Result<Self, String> {
        let mut values = keyed_or_positional(tokens, &["trail_name", "bucket_name"])?;
        let trail_name = values
            .remove("trail_name")
            .filter(|v| !is_empty_literal(v))
            .unwrap_or_else(|| DEFAULT_TRAIL_NAME.to_string());
        check_trail_name(&trail_name)?;
        let bucket_name = values
            .remove("bucket_name")
            .filter(|v| !is_empty_literal(v));
        if let Some(bucket) = &bucket_name {
            check_bucket_name(bucket)?;
        }
        Ok(CloudtrailEnableParams {
            trail_name,
            bucket_name,
        })
    }
}

/// The original's way of leaving a positional value out.
fn is_empty_literal(value: &str) -> bool {
    value == "''" || value == "\"\""
}

/// CloudTrail's naming rules: 3–128 letters, digits, `.`, `_` and `-`, starting and ending
/// with a letter or digit.
fn check_trail_name(name: &str) -> Result<(), String> {
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    if (3..=128).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        && alnum(name.chars().next())
        && alnum(name.chars().last())
    {
        Ok(())
    } else {
        Err(format!(
            "trail_name must be 3 to 128 letters, digits, '.', '_' or '-', starting and ending with a letter or digit, got '{name}'"
        ))
    }
}

/// S3's naming rules for new buckets: 3–63 lowercase letters, digits, `.` and `-`, starting
/// and ending with a letter or digit.
fn check_bucket_name(name: &str) -> Result<(), String> {
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if (3..=63).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-'))
        && edge(name.chars().next())
        && edge(name.chars().last())
    {
        Ok(())
    } else {
        Err(format!(
            "bucket_name must be 3 to 63 lowercase letters, digits, '.' or '-', starting and ending with a letter or digit, got '{name}'"
        ))
    }
}

/// `cloudtrail_encrypt_log_files_using_existing_key`: `<key>` (alias, alias ARN, key ARN or
/// key id), a customer-managed key whose policy lets CloudTrail use it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloudtrailExistingKeyParams {
    pub key_id: String,
}

/// Why trails get customer-managed keys only.
pub const TRAIL_AWS_MANAGED_KEY_REASON: &str =
    "CloudTrail encrypts with a key whose policy allows it, and an AWS-managed key's policy cannot be changed: use a customer-managed key";

impl BotParams for CloudtrailExistingKeyParams {
    fn parse(tokens: &[String]) -> Result<Self, String> {
        let mut values = keyed_or_positional(tokens, &["key_id"])?;
        let key_id = values.remove("key_id").ok_or_else(|| {
            "missing parameter 'key_id' (usage: <key id, key ARN, alias/<name> or alias ARN>)"
                .to_string()
        })?;
        let key_id = parse_kms_key_id(&key_id)?;
        refuse_aws_managed_alias(&key_id, TRAIL_AWS_MANAGED_KEY_REASON)?;
        Ok(CloudtrailExistingKeyParams { key_id })
    }
}

/// `cloudtrail_send_to_cloudwatch`: `[<log group name>]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloudtrailSendToCloudwatchParams {
    pub log_group: String,
}

impl BotParams for CloudtrailSendToCloudwatchParams {
    fn parse(tokens: &[String]) -> Result<Self, String> {
        let mut values = keyed_or_positional(tokens, &["log_group"])?;
        let log_group = values
            .remove("log_group")
            .unwrap_or_else(|| DEFAULT_TRAIL_LOG_GROUP.to_string());
        if (1..=512).contains(&log_group.len())
            && log_group
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/' | '#'))
        {
            Ok(CloudtrailSendToCloudwatchParams { log_group })
        } else {
            Err(format!(
                "the log group name must be 1 to 512 letters, digits, '.', '-', '_', '/' or '#', got '{log_group}'"
            ))
        }
    }
}

/// `config_enable`: `bucket_name=<b> bucket_region=<r> include_global_resource_types_region=<r>`,
/// each optional, also positional in that order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigEnableParams {
    /// An existing bucket of the account for the delivery channel; None for the default one.
    pub bucket_name: Option<String>,
    /// Where the default bucket is created when missing; the finding's region when None.
    pub bucket_region: Option<String>,
    /// The one region whose recorder records global resources (IAM); every region's when None.
    pub include_global_resource_types_region: Option<String>,
}

impl BotParams for ConfigEnableParams {
    fn parse(tokens: &[String]) -> Result<Self, String> {
        let mut values = keyed_or_positional(
            tokens,
            &[
                "bucket_name",
                "bucket_region",
                "include_global_resource_types_region",
            ],
        )?;
        values.retain(|_, value| !is_empty_literal(value));
        let bucket_name = values.remove("bucket_name");
        if let Some(bucket) = &bucket_name {
            check_bucket_name(bucket)?;
        }
        let region = |values: &mut BTreeMap<&str, String>, name: &str| {
            values
                .remove(name)
                .map(|r| {
                    if crate::region::REGIONS.iter().any(|(code, _)| *code == r) {
                        Ok(r)
                    } else {
                        Err(format!(
                            "{name} must be a region code such as us-east-1, got '{r}'"
                        ))
                    }
                })
                .transpose()
        };
        Ok(ConfigEnableParams {
            bucket_name,
            bucket_region: region(&mut values, "bucket_region")?,
            include_global_resource_types_region: region(
                &mut values,
                "include_global_resource_types_region",
            )?,
        })
    }
}

/// One of the CIS AWS Foundations Benchmark's CloudTrail metric filters, by the original's
/// name, with its filter pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CisFilter {
    pub name: &'static str,
    pub pattern: &'static str,
}

/// The 14 filters the original knew, in its order.
pub const CIS_FILTERS: &[CisFilter] = &[
    CisFilter {
        name: "UnauthorizedApiCalls",
        pattern: r#"{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }"#,
    },
    CisFilter {
        name: "NoMfaConsoleLogins",
        pattern: r#"{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }"#,
    },
    CisFilter {
        name: "RootAccountLogins",
        pattern: r#"{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }"#,
    },
    CisFilter {
        name: "IamPolicyChanges",
        pattern: "{ ($.eventName = DeleteGroupPolicy) || ($.eventName = DeleteRolePolicy) || ($.eventName = DeleteUserPolicy) || ($.eventName = PutGroupPolicy) || ($.eventName = PutRolePolicy) || ($.eventName = PutUserPolicy) || ($.eventName = CreatePolicy) || ($.eventName = DeletePolicy) || ($.eventName = CreatePolicyVersion) || ($.eventName = DeletePolicyVersion) || ($.eventName = AttachRolePolicy) || ($.eventName = DetachRolePolicy) || ($.eventName = AttachUserPolicy) || ($.eventName = DetachUserPolicy) || ($.eventName = AttachGroupPolicy) || ($.eventName = DetachGroupPolicy) }",
    },
    CisFilter {
        name: "CloudTrailConfigurationChanges",
        pattern: "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }",
    },
    CisFilter {
        name: "FailedConsoleLogins",
        pattern: r#"{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }"#,
    },
    CisFilter {
        name: "DisabledOrDeletedCmks",
        pattern: "{ ($.eventSource = kms.amazonaws.com) && (($.eventName = DisableKey) || ($.eventName = ScheduleKeyDeletion)) }",
    },
    CisFilter {
        name: "S3BucketPolicyChanges",
        pattern: "{ ($.eventSource = s3.amazonaws.com) && (($.eventName = PutBucketAcl) || ($.eventName = PutBucketPolicy) || ($.eventName = PutBucketCors) || ($.eventName = PutBucketLifecycle) || ($.eventName = PutBucketReplication) || ($.eventName = DeleteBucketPolicy) || ($.eventName = DeleteBucketCors) || ($.eventName = DeleteBucketLifecycle) || ($.eventName = DeleteBucketReplication)) }",
    },
    CisFilter {
        name: "AwsConfigChanges",
        pattern: "{ ($.eventSource = config.amazonaws.com) && (($.eventName = StopConfigurationRecorder) || ($.eventName = DeleteDeliveryChannel) || ($.eventName = PutDeliveryChannel) || ($.eventName = PutConfigurationRecorder)) }",
    },
    CisFilter {
        name: "SecurityGroupChanges",
        pattern: "{ ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = AuthorizeSecurityGroupEgress) || ($.eventName = RevokeSecurityGroupIngress) || ($.eventName = RevokeSecurityGroupEgress) || ($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) }",
    },
    CisFilter {
        name: "NetworkAccessControlListChanges",
        pattern: "{ ($.eventName = CreateNetworkAcl) || ($.eventName = CreateNetworkAclEntry) || ($.eventName = DeleteNetworkAcl) || ($.eventName = DeleteNetworkAclEntry) || ($.eventName = ReplaceNetworkAclEntry) || ($.eventName = ReplaceNetworkAclAssociation) }",
    },
    CisFilter {
        name: "NetworkGatewayChanges",
        pattern: "{ ($.eventName = CreateCustomerGateway) || ($.eventName = DeleteCustomerGateway) || ($.eventName = AttachInternetGateway) || ($.eventName = CreateInternetGateway) || ($.eventName = DeleteInternetGateway) || ($.eventName = DetachInternetGateway) }",
    },
    CisFilter {
        name: "RouteTableChanges",
        pattern: "{ ($.eventName = CreateRoute) || ($.eventName = CreateRouteTable) || ($.eventName = ReplaceRoute) || ($.eventName = ReplaceRouteTableAssociation) || ($.eventName = DeleteRouteTable) || ($.eventName = DeleteRoute) || ($.eventName = DisassociateRouteTable) }",
    },
    CisFilter {
        name: "VpcChanges",
        pattern: "{ ($.eventName = CreateVpc) || ($.eventName = DeleteVpc) || ($.eventName = ModifyVpcAttribute) || ($.eventName = AcceptVpcPeeringConnection) || ($.eventName = CreateVpcPeeringConnection) || ($.eventName = DeleteVpcPeeringConnection) || ($.eventName = RejectVpcPeeringConnection) || ($.eventName = AttachClassicLinkVpc) || ($.eventName = DetachClassicLinkVpc) || ($.eventName = DisableVpcClassicLink) || ($.eventName = EnableVpcClassicLink) }",
    },
];

/// `cloudwatch_create_metric_filter <email> <filter> [<filter> …]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetricFilterParams {
    pub email: String,
    /// Names from [`CIS_FILTERS`], each once, in the rule's order.
    pub filters: Vec<String>,
}

impl MetricFilterParams {
    /// The filters, with their patterns.
    pub fn cis_filters(&self) -> impl Iterator<Item = &'static CisFilter> + '_ {
        self.filters
            .iter()
            .filter_map(|name| CIS_FILTERS.iter().find(|f| f.name == name))
    }
}

const METRIC_FILTER_USAGE: &str = "<email> <filter> [<filter> ...]";

impl BotParams for MetricFilterParams {
    fn parse(tokens: &[String]) -> Result<Self, String> {
        let (email, names) = tokens
            .split_first()
            .ok_or_else(|| format!("missing the e-mail address (usage: {METRIC_FILTER_USAGE})"))?;
        let plausible = email.split_once('@').is_some_and(|(user, domain)| {
            !user.is_empty()
                && !domain.contains('@')
                && domain
                    .split_once('.')
                    .is_some_and(|(host, tld)| !host.is_empty() && !tld.is_empty())
        });
        if !plausible {
            return Err(format!(
                "'{email}' is not an e-mail address (usage: {METRIC_FILTER_USAGE})"
            ));
        }
        if names.is_empty() {
            return Err(format!("no filter named (usage: {METRIC_FILTER_USAGE})"));
        }
        let mut filters: Vec<String> = Vec::new();
        for name in names {
            if !CIS_FILTERS.iter().any(|f| f.name == name) {
                let known: Vec<&str> = CIS_FILTERS.iter().map(|f| f.name).collect();
                return Err(format!(
                    "unknown metric filter '{name}' (known: {})",
                    known.join(", ")
                ));
            }
            if !filters.contains(name) {
                filters.push(name.clone());
            }
        }
        Ok(MetricFilterParams {
            email: email.clone(),
            filters,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn cloudtrail_enable_defaults_keys_positions_and_the_empty_literal() {
        let parse = |line: &str| CloudtrailEnableParams::parse(&toks(line)).unwrap();
        let params = |trail: &str, bucket: Option<&str>| CloudtrailEnableParams {
            trail_name: trail.into(),
            bucket_name: bucket.map(str::to_string),
        };
        assert_eq!(parse(""), params("allRegionTrail", None));
        assert_eq!(
            parse("main-trail logs.example"),
            params("main-trail", Some("logs.example"))
        );
        assert_eq!(
            parse("'' logs-bucket"),
            params("allRegionTrail", Some("logs-bucket"))
        );
        assert_eq!(
            parse("bucket_name=logs-bucket trail_name=audit"),
            params("audit", Some("logs-bucket"))
        );
    }

    #[test]
    fn cloudtrail_enable_rejects_names_aws_would_refuse() {
        let error = |line: &str| CloudtrailEnableParams::parse(&toks(line)).unwrap_err();
        assert!(error("-trail").starts_with("trail_name must be 3 to 128"));
        assert!(error("trail Logs_Bucket").starts_with("bucket_name must be 3 to 63"));
        assert_eq!(
            error("a b c"),
            "too many parameters: 'c' (expected at most 2: trail_name, bucket_name)"
        );
    }

    #[test]
    fn existing_key_takes_one_customer_key_and_log_group_a_valid_name() {
        assert_eq!(
            CloudtrailExistingKeyParams::parse(&toks("alias/trails"))
                .unwrap()
                .key_id,
            "alias/trails"
        );
        assert!(
            CloudtrailExistingKeyParams::parse(&toks("alias/aws/cloudtrail"))
                .unwrap_err()
                .starts_with("alias/aws/cloudtrail is an AWS-managed key: CloudTrail")
        );
        assert!(CloudtrailExistingKeyParams::parse(&[]).is_err());
        assert_eq!(
            CloudtrailSendToCloudwatchParams::parse(&[])
                .unwrap()
                .log_group,
            "CloudTrail/DefaultLogGroup"
        );
        assert_eq!(
            CloudtrailSendToCloudwatchParams::parse(&toks("audit/trail#1"))
                .unwrap()
                .log_group,
            "audit/trail#1"
        );
        assert!(CloudtrailSendToCloudwatchParams::parse(&toks("bad:name")).is_err());
    }

    #[test]
    fn config_enable_takes_keys_or_positions_and_checks_regions() {
        let parse = |line: &str| ConfigEnableParams::parse(&toks(line));
        assert_eq!(parse("").unwrap(), ConfigEnableParams::default());
        assert_eq!(
            parse("config-logs eu-west-1 us-east-1").unwrap(),
            ConfigEnableParams {
                bucket_name: Some("config-logs".into()),
                bucket_region: Some("eu-west-1".into()),
                include_global_resource_types_region: Some("us-east-1".into()),
            }
        );
        assert_eq!(
            parse("'' '' us-east-1").unwrap(),
            ConfigEnableParams {
                include_global_resource_types_region: Some("us-east-1".into()),
                ..ConfigEnableParams::default()
            }
        );
        assert_eq!(
            parse("include_global_resource_types_region=us-east-1")
                .unwrap()
                .include_global_resource_types_region
                .as_deref(),
            Some("us-east-1")
        );
        assert_eq!(
            parse("bucket_region=Ireland").unwrap_err(),
            "bucket_region must be a region code such as us-east-1, got 'Ireland'"
        );
    }

    #[test]
    fn takes_an_email_then_known_filters_once_each() {
        let params = MetricFilterParams::parse(&toks(
            "secops@example.com VpcChanges RootAccountLogins VpcChanges",
        ))
        .unwrap();
        assert_eq!(params.email, "secops@example.com");
        assert_eq!(params.filters, vec!["VpcChanges", "RootAccountLogins"]);
        assert_eq!(
            params.cis_filters().map(|f| f.name).collect::<Vec<_>>(),
            vec!["VpcChanges", "RootAccountLogins"]
        );
        assert_eq!(CIS_FILTERS.len(), 14);
    }

    #[test]
    fn rejects_a_bad_email_no_filter_and_an_unknown_filter() {
        let error = |line: &str| MetricFilterParams::parse(&toks(line)).unwrap_err();
        assert_eq!(
            error("secops VpcChanges"),
            "'secops' is not an e-mail address (usage: <email> <filter> [<filter> ...])"
        );
        assert_eq!(
            error("secops@example.com"),
            "no filter named (usage: <email> <filter> [<filter> ...])"
        );
        assert!(error("secops@example.com VpcChange")
            .starts_with("unknown metric filter 'VpcChange' (known: UnauthorizedApiCalls, "));
    }
}

/// What `network_firewall_enable_logging` logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FirewallLogType {
    #[serde(rename = "FLOW")]
    Flow,
    #[serde(rename = "ALERT")]
    Alert,
}

/// Where `network_firewall_enable_logging` sends the logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FirewallLogDestinationType {
    S3,
    CloudWatchLogs,
    KinesisDataFirehose,
}

/// `network_firewall_enable_logging <FLOW|ALERT> <S3|CloudWatchLogs|KinesisDataFirehose>
/// <destination|create>`: exactly three parameters, the types case-sensitive as in the
/// original. The destination is `bucket[/prefix]`, a log group or a delivery stream; `create`
/// makes the account's bucket or log group for the log type (not a delivery stream).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkFirewallLoggingParams {
    pub log_type: FirewallLogType,
    pub destination_type: FirewallLogDestinationType,
    /// None for `create`.
    pub destination: Option<String>,
}

impl BotParams for NetworkFirewallLoggingParams {
    fn parse(tokens: &[String]) -> Result<Self, String> {
        const USAGE: &str =
            "<FLOW|ALERT> <S3|CloudWatchLogs|KinesisDataFirehose> <destination|create>";
        let [log_type, destination_type, destination] = tokens else {
            return Err(format!(
                "takes exactly three parameters ({USAGE}), got {}",
                tokens.len()
            ));
        };
        let log_type = match log_type.as_str() {
            "FLOW" => FirewallLogType::Flow,
            "ALERT" => FirewallLogType::Alert,
            other => return Err(format!("log type '{other}' is not FLOW or ALERT")),
        };
        let destination_type = match destination_type.as_str() {
            "S3" => FirewallLogDestinationType::S3,
            "CloudWatchLogs" => FirewallLogDestinationType::CloudWatchLogs,
            "KinesisDataFirehose" => FirewallLogDestinationType::KinesisDataFirehose,
            other => {
                return Err(format!(
                    "log destination type '{other}' is not S3, CloudWatchLogs or KinesisDataFirehose (case-sensitive)"
                ))
            }
        };
        let destination = match destination.as_str() {
            "create" if destination_type == FirewallLogDestinationType::KinesisDataFirehose => {
                return Err(
                    "'create' makes a bucket or a log group, not a Kinesis Data Firehose delivery stream: name an existing stream".to_string(),
                )
            }
            "create" => None,
            "" => return Err(format!("the log destination is empty ({USAGE})")),
            named => Some(named.to_string()),
        };
        if let Some(bucket) = destination
            .as_deref()
            .filter(|_| destination_type == FirewallLogDestinationType::S3)
        {
            if bucket.starts_with('/') {
                return Err(format!(
                    "S3 destination '{bucket}' has no bucket name (bucket[/prefix])"
                ));
            }
        }
        Ok(NetworkFirewallLoggingParams {
            log_type,
            destination_type,
            destination,
        })
    }
}

#[cfg(test)]
mod firewall_tests {
    use super::*;

    fn parse(line: &str) -> Result<NetworkFirewallLoggingParams, String> {
        let tokens: Vec<String> = line.split_whitespace().map(str::to_string).collect();
        NetworkFirewallLoggingParams::parse(&tokens)
    }

    #[test]
    fn three_case_sensitive_parameters_with_create_or_a_destination() {
        assert_eq!(
            parse("FLOW S3 logs/firewall"),
            Ok(NetworkFirewallLoggingParams {
                log_type: FirewallLogType::Flow,
                destination_type: FirewallLogDestinationType::S3,
                destination: Some("logs/firewall".into()),
            })
        );
        assert_eq!(
            parse("ALERT CloudWatchLogs create").unwrap().destination,
            None
        );
        assert_eq!(
            parse("FLOW S3"),
            Err("takes exactly three parameters (<FLOW|ALERT> <S3|CloudWatchLogs|KinesisDataFirehose> <destination|create>), got 2".into())
        );
        assert_eq!(
            parse("flow S3 create"),
            Err("log type 'flow' is not FLOW or ALERT".into())
        );
        assert_eq!(
            parse("FLOW s3 create"),
            Err("log destination type 's3' is not S3, CloudWatchLogs or KinesisDataFirehose (case-sensitive)".into())
        );
    }

    #[test]
    fn create_is_refused_for_firehose() {
        assert_eq!(
            parse("FLOW KinesisDataFirehose create"),
            Err("'create' makes a bucket or a log group, not a Kinesis Data Firehose delivery stream: name an existing stream".into())
        );
    }
}
