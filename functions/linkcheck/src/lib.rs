//! Test support: which AWS service clients a built function binary links.
//!
//! Every service client a binary carries costs every deploy of every bot: compile and link
//! time, size, cold start. So a bot's binary must carry the clients of the services its role
//! may call (the catalogue's IAM actions) plus STS, which every function carries (the runtime
//! assumes the member-account role with it, and the SDK's credential chain uses it for web
//! identity and profile roles) — never a service some shared code path could reach for
//! another bot.
//!
//! Each function package has a `tests/linked_services.rs` that calls this on its own binaries
//! (an integration test makes cargo build the package's binaries first). The check reads the
//! built binary: code from crate `aws_sdk_x` shows up as symbols whose path starts with the
//! crate name, length-prefixed in both Rust symbol manglings (`10aws_sdk_s3`).

use cloudbots_shared::catalogue;
use std::collections::BTreeSet;
use std::path::PathBuf;

/// The service every function links: the runtime's and the credential chain's STS.
const RUNTIME_SERVICES: &[&str] = &["aws_sdk_sts"];

/// The SDK crates of an IAM action's service prefix (`logs:PutMetricFilter` → CloudWatch
/// Logs; `elasticloadbalancing:` → the classic and the v2 load balancer APIs, which share it).
fn sdk_crates_of(service_prefix: &str) -> Vec<String> {
    match service_prefix {
        "logs" => vec!["aws_sdk_cloudwatchlogs".to_string()],
        "states" => vec!["aws_sdk_sfn".to_string()],
        "elasticloadbalancing" => vec![
            "aws_sdk_elasticloadbalancing".to_string(),
            "aws_sdk_elasticloadbalancingv2".to_string(),
        ],
        other => vec![format!("aws_sdk_{}", other.replace('-', ""))],
    }
}

/// Every AWS SDK crate in the workspace's lock file, as Rust names it (`aws_sdk_ec2`).
fn sdk_crates() -> Vec<String> {
    let lock = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.lock"))
        .expect("Cargo.lock");
    let crates: Vec<String> = lock
        .lines()
        .filter_map(|line| line.strip_prefix("name = \"aws-sdk-"))
        .map(|rest| format!("aws_sdk_{}", rest.trim_end_matches('"').replace('-', "_")))
        .collect();
    assert!(
        crates.len() >= 5,
        "the lock file lists the SDK crates: {crates:?}"
    );
    crates
}

/// The directory of the built binaries (a test runs from `target/<profile>/deps`).
fn binary_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    exe.parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>")
        .to_path_buf()
}

/// The SDK crates (`aws_sdk_ec2`, …) whose code the named binary of the workspace contains:
/// those named, with their length prefix, at the start of a symbol path or of a generic
/// argument in the symbol table.
pub fn linked_services(binary: &str) -> BTreeSet<String> {
    let crates = sdk_crates();
    let path = binary_dir().join(binary);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let names = symbol_names(&bytes)
        .unwrap_or_else(|| panic!("{} has no ELF symbol table", path.display()));
    let needles: Vec<(String, Vec<u8>)> = crates
        .iter()
        .map(|name| (name.clone(), format!("{}{name}", name.len()).into_bytes()))
        .collect();
    let mut linked = BTreeSet::new();
    for symbol in names.split(|&b| b == 0) {
        let Some(at) = find(symbol, b"aws_sdk_") else {
            continue;
        };
        // The length prefix sits just before the crate name; look a few bytes back.
        let tail = &symbol[at.saturating_sub(3)..];
        for (name, needle) in &needles {
            if find(tail, needle).is_some() {
                linked.insert(name.clone());
            }
        }
    }
    linked
}

/// The bytes of the `.strtab` section of a 64-bit little-endian ELF file.
fn symbol_names(elf: &[u8]) -> Option<&[u8]> {
    let u16_at = |at: usize| Some(u16::from_le_bytes(elf.get(at..at + 2)?.try_into().ok()?));
    let u32_at = |at: usize| Some(u32::from_le_bytes(elf.get(at..at + 4)?.try_into().ok()?));
    let u64_at = |at: usize| Some(u64::from_le_bytes(elf.get(at..at + 8)?.try_into().ok()?));
    if elf.get(..5)? != b"\x7fELF\x02" {
        return None;
    }
    let (table, entry_size) = (u64_at(0x28)? as usize, u16_at(0x3a)? as usize);
    let (count, names_index) = (u16_at(0x3c)? as usize, u16_at(0x3e)? as usize);
    let section = |index: usize| {
        let header = table + index * entry_size;
        let (offset, size) = (
            u64_at(header + 0x18)? as usize,
            u64_at(header + 0x20)? as usize,
        );
        Some((u32_at(header)? as usize, elf.get(offset..offset + size)?))
    };
    let (_, section_names) = section(names_index)?;
    (0..count).find_map(|index| {
        let (name_at, data) = section(index)?;
        section_names
            .get(name_at..)?
            .starts_with(b".strtab\0")
            .then_some(data)
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A set of SDK crate names, to compare with [`linked_services`].
pub fn services(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| n.to_string()).collect()
}

/// Asserts that every binary of the package at `package_dir` (its `src/bin/<name>.rs`) is a
/// catalogued bot or restorer that links the services of its own actions, at least one of
/// them, and no other beside the runtime's.
pub fn assert_bots_link_only_their_services(package_dir: &str) {
    let bins = std::fs::read_dir(format!("{package_dir}/src/bin"))
        .unwrap_or_else(|e| panic!("{package_dir}/src/bin: {e}"));
    let mut names: Vec<String> = bins
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().into_string().ok()?;
            name.strip_suffix(".rs").map(str::to_string)
        })
        .collect();
    names.sort();
    assert!(!names.is_empty(), "{package_dir} has no binaries");
    let mut failures = Vec::new();
    for name in &names {
        let actions = match (catalogue::lookup(name), catalogue::lookup_restorer(name)) {
            (Some(bot), _) => bot.role_actions(),
            (None, Some(restorer)) => restorer.iam_actions.to_vec(),
            (None, None) => {
                failures.push(format!("{name} is neither a catalogued bot nor a restorer"));
                continue;
            }
        };
        // The services of the function's own actions, beside the runtime's.
        let own: BTreeSet<String> = actions
            .iter()
            .filter_map(|action| action.split_once(':'))
            .flat_map(|(service, _)| sdk_crates_of(service))
            .filter(|service| !RUNTIME_SERVICES.contains(&service.as_str()))
            .collect();
        let linked = linked_services(name);
        let foreign: Vec<&String> = linked
            .iter()
            .filter(|service| {
                !own.contains(*service) && !RUNTIME_SERVICES.contains(&service.as_str())
            })
            .collect();
        if !foreign.is_empty() {
            failures.push(format!("{name} links {foreign:?}"));
        }
        if linked.is_disjoint(&own) {
            failures.push(format!(
                "{name} links none of its own services ({own:?}): is this a built binary?"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
