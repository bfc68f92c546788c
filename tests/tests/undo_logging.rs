//! Verify and undo of the CloudTrail, CloudWatch metric filter and Config bots on the local
//! stack, each bot and its restorer (`restore_trail_settings`, `restore_metric_alarms`,
//! `restore_config_recorder`) running as a user allowed exactly its own role's actions (IAM
//! enforced): the trail, the log group's filters and alarms or the region's Config described
//! in full equals what it was before the bot ran, a second undo restores nothing, a resource
//! changed since is refused unless forced, and a change answered "done" on the wire but never
//! made fails the step `NotVerified`. CloudWatch alarms are mocked with their state
//! (`cloudbots_tests::alarms`): the local stack cannot parse the RPCv2 CBOR protocol the
//! CloudWatch SDK speaks, so the metric filter bot and its restorer are run through their
//! functions taking the alarms client, and everything else is the local stack's.

use aws_sdk_cloudwatch::types::{ComparisonOperator, Statistic};
use cloudbots_functions::bots;
use cloudbots_shared::error::{BotError, ErrorName};
use cloudbots_shared::outcome::{BotOutcome, OutcomeStatus};
use cloudbots_shared::plan::Mode;
use cloudbots_shared::restore::{RestoreOutcome, RestoreStatus};
use cloudbots_tests::alarms::Alarms;
use cloudbots_tests::logging::{
    cloudtrail, config_in, plain_trail, trail_entity, trail_with_log_group, ACCOUNT,
};
use cloudbots_tests::resources::new_kms_key;
use cloudbots_tests::wire::{faulty_json_client, functions_config};
use cloudbots_tests::{
    assert_refused_then_forced, assert_undone, aws, bot_aws, entity, restore_input, run_ok,
    run_restorer, run_with_config, step_input, unique_name,
};
use serde_json::{json, Value};

/// An unset value as CloudTrail shows it: the local stack keeps the empty string a trail's KMS
/// key or CloudWatch Logs delivery is removed with, where AWS shows none.
fn unless_empty(value: Option<&str>) -> Option<&str> {
    value.filter(|v| !v.is_empty())
}

/// Everything CloudTrail describes of a trail, and whether it logs; none when it does not
/// exist.
async fn described_trail(name: &str) -> Option<String> {
    let cloudtrail = cloudtrail().await;
    let read = cloudtrail.get_trail().name(name).send().await;
    let trail = match read {
        Ok(out) => out.trail.unwrap(),
        Err(e) if format!("{e:?}").contains("TrailNotFoundException") => return None,
        Err(e) => panic!("get_trail {name}: {e:?}"),
    };
    let status = cloudtrail
        .get_trail_status()
        .name(name)
        .send()
        .await
        .expect("get_trail_status");
    Some(format!(
        "{:?} {:?} bucket {:?} prefix {:?} topic {:?} global {:?} multi-region {:?} home {:?} \
         validation {:?} log group {:?} role {:?} key {:?} organization {:?} selectors {:?} \
         insights {:?} logging {:?}",
        trail.name(),
        trail.trail_arn(),
        trail.s3_bucket_name(),
        trail.s3_key_prefix(),
        trail.sns_topic_arn(),
        trail.include_global_service_events(),
        trail.is_multi_region_trail(),
        trail.home_region(),
        trail.log_file_validation_enabled(),
        unless_empty(trail.cloud_watch_logs_log_group_arn()),
        unless_empty(trail.cloud_watch_logs_role_arn()),
        unless_empty(trail.kms_key_id()),
        trail.is_organization_trail(),
        trail.has_custom_event_selectors(),
        trail.has_insight_selectors(),
        status.is_logging(),
    ))
}

fn region_entity(region: &str) -> Value {
    let mut entity = entity("Region", region, region);
    entity["region"] = json!(region.replace('-', "_"));
    entity
}

fn assert_remediated(outcome: &BotOutcome, case: &str, verified: &[String]) {
    assert_eq!(
        outcome.status,
        OutcomeStatus::Remediated,
        "{case}: {}",
        outcome.message
    );
    assert_eq!(outcome.verified, verified, "{case}");
}

// ---- the CloudTrail bots ----

/// A setting a bot verified and its value: (`log file validation`, `on`).
type Verified = (&'static str, &'static str);

