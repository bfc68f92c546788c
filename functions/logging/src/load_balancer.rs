//! `load_balancer_enable_access_logs`: a classic or application load balancer logs every
//! request into the account's load balancer log bucket of its region.
//!
//! The log bucket (`<account>-elb-access-logs-<region>`, one per account and region, not one
//! per load balancer with a random suffix as in the original) is found or created with all
//! public access blocked, and its policy lets Elastic Load Balancing deliver into it: in the
//! regions that have one, the region's ELB account (the table below, from AWS's
//! documentation); in the regions opened since, the log delivery service principal.
//!
//! The bot reads the access-log attributes back after turning them on and records what they
//! were, so `restore_load_balancer_attributes` can set them back; the log bucket and its
//! delivery statement stay (other load balancers of the account and region deliver there too,
//! and the logs already delivered are evidence).

use aws_config::SdkConfig;
use aws_sdk_elasticloadbalancing::types::{AccessLog, LoadBalancerAttributes};
use aws_sdk_elasticloadbalancingv2::types::LoadBalancerAttribute;
use cloudbots_runtime::aws_error::{bot_error, none_if_code};
use cloudbots_runtime::bot::{dry_run, entity_id, entity_name, params, Bot};
use cloudbots_runtime::exclusion::{tag_in_listing, TagReader};
use cloudbots_runtime::restorer::Restorer;
use cloudbots_runtime::s3_bucket::{self, LogBucket};
use cloudbots_runtime::setting::{self, restore_settings, Resource, Setting};
use cloudbots_shared::catalogue::TagSource;
use cloudbots_shared::error::{BotError, ErrorName};
use cloudbots_shared::outcome::{BotInput, BotOutcome};
use cloudbots_shared::params::NoParams;
use cloudbots_shared::region::partition;
use cloudbots_shared::restore::{RestoreInput, RestoreOutcome};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// The bots of this module.
pub const BOTS: &[Bot] = &[ENABLE_ACCESS_LOGS];

pub const ENABLE_ACCESS_LOGS: Bot = Bot {
    name: "load_balancer_enable_access_logs",
    tags: LOAD_BALANCER_TAGS,
    run: |input, aws| Box::pin(enable_access_logs(input, aws)),
};

pub const RESTORE_LOAD_BALANCER_ATTRIBUTES: Restorer = Restorer {
    name: "restore_load_balancer_attributes",
    run: |input, aws| Box::pin(restore_access_logs(input, aws)),
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

/// The load balancer the finding names: a classic one by name, an application one by ARN.
fn load_balancer_id(input: &BotInput) -> Result<&str, BotError> {
    match input.finding.entity.get("type").and_then(Value::as_str) {
        Some("ELB") => entity_name(input),
        _ => entity_id(input),
    }
}

/// How people name the load balancer of an id (an ARN: an application one).
fn load_balancer_label(id: &str) -> String {
    match id.starts_with("arn:") {
        true => format!("load balancer {}", id.split('/').nth(2).unwrap_or(id)),
        false => format!("classic load balancer {id}"),
    }
}

/// The clients of both load balancer APIs: classic ones and application ones.
pub struct LoadBalancerClients {
    pub classic: aws_sdk_elasticloadbalancing::Client,
    pub application: aws_sdk_elasticloadbalancingv2::Client,
}

impl LoadBalancerClients {
    fn new(aws: &SdkConfig) -> Self {
        LoadBalancerClients {
            classic: aws_sdk_elasticloadbalancing::Client::new(aws),
            application: aws_sdk_elasticloadbalancingv2::Client::new(aws),
        }
    }
}

/// The access-log attributes of a load balancer, as found and as left.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessLogs {
    pub enabled: bool,
    pub bucket: Option<String>,
    pub prefix: Option<String>,
    /// Minutes between deliveries: classic load balancers only.
    pub emit_interval: Option<i32>,
}

/// An attribute's text, none when empty (the APIs give empty texts for unset attributes).
fn non_empty(text: Option<&str>) -> Option<String> {
    text.filter(|t| !t.is_empty()).map(str::to_string)
}

impl Setting for AccessLogs {
    type Client = LoadBalancerClients;

