//! The intake and the report link the AWS clients of their own services only.

use cloudbots_linkcheck::{linked_services, services};

#[test]
fn the_intake_and_the_report_link_exactly_their_services() {
    assert_eq!(
        linked_services("intake"),
        services(&["aws_sdk_dynamodb", "aws_sdk_sfn", "aws_sdk_sts"])
    );
    assert_eq!(
        linked_services("report"),
        services(&[
            "aws_sdk_dynamodb",
            "aws_sdk_securityhub",
            "aws_sdk_sns",
            "aws_sdk_sts"
        ])
    );
}
