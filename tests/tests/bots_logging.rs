//! CloudTrail, CloudWatch and Config bots on the local stack, run as their Lambdas run them
//! (through `run_step`) with IAM enforced and only their roles' actions allowed: the trail's
//! and the recorder's real settings after each run, and what the bots created on the way
//! (bucket, key, log group, delivery role, metric filters, topic). CloudWatch alarms are the
//! one mocked service (see `alarms`).

use aws_sdk_cloudtrail::types::Trail;
use aws_sdk_cloudwatch::types::MetricAlarm;
use cloudbots_functions::bots;
use cloudbots_shared::error::ErrorName;
use cloudbots_shared::outcome::OutcomeStatus;
use cloudbots_shared::plan::{Mode, DEFAULT_EXCLUDE_TAG_KEY};
use cloudbots_tests::alarms::Alarms;
use cloudbots_tests::logging::{
    cloudtrail, config_in, plain_trail, trail_entity, trail_with_log_group, ACCOUNT,
};
use cloudbots_tests::resources::new_kms_key;
use cloudbots_tests::{
    assert_skipped_by_live_opt_out, aws, bot_aws, entity, run_line, run_ok, step_input, unique_name,
};
use serde_json::{json, Value};

async fn trail(arn_or_name: &str) -> Trail {
    cloudtrail()
        .await
        .get_trail()
        .name(arn_or_name)
        .send()
        .await
        .expect("get_trail")
        .trail
        .unwrap()
}

async fn logging(name: &str) -> bool {
    cloudtrail()
        .await
        .get_trail_status()
        .name(name)
        .send()
        .await
        .expect("get_trail_status")
        .is_logging
        .unwrap_or(false)
}

fn region_entity() -> Value {
    entity("Region", "us-east-1", "us-east-1")
}

// ---- cloudtrail_enable ----

#[tokio::test]
async fn enable_creates_the_log_bucket_and_a_started_trail_of_every_region_once() {
    let name = unique_name("audit");
    let bucket = format!("acct{ACCOUNT}cloudtraillogs");
    let line = format!("cloudtrail_enable trail_name={name}");

    let dry = run_ok(&line, region_entity(), Mode::DryRun).await;
    assert_eq!(dry.status, OutcomeStatus::DryRun);
    assert_eq!(
        dry.changes.last().unwrap(),
        &format!("start logging of trail {name}")
    );
    assert!(dry.changes.contains(&format!(
        "create trail {name} logging every region into bucket {bucket}, log file validation on"
    )));

    let first = run_ok(&line, region_entity(), Mode::Enforce).await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert_eq!(
        first.message,
        format!("Trail {name} now logs every region into bucket {bucket}")
    );
    let created = trail(&name).await;
    assert_eq!(created.s3_bucket_name(), Some(bucket.as_str()));
    assert_eq!(created.is_multi_region_trail(), Some(true));
    assert_eq!(created.include_global_service_events(), Some(true));
    assert_eq!(created.log_file_validation_enabled(), Some(true));
    assert!(logging(&name).await);

    let s3 = aws_sdk_s3::Client::new(&aws().await);
    let policy: Value = serde_json::from_str(
        s3.get_bucket_policy()
            .bucket(&bucket)
            .send()
            .await
            .expect("the log bucket has a policy")
            .policy()
            .unwrap(),
    )
    .unwrap();
    let sids: Vec<&str> = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["Sid"].as_str())
        .collect();
    assert!(sids.contains(&"AWSCloudTrailAclCheck20150319"));
    assert!(sids.contains(&"AWSCloudTrailWrite20150319"));
    let block = s3
        .get_public_access_block()
        .bucket(&bucket)
        .send()
        .await
        .expect("the log bucket blocks public access")
        .public_access_block_configuration
        .unwrap();
    assert_eq!(block.block_public_policy(), Some(true));

    let second = run_ok(&line, region_entity(), Mode::Enforce).await;
    assert_eq!(second.status, OutcomeStatus::AlreadyCompliant);
    assert_eq!(
        second.message,
        format!("Trail {name} already logs every region")
    );
}

