//! Vulnerable resources created in moto for the tests, and their state read back.

use aws_sdk_ec2::types::InstanceStateName;

/// A running instance (with its root EBS volume); returns its id.
pub async fn running_instance(ec2: &aws_sdk_ec2::Client) -> String {
    let out = ec2
        .run_instances()
        .image_id("ami-12c6146b")
        .min_count(1)
        .max_count(1)
        .send()
        .await
        .expect("run_instances");
    out.instances()[0]
        .instance_id()
        .expect("an instance id")
        .to_string()
}

/// The instance's state now.
pub async fn instance_state(ec2: &aws_sdk_ec2::Client, id: &str) -> InstanceStateName {
    let out = ec2
        .describe_instances()
        .instance_ids(id)
        .send()
        .await
        .expect("describe_instances");
    out.reservations()[0].instances()[0]
        .state()
        .and_then(|s| s.name())
        .cloned()
        .expect("a state")
}

/// Ids of the snapshots tagged with the instance they came from.
pub async fn snapshots_of(ec2: &aws_sdk_ec2::Client, instance_id: &str) -> Vec<String> {
    let out = ec2
        .describe_snapshots()
        .owner_ids("self")
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("tag:source_instance_id")
                .values(instance_id)
                .build(),
        )
        .send()
        .await
        .expect("describe_snapshots");
    out.snapshots()
        .iter()
        .filter_map(|s| s.snapshot_id().map(str::to_string))
        .collect()
}
