//! The registry of implemented bots, by area package, and each area's modules under one path.
//!
//! A bot is added to its area's `BOTS` (and given a binary in that package's `src/bin/`); a new
//! area package is added to [`AREAS`].

pub use cloudbots_containers::{ecr, ecs};
pub use cloudbots_domains::route53domains;
pub use cloudbots_ec2::{ec2_resources, instance, rds};
pub use cloudbots_iam::{iam, iam_policies};
pub use cloudbots_kms::kms;
pub use cloudbots_lambda::lambda;
pub use cloudbots_logging::{
    alarm_setting, cloudtrail, cloudwatch, config, load_balancer, network_firewall,
};
pub use cloudbots_messaging::{sns, sqs};
pub use cloudbots_runtime::bot::Bot;
pub use cloudbots_runtime::restorer::Restorer;
pub use cloudbots_s3::s3;
pub use cloudbots_secrets::{acm, secretsmanager, ssm};
pub use cloudbots_vpc::{internet_gateway, network_acl, security_group, vpc};

/// A package of bots: its directory in the repository and its bots, one binary each.
pub struct Area {
    /// Relative to the repository root.
    pub package_dir: &'static str,
    pub bots: &'static [&'static [Bot]],
    /// The area's restorers (undo), one binary each too.
    pub restorers: &'static [Restorer],
}

/// The area packages.
pub const AREAS: &[Area] = &[
    Area {
        package_dir: "functions/ec2",
        bots: cloudbots_ec2::BOTS,
        restorers: cloudbots_ec2::RESTORERS,
    },
    Area {
        package_dir: "functions/vpc",
        bots: cloudbots_vpc::BOTS,
        restorers: cloudbots_vpc::RESTORERS,
    },
    Area {
        package_dir: "functions/s3",
        bots: cloudbots_s3::BOTS,
        restorers: cloudbots_s3::RESTORERS,
    },
    Area {
        package_dir: "functions/kms",
        bots: cloudbots_kms::BOTS,
        restorers: cloudbots_kms::RESTORERS,
    },
    Area {
        package_dir: "functions/messaging",
        bots: cloudbots_messaging::BOTS,
        restorers: cloudbots_messaging::RESTORERS,
    },
    Area {
        package_dir: "functions/logging",
        bots: cloudbots_logging::BOTS,
        restorers: cloudbots_logging::RESTORERS,
    },
    Area {
        package_dir: "functions/secrets",
        bots: cloudbots_secrets::BOTS,
        restorers: cloudbots_secrets::RESTORERS,
    },
    Area {
        package_dir: "functions/lambda",
        bots: cloudbots_lambda::BOTS,
        restorers: cloudbots_lambda::RESTORERS,
    },
    Area {
        package_dir: "functions/containers",
        bots: cloudbots_containers::BOTS,
        restorers: &[],
    },
    Area {
        package_dir: "functions/domains",
        bots: cloudbots_domains::BOTS,
        restorers: cloudbots_domains::RESTORERS,
    },
    Area {
        package_dir: "functions/iam",
        bots: cloudbots_iam::BOTS,
        restorers: cloudbots_iam::RESTORERS,
    },
];

/// Every implemented bot (the local gateway serves these; each also has its own binary).
pub fn all() -> impl Iterator<Item = Bot> {
    AREAS
        .iter()
        .flat_map(|area| area.bots.iter().flat_map(|bots| bots.iter().copied()))
}

/// Every implemented restorer.
pub fn restorers() -> impl Iterator<Item = Restorer> {
    AREAS.iter().flat_map(|area| area.restorers.iter().copied())
}

/// The implementation of a catalogued restorer.
pub fn find_restorer(name: &str) -> Option<Restorer> {
    restorers().find(|r| r.name == name)
}

/// The implementation of a catalogued bot.
pub fn find(name: &str) -> Option<Bot> {
    all().find(|b| b.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cloudbots_shared::catalogue::CATALOGUE;

    #[test]
    fn every_catalogued_restorer_is_implemented_with_a_binary_in_its_area_package() {
        for spec in cloudbots_shared::catalogue::RESTORERS {
            let area = AREAS
                .iter()
                .find(|area| area.restorers.iter().any(|r| r.name == spec.name))
                .unwrap_or_else(|| panic!("{} has no implementation", spec.name));
            let bin =
                repository_root().join(format!("{}/src/bin/{}.rs", area.package_dir, spec.name));
            let text = std::fs::read_to_string(&bin)
                .unwrap_or_else(|_| panic!("{} missing", bin.display()));
            assert!(
                text.contains("serve_restorer("),
                "{} must serve its restorer",
                bin.display()
            );
        }
        assert_eq!(
            restorers().count(),
            cloudbots_shared::catalogue::RESTORERS.len(),
            "no restorer outside the catalogue"
        );
    }

    #[test]
    fn every_bot_reads_the_opt_out_tag_of_each_kind_it_acts_on() {
        for bot in all() {
            let spec = cloudbots_shared::catalogue::lookup(bot.name).expect("catalogued");
            for source in spec.tag_sources() {
                assert!(
                    bot.tags.sources.contains(&source),
                    "{} acts on {source:?} resources but its tag reader does not read them",
                    bot.name
                );
            }
        }
    }

    /// The repository root, where the areas' `package_dir`s start.
    fn repository_root() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
    }

    #[test]
    fn every_catalogued_bot_is_implemented_and_has_a_binary_in_its_area_package() {
        for spec in CATALOGUE.iter() {
            assert!(
                find(spec.name).is_some(),
                "{} has no implementation",
                spec.name
            );
            let dir = AREAS
                .iter()
                .find(|area| {
                    area.bots
                        .iter()
                        .any(|bots| bots.iter().any(|b| b.name == spec.name))
                })
                .map(|area| area.package_dir)
                .expect("an implemented bot has an area");
            let bin = repository_root().join(format!("{dir}/src/bin/{}.rs", spec.name));
            let text = std::fs::read_to_string(&bin)
                .unwrap_or_else(|_| panic!("{} missing", bin.display()));
            assert!(
                text.contains("serve_bot("),
                "{} must serve its bot",
                bin.display()
            );
        }
        assert_eq!(
            all().count(),
            CATALOGUE.len(),
            "no bot outside the catalogue"
        );
    }

    #[test]
    fn every_function_package_checks_what_its_binaries_link() {
        let dirs = AREAS.iter().map(|area| area.package_dir);
        for dir in dirs.chain(["functions/intake"]) {
            let test = repository_root().join(format!("{dir}/tests/linked_services.rs"));
            let text = std::fs::read_to_string(&test)
                .unwrap_or_else(|_| panic!("{} missing", test.display()));
            assert!(
                text.contains("cloudbots_linkcheck::"),
                "{} must check its binaries",
                test.display()
            );
        }
    }
}
