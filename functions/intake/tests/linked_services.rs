//! The intake, the report and the undo planner link the AWS clients of their own services only.

use cloudbots_linkcheck::{linked_services, services};

#[test]
fn the_intake_the_report_and_the_undo_planner_link_exactly_their_services() {
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
    assert_eq!(
        linked_services("plan_undo"),
        services(&["aws_sdk_dynamodb", "aws_sdk_sts"])
    );
}
