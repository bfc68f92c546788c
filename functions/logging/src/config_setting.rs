//! What `config_enable` changes in a region's AWS Config, described once for its verify after
//! change and for `restore_config_recorder`, its undo: the recorder, the delivery channel and
//! whether the recorder is recording.
//!
//! Config has one recorder and one channel per region, so the region is the resource. A
//! recorder or channel the bot created is deleted by undo, one it redefined gets its previous
//! definition back; the Config bucket, its history and the Config role stay.

use aws_config::SdkConfig;
use aws_sdk_config::types::{
    ConfigSnapshotDeliveryProperties, ConfigurationRecorder, DeliveryChannel,
    ExclusionByResourceTypes, MaximumExecutionFrequency, RecordingGroup, RecordingStrategy,
    RecordingStrategyType, ResourceType,
};
use cloudbots_runtime::aws_error::bot_error;
use cloudbots_runtime::restorer::Restorer;
use cloudbots_runtime::session::in_region;
use cloudbots_runtime::setting::{restore_settings, Setting};
use cloudbots_shared::error::BotError;
use cloudbots_shared::restore::{RestoreInput, RestoreOutcome};
use serde::{Deserialize, Serialize};

pub const RESTORE_CONFIG_RECORDER: Restorer = Restorer {
    name: "restore_config_recorder",
    run: |input, aws| Box::pin(restore_config(input, aws)),
};

/// A configuration recorder: its name, role and what it records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recorder {
    pub name: String,
    pub role_arn: String,
    pub all_supported: bool,
    pub include_global_resource_types: bool,
    /// The resource types it records, when not every supported one.
    pub resource_types: Vec<String>,
    /// The resource types it leaves out, when it records all but some.
    pub excluded_resource_types: Vec<String>,
    /// Its recording strategy (`ALL_SUPPORTED_RESOURCE_TYPES`…), when it has one.
    pub strategy: Option<String>,
}

/// A delivery channel: where the configuration history goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Channel {
    pub name: String,
    pub bucket: String,
    pub key_prefix: Option<String>,
    pub kms_key_arn: Option<String>,
    pub sns_topic_arn: Option<String>,
    /// How often snapshots are delivered (`One_Hour`…), when set.
    pub delivery_frequency: Option<String>,
}

/// What `config_enable` changes in a region's Config, as found and as left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "setting", rename_all = "snake_case")]
pub enum ConfigSetting {
    /// The region's recorder; none when it has none.
    Recorder { recorder: Option<Recorder> },
    /// The region's delivery channel; none when it has none.
    DeliveryChannel { channel: Option<Channel> },
    /// Whether the recorder records (off when there is no recorder).
    Recording { on: bool },
}

/// How people name the Config of a region.
pub fn config_label(region: &str) -> String {
    format!("Config in {region}")
}

/// A recorder as Config describes it.
pub(crate) fn recorder_of(recorder: &ConfigurationRecorder) -> Recorder {
    let group = recorder.recording_group();
    let types = |types: &[ResourceType]| types.iter().map(|t| t.as_str().to_string()).collect();
    Recorder {
        name: recorder.name().unwrap_or_default().to_string(),
        role_arn: recorder.role_arn().unwrap_or_default().to_string(),
        all_supported: group.is_some_and(RecordingGroup::all_supported),
        include_global_resource_types: group
            .is_some_and(RecordingGroup::include_global_resource_types),
        resource_types: types(
            group
                .map(RecordingGroup::resource_types)
                .unwrap_or_default(),
        ),
        excluded_resource_types: types(
            group
                .and_then(RecordingGroup::exclusion_by_resource_types)
                .map(ExclusionByResourceTypes::resource_types)
                .unwrap_or_default(),
        ),
        strategy: group
            .and_then(RecordingGroup::recording_strategy)
            .and_then(RecordingStrategy::use_only)
            .map(|s| s.as_str().to_string()),
    }
}

fn channel_of(channel: &DeliveryChannel) -> Channel {
    Channel {
        name: channel.name().unwrap_or_default().to_string(),
        bucket: channel.s3_bucket_name().unwrap_or_default().to_string(),
        key_prefix: channel.s3_key_prefix().map(str::to_string),
        kms_key_arn: channel.s3_kms_key_arn().map(str::to_string),
        sns_topic_arn: channel.sns_topic_arn().map(str::to_string),
        delivery_frequency: channel
            .config_snapshot_delivery_properties()
            .and_then(ConfigSnapshotDeliveryProperties::delivery_frequency)
            .map(|f| f.as_str().to_string()),
    }
}

