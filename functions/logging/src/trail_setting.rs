//! The settings of a trail the CloudTrail bots change, described once for the bots' verify
//! after change and for `restore_trail_settings`, their undo.
//!
//! A trail `cloudtrail_enable` created is one setting, its existence: undo deletes it (never
//! its log bucket or the logs delivered) when it still is as the bot created it. On a trail
//! that existed, each bot changes settings of its own (logging, scope, log file validation,
//! KMS key, CloudWatch Logs delivery), and undo gives back what they were. The key, log group
//! and delivery role a bot created stay: they may hold or serve other trails' logs.

use crate::cloudtrail::{client, home_region, start_logging, update_trail, TRAIL_NOT_FOUND};
use aws_config::SdkConfig;
use cloudbots_runtime::aws_error::{bot_error, code, none_if_code};
use cloudbots_runtime::restorer::Restorer;
use cloudbots_runtime::setting::{restore_settings, Setting};
use cloudbots_shared::error::BotError;
use cloudbots_shared::restore::{RestoreInput, RestoreOutcome};
use serde::{Deserialize, Serialize};

pub const RESTORE_TRAIL_SETTINGS: Restorer = Restorer {
    name: "restore_trail_settings",
    run: |input, aws| Box::pin(restore_trail(input, aws)),
};

/// A trail as `cloudtrail_enable` creates it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedTrail {
    pub bucket: String,
    pub every_region: bool,
    pub global_service_events: bool,
    pub log_file_validation: bool,
    pub logging: bool,
}

/// Where a trail sends its events in CloudWatch Logs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogsDelivery {
    pub log_group_arn: String,
    pub role_arn: String,
}

/// What the CloudTrail bots change on a trail (known by its ARN), as found and as left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "setting", rename_all = "snake_case")]
pub enum TrailSetting {
    /// The trail itself: none when it does not exist.
    Existence { trail: Option<CreatedTrail> },
    /// Whether it logs every region, and the global service events.
    Scope {
        every_region: bool,
        global_service_events: bool,
    },
    /// Whether it is logging.
    Logging { on: bool },
    /// Whether it signs a digest of its log files.
    LogFileValidation { on: bool },
    /// The KMS key its log files are encrypted with; none for S3's own encryption.
    KmsKey { key: Option<String> },
    /// Its CloudWatch Logs delivery; none when it sends nothing there.
    CloudWatchLogs { delivery: Option<LogsDelivery> },
}

fn on_off(on: bool) -> &'static str {
    if on {
        "on"
    } else {
        "off"
    }
}

fn scope_words(every_region: bool, global_service_events: bool) -> String {
    format!(
        "{}, global service events {}",
        if every_region {
            "every region"
        } else {
            "its home region only"
        },
        if global_service_events {
            "included"
        } else {
            "left out"
        }
    )
}

/// A trail's setting as CloudTrail returns it, none when it is unset (empty).
pub(crate) fn unless_empty(value: Option<&str>) -> Option<String> {
    value.filter(|v| !v.is_empty()).map(str::to_string)
}

/// The trail's name in its ARN (`arn:aws:cloudtrail:<region>:<account>:trail/<name>`).
fn trail_name(arn: &str) -> &str {
    arn.rsplit_once(":trail/").map_or(arn, |(_, name)| name)
}

/// How people name the trail of an ARN.
pub fn trail_label(arn: &str) -> String {
    format!("trail {}", trail_name(arn))
}

fn gone(arn: &str) -> BotError {
    BotError::not_found(format!("{} does not exist (any more)", trail_label(arn)))
}

async fn describe(
    cloudtrail: &aws_sdk_cloudtrail::Client,
    arn: &str,
) -> Result<Option<aws_sdk_cloudtrail::types::Trail>, BotError> {
    let read = cloudtrail.get_trail().name(arn).send().await;
    Ok(none_if_code(
        TRAIL_NOT_FOUND,
        &format!("reading {}", trail_label(arn)),
        read,
    )?
    .and_then(|out| out.trail))
}

