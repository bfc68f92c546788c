//! Vulnerable resources created in moto for the tests, and their state read back.

use aws_sdk_ec2::types::{InstanceNetworkInterfaceSpecification, InstanceStateName};

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

/// A VPC with an attached internet gateway and one running instance with a public IP.
pub async fn public_vpc(ec2: &aws_sdk_ec2::Client) -> (String, String, String) {
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.42.0.0/16")
        .send()
        .await
        .unwrap();
    let vpc_id = vpc.vpc().unwrap().vpc_id().unwrap().to_string();
    let subnet = ec2
        .create_subnet()
        .vpc_id(&vpc_id)
        .cidr_block("10.42.1.0/24")
        .send()
        .await
        .unwrap();
    let subnet_id = subnet.subnet().unwrap().subnet_id().unwrap().to_string();
    let igw = ec2.create_internet_gateway().send().await.unwrap();
    let igw_id = igw
        .internet_gateway()
        .unwrap()
        .internet_gateway_id()
        .unwrap()
        .to_string();
    ec2.attach_internet_gateway()
        .internet_gateway_id(&igw_id)
        .vpc_id(&vpc_id)
        .send()
        .await
        .unwrap();
    let run = ec2
        .run_instances()
        .image_id("ami-12c6146b")
        .min_count(1)
        .max_count(1)
        .network_interfaces(
            InstanceNetworkInterfaceSpecification::builder()
                .device_index(0)
                .subnet_id(&subnet_id)
                .associate_public_ip_address(true)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let instance_id = run.instances()[0].instance_id().unwrap().to_string();
    (vpc_id, igw_id, instance_id)
}

/// A new customer-managed KMS key named `alias/<alias_prefix>-<n>`: its ARN and its alias.
pub async fn new_kms_key(alias_prefix: &str) -> (String, String) {
    let kms = aws_sdk_kms::Client::new(&crate::aws().await);
    let arn = kms
        .create_key()
        .send()
        .await
        .expect("create_key")
        .key_metadata
        .unwrap()
        .arn
        .unwrap();
    let alias = format!("alias/{}", crate::unique_name(alias_prefix));
    kms.create_alias()
        .alias_name(&alias)
        .target_key_id(&arn)
        .send()
        .await
        .expect("create_alias");
    (arn, alias)
}

/// A new VPC `10.<octet>.0.0/16` with a subnet in each of us-east-1a and us-east-1b (what a
/// DB subnet group or an application load balancer needs): the VPC's id and the subnets' ids.
pub async fn vpc_with_two_subnets(octet: u8) -> (String, Vec<String>) {
    let ec2 = aws_sdk_ec2::Client::new(&crate::aws().await);
    let vpc = ec2
        .create_vpc()
        .cidr_block(format!("10.{octet}.0.0/16"))
        .send()
        .await
        .expect("create_vpc")
        .vpc
        .unwrap()
        .vpc_id
        .unwrap();
    let mut subnets = Vec::new();
    for (third, zone) in [(1, "us-east-1a"), (2, "us-east-1b")] {
        let subnet = ec2
            .create_subnet()
            .vpc_id(&vpc)
            .cidr_block(format!("10.{octet}.{third}.0/24"))
            .availability_zone(zone)
            .send()
            .await
            .expect("create_subnet");
        subnets.push(subnet.subnet.unwrap().subnet_id.unwrap());
    }
    (vpc, subnets)
}
