//! Each bot binary of this package links the AWS clients of its own bot's services only.

use cloudbots_linkcheck::{assert_bots_link_only_their_services, linked_services, services};

#[test]
fn every_bot_binary_links_only_the_services_of_its_actions() {
    assert_bots_link_only_their_services(env!("CARGO_MANIFEST_DIR"));
}

#[test]
fn blocking_public_access_links_s3_and_sts_only() {
    assert_eq!(
        linked_services("s3_block_all_public_access"),
        services(&["aws_sdk_s3", "aws_sdk_sts"])
    );
}