async fn is_logging(cloudtrail: &aws_sdk_cloudtrail::Client, arn: &str) -> Result<bool, BotError> {
    let read = cloudtrail.get_trail_status().name(arn).send().await;
    let doing = format!("reading the status of {}", trail_label(arn));
    Ok(none_if_code(TRAIL_NOT_FOUND, &doing, read)?
        .ok_or_else(|| gone(arn))?
        .is_logging
        .unwrap_or(false))
}

impl Setting for TrailSetting {
    type Client = aws_sdk_cloudtrail::Client;

    fn name(&self) -> &'static str {
        match self {
            TrailSetting::Existence { .. } => "existence",
            TrailSetting::Scope { .. } => "scope",
            TrailSetting::Logging { .. } => "logging",
            TrailSetting::LogFileValidation { .. } => "log file validation",
            TrailSetting::KmsKey { .. } => "KMS key",
            TrailSetting::CloudWatchLogs { .. } => "CloudWatch Logs delivery",
        }
    }

    fn words(&self) -> String {
        match self {
            TrailSetting::Existence { trail: None } => "none".to_string(),
            TrailSetting::Existence { trail: Some(t) } => format!(
                "a trail of {}, into bucket {}, log file validation {}, logging {}",
                scope_words(t.every_region, t.global_service_events),
                t.bucket,
                on_off(t.log_file_validation),
                on_off(t.logging)
            ),
            TrailSetting::Scope {
                every_region,
                global_service_events,
            } => scope_words(*every_region, *global_service_events),
            TrailSetting::Logging { on } | TrailSetting::LogFileValidation { on } => {
                on_off(*on).to_string()
            }
            TrailSetting::KmsKey { key: Some(key) } => key.clone(),
            TrailSetting::KmsKey { key: None } => "none".to_string(),
            TrailSetting::CloudWatchLogs {
                delivery: Some(delivery),
            } => format!(
                "log group {} through role {}",
                delivery.log_group_arn, delivery.role_arn
            ),
            TrailSetting::CloudWatchLogs { delivery: None } => "none".to_string(),
        }
    }

    async fn read(
        &self,
        cloudtrail: &aws_sdk_cloudtrail::Client,
        arn: &str,
    ) -> Result<Self, BotError> {
        let trail = match (self, describe(cloudtrail, arn).await?) {
            (TrailSetting::Existence { .. }, None) => {
                return Ok(TrailSetting::Existence { trail: None })
            }
            (_, None) => return Err(gone(arn)),
            (_, Some(trail)) => trail,
        };
        Ok(match self {
            TrailSetting::Existence { .. } => TrailSetting::Existence {
                trail: Some(CreatedTrail {
                    bucket: trail.s3_bucket_name().unwrap_or_default().to_string(),
                    every_region: trail.is_multi_region_trail().unwrap_or(false),
                    global_service_events: trail.include_global_service_events().unwrap_or(false),
                    log_file_validation: trail.log_file_validation_enabled().unwrap_or(false),
                    logging: is_logging(cloudtrail, arn).await?,
                }),
            },
            TrailSetting::Scope { .. } => TrailSetting::Scope {
                every_region: trail.is_multi_region_trail().unwrap_or(false),
                global_service_events: trail.include_global_service_events().unwrap_or(false),
            },
            TrailSetting::Logging { .. } => TrailSetting::Logging {
                on: is_logging(cloudtrail, arn).await?,
            },
            TrailSetting::LogFileValidation { .. } => TrailSetting::LogFileValidation {
                on: trail.log_file_validation_enabled().unwrap_or(false),
            },
            TrailSetting::KmsKey { .. } => TrailSetting::KmsKey {
                key: unless_empty(trail.kms_key_id()),
            },
            TrailSetting::CloudWatchLogs { .. } => TrailSetting::CloudWatchLogs {
                delivery: unless_empty(trail.cloud_watch_logs_log_group_arn()).map(
                    |log_group_arn| LogsDelivery {
                        log_group_arn,
                        role_arn: unless_empty(trail.cloud_watch_logs_role_arn())
                            .unwrap_or_default(),
                    },
                ),
            },
        })
    }

    async fn write(
        &self,
        cloudtrail: &aws_sdk_cloudtrail::Client,
        arn: &str,
    ) -> Result<(), BotError> {
        let doing = format!(
            "setting the {} of {} to {}",
            self.name(),
            trail_label(arn),
            self.words()
        );
        match self {
            // By name: the local stack deletes no trail named by its ARN.
            TrailSetting::Existence { trail: None } => cloudtrail
                .delete_trail()
                .name(trail_name(arn))
                .send()
                .await
                .map(drop)
                .map_err(|e| bot_error(&format!("deleting {}", trail_label(arn)), e)),
            TrailSetting::Existence { trail: Some(trail) } => {
                create(cloudtrail, trail_name(arn), trail).await
            }
            TrailSetting::Scope {
                every_region,
                global_service_events,
            } => {
                update_trail(cloudtrail, arn, &doing, |update| {
                    update
                        .is_multi_region_trail(*every_region)
                        .include_global_service_events(*global_service_events)
                })
                .await
            }
            TrailSetting::Logging { on: true } => start_logging(cloudtrail, arn).await,
            TrailSetting::Logging { on: false } => cloudtrail
                .stop_logging()
                .name(arn)
                .send()
                .await
                .map(drop)
                .map_err(|e| bot_error(&doing, e)),
            TrailSetting::LogFileValidation { on } => {
                update_trail(cloudtrail, arn, &doing, |update| {
                    update.enable_log_file_validation(*on)
                })
                .await
            }
            // An empty key id turns the trail's own KMS encryption off.
            TrailSetting::KmsKey { key } => {
                update_trail(cloudtrail, arn, &doing, |update| {
                    update.kms_key_id(key.as_deref().unwrap_or_default())
                })
                .await
            }
            // An empty log group and role stop the delivery.
            TrailSetting::CloudWatchLogs { delivery } => {
                let (group, role) = delivery.as_ref().map_or(("", ""), |d| {
                    (d.log_group_arn.as_str(), d.role_arn.as_str())
                });
                update_trail(cloudtrail, arn, &doing, |update| {
                    update
                        .cloud_watch_logs_log_group_arn(group)
                        .cloud_watch_logs_role_arn(role)
                })
                .await
            }
        }
    }
}

