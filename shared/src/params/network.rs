//! Parameters of the network (VPC and network ACL) bots.

use super::BotParams;
use serde::{Deserialize, Serialize};

/// Which traffic a flow log records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum TrafficType {
    All,
    Accept,
    Reject,
}

impl TrafficType {
    /// EC2's `TrafficType` value.
    pub fn as_str(self) -> &'static str {
        match self {
            TrafficType::All => "ALL",
            TrafficType::Accept => "ACCEPT",
            TrafficType::Reject => "REJECT",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_uppercase().as_str() {
            "ALL" => Some(TrafficType::All),
            "ACCEPT" => Some(TrafficType::Accept),
            "REJECT" => Some(TrafficType::Reject),
            _ => None,
        }
    }
}

/// Where a flow log delivers its records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum FlowLogDestination {
    /// The CloudWatch Logs group `vpcFlowLogs`, written through the `vpcFlowLogDelivery` role.
    CloudWatchLogs,
    /// A bucket, optionally with a folder: `arn:aws:s3:::my-bucket/my-logs/`.
    S3 { arn: String },
}

/// `vpc_turn_on_flow_logs traffic_type=<all|accept|reject> destination=<logs|s3> s3_arn=<arn>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VpcTurnOnFlowLogsParams {
    pub traffic_type: TrafficType,
    pub destination: FlowLogDestination,
}

/// The destination words the original accepts, plus EC2's own name for CloudWatch Logs.
fn destination_word(text: &str) -> Option<&'static str> {
    match text.to_ascii_lowercase().as_str() {
        "logs" | "cloud-watch-logs" => Some("logs"),
        "s3" => Some("s3"),
        _ => None,
    }
}

fn parse_s3_arn(text: &str) -> Result<String, String> {
    let bucket = ["arn:aws:s3:::", "arn:aws-cn:s3:::", "arn:aws-us-gov:s3:::"]
        .iter()
        .find_map(|prefix| text.strip_prefix(prefix))
        .map(|rest| rest.split('/').next().unwrap_or_default());
    match bucket {
        Some(bucket) if !bucket.is_empty() => Ok(text.to_string()),
        _ => Err(format!(
            "s3_arn must look like arn:aws:s3:::my-bucket/my-logs/, got '{text}'"
        )),
    }
}