#[tokio::test]
async fn enable_turns_on_an_existing_trail_of_one_region() {
    let name = unique_name("regional");
    plain_trail(&name).await;

    let outcome = run_ok(
        &format!("cloudtrail_enable {name}"),
        region_entity(),
        Mode::Enforce,
    )
    .await;
    assert_eq!(
        outcome.status,
        OutcomeStatus::Remediated,
        "{}",
        outcome.message
    );
    assert_eq!(
        outcome.changes,
        vec![
            format!("make trail {name} log every region and global service events"),
            format!("start logging of trail {name}"),
        ]
    );
    assert_eq!(trail(&name).await.is_multi_region_trail(), Some(true));
    assert!(logging(&name).await);
}

#[tokio::test]
async fn enable_refuses_a_named_bucket_the_account_does_not_have() {
    let name = unique_name("nowhere");
    let error = run_line(
        &format!("cloudtrail_enable {name} cloudbots-no-such-bucket"),
        region_entity(),
        Mode::Enforce,
    )
    .await
    .unwrap_err();
    assert_eq!(error.name, ErrorName::InvalidInput);
    assert_eq!(
        error.message,
        format!("bucket cloudbots-no-such-bucket does not exist in account {ACCOUNT}: name an existing bucket, or leave bucket_name out for acct{ACCOUNT}cloudtraillogs")
    );
    assert!(cloudtrail()
        .await
        .get_trail()
        .name(&name)
        .send()
        .await
        .is_err());
}

// ---- log file validation and encryption ----

#[tokio::test]
async fn log_file_validation_is_turned_on_once_and_a_gone_trail_is_skipped() {
    let name = unique_name("unvalidated");
    let arn = plain_trail(&name).await;
    let bot = "cloudtrail_enable_log_file_validation";

    let first = run_ok(bot, trail_entity(&name, &arn), Mode::Enforce).await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert_eq!(
        first.changes,
        vec![format!("turn on log file validation of trail {name}")]
    );
    assert_eq!(trail(&arn).await.log_file_validation_enabled(), Some(true));

    let second = run_ok(bot, trail_entity(&name, &arn), Mode::Enforce).await;
    assert_eq!(second.status, OutcomeStatus::AlreadyCompliant);
    assert_eq!(
        second.message,
        format!("Trail {name} already validates its log files")
    );

    let gone = format!("arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/cloudbots-never");
    let skipped = run_ok(bot, trail_entity("cloudbots-never", &gone), Mode::Enforce).await;
    assert_eq!(skipped.status, OutcomeStatus::Skipped);
    assert_eq!(
        skipped.message,
        format!("Trail {gone} does not exist (any more): nothing to do")
    );
}

#[tokio::test]
async fn an_existing_key_encrypts_the_trail_by_its_arn_and_an_unknown_one_changes_nothing() {
    let (key_arn, alias) = new_kms_key("trail-key").await;
    let name = unique_name("clear-text");
    let arn = plain_trail(&name).await;
    let bot = "cloudtrail_encrypt_log_files_using_existing_key";

    let unknown = run_line(
        &format!("{bot} alias/cloudbots-no-such-key"),
        trail_entity(&name, &arn),
        Mode::Enforce,
    )
    .await
    .unwrap_err();
    assert_eq!(unknown.name, ErrorName::InvalidInput);
    assert_eq!(trail(&arn).await.kms_key_id(), None);

    let line = format!("{bot} {alias}");
    let first = run_ok(&line, trail_entity(&name, &arn), Mode::Enforce).await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert_eq!(
        first.message,
        format!("Trail {name} now encrypts its log files with KMS key {key_arn}")
    );
    assert_eq!(trail(&arn).await.kms_key_id(), Some(key_arn.as_str()));

    let second = run_ok(&line, trail_entity(&name, &arn), Mode::Enforce).await;
    assert_eq!(second.status, OutcomeStatus::AlreadyCompliant);
}