/// The region's recorders (Config allows one).
pub(crate) async fn region_recorders(
    config: &aws_sdk_config::Client,
    region: &str,
) -> Result<Vec<ConfigurationRecorder>, BotError> {
    Ok(config
        .describe_configuration_recorders()
        .send()
        .await
        .map_err(|e| bot_error(&format!("reading the Config recorders of {region}"), e))?
        .configuration_recorders
        .unwrap_or_default())
}

/// The region's delivery channels (Config allows one).
pub(crate) async fn region_channels(
    config: &aws_sdk_config::Client,
    region: &str,
) -> Result<Vec<DeliveryChannel>, BotError> {
    Ok(config
        .describe_delivery_channels()
        .send()
        .await
        .map_err(|e| {
            bot_error(
                &format!("reading the Config delivery channels of {region}"),
                e,
            )
        })?
        .delivery_channels
        .unwrap_or_default())
}

/// Whether a recorder of the region records.
pub(crate) async fn is_recording(
    config: &aws_sdk_config::Client,
    region: &str,
) -> Result<bool, BotError> {
    Ok(config
        .describe_configuration_recorder_status()
        .send()
        .await
        .map_err(|e| {
            bot_error(
                &format!("reading the Config recorder status of {region}"),
                e,
            )
        })?
        .configuration_recorders_status()
        .iter()
        .any(|status| status.recording()))
}

/// Start or stop every recorder of the region.
async fn set_recording(
    config: &aws_sdk_config::Client,
    region: &str,
    on: bool,
) -> Result<(), BotError> {
    for recorder in region_recorders(config, region).await? {
        let name = recorder.name().unwrap_or_default();
        if on {
            config
                .start_configuration_recorder()
                .configuration_recorder_name(name)
                .send()
                .await
                .map_err(|e| bot_error(&format!("starting Config recorder {name}"), e))?;
        } else {
            config
                .stop_configuration_recorder()
                .configuration_recorder_name(name)
                .send()
                .await
                .map_err(|e| bot_error(&format!("stopping Config recorder {name}"), e))?;
        }
    }
    Ok(())
}

fn recorder_words(recorder: &Recorder) -> String {
    let what = if recorder.all_supported {
        "every supported resource".to_string()
    } else if !recorder.excluded_resource_types.is_empty() {
        format!(
            "every resource but {}",
            recorder.excluded_resource_types.join(", ")
        )
    } else {
        recorder.resource_types.join(", ")
    };
    let global = if recorder.include_global_resource_types {
        "global resources included"
    } else {
        "global resources left out"
    };
    format!(
        "{} recording {what} ({global}) with role {}",
        recorder.name, recorder.role_arn
    )
}

fn channel_words(channel: &Channel) -> String {
    let mut words = format!("{} into bucket {}", channel.name, channel.bucket);
    if let Some(prefix) = &channel.key_prefix {
        words.push_str(&format!(" under {prefix}"));
    }
    if let Some(key) = &channel.kms_key_arn {
        words.push_str(&format!(" encrypted with KMS key {key}"));
    }
    if let Some(topic) = &channel.sns_topic_arn {
        words.push_str(&format!(", notifying {topic}"));
    }
    if let Some(frequency) = &channel.delivery_frequency {
        words.push_str(&format!(", snapshots every {frequency}"));
    }
    words
}

async fn put_recorder(
    config: &aws_sdk_config::Client,
    recorder: &Recorder,
) -> Result<(), BotError> {
    let types = |types: &[String]| {
        types
            .iter()
            .map(|t| ResourceType::from(t.as_str()))
            .collect()
    };
    let mut group = RecordingGroup::builder()
        .all_supported(recorder.all_supported)
        .include_global_resource_types(recorder.include_global_resource_types)
        .set_resource_types(
            Some(types(&recorder.resource_types)).filter(|t: &Vec<_>| !t.is_empty()),
        );
    if !recorder.excluded_resource_types.is_empty() {
        group = group.exclusion_by_resource_types(
            ExclusionByResourceTypes::builder()
                .set_resource_types(Some(types(&recorder.excluded_resource_types)))
                .build(),
        );
    }
    if let Some(strategy) = &recorder.strategy {
        group = group.recording_strategy(
            RecordingStrategy::builder()
                .use_only(RecordingStrategyType::from(strategy.as_str()))
                .build(),
        );
    }
    let definition = ConfigurationRecorder::builder()
        .name(&recorder.name)
        .role_arn(&recorder.role_arn)
        .recording_group(group.build())
        .build();
    config
        .put_configuration_recorder()
        .configuration_recorder(definition)
        .send()
        .await
        .map(drop)
        .map_err(|e| bot_error(&format!("writing Config recorder {}", recorder.name), e))
}

