//! `load_balancer_enable_access_logs`: a classic or application load balancer logs every
//! request into the account's load balancer log bucket of its region.
//!
//! The log bucket (`<account>-elb-access-logs-<region>`, one per account and region, not one
//! per load balancer with a random suffix as in the original) is found or created with all
//! public access blocked, and its policy lets Elastic Load Balancing deliver into it: in the
//! regions that have one, the region's ELB account (the table below, from AWS's
//! documentation); in the regions opened since, the log delivery service principal.

use aws_config::SdkConfig;
use aws_sdk_elasticloadbalancing::types::{AccessLog, LoadBalancerAttributes};
use aws_sdk_elasticloadbalancingv2::types::LoadBalancerAttribute;
use cloudbots_runtime::aws_error::{bot_error, code};
use cloudbots_runtime::bot::{entity_id, entity_name, make_changes, params, Bot};
use cloudbots_runtime::exclusion::{tag_in_listing, TagReader};
use cloudbots_runtime::s3_bucket::{self, LogBucket};
use cloudbots_shared::catalogue::TagSource;
use cloudbots_shared::error::BotError;
use cloudbots_shared::outcome::{BotInput, BotOutcome};
use cloudbots_shared::params::NoParams;
use cloudbots_shared::region::partition;
use serde_json::{json, Value};

/// The bots of this module.
pub const BOTS: &[Bot] = &[ENABLE_ACCESS_LOGS];

pub const ENABLE_ACCESS_LOGS: Bot = Bot {
    name: "load_balancer_enable_access_logs",
    tags: LOAD_BALANCER_TAGS,
    run: |input, aws| Box::pin(enable_access_logs(input, aws)),
};

/// Load balancers: application ones by ARN, classic ones by name.
pub const LOAD_BALANCER_TAGS: TagReader =
    TagReader::new(&[TagSource::LoadBalancer], |aws, _, id, key| {
        Box::pin(read_load_balancer_tag(aws, id, key))
    });

/// The error code both load balancer APIs give for one that does not exist.
const NOT_FOUND: &str = "LoadBalancerNotFound";

async fn read_load_balancer_tag(
    aws: &SdkConfig,
    id: &str,
    key: &str,
) -> Result<Option<String>, BotError> {
    if id.starts_with("arn:") {
        let listed = aws_sdk_elasticloadbalancingv2::Client::new(aws)
            .describe_tags()
            .resource_arns(id)
            .send()
            .await;
        tag_in_listing(listed, &[NOT_FOUND], id, key, |out| {
            let described = out.tag_descriptions.unwrap_or_default().into_iter();
            let tags = described.flat_map(|d| d.tags.unwrap_or_default());
            tags.map(|t| (t.key.unwrap_or_default(), t.value))
        })
    } else {
        let listed = aws_sdk_elasticloadbalancing::Client::new(aws)
            .describe_tags()
            .load_balancer_names(id)
            .send()
            .await;
        tag_in_listing(listed, &[NOT_FOUND], id, key, |out| {
            let described = out.tag_descriptions.unwrap_or_default().into_iter();
            let tags = described.flat_map(|d| d.tags.unwrap_or_default());
            tags.map(|t| (t.key, t.value))
        })
    }
}

/// The account Elastic Load Balancing delivers access logs from, per region (regions opened
/// since August 2022 have none: the service principal delivers there).
pub const ELB_ACCOUNTS: &[(&str, &str)] = &[
    ("us-east-1", "127311923021"),
    ("us-east-2", "033677994240"),
    ("us-west-1", "027434742980"),
    ("us-west-2", "797873946194"),
    ("af-south-1", "098369216593"),
    ("ap-east-1", "754344448648"),
    ("ap-southeast-3", "589379963580"),
    ("ap-south-1", "718504428378"),
    ("ap-northeast-3", "383597477331"),
    ("ap-northeast-2", "600734575887"),
    ("ap-southeast-1", "114774131450"),
    ("ap-southeast-2", "783225319266"),
    ("ap-northeast-1", "582318560864"),
    ("ca-central-1", "985666609251"),
    ("eu-central-1", "054676820928"),
    ("eu-west-1", "156460612806"),
    ("eu-west-2", "652711504416"),
    ("eu-south-1", "635631232127"),
    ("eu-west-3", "009996457667"),
    ("eu-north-1", "897822967062"),
    ("me-south-1", "076674570225"),
    ("sa-east-1", "507241528517"),
    ("us-gov-west-1", "048591011584"),
    ("us-gov-east-1", "190560391635"),
    ("cn-north-1", "638102146993"),
    ("cn-northwest-1", "037604701340"),
];