#[tokio::test]
async fn a_new_key_is_created_once_with_rotation_a_policy_for_cloudtrail_and_the_execution_tag() {
    let name = unique_name("needs-key");
    let arn = plain_trail(&name).await;
    let bot = "cloudtrail_encrypt_log_files_using_new_key_creation";
    let alias = format!("alias/cloudbots/cloudtrail/{name}");

    let dry = run_ok(bot, trail_entity(&name, &arn), Mode::DryRun).await;
    assert_eq!(
        dry.changes,
        vec![
            format!("create a KMS key {alias} in us-east-1 that CloudTrail may encrypt account {ACCOUNT}'s trails with, rotation on"),
            format!("encrypt the log files of trail {name} with KMS key {alias}, log file validation on"),
        ]
    );

    let first = run_ok(bot, trail_entity(&name, &arn), Mode::Enforce).await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    let key_arn = first.artifacts.first().expect("the new key").clone();
    let encrypted = trail(&arn).await;
    assert_eq!(encrypted.kms_key_id(), Some(key_arn.as_str()));
    assert_eq!(encrypted.log_file_validation_enabled(), Some(true));

    let kms = aws_sdk_kms::Client::new(&aws().await);
    let described = kms.describe_key().key_id(&alias).send().await.unwrap();
    assert_eq!(
        described.key_metadata.unwrap().arn.as_deref(),
        Some(key_arn.as_str())
    );
    assert!(
        kms.get_key_rotation_status()
            .key_id(&key_arn)
            .send()
            .await
            .unwrap()
            .key_rotation_enabled
    );
    let policy: Value = serde_json::from_str(
        &kms.get_key_policy()
            .key_id(&key_arn)
            .policy_name("default")
            .send()
            .await
            .unwrap()
            .policy
            .unwrap(),
    )
    .unwrap();
    assert!(policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .any(
            |s| s["Principal"] == json!({"Service": "cloudtrail.amazonaws.com"})
                && s["Action"] == json!("kms:GenerateDataKey*")
        ));
    let tags = kms
        .list_resource_tags()
        .key_id(&key_arn)
        .send()
        .await
        .unwrap()
        .tags
        .unwrap_or_default();
    assert!(tags.iter().any(|t| t.tag_key == "cloudbots:execution"));

    let second = run_ok(bot, trail_entity(&name, &arn), Mode::Enforce).await;
    assert_eq!(second.status, OutcomeStatus::AlreadyCompliant);
    assert_eq!(
        second.message,
        format!("Trail {name} already encrypts its log files with KMS key {key_arn}")
    );
}

// ---- cloudtrail_send_to_cloudwatch ----