    fn name(&self) -> &'static str {
        "access logging"
    }

    fn words(&self) -> String {
        let mut words = vec![if self.enabled { "on" } else { "off" }.to_string()];
        words.extend(self.bucket.iter().map(|b| format!("bucket {b}")));
        words.extend(self.prefix.iter().map(|p| format!("prefix {p}")));
        words.extend(self.emit_interval.iter().map(|m| format!("every {m} min")));
        words.join(", ")
    }

    async fn read(&self, clients: &LoadBalancerClients, id: &str) -> Result<Self, BotError> {
        let doing = format!("reading the attributes of the {}", load_balancer_label(id));
        let gone = || {
            BotError::not_found(format!(
                "{} does not exist (any more)",
                load_balancer_label(id)
            ))
        };
        if id.starts_with("arn:") {
            let read = clients
                .application
                .describe_load_balancer_attributes()
                .load_balancer_arn(id)
                .send()
                .await;
            let out = none_if_code(NOT_FOUND, &doing, read)?.ok_or_else(gone)?;
            let value = |key: &str| {
                out.attributes()
                    .iter()
                    .find(|a| a.key() == Some(key))
                    .and_then(|a| a.value())
            };
            Ok(AccessLogs {
                // A new load balancer may lack the attribute until it is set: off.
                enabled: value("access_logs.s3.enabled") == Some("true"),
                bucket: non_empty(value("access_logs.s3.bucket")),
                prefix: non_empty(value("access_logs.s3.prefix")),
                emit_interval: None,
            })
        } else {
            let read = clients
                .classic
                .describe_load_balancer_attributes()
                .load_balancer_name(id)
                .send()
                .await;
            let out = none_if_code(NOT_FOUND, &doing, read)?.ok_or_else(gone)?;
            let log = out.load_balancer_attributes().and_then(|a| a.access_log());
            Ok(AccessLogs {
                enabled: log.is_some_and(AccessLog::enabled),
                bucket: non_empty(log.and_then(AccessLog::s3_bucket_name)),
                prefix: non_empty(log.and_then(AccessLog::s3_bucket_prefix)),
                emit_interval: log.and_then(AccessLog::emit_interval),
            })
        }
    }

    async fn write(&self, clients: &LoadBalancerClients, id: &str) -> Result<(), BotError> {
        let doing = format!(
            "setting the access logging of the {} to {}",
            load_balancer_label(id),
            self.words()
        );
        if id.starts_with("arn:") {
            let attribute = |key: &str, value: Option<&String>| {
                LoadBalancerAttribute::builder()
                    .key(key)
                    .value(value.map_or("", String::as_str))
                    .build()
            };
            clients
                .application
                .modify_load_balancer_attributes()
                .load_balancer_arn(id)
                .attributes(
                    LoadBalancerAttribute::builder()
                        .key("access_logs.s3.enabled")
                        .value(self.enabled.to_string())
                        .build(),
                )
                .attributes(attribute("access_logs.s3.bucket", self.bucket.as_ref()))
                .attributes(attribute("access_logs.s3.prefix", self.prefix.as_ref()))
                .send()
                .await
                .map(drop)
                .map_err(|e| bot_error(&doing, e))
        } else {
            let log = AccessLog::builder()
                .enabled(self.enabled)
                .set_s3_bucket_name(self.bucket.clone())
                .set_s3_bucket_prefix(self.prefix.clone())
                .set_emit_interval(self.emit_interval)
                .build();
            clients
                .classic
                .modify_load_balancer_attributes()
                .load_balancer_name(id)
                .load_balancer_attributes(LoadBalancerAttributes::builder().access_log(log).build())
                .send()
                .await
                .map(drop)
                .map_err(|e| bot_error(&doing, e))
        }
    }
}

async fn restore_access_logs(
    input: &RestoreInput,
    aws: &SdkConfig,
) -> Result<RestoreOutcome, BotError> {
    restore_settings::<AccessLogs>(input, &LoadBalancerClients::new(aws), load_balancer_label).await
}

async fn enable_access_logs(input: &BotInput, aws: &SdkConfig) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let (account, region) = (
        input.target.account_id.as_str(),
        input.target.region.as_str(),
    );
    let id = load_balancer_id(input)?;
    let label = load_balancer_label(id);
    let clients = LoadBalancerClients::new(aws);
    let before = match AccessLogs::default().read(&clients, id).await {
        Err(error) if error.name == ErrorName::NotFound => {
            return Ok(BotOutcome::gone(
                input,
                &format!("The {label}"),
                "nothing to do",
            ))
        }
        read => read?,
    };
    if before.enabled {
        return Ok(BotOutcome::compliant(
            input,
            format!(
                "The {label} already logs its requests into bucket {}",
                before.bucket.as_deref().unwrap_or("?")
            ),
        ));
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
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!("Would turn on the access logs of the {label}"),
            changes,
        ));
    }
    bucket.apply(&s3, region).await?;
    let after = AccessLogs {
        enabled: true,
        bucket: Some(name.clone()),
        prefix: before.prefix.clone(),
        // Classic load balancers deliver every 5 or 60 minutes: the bot asks for hourly.
        emit_interval: (!id.starts_with("arn:")).then_some(60),
    };
    let resource = Resource {
        client: &clients,
        id,
        label: label.clone(),
    };
    setting::change(
        input,
        &resource,
        RESTORE_LOAD_BALANCER_ATTRIBUTES.name,
        (vec![before], vec![after]),
        format!("The {label} now logs its requests into bucket {name}"),
        changes,
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