/// Create the trail `name` as `trail` describes it, and start it when it logs.
async fn create(
    cloudtrail: &aws_sdk_cloudtrail::Client,
    name: &str,
    trail: &CreatedTrail,
) -> Result<(), BotError> {
    let created = cloudtrail
        .create_trail()
        .name(name)
        .s3_bucket_name(&trail.bucket)
        .is_multi_region_trail(trail.every_region)
        .include_global_service_events(trail.global_service_events)
        .enable_log_file_validation(trail.log_file_validation)
        .send()
        .await;
    match created {
        Ok(_) => {}
        // Created meanwhile by another run: started below all the same.
        Err(e) if code(&e) == Some("TrailAlreadyExistsException") => {}
        Err(e) if code(&e) == Some("InsufficientS3BucketPolicyException") => {
            return Err(BotError::invalid_input(format!(
                "creating trail {name}: the policy of bucket {} does not let CloudTrail write to it",
                trail.bucket
            )))
        }
        Err(e) => return Err(bot_error(&format!("creating trail {name}"), e)),
    }
    if trail.logging {
        start_logging(cloudtrail, name).await?;
    }
    Ok(())
}

async fn restore_trail(input: &RestoreInput, aws: &SdkConfig) -> Result<RestoreOutcome, BotError> {
    let arn = input.step.prior.resource.as_str();
    restore_settings::<TrailSetting>(input, &client(aws, home_region(arn)), trail_label).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trail_is_named_from_its_arn() {
        assert_eq!(
            trail_label("arn:aws:cloudtrail:eu-west-1:111122223333:trail/all-regions"),
            "trail all-regions"
        );
        assert_eq!(trail_label("all-regions"), "trail all-regions");
    }
}
