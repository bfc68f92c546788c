//! Region normalisation, as CloudGuard writes regions: `us_west_2`, `null`/`""` (global
//! resources), `global`, or the console's long name (`Oregon`, `US West (Oregon)`).
//!
//! The original looked long names up in SSM at run time; a built-in table needs no network
//! call and no permission, and fails the same way for a name it does not know.

/// Region code and the long name AWS gives it.
pub const REGIONS: &[(&str, &str)] = &[
    ("us-east-1", "US East (N. Virginia)"),
    ("us-east-2", "US East (Ohio)"),
    ("us-west-1", "US West (N. California)"),
    ("us-west-2", "US West (Oregon)"),
    ("af-south-1", "Africa (Cape Town)"),
    ("ap-east-1", "Asia Pacific (Hong Kong)"),
    ("ap-east-2", "Asia Pacific (Taipei)"),
    ("ap-south-1", "Asia Pacific (Mumbai)"),
    ("ap-south-2", "Asia Pacific (Hyderabad)"),
    ("ap-northeast-1", "Asia Pacific (Tokyo)"),
    ("ap-northeast-2", "Asia Pacific (Seoul)"),
    ("ap-northeast-3", "Asia Pacific (Osaka)"),
    ("ap-southeast-1", "Asia Pacific (Singapore)"),
    ("ap-southeast-2", "Asia Pacific (Sydney)"),
    ("ap-southeast-3", "Asia Pacific (Jakarta)"),
    ("ap-southeast-4", "Asia Pacific (Melbourne)"),
    ("ap-southeast-5", "Asia Pacific (Malaysia)"),
    ("ap-southeast-7", "Asia Pacific (Thailand)"),
    ("ca-central-1", "Canada (Central)"),
    ("ca-west-1", "Canada West (Calgary)"),
    ("eu-central-1", "Europe (Frankfurt)"),
    ("eu-central-2", "Europe (Zurich)"),
    ("eu-west-1", "Europe (Ireland)"),
    ("eu-west-2", "Europe (London)"),
    ("eu-west-3", "Europe (Paris)"),
    ("eu-south-1", "Europe (Milan)"),
    ("eu-south-2", "Europe (Spain)"),
    ("eu-north-1", "Europe (Stockholm)"),
    ("il-central-1", "Israel (Tel Aviv)"),
    ("me-south-1", "Middle East (Bahrain)"),
    ("me-central-1", "Middle East (UAE)"),
    ("mx-central-1", "Mexico (Central)"),
    ("sa-east-1", "South America (Sao Paulo)"),
    ("us-gov-east-1", "AWS GovCloud (US-East)"),
    ("us-gov-west-1", "AWS GovCloud (US-West)"),
    ("cn-north-1", "China (Beijing)"),
    ("cn-northwest-1", "China (Ningxia)"),
];

/// The region used for global resources (IAM, S3 without a region), as in the original.
pub const GLOBAL_REGION: &str = "us-east-1";

/// The AWS partition of a region, for ARNs.
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// Turn CloudGuard's region value into a region code, or say why it is not one.
pub fn normalise(raw: Option<&str>) -> Result<String, String> {
    let value = raw.map(str::trim).unwrap_or("");
    if value.is_empty() || value.eq_ignore_ascii_case("global") {
        return Ok(GLOBAL_REGION.to_string());
    }
    let code = value.replace('_', "-").to_ascii_lowercase();
    if REGIONS.iter().any(|(c, _)| *c == code) {
        return Ok(code);
    }
    let needle = value.to_lowercase();
    let matches: Vec<&str> = REGIONS
        .iter()
        .filter(|(_, long)| long.to_lowercase().contains(&needle))
        .map(|(c, _)| *c)
        .collect();
    let shown: String = value.chars().take(40).collect();
    match matches.as_slice() {
        [one] => Ok(one.to_string()),
        [] => Err(format!("not valid region: {shown}")),
        many => Err(format!(
            "ambiguous region name '{shown}': matches {}",
            many.join(", ")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_follow_the_region() {
        assert_eq!(partition("us-east-1"), "aws");
        assert_eq!(partition("cn-north-1"), "aws-cn");
        assert_eq!(partition("us-gov-west-1"), "aws-us-gov");
    }

    #[test]
    fn codes_underscores_and_globals() {
        assert_eq!(normalise(Some("us_west_2")).unwrap(), "us-west-2");
        assert_eq!(normalise(Some("eu-central-1")).unwrap(), "eu-central-1");
        assert_eq!(normalise(None).unwrap(), "us-east-1");
        assert_eq!(normalise(Some("")).unwrap(), "us-east-1");
        assert_eq!(normalise(Some("global")).unwrap(), "us-east-1");
    }

    #[test]
    fn long_names_from_the_table() {
        assert_eq!(normalise(Some("Oregon")).unwrap(), "us-west-2");
        assert_eq!(normalise(Some("US West (Oregon)")).unwrap(), "us-west-2");
        assert_eq!(normalise(Some("N. Virginia")).unwrap(), "us-east-1");
        assert_eq!(normalise(Some("Ireland")).unwrap(), "eu-west-1");
    }

    #[test]
    fn unknown_and_ambiguous_names_are_errors() {
        assert_eq!(
            normalise(Some("Atlantis")).unwrap_err(),
            "not valid region: Atlantis"
        );
        let err = normalise(Some("Central")).unwrap_err();
        assert!(err.starts_with("ambiguous region name 'Central'"), "{err}");
    }
}