#[tokio::test]
async fn trail_bots_are_verified_and_undone_to_the_trail_they_found() {
    let (key_arn, alias) = new_kms_key("undo-trail-key").await;
    let group = unique_name("undo/trail");
    let group_arn = format!("arn:aws:logs:us-east-1:{ACCOUNT}:log-group:{group}:*");
    let role_arn = format!("arn:aws:iam::{ACCOUNT}:role/CloudTrail_CloudWatchLogs_Role");
    // Each bot, its parameter, and the settings it verifies with their values.
    let cases: [(&str, String, &[Verified]); 5] = [
        (
            "cloudtrail_enable",
            String::new(),
            &[
                ("scope", "every region, global service events included"),
                ("logging", "on"),
            ],
        ),
        (
            "cloudtrail_enable_log_file_validation",
            String::new(),
            &[("log file validation", "on")],
        ),
        (
            "cloudtrail_encrypt_log_files_using_existing_key",
            alias.clone(),
            &[("KMS key", "{key}")],
        ),
        (
            "cloudtrail_encrypt_log_files_using_new_key_creation",
            String::new(),
            &[("KMS key", "{new key}"), ("log file validation", "on")],
        ),
        (
            "cloudtrail_send_to_cloudwatch",
            group.clone(),
            &[(
                "CloudWatch Logs delivery",
                "log group {group} through role {role}",
            )],
        ),
    ];
    for (bot, param, verified) in cases {
        let name = unique_name("undo-trail");
        let arn = plain_trail(&name).await;
        // cloudtrail_enable names its trail in the region; the others act on the finding's.
        let (line, entity) = match bot {
            "cloudtrail_enable" => (format!("{bot} {name}"), region_entity("us-east-1")),
            _ => (format!("{bot} {param}"), trail_entity(&name, &arn)),
        };
        let before = described_trail(&name).await;
        let outcome = run_ok(&line, entity, Mode::Enforce).await;
        let new_key = outcome.artifacts.first().cloned().unwrap_or_default();
        let verified: Vec<String> = verified
            .iter()
            .map(|(setting, value)| {
                let value = value
                    .replace("{key}", &key_arn)
                    .replace("{new key}", &new_key)
                    .replace("{group}", &group_arn)
                    .replace("{role}", &role_arn);
                format!("the {setting} of trail {name} is {value}")
            })
            .collect();
        assert_remediated(&outcome, bot, &verified);
        assert_ne!(described_trail(&name).await, before, "{bot}");

        assert_undone(&outcome, bot, &before, || described_trail(&name)).await;
    }
    // What the bots created on the way stays: the key, the log group and the delivery role.
    let config = aws().await;
    let groups = aws_sdk_cloudwatchlogs::Client::new(&config)
        .describe_log_groups()
        .log_group_name_prefix(&group)
        .send()
        .await
        .unwrap();
    assert_eq!(groups.log_groups().len(), 1, "the log group stays");
    aws_sdk_iam::Client::new(&config)
        .get_role()
        .role_name("CloudTrail_CloudWatchLogs_Role")
        .send()
        .await
        .expect("the delivery role stays");
}

#[tokio::test]
async fn a_trail_cloudtrail_enable_created_is_deleted_by_undo_and_its_bucket_stays() {
    let name = unique_name("undo-new-trail");
    let bucket = format!("acct{ACCOUNT}cloudtraillogs");
    let outcome = run_ok(
        &format!("cloudtrail_enable trail_name={name}"),
        region_entity("us-east-1"),
        Mode::Enforce,
    )
    .await;
    assert_remediated(
        &outcome,
        "cloudtrail_enable",
        &[format!(
            "the existence of trail {name} is a trail of every region, global service events included, into bucket {bucket}, log file validation on, logging on"
        )],
    );
    assert!(described_trail(&name).await.is_some());

    assert_undone(&outcome, "cloudtrail_enable", &None, || {
        described_trail(&name)
    })
    .await;
    aws_sdk_s3::Client::new(&aws().await)
        .head_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("the log bucket stays");
}