impl BotParams for VpcTurnOnFlowLogsParams {
    /// Each value may be given as `key=value` or bare. The values of the three parameters
    /// never look alike, so a bare one is known by its value whatever its position: the
    /// documented order (traffic_type, destination, s3_arn), the original code's order
    /// (destination first) and the older one-word form (`vpc_turn_on_flow_logs reject`) all
    /// mean what their writers meant.
    fn parse(tokens: &[String]) -> Result<Self, String> {
        let mut traffic_type: Option<TrafficType> = None;
        let mut destination: Option<&str> = None;
        let mut s3_arn: Option<String> = None;
        for token in tokens {
            let (key, value) = match token.split_once('=') {
                Some((key, value)) => (key, value),
                None if TrafficType::parse(token).is_some() => ("traffic_type", token.as_str()),
                None if destination_word(token).is_some() => ("destination", token.as_str()),
                None if token.starts_with("arn:") => ("s3_arn", token.as_str()),
                None => {
                    return Err(format!(
                        "'{token}' is not a traffic type (all, accept, reject), a destination (logs, s3) or an S3 ARN"
                    ))
                }
            };
            if value.is_empty() {
                return Err(format!("parameter '{key}' is empty"));
            }
            let given_twice =
                match key {
                    "traffic_type" => traffic_type
                        .replace(TrafficType::parse(value).ok_or_else(|| {
                            format!("traffic_type must be all, accept or reject, got '{value}'")
                        })?)
                        .is_some(),
                    "destination" => destination
                        .replace(destination_word(value).ok_or_else(|| {
                            format!("destination must be logs or s3, got '{value}'")
                        })?)
                        .is_some(),
                    "s3_arn" => s3_arn.replace(parse_s3_arn(value)?).is_some(),
                    _ => {
                        return Err(format!(
                        "unknown parameter '{key}' (expected traffic_type, destination, s3_arn)"
                    ))
                    }
                };
            if given_twice {
                return Err(format!("parameter '{key}' is given twice"));
            }
        }
        let destination = match (destination, s3_arn) {
            (Some("s3") | None, Some(arn)) => FlowLogDestination::S3 { arn },
            (Some("s3"), None) => {
                return Err(
                    "destination s3 needs s3_arn=arn:aws:s3:::my-bucket/my-logs/".to_string(),
                )
            }
            (_, Some(_)) => return Err("s3_arn is only used with destination=s3".to_string()),
            (_, None) => FlowLogDestination::CloudWatchLogs,
        };
        Ok(VpcTurnOnFlowLogsParams {
            traffic_type: traffic_type.unwrap_or(TrafficType::All),
            destination,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<VpcTurnOnFlowLogsParams, String> {
        let tokens: Vec<String> = if s.is_empty() {
            Vec::new()
        } else {
            s.split(' ').map(str::to_string).collect()
        };
        VpcTurnOnFlowLogsParams::parse(&tokens)
    }

    fn params(
        traffic_type: TrafficType,
        destination: FlowLogDestination,
    ) -> VpcTurnOnFlowLogsParams {
        VpcTurnOnFlowLogsParams {
            traffic_type,
            destination,
        }
    }

    #[test]
    fn flow_logs_default_to_all_traffic_into_cloudwatch_logs() {
        let default = params(TrafficType::All, FlowLogDestination::CloudWatchLogs);
        assert_eq!(parse("").unwrap(), default, "the original crashed here");
        assert_eq!(parse("traffic_type=all destination=logs").unwrap(), default);
        assert_eq!(parse("all logs").unwrap(), default);
        assert_eq!(
            parse("logs all").unwrap(),
            default,
            "the original code's order"
        );
        assert_eq!(parse("destination=cloud-watch-logs").unwrap(), default);
        assert_eq!(
            parse("reject").unwrap(),
            params(TrafficType::Reject, FlowLogDestination::CloudWatchLogs)
        );
    }

    #[test]
    fn flow_logs_to_s3_need_the_bucket_arn() {
        let s3 = params(
            TrafficType::Accept,
            FlowLogDestination::S3 {
                arn: "arn:aws:s3:::my-bucket/my-logs/".into(),
            },
        );
        assert_eq!(
            parse("traffic_type=accept destination=s3 s3_arn=arn:aws:s3:::my-bucket/my-logs/")
                .unwrap(),
            s3
        );
        assert_eq!(
            parse("accept s3 arn:aws:s3:::my-bucket/my-logs/").unwrap(),
            s3
        );
        assert_eq!(parse("ACCEPT arn:aws:s3:::my-bucket/my-logs/").unwrap(), s3);
    }

    #[test]
    fn flow_logs_precise_rejections() {
        let cases = [
            ("traffic_type=some", "traffic_type must be all, accept or reject, got 'some'"),
            ("destination=kinesis", "destination must be logs or s3, got 'kinesis'"),
            ("destination=s3", "destination s3 needs s3_arn=arn:aws:s3:::my-bucket/my-logs/"),
            ("logs arn:aws:s3:::b", "s3_arn is only used with destination=s3"),
            ("s3 arn:aws:sqs:::b", "s3_arn must look like arn:aws:s3:::my-bucket/my-logs/, got 'arn:aws:sqs:::b'"),
            ("s3 arn:aws:s3:::", "s3_arn must look like arn:aws:s3:::my-bucket/my-logs/, got 'arn:aws:s3:::'"),
            ("everything", "'everything' is not a traffic type (all, accept, reject), a destination (logs, s3) or an S3 ARN"),
            ("all reject", "parameter 'traffic_type' is given twice"),
            ("format=x", "unknown parameter 'format' (expected traffic_type, destination, s3_arn)"),
            ("traffic_type=", "parameter 'traffic_type' is empty"),
        ];
        for (input, reason) in cases {
            assert_eq!(parse(input).unwrap_err(), reason, "{input}");
        }
    }
}
