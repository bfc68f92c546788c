//! Each bot binary of this package links the AWS clients of its own bot's services only.

#[test]
fn every_bot_binary_links_only_the_services_of_its_actions() {
    cloudbots_linkcheck::assert_bots_link_only_their_services(env!("CARGO_MANIFEST_DIR"));
}
