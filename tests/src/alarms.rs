//! CloudWatch alarms, mocked with their state: the local stack cannot parse the RPCv2 CBOR
//! protocol the CloudWatch SDK speaks, so the alarm bot and its restorer are handed this
//! client. What PutMetricAlarm puts, DescribeAlarms finds and DeleteAlarms deletes, so a bot
//! can read back what it put and an undo what it deleted.

use aws_sdk_cloudwatch::operation::delete_alarms::DeleteAlarmsOutput;
use aws_sdk_cloudwatch::operation::describe_alarms::DescribeAlarmsOutput;
use aws_sdk_cloudwatch::operation::put_metric_alarm::{PutMetricAlarmInput, PutMetricAlarmOutput};
use aws_sdk_cloudwatch::types::MetricAlarm;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use std::sync::{Arc, Mutex};

/// The alarms of one test, and its clients' calls.
#[derive(Clone)]
pub struct Alarms {
    alarms: Arc<Mutex<Vec<MetricAlarm>>>,
    /// The PutMetricAlarm calls of every client made.
    pub puts: Rule,
    describe: Rule,
    delete: Rule,
    lost_puts: Rule,
}

impl Default for Alarms {
    fn default() -> Self {
        Self::new()
    }
}

impl Alarms {
    /// No alarms yet.
    pub fn new() -> Self {
        let alarms: Arc<Mutex<Vec<MetricAlarm>>> = Arc::default();
        let (described, put, deleted) = (alarms.clone(), alarms.clone(), alarms.clone());
        let describe = mock!(aws_sdk_cloudwatch::Client::describe_alarms).then_compute_output(
            move |request| {
                let asked = request.alarm_names();
                let found = described.lock().expect("lock");
                DescribeAlarmsOutput::builder()
                    .set_metric_alarms(Some(
                        found
                            .iter()
                            .filter(|a| asked.iter().any(|n| Some(n.as_str()) == a.alarm_name()))
                            .cloned()
                            .collect(),
                    ))
                    .build()
            },
        );
        let puts = mock!(aws_sdk_cloudwatch::Client::put_metric_alarm).then_compute_output(
            move |request| {
                upsert(&put, alarm_put(request));
                PutMetricAlarmOutput::builder().build()
            },
        );
        let delete =
            mock!(aws_sdk_cloudwatch::Client::delete_alarms).then_compute_output(move |request| {
                let names = request.alarm_names();
                deleted
                    .lock()
                    .expect("lock")
                    .retain(|a| !names.iter().any(|n| Some(n.as_str()) == a.alarm_name()));
                DeleteAlarmsOutput::builder().build()
            });
        let lost_puts = mock!(aws_sdk_cloudwatch::Client::put_metric_alarm)
            .then_output(|| PutMetricAlarmOutput::builder().build());
        Alarms {
            alarms,
            puts,
            describe,
            delete,
            lost_puts,
        }
    }

    /// A client to these alarms.
    pub fn client(&self) -> aws_sdk_cloudwatch::Client {
        mock_client!(
            aws_sdk_cloudwatch,
            RuleMode::MatchAny,
            [&self.describe, &self.puts, &self.delete]
        )
    }

    /// A client to these alarms whose PutMetricAlarm calls succeed and change nothing.
    pub fn client_losing_puts(&self) -> aws_sdk_cloudwatch::Client {
        mock_client!(
            aws_sdk_cloudwatch,
            RuleMode::MatchAny,
            [&self.describe, &self.lost_puts, &self.delete]
        )
    }

    /// Put `alarm` as someone else would (replacing the alarm of its name).
    pub fn put(&self, alarm: MetricAlarm) {
        upsert(&self.alarms, alarm);
    }

    /// Every alarm, in full, by name.
    pub fn described(&self) -> Vec<MetricAlarm> {
        self.alarms.lock().expect("lock").clone()
    }
}

fn upsert(alarms: &Mutex<Vec<MetricAlarm>>, alarm: MetricAlarm) {
    let mut alarms = alarms.lock().expect("lock");
    alarms.retain(|a| a.alarm_name() != alarm.alarm_name());
    alarms.push(alarm);
    alarms.sort_by(|a, b| a.alarm_name().cmp(&b.alarm_name()));
}

/// The alarm a PutMetricAlarm call defines, as DescribeAlarms returns it (actions enabled
/// unless the call says otherwise).
fn alarm_put(request: &PutMetricAlarmInput) -> MetricAlarm {
    MetricAlarm::builder()
        .set_alarm_name(request.alarm_name().map(str::to_string))
        .set_alarm_description(request.alarm_description().map(str::to_string))
        .actions_enabled(request.actions_enabled().unwrap_or(true))
        .set_ok_actions(Some(request.ok_actions().to_vec()))
        .set_alarm_actions(Some(request.alarm_actions().to_vec()))
        .set_insufficient_data_actions(Some(request.insufficient_data_actions().to_vec()))
        .set_metric_name(request.metric_name().map(str::to_string))
        .set_namespace(request.namespace().map(str::to_string))
        .set_statistic(request.statistic().cloned())
        .set_dimensions(Some(request.dimensions().to_vec()))
        .set_period(request.period())
        .set_unit(request.unit().cloned())
        .set_evaluation_periods(request.evaluation_periods())
        .set_datapoints_to_alarm(request.datapoints_to_alarm())
        .set_threshold(request.threshold())
        .set_comparison_operator(request.comparison_operator().cloned())
        .set_treat_missing_data(request.treat_missing_data().map(str::to_string))
        .build()
}
