//! Fixtures of the network logging bots' tests on the local stack: classic and application
//! load balancers (`load_balancer_enable_access_logs`) and Network Firewall firewalls
//! (`network_firewall_enable_logging`).

use crate::resources::vpc_with_two_subnets;
use crate::{aws, unique_name};
use aws_sdk_elasticloadbalancing::types::Listener;
use aws_sdk_networkfirewall::types::{SubnetMapping, Tag};

/// The bucket `load_balancer_enable_access_logs` logs into on the local stack.
pub const LOG_BUCKET: &str = "123456789012-elb-access-logs-us-east-1";

pub async fn classic() -> aws_sdk_elasticloadbalancing::Client {
    aws_sdk_elasticloadbalancing::Client::new(&aws().await)
}

pub async fn application() -> aws_sdk_elasticloadbalancingv2::Client {
    aws_sdk_elasticloadbalancingv2::Client::new(&aws().await)
}

/// A new classic load balancer listening on HTTP 80: its name.
pub async fn new_classic_load_balancer() -> String {
    let name = unique_name("cloudbots-classic");
    classic()
        .await
        .create_load_balancer()
        .load_balancer_name(&name)
        .listeners(
            Listener::builder()
                .protocol("HTTP")
                .load_balancer_port(80)
                .instance_port(8080)
                .build()
                .unwrap(),
        )
        .availability_zones("us-east-1a")
        .send()
        .await
        .expect("create_load_balancer");
    name
}

/// A new application load balancer in a new VPC `10.<octet>.0.0/16`: its ARN.
pub async fn new_application_load_balancer(octet: u8) -> String {
    let (_, subnets) = vpc_with_two_subnets(octet).await;
    application()
        .await
        .create_load_balancer()
        .name(unique_name("cloudbots-alb"))
        .set_subnets(Some(subnets))
        .send()
        .await
        .expect("create_load_balancer")
        .load_balancers()[0]
        .load_balancer_arn()
        .unwrap()
        .to_string()
}

pub async fn firewalls() -> aws_sdk_networkfirewall::Client {
    aws_sdk_networkfirewall::Client::new(&aws().await)
}

/// A new firewall, tagged with `tags`: its name and ARN.
pub async fn new_firewall(tags: &[(&str, &str)]) -> (String, String) {
    let name = unique_name("cloudbots-firewall");
    let mut create = firewalls()
        .await
        .create_firewall()
        .firewall_name(&name)
        .firewall_policy_arn(
            "arn:aws:network-firewall:us-east-1:123456789012:firewall-policy/default",
        )
        .vpc_id("vpc-0123456789abcdef0")
        .subnet_mappings(
            SubnetMapping::builder()
                .subnet_id("subnet-0123456789abcdef0")
                .build()
                .unwrap(),
        );
    for (key, value) in tags {
        create = create.tags(Tag::builder().key(*key).value(*value).build().unwrap());
    }
    let arn = create
        .send()
        .await
        .expect("create_firewall")
        .firewall
        .unwrap()
        .firewall_arn
        .unwrap();
    (name, arn)
}