#[tokio::test]
async fn a_trail_changed_since_is_refused_unless_forced() {
    let (key_arn, alias) = new_kms_key("undo-trail-key").await;
    let (other_key, _) = new_kms_key("undo-other-key").await;
    let name = unique_name("undo-changed-trail");
    let arn = plain_trail(&name).await;
    let before = described_trail(&name).await;
    let outcome = run_ok(
        &format!("cloudtrail_encrypt_log_files_using_existing_key {alias}"),
        trail_entity(&name, &arn),
        Mode::Enforce,
    )
    .await;
    cloudtrail()
        .await
        .update_trail()
        .name(&arn)
        .kms_key_id(&other_key)
        .send()
        .await
        .unwrap();
    assert_refused_then_forced(
        &outcome,
        &[&format!(
            "its KMS key is {other_key}, not {key_arn} as the bot left it"
        )],
        &before,
        || described_trail(&name),
    )
    .await;

    // A trail cloudtrail_enable created and someone stopped since.
    let name = unique_name("undo-stopped-trail");
    let bucket = format!("acct{ACCOUNT}cloudtraillogs");
    let outcome = run_ok(
        &format!("cloudtrail_enable trail_name={name}"),
        region_entity("us-east-1"),
        Mode::Enforce,
    )
    .await;
    cloudtrail()
        .await
        .stop_logging()
        .name(&name)
        .send()
        .await
        .unwrap();
    let created = format!("a trail of every region, global service events included, into bucket {bucket}, log file validation on");
    assert_refused_then_forced(
        &outcome,
        &[&format!(
            "its existence is {created}, logging off, not {created}, logging on as the bot left it"
        )],
        &None,
        || described_trail(&name),
    )
    .await;
}

#[tokio::test]
async fn a_trail_deleted_since_is_not_found_and_nothing_is_created() {
    let name = unique_name("undo-deleted-trail");
    let arn = plain_trail(&name).await;
    let outcome = run_ok(
        "cloudtrail_enable_log_file_validation",
        trail_entity(&name, &arn),
        Mode::Enforce,
    )
    .await;
    cloudtrail()
        .await
        .delete_trail()
        .name(&name)
        .send()
        .await
        .unwrap();
    for force in [false, true] {
        let error = run_restorer(&outcome, Mode::Enforce, force)
            .await
            .unwrap_err();
        assert_eq!(error.name, ErrorName::NotFound, "{error}");
        assert_eq!(
            error.message,
            format!("trail {name} does not exist (any more)")
        );
    }
    assert_eq!(described_trail(&name).await, None);
}

#[tokio::test]
async fn a_trail_change_that_does_not_show_fails_not_verified() {
    let (key_arn, alias) = new_kms_key("undo-trail-key").await;
    let group = unique_name("undo/unsent");
    for (line, action, mismatch) in [
        (
            "cloudtrail_enable {name}".to_string(),
            "StartLogging",
            "its logging is off, not on".to_string(),
        ),
        (
            "cloudtrail_enable_log_file_validation".to_string(),
            "UpdateTrail",
            "its log file validation is off, not on".to_string(),
        ),
        (
            format!("cloudtrail_encrypt_log_files_using_existing_key {alias}"),
            "UpdateTrail",
            format!("its KMS key is none, not {key_arn}"),
        ),
        (
            "cloudtrail_encrypt_log_files_using_new_key_creation".to_string(),
            "UpdateTrail",
            "its log file validation is off, not on".to_string(),
        ),
        (
            format!("cloudtrail_send_to_cloudwatch {group}"),
            "UpdateTrail",
            format!(
                "its CloudWatch Logs delivery is none, not log group arn:aws:logs:us-east-1:{ACCOUNT}:log-group:{group}:* through role arn:aws:iam::{ACCOUNT}:role/CloudTrail_CloudWatchLogs_Role"
            ),
        ),
    ] {
        let name = unique_name("undo-unchanged-trail");
        let arn = plain_trail(&name).await;
        // A trail already of every region, so that only its logging is left to change.
        cloudtrail()
            .await
            .update_trail()
            .name(&arn)
            .is_multi_region_trail(true)
            .send()
            .await
            .unwrap();
        let line = line.replace("{name}", &name);
        let entity = match action {
            "StartLogging" => region_entity("us-east-1"),
            _ => trail_entity(&name, &arn),
        };
        let (client, faults) = faulty_json_client(action, &[(200, "{}"); 2]).await;
        let error = run_with_config(functions_config(client).await, &line, entity)
        .await
        .unwrap_err();
        assert!(faults.seen() >= 1, "{line}");
        assert_eq!(error.name, ErrorName::NotVerified, "{line}: {error}");
        assert!(
            error.message.starts_with(&format!(
                "trail {name} read back after the change is not as intended (3 reads): "
            )) && error.message.ends_with(&mismatch),
            "{line}: {}",
            error.message
        );
    }
}