#[tokio::test]
async fn send_to_cloudwatch_creates_the_group_and_role_and_shares_the_role_between_trails() {
    let config = aws().await;
    let iam = aws_sdk_iam::Client::new(&config);
    let logs = aws_sdk_cloudwatchlogs::Client::new(&config);
    let bot = "cloudtrail_send_to_cloudwatch";
    let (first_name, second_name) = (unique_name("to-logs"), unique_name("to-logs"));
    let first_arn = plain_trail(&first_name).await;
    let second_arn = plain_trail(&second_name).await;
    let (first_group, second_group) = (unique_name("trail/first"), unique_name("trail/second"));

    let first = run_ok(
        &format!("{bot} {first_group}"),
        trail_entity(&first_name, &first_arn),
        Mode::Enforce,
    )
    .await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    let group_arn = |group: &str| format!("arn:aws:logs:us-east-1:{ACCOUNT}:log-group:{group}");
    assert_eq!(
        trail(&first_arn).await.cloud_watch_logs_log_group_arn(),
        Some(format!("{}:*", group_arn(&first_group)).as_str())
    );
    assert!(trail(&first_arn)
        .await
        .cloud_watch_logs_role_arn()
        .unwrap()
        .ends_with(":role/CloudTrail_CloudWatchLogs_Role"));
    assert_eq!(
        logs.describe_log_groups()
            .log_group_name_prefix(&first_group)
            .send()
            .await
            .unwrap()
            .log_groups()
            .len(),
        1
    );

    let second = run_ok(
        &format!("{bot} {second_group}"),
        trail_entity(&second_name, &second_arn),
        Mode::Enforce,
    )
    .await;
    assert_eq!(
        second.status,
        OutcomeStatus::Remediated,
        "{}",
        second.message
    );
    let document = iam
        .get_role_policy()
        .role_name("CloudTrail_CloudWatchLogs_Role")
        .policy_name("CloudWatchLogsAllowDelivery")
        .send()
        .await
        .unwrap()
        .policy_document;
    let policy: Value =
        serde_json::from_str(&cloudbots_shared::policy::decode_policy_document(&document)).unwrap();
    let resources = policy["Statement"][0]["Resource"].clone();
    assert!(resources
        .as_array()
        .unwrap()
        .contains(&json!(format!("{}:log-stream:*", group_arn(&first_group)))));
    assert!(resources
        .as_array()
        .unwrap()
        .contains(&json!(format!("{}:log-stream:*", group_arn(&second_group)))));

    let again = run_ok(
        &format!("{bot} {first_group}"),
        trail_entity(&first_name, &first_arn),
        Mode::Enforce,
    )
    .await;
    assert_eq!(again.status, OutcomeStatus::AlreadyCompliant);
}