async fn put_channel(config: &aws_sdk_config::Client, channel: &Channel) -> Result<(), BotError> {
    let definition = DeliveryChannel::builder()
        .name(&channel.name)
        .s3_bucket_name(&channel.bucket)
        .set_s3_key_prefix(channel.key_prefix.clone())
        .set_s3_kms_key_arn(channel.kms_key_arn.clone())
        .set_sns_topic_arn(channel.sns_topic_arn.clone())
        .set_config_snapshot_delivery_properties(channel.delivery_frequency.as_deref().map(
            |frequency| {
                ConfigSnapshotDeliveryProperties::builder()
                    .delivery_frequency(MaximumExecutionFrequency::from(frequency))
                    .build()
            },
        ))
        .build();
    config
        .put_delivery_channel()
        .delivery_channel(definition)
        .send()
        .await
        .map(drop)
        .map_err(|e| {
            bot_error(
                &format!(
                    "writing the Config delivery channel {} into bucket {}",
                    channel.name, channel.bucket
                ),
                e,
            )
        })
}

impl Setting for ConfigSetting {
    type Client = aws_sdk_config::Client;

    fn name(&self) -> &'static str {
        match self {
            ConfigSetting::Recorder { .. } => "recorder",
            ConfigSetting::DeliveryChannel { .. } => "delivery channel",
            ConfigSetting::Recording { .. } => "recording",
        }
    }

    fn words(&self) -> String {
        match self {
            ConfigSetting::Recorder { recorder: None }
            | ConfigSetting::DeliveryChannel { channel: None } => "none".to_string(),
            ConfigSetting::Recorder {
                recorder: Some(recorder),
            } => recorder_words(recorder),
            ConfigSetting::DeliveryChannel {
                channel: Some(channel),
            } => channel_words(channel),
            ConfigSetting::Recording { on: true } => "on".to_string(),
            ConfigSetting::Recording { on: false } => "off".to_string(),
        }
    }

    async fn read(&self, config: &aws_sdk_config::Client, region: &str) -> Result<Self, BotError> {
        Ok(match self {
            ConfigSetting::Recorder { .. } => ConfigSetting::Recorder {
                recorder: region_recorders(config, region)
                    .await?
                    .first()
                    .map(recorder_of),
            },
            ConfigSetting::DeliveryChannel { .. } => ConfigSetting::DeliveryChannel {
                channel: region_channels(config, region)
                    .await?
                    .first()
                    .map(channel_of),
            },
            ConfigSetting::Recording { .. } => ConfigSetting::Recording {
                on: is_recording(config, region).await?,
            },
        })
    }

    async fn write(&self, config: &aws_sdk_config::Client, region: &str) -> Result<(), BotError> {
        match self {
            ConfigSetting::Recorder {
                recorder: Some(recorder),
            } => put_recorder(config, recorder).await,
            ConfigSetting::Recorder { recorder: None } => {
                for recorder in region_recorders(config, region).await? {
                    let name = recorder.name().unwrap_or_default();
                    config
                        .delete_configuration_recorder()
                        .configuration_recorder_name(name)
                        .send()
                        .await
                        .map_err(|e| bot_error(&format!("deleting Config recorder {name}"), e))?;
                }
                Ok(())
            }
            ConfigSetting::DeliveryChannel {
                channel: Some(channel),
            } => put_channel(config, channel).await,
            ConfigSetting::DeliveryChannel { channel: None } => {
                // Config keeps the channel of a recording recorder, which cannot record
                // without one anyway: it is stopped first.
                set_recording(config, region, false).await?;
                for channel in region_channels(config, region).await? {
                    let name = channel.name().unwrap_or_default();
                    config
                        .delete_delivery_channel()
                        .delivery_channel_name(name)
                        .send()
                        .await
                        .map_err(|e| {
                            bot_error(&format!("deleting the Config delivery channel {name}"), e)
                        })?;
                }
                Ok(())
            }
            ConfigSetting::Recording { on } => set_recording(config, region, *on).await,
        }
    }
}

async fn restore_config(input: &RestoreInput, aws: &SdkConfig) -> Result<RestoreOutcome, BotError> {
    let region = input.step.prior.resource.as_str();
    let config = aws_sdk_config::Client::new(&in_region(aws, region));
    restore_settings::<ConfigSetting>(input, &config, config_label).await
}