// ---- config_enable ----

/// Everything Config describes of a region's recorders, their status and delivery channels.
async fn described_config(config: &aws_sdk_config::Client) -> String {
    let recorders = config
        .describe_configuration_recorders()
        .send()
        .await
        .unwrap();
    let status: Vec<_> = config
        .describe_configuration_recorder_status()
        .send()
        .await
        .unwrap()
        .configuration_recorders_status()
        .iter()
        .map(|s| (s.name().map(str::to_string), s.recording()))
        .collect();
    let channels = config.describe_delivery_channels().send().await.unwrap();
    format!(
        "recorders {:?} status {status:?} channels {:?}",
        recorders.configuration_recorders(),
        channels.delivery_channels()
    )
}

/// A recorder of `region` recording only IAM users, with no channel, stopped.
async fn narrow_recorder(config: &aws_sdk_config::Client, name: &str) {
    use aws_sdk_config::types::{ConfigurationRecorder, RecordingGroup, ResourceType};
    config
        .put_configuration_recorder()
        .configuration_recorder(
            ConfigurationRecorder::builder()
                .name(name)
                .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/own-config-role"))
                .recording_group(
                    RecordingGroup::builder()
                        .all_supported(false)
                        .include_global_resource_types(false)
                        .resource_types(ResourceType::from("AWS::IAM::User"))
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn config_enable_is_verified_and_undone_to_the_config_it_found() {
    // Each case in a region of its own: Config has one recorder per region.
    for (region, existing) in [("us-east-1", None), ("eu-west-1", Some("own-recorder"))] {
        let config = config_in(region).await;
        if let Some(name) = existing {
            narrow_recorder(&config, name).await;
        }
        let before = described_config(&config).await;
        let outcome = run_ok("config_enable", region_entity(region), Mode::Enforce).await;
        let recorder = existing.unwrap_or("default");
        let role = match existing {
            Some(_) => "own-config-role",
            None => "AWSConfigRole",
        };
        assert_remediated(
            &outcome,
            region,
            &[
                format!("the recorder of Config in {region} is {recorder} recording every supported resource (global resources included) with role arn:aws:iam::{ACCOUNT}:role/{role}"),
                format!("the delivery channel of Config in {region} is default into bucket {ACCOUNT}awsconfiglogs, snapshots every One_Hour"),
                format!("the recording of Config in {region} is on"),
            ],
        );
        assert_ne!(described_config(&config).await, before, "{region}");

        assert_undone(&outcome, region, &before, || described_config(&config)).await;
    }
    // The Config bucket and role stay.
    let config = aws().await;
    aws_sdk_s3::Client::new(&config)
        .head_bucket()
        .bucket(format!("{ACCOUNT}awsconfiglogs"))
        .send()
        .await
        .expect("the Config bucket stays");
    aws_sdk_iam::Client::new(&config)
        .get_role()
        .role_name("AWSConfigRole")
        .send()
        .await
        .expect("the Config role stays");
}

#[tokio::test]
async fn config_changed_since_is_refused_unless_forced() {
    let region = "us-west-2";
    let config = config_in(region).await;
    let before = described_config(&config).await;
    let outcome = run_ok("config_enable", region_entity(region), Mode::Enforce).await;
    config
        .stop_configuration_recorder()
        .configuration_recorder_name("default")
        .send()
        .await
        .unwrap();
    assert_refused_then_forced(
        &outcome,
        &["its recording is off, not on as the bot left it"],
        &before,
        || described_config(&config),
    )
    .await;
}

#[tokio::test]
async fn a_config_change_that_does_not_show_fails_not_verified() {
    let region = "eu-central-1";
    let (client, faults) = faulty_json_client("StartConfigurationRecorder", &[(200, "{}")]).await;
    let error = run_with_config(
        functions_config(client).await,
        "config_enable",
        region_entity(region),
    )
    .await
    .unwrap_err();
    assert_eq!(faults.seen(), 1);
    assert_eq!(error.name, ErrorName::NotVerified, "{error}");
    assert_eq!(
        error.message,
        format!("Config in {region} read back after the change is not as intended (3 reads): its recording is off, not on")
    );
}

// ---- cloudwatch_create_metric_filter ----

const METRIC_FILTER_BOT: &str = "cloudwatch_create_metric_filter";

/// Every metric filter of the log group, in full, and every alarm.
async fn described_alarms(group: &str, alarms: &Alarms) -> String {
    let filters = aws_sdk_cloudwatchlogs::Client::new(&aws().await)
        .describe_metric_filters()
        .log_group_name(group)
        .send()
        .await
        .unwrap();
    let filters: Vec<_> = filters
        .metric_filters()
        .iter()
        .map(|f| {
            (
                f.filter_name().map(str::to_string),
                f.filter_pattern().map(str::to_string),
                f.metric_transformations().to_vec(),
            )
        })
        .collect();
    format!("filters {filters:?} alarms {:?}", alarms.described())
}

/// Run the bot on the trail as its Lambda does, as its role, with `alarms`.
async fn run_metric_filter_bot(
    line: &str,
    (name, arn): (&str, &str),
    alarms: &Alarms,
) -> Result<BotOutcome, BotError> {
    let input = step_input(
        line,
        trail_entity(name, arn),
        METRIC_FILTER_BOT,
        Mode::Enforce,
    );
    let as_bot = bot_aws(METRIC_FILTER_BOT).await;
    bots::cloudwatch::create_metric_filter_with(&input, &as_bot, |_| alarms.client()).await
}

/// Undo the bot's change as restore_metric_alarms does, as its role, with `alarms`.
async fn undo_metric_filters(outcome: &BotOutcome, alarms: &Alarms, force: bool) -> RestoreOutcome {
    let restorer = bots::alarm_setting::RESTORE_METRIC_ALARMS.name;
    let as_restorer = bot_aws(restorer).await;
    let input = restore_input(outcome, Mode::Enforce, force);
    bots::alarm_setting::restore_metric_alarms_with(&input, &as_restorer, |_| alarms.client())
        .await
        .unwrap_or_else(|e| panic!("{restorer}: {e}"))
}

#[tokio::test]
async fn metric_filters_and_alarms_are_verified_and_undone_and_a_replaced_alarm_comes_back() {
    let name = unique_name("undo-watched");
    let (arn, group) = trail_with_log_group(&name).await;
    // An alarm of the bot's name on another metric, which the bot replaces. (An existing
    // filter of its name is not the case tried: the local stack adds a second filter of the
    // name where CloudWatch Logs replaces the first.)
    let alarms = Alarms::new();
    alarms
        .client()
        .put_metric_alarm()
        .alarm_name("VpcChanges Alarm")
        .namespace("Own")
        .metric_name("VpcCreations")
        .statistic(Statistic::Maximum)
        .period(60)
        .evaluation_periods(2)
        .threshold(3.0)
        .comparison_operator(ComparisonOperator::GreaterThanThreshold)
        .alarm_actions("arn:aws:sns:us-east-1:123456789012:own-topic")
        .send()
        .await
        .unwrap();
    let before = described_alarms(&group, &alarms).await;

    let line = format!("{METRIC_FILTER_BOT} secops@example.com RootAccountLogins VpcChanges");
    let outcome = run_metric_filter_bot(&line, (&name, &arn), &alarms)
        .await
        .unwrap();
    assert_eq!(
        outcome.status,
        OutcomeStatus::Remediated,
        "{}",
        outcome.message
    );
    let topic = format!("arn:aws:sns:us-east-1:{ACCOUNT}:CloudTrailMetricFilterAlertsus-east-1");
    assert_eq!(outcome.verified.len(), 4, "{:?}", outcome.verified);
    assert!(outcome.verified[0].starts_with(&format!(
        "the metric filter of log group {group} is RootAccountLogins with pattern '"
    )));
    assert_eq!(
        outcome.verified[3],
        format!("the alarm of log group {group} is 'VpcChanges Alarm' on CISBenchmark/VpcChanges: Sum over 300s GreaterThanOrEqualToThreshold 1 in 1 period(s) notifying [{topic}]")
    );
    assert_ne!(described_alarms(&group, &alarms).await, before);

    let undone = undo_metric_filters(&outcome, &alarms, false).await;
    assert_eq!(undone.status, RestoreStatus::Restored, "{}", undone.message);
    assert_eq!(described_alarms(&group, &alarms).await, before);
    let again = undo_metric_filters(&outcome, &alarms, false).await;
    assert_eq!(
        again.status,
        RestoreStatus::NothingToRestore,
        "{}",
        again.message
    );
    // The topic and its subscription stay.
    let subscriptions = aws_sdk_sns::Client::new(&aws().await)
        .list_subscriptions_by_topic()
        .topic_arn(&topic)
        .send()
        .await
        .expect("the topic stays");
    assert!(!subscriptions.subscriptions().is_empty());
}

#[tokio::test]
async fn an_alarm_changed_since_is_refused_unless_forced() {
    let name = unique_name("undo-watched");
    let (arn, group) = trail_with_log_group(&name).await;
    let alarms = Alarms::new();
    let before = described_alarms(&group, &alarms).await;
    let line = format!("{METRIC_FILTER_BOT} secops@example.com RootAccountLogins");
    let outcome = run_metric_filter_bot(&line, (&name, &arn), &alarms)
        .await
        .unwrap();
    let topic = format!("arn:aws:sns:us-east-1:{ACCOUNT}:CloudTrailMetricFilterAlertsus-east-1");
    // Someone raises the alarm's threshold.
    let mut raised = alarms.described()[0].clone();
    raised.threshold = Some(5.0);
    alarms.put(raised);

    let refused = undo_metric_filters(&outcome, &alarms, false).await;
    assert_eq!(
        refused.status,
        RestoreStatus::Refused,
        "{}",
        refused.message
    );
    let alarm = |threshold| {
        format!("'RootAccountLogins Alarm' on CISBenchmark/RootAccountLogins: Sum over 300s GreaterThanOrEqualToThreshold {threshold} in 1 period(s) notifying [{topic}]")
    };
    assert_eq!(
        refused.changes,
        [format!(
            "its alarm is {}, not {} as the bot left it",
            alarm(5),
            alarm(1)
        )]
    );
    let forced = undo_metric_filters(&outcome, &alarms, true).await;
    assert_eq!(forced.status, RestoreStatus::Restored, "{}", forced.message);
    assert_eq!(described_alarms(&group, &alarms).await, before);
}

#[tokio::test]
async fn a_metric_filter_or_alarm_that_does_not_show_fails_not_verified() {
    let name = unique_name("undo-unwatched");
    let (arn, group) = trail_with_log_group(&name).await;
    let line = format!("{METRIC_FILTER_BOT} secops@example.com RootAccountLogins");

    // The metric filter answered "done" on the wire, never made.
    let (client, faults) = faulty_json_client("PutMetricFilter", &[(200, "{}")]).await;
    let input = step_input(
        &line,
        trail_entity(&name, &arn),
        METRIC_FILTER_BOT,
        Mode::Enforce,
    );
    let alarms = Alarms::new();
    let error = bots::cloudwatch::create_metric_filter_with(
        &input,
        &functions_config(client).await,
        |_| alarms.client(),
    )
    .await
    .unwrap_err();
    assert_eq!(faults.seen(), 1);
    assert_eq!(error.name, ErrorName::NotVerified, "{error}");
    assert!(
        error.message.starts_with(&format!(
            "log group {group} read back after the change is not as intended (3 reads): its metric filter is RootAccountLogins absent, not RootAccountLogins with pattern"
        )),
        "{}",
        error.message
    );

    // The alarm answered "done", never made.
    let alarms = Alarms::new();
    let error = bots::cloudwatch::create_metric_filter_with(&input, &aws().await, |_| {
        alarms.client_losing_puts()
    })
    .await
    .unwrap_err();
    assert_eq!(error.name, ErrorName::NotVerified, "{error}");
    assert!(
        error.message.ends_with("its alarm is 'RootAccountLogins Alarm' absent, not 'RootAccountLogins Alarm' on CISBenchmark/RootAccountLogins: Sum over 300s GreaterThanOrEqualToThreshold 1 in 1 period(s) notifying [arn:aws:sns:us-east-1:123456789012:CloudTrailMetricFilterAlertsus-east-1]"),
        "{}",
        error.message
    );
}