/// The service principal that delivers access logs in the regions without an ELB account.
pub const LOG_DELIVERY_PRINCIPAL: &str = "logdelivery.elasticloadbalancing.amazonaws.com";

/// The statement that lets Elastic Load Balancing of `region` put the account's logs into
/// the bucket.
pub fn delivery_statement(bucket: &str, account: &str, region: &str) -> Value {
    let partition = partition(region);
    let principal = match ELB_ACCOUNTS.iter().find(|(r, _)| *r == region) {
        Some((_, elb)) => json!({"AWS": format!("arn:{partition}:iam::{elb}:root")}),
        None => json!({"Service": LOG_DELIVERY_PRINCIPAL}),
    };
    json!({
        "Sid": "ELBAccessLogs",
        "Effect": "Allow",
        "Principal": principal,
        "Action": "s3:PutObject",
        "Resource": format!("arn:{partition}:s3:::{bucket}/AWSLogs/{account}/*"),
    })
}

/// The account's load balancer log bucket of the region.
fn log_bucket_name(account: &str, region: &str) -> String {
    format!("{account}-elb-access-logs-{region}")
}

/// A load balancer of either kind, as the finding names it.
enum LoadBalancer<'a> {
    Classic { name: &'a str },
    Application { arn: &'a str },
}

impl LoadBalancer<'_> {
    fn of(input: &BotInput) -> Result<LoadBalancer<'_>, BotError> {
        match input.finding.entity.get("type").and_then(Value::as_str) {
            Some("ELB") => Ok(LoadBalancer::Classic {
                name: entity_name(input)?,
            }),
            _ => Ok(LoadBalancer::Application {
                arn: entity_id(input)?,
            }),
        }
    }

    fn label(&self) -> String {
        match self {
            LoadBalancer::Classic { name } => format!("classic load balancer {name}"),
            LoadBalancer::Application { arn } => {
                let name = arn.split('/').nth(2).unwrap_or(arn);
                format!("load balancer {name}")
            }
        }
    }

    /// The bucket it logs into now; None when logging is off, Err(()) when it is gone.
    async fn logging_into(&self, aws: &SdkConfig) -> Result<Result<Option<String>, ()>, BotError> {
        let doing = format!("reading the attributes of {}", self.label());
        match self {
            LoadBalancer::Classic { name } => {
                let read = aws_sdk_elasticloadbalancing::Client::new(aws)
                    .describe_load_balancer_attributes()
                    .load_balancer_name(*name)
                    .send()
                    .await;
                match read {
                    Ok(out) => {
                        let log = out.load_balancer_attributes().and_then(|a| a.access_log());
                        Ok(Ok(log.filter(|log| log.enabled()).map(|log| {
                            log.s3_bucket_name().unwrap_or("?").to_string()
                        })))
                    }
                    Err(e) if code(&e) == Some(NOT_FOUND) => Ok(Err(())),
                    Err(e) => Err(bot_error(&doing, e)),
                }
            }
            LoadBalancer::Application { arn } => {
                let read = aws_sdk_elasticloadbalancingv2::Client::new(aws)
                    .describe_load_balancer_attributes()
                    .load_balancer_arn(*arn)
                    .send()
                    .await;
                match read {
                    Ok(out) => {
                        let value = |key: &str| {
                            out.attributes()
                                .iter()
                                .find(|a| a.key() == Some(key))
                                .and_then(|a| a.value())
                        };
                        // A new load balancer lacks the attribute until it is set: off.
                        let enabled = value("access_logs.s3.enabled") == Some("true");
                        Ok(Ok(enabled.then(|| {
                            value("access_logs.s3.bucket").unwrap_or("?").to_string()
                        })))
                    }
                    Err(e) if code(&e) == Some(NOT_FOUND) => Ok(Err(())),
                    Err(e) => Err(bot_error(&doing, e)),
                }
            }
        }
    }

    /// Turn access logging on, into `bucket`.
    async fn log_into(&self, aws: &SdkConfig, bucket: &str) -> Result<(), BotError> {
        let doing = format!("turning on the access logs of {}", self.label());
        match self {
            LoadBalancer::Classic { name } => {
                let log = AccessLog::builder()
                    .enabled(true)
                    .s3_bucket_name(bucket)
                    .emit_interval(60)
                    .build();
                aws_sdk_elasticloadbalancing::Client::new(aws)
                    .modify_load_balancer_attributes()
                    .load_balancer_name(*name)
                    .load_balancer_attributes(
                        LoadBalancerAttributes::builder().access_log(log).build(),
                    )
                    .send()
                    .await
                    .map(drop)
                    .map_err(|e| bot_error(&doing, e))
            }
            LoadBalancer::Application { arn } => {
                let attribute = |key: &str, value: &str| {
                    LoadBalancerAttribute::builder()
                        .key(key)
                        .value(value)
                        .build()
                };
                aws_sdk_elasticloadbalancingv2::Client::new(aws)
                    .modify_load_balancer_attributes()
                    .load_balancer_arn(*arn)
                    .attributes(attribute("access_logs.s3.enabled", "true"))
                    .attributes(attribute("access_logs.s3.bucket", bucket))
                    .send()
                    .await
                    .map(drop)
                    .map_err(|e| bot_error(&doing, e))
            }
        }
    }
}