#[tokio::test]
async fn a_trail_tagged_after_the_finding_is_not_touched() {
    let name = unique_name("kept-as-is");
    let arn = plain_trail(&name).await;
    cloudtrail()
        .await
        .add_tags()
        .resource_id(&arn)
        .tags_list(
            aws_sdk_cloudtrail::types::Tag::builder()
                .key(DEFAULT_EXCLUDE_TAG_KEY)
                .value("cloudtrail_enable_log_file_validation")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("add_tags");

    assert_skipped_by_live_opt_out(
        "cloudtrail_enable_log_file_validation",
        trail_entity(&name, &arn),
    )
    .await;
    assert_ne!(trail(&arn).await.log_file_validation_enabled(), Some(true));
}

// ---- cloudwatch_create_metric_filter ----

/// CloudWatch's alarms, mocked (the local stack cannot parse the RPCv2 CBOR protocol the
/// CloudWatch SDK speaks): `existing` are the alarms found before the run, by metric.
fn alarms(existing: &[&'static str], topic_arn: &str) -> Alarms {
    let alarms = Alarms::new();
    for metric in existing {
        alarms.put(
            MetricAlarm::builder()
                .alarm_name(format!("{metric} Alarm"))
                .metric_name(*metric)
                .namespace("CISBenchmark")
                .alarm_actions(topic_arn)
                .build(),
        );
    }
    alarms
}

#[tokio::test]
async fn metric_filters_alarms_topic_and_subscription_are_created_once() {
    let name = unique_name("watched");
    let (arn, group) = trail_with_log_group(&name).await;
    let bot = "cloudwatch_create_metric_filter";
    let line = format!("{bot} secops@example.com RootAccountLogins VpcChanges");
    let topic = "CloudTrailMetricFilterAlertsus-east-1";
    let topic_arn = format!("arn:aws:sns:us-east-1:{ACCOUNT}:{topic}");
    let as_bot = bot_aws(bot).await;
    let run = |mode, existing: &'static [&'static str]| {
        let alarms = alarms(existing, &topic_arn);
        let cloudwatch = alarms.client();
        let input = step_input(&line, trail_entity(&name, &arn), bot, mode);
        let as_bot = as_bot.clone();
        async move {
            let outcome =
                bots::cloudwatch::create_metric_filter_with(&input, &as_bot, |_| cloudwatch)
                    .await
                    .unwrap();
            (outcome, alarms.puts.num_calls())
        }
    };

    let (dry, puts) = run(Mode::DryRun, &[]).await;
    assert_eq!(
        dry.changes,
        vec![
            format!("create topic {topic} for the alarms"),
            format!("put metric filter RootAccountLogins on log group {group} (metric CISBenchmark/RootAccountLogins)"),
            format!("put metric filter VpcChanges on log group {group} (metric CISBenchmark/VpcChanges)"),
            format!("put alarm 'RootAccountLogins Alarm' on metric CISBenchmark/RootAccountLogins: at least 1 in 5 minutes notifies topic {topic}"),
            format!("put alarm 'VpcChanges Alarm' on metric CISBenchmark/VpcChanges: at least 1 in 5 minutes notifies topic {topic}"),
            format!("subscribe secops@example.com to topic {topic} (the address confirms it)"),
        ]
    );
    assert_eq!(puts, 0, "dry-run puts no alarm");

    let (first, puts) = run(Mode::Enforce, &[]).await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert_eq!(first.changes, dry.changes);
    assert_eq!(puts, 2, "one alarm per filter");
    let config = aws().await;
    let filters = aws_sdk_cloudwatchlogs::Client::new(&config)
        .describe_metric_filters()
        .log_group_name(&group)
        .send()
        .await
        .unwrap();
    let mut names: Vec<&str> = filters
        .metric_filters()
        .iter()
        .filter_map(|f| f.filter_name())
        .collect();
    names.sort();
    assert_eq!(names, vec!["RootAccountLogins", "VpcChanges"]);
    let subscriptions = aws_sdk_sns::Client::new(&config)
        .list_subscriptions_by_topic()
        .topic_arn(&topic_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(subscriptions.subscriptions().len(), 1);
    assert_eq!(
        subscriptions.subscriptions()[0].endpoint(),
        Some("secops@example.com")
    );

    let (second, puts) = run(Mode::Enforce, &["RootAccountLogins", "VpcChanges"]).await;
    assert_eq!(second.status, OutcomeStatus::AlreadyCompliant);
    assert_eq!(puts, 0);
    assert_eq!(
        second.message,
        format!("Log group {group} already has the metric filters and alarms RootAccountLogins, VpcChanges, notifying secops@example.com")
    );
}

#[tokio::test]
async fn a_trail_without_a_log_group_is_skipped_with_what_to_run_first() {
    let name = unique_name("unwatched");
    let arn = plain_trail(&name).await;
    let skipped = run_ok(
        "cloudwatch_create_metric_filter secops@example.com RootAccountLogins",
        trail_entity(&name, &arn),
        Mode::Enforce,
    )
    .await;
    assert_eq!(skipped.status, OutcomeStatus::Skipped);
    assert_eq!(
        skipped.message,
        format!("Trail {name} sends no events to CloudWatch Logs: run cloudtrail_send_to_cloudwatch before this bot")
    );
}

// ---- config_enable ----

async fn recorders(
    config: &aws_sdk_config::Client,
) -> Vec<aws_sdk_config::types::ConfigurationRecorder> {
    config
        .describe_configuration_recorders()
        .send()
        .await
        .unwrap()
        .configuration_recorders
        .unwrap_or_default()
}

async fn recording(config: &aws_sdk_config::Client) -> bool {
    config
        .describe_configuration_recorder_status()
        .send()
        .await
        .unwrap()
        .configuration_recorders_status()
        .iter()
        .any(|s| s.recording())
}

#[tokio::test]
async fn config_enable_creates_role_recorder_bucket_and_channel_and_starts_once() {
    let config = config_in("us-east-1").await;
    let bucket = format!("{ACCOUNT}awsconfiglogs");

    let dry = run_ok("config_enable", region_entity(), Mode::DryRun).await;
    assert_eq!(
        dry.changes,
        vec![
            "create role AWSConfigRole, which Config may assume, with the managed policy AWS_ConfigRole".to_string(),
            "create Config recorder default recording every supported resource of us-east-1 (global resources included)".to_string(),
            format!("create bucket {bucket} in us-east-1 with all public access blocked"),
            format!("add statements AWSConfigBucketPermissionsCheck, AWSConfigBucketExistenceCheck, AWSConfigBucketDelivery to the policy of bucket {bucket}: Config may deliver account {ACCOUNT}'s configuration history"),
            format!("create Config delivery channel default into bucket {bucket} every hour"),
            "start Config recorder default".to_string(),
        ]
    );
    assert!(
        recorders(&config).await.is_empty(),
        "dry-run creates nothing"
    );

    let first = run_ok("config_enable", region_entity(), Mode::Enforce).await;
    assert_eq!(first.status, OutcomeStatus::Remediated, "{}", first.message);
    assert_eq!(first.changes, dry.changes);
    let recorder = recorders(&config).await.remove(0);
    assert_eq!(recorder.name(), Some("default"));
    assert!(recorder
        .role_arn()
        .unwrap()
        .ends_with(":role/AWSConfigRole"));
    let group = recorder.recording_group().unwrap();
    assert!(group.all_supported() && group.include_global_resource_types());
    assert!(recording(&config).await);
    let channels = config.describe_delivery_channels().send().await.unwrap();
    assert_eq!(
        channels.delivery_channels()[0].s3_bucket_name(),
        Some(bucket.as_str())
    );
    let attached = aws_sdk_iam::Client::new(&aws().await)
        .list_attached_role_policies()
        .role_name("AWSConfigRole")
        .send()
        .await
        .unwrap();
    assert_eq!(
        attached.attached_policies()[0].policy_arn(),
        Some("arn:aws:iam::aws:policy/service-role/AWS_ConfigRole")
    );

    let second = run_ok("config_enable", region_entity(), Mode::Enforce).await;
    assert_eq!(second.status, OutcomeStatus::AlreadyCompliant);
    assert_eq!(
        second.message,
        "Config already records every supported resource of us-east-1"
    );
}

#[tokio::test]
async fn config_enable_updates_the_regions_own_recorder_in_place() {
    let config = config_in("eu-west-1").await;
    let role = format!("arn:aws:iam::{ACCOUNT}:role/team-config-role");
    config
        .put_configuration_recorder()
        .configuration_recorder(
            aws_sdk_config::types::ConfigurationRecorder::builder()
                .name("team-recorder")
                .role_arn(&role)
                .recording_group(
                    aws_sdk_config::types::RecordingGroup::builder()
                        .all_supported(false)
                        .resource_types(aws_sdk_config::types::ResourceType::Bucket)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("put_configuration_recorder");
    let bucket = unique_name("cloudbots-config-eu");
    aws_sdk_s3::Client::new(&aws().await)
        .create_bucket()
        .bucket(&bucket)
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::EuWest1)
                .build(),
        )
        .send()
        .await
        .expect("create_bucket");
    let mut entity = region_entity();
    entity["region"] = json!("eu_west_1");

    let outcome = run_ok(
        &format!("config_enable {bucket} eu-west-1 us-east-1"),
        entity,
        Mode::Enforce,
    )
    .await;
    assert_eq!(
        outcome.status,
        OutcomeStatus::Remediated,
        "{}",
        outcome.message
    );
    assert_eq!(
        outcome.changes[0],
        "make Config recorder team-recorder record every supported resource of eu-west-1 (global resources left to the recorder of another region)"
    );
    let all = recorders(&config).await;
    assert_eq!(all.len(), 1, "updated in place, not duplicated");
    assert_eq!(all[0].name(), Some("team-recorder"));
    assert_eq!(
        all[0].role_arn(),
        Some(role.as_str()),
        "the recorder keeps its role"
    );
    let group = all[0].recording_group().unwrap();
    assert!(group.all_supported() && !group.include_global_resource_types());
    assert!(recording(&config).await);
}