async fn enable_access_logs(input: &BotInput, aws: &SdkConfig) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let (account, region) = (
        input.target.account_id.as_str(),
        input.target.region.as_str(),
    );
    let load_balancer = LoadBalancer::of(input)?;
    let label = load_balancer.label();
    match load_balancer.logging_into(aws).await? {
        Err(()) => {
            return Ok(BotOutcome::gone(
                input,
                &format!("The {label}"),
                "nothing to do",
            ))
        }
        Ok(Some(bucket)) => {
            return Ok(BotOutcome::compliant(
                input,
                format!("The {label} already logs its requests into bucket {bucket}"),
            ))
        }
        Ok(None) => {}
    }
    let s3 = aws_sdk_s3::Client::new(aws);
    let bucket = LogBucket::plan(
        &s3,
        None,
        log_bucket_name(account, region),
        account,
        |bucket| vec![delivery_statement(bucket, account, region)],
        s3_bucket::same_sid,
    )
    .await?;
    let name = bucket.name.clone();
    let mut changes = bucket.changes(
        region,
        &format!("Elastic Load Balancing of {region} may put account {account}'s access logs"),
    );
    changes.push(format!(
        "log the requests of the {label} into bucket {name}"
    ));
    let apply = async {
        bucket.apply(&s3, region).await?;
        load_balancer.log_into(aws, &name).await
    };
    make_changes(
        input,
        changes,
        format!("Would turn on the access logs of the {label}"),
        apply,
        format!("The {label} now logs its requests into bucket {name}"),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_with_an_elb_account_grant_it_and_newer_regions_grant_the_service() {
        let old = delivery_statement("logs", "111122223333", "eu-west-1");
        assert_eq!(
            old["Principal"],
            json!({"AWS": "arn:aws:iam::156460612806:root"})
        );
        assert_eq!(old["Resource"], "arn:aws:s3:::logs/AWSLogs/111122223333/*");
        let china = delivery_statement("logs", "111122223333", "cn-north-1");
        assert_eq!(
            china["Principal"],
            json!({"AWS": "arn:aws-cn:iam::638102146993:root"})
        );
        let new = delivery_statement("logs", "111122223333", "ap-southeast-4");
        assert_eq!(
            new["Principal"],
            json!({"Service": "logdelivery.elasticloadbalancing.amazonaws.com"})
        );
    }

    #[test]
    fn the_table_names_each_region_once_with_a_twelve_digit_account() {
        let mut regions: Vec<&str> = ELB_ACCOUNTS.iter().map(|(r, _)| *r).collect();
        regions.sort();
        regions.dedup();
        assert_eq!(regions.len(), ELB_ACCOUNTS.len());
        assert!(ELB_ACCOUNTS
            .iter()
            .all(|(_, a)| a.len() == 12 && a.chars().all(|c| c.is_ascii_digit())));
    }
}
