//! Typed parameters for every bot, parsed from the tokens the user wrote.
//!
//! Each bot's parameters are a struct; the catalogue parses the tokens into it at plan time
//! (so a bad value is rejected before anything runs) and the bot function deserialises the
//! same struct from its step. The grammars are the original's: positional, or `key=value` with
//! a positional fallback in a documented order (reference §1.3).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::IpAddr;

mod s3;
pub use s3::S3EnableEncryptionParams;
mod network;
pub use network::{FlowLogDestination, TrafficType, VpcTurnOnFlowLogsParams};
mod security_group;
pub use security_group::{
    Direction, RuleProtocol, SgClearRulesForAnyScopeParams, SgDeleteNotMatchingCidrParams,
    SgModifyScopeByPortParams, SgRulesDeleteByScopeParams, SgSingleRuleDeleteParams,
};
mod iam_policies;
pub use iam_policies::{
    parse_policy_arn, policy_arn_in_account, AttachPolicyParams, BoundaryHolders,
    CreateBoundaryParams, IdentityArn, IdentityKind, RemoveBoundaryParams,
    UserDeleteInlinePoliciesParams, ACCOUNT_ID_PLACEHOLDER,
};
mod instance;
pub use instance::{
    AttachInstanceRoleParams, AttachSgParams, MarkForStopParams, TagFromVpcParams, TagParams,
};
mod iam;
pub use iam::{DeactivateUnusedAccessKeyParams, PasswordPolicyParams};
mod kms_key;
pub use kms_key::KmsKeyParam;
mod logging;
pub use logging::{
    CisFilter, CloudtrailEnableParams, CloudtrailExistingKeyParams,
    CloudtrailSendToCloudwatchParams, ConfigEnableParams, FirewallLogDestinationType,
    FirewallLogType, MetricFilterParams, NetworkFirewallLoggingParams, CIS_FILTERS,
    TRAIL_AWS_MANAGED_KEY_REASON,
};
mod secrets;
pub use secrets::{
    SecretsManagerEnableEncryptionParams, SsmDocumentSetPrivateParams,
    SECRET_AWS_MANAGED_KEY_REASON,
};
mod lambda;
pub use lambda::LambdaTagParams;
mod messaging;
pub use messaging::{
    SnsEnforceSseParams, SnsSetTopicPrivateParams, SqsEnforceSseParams, SNS_AWS_MANAGED_KEY_REASON,
};

/// How a bot's tokens become its typed parameters.
pub trait BotParams: Serialize + DeserializeOwned {
    fn parse(tokens: &[String]) -> Result<Self, String>;
}

/// For the bots that take no parameters: any token is a mistake worth reporting.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoParams {}

impl BotParams for NoParams {
    fn parse(tokens: &[String]) -> Result<Self, String> {
        if tokens.is_empty() {
            Ok(NoParams {})
        } else {
            Err(format!("takes no parameters, got '{}'", tokens.join(" ")))
        }
    }
}

/// Parameters given as `key=value`, or positionally in the order of `names`, or a mix
/// (a bare token fills the first position not yet given). Unknown keys and repeated values
/// are errors.
pub fn keyed_or_positional(
    tokens: &[String],
    names: &[&'static str],
) -> Result<BTreeMap<&'static str, String>, String> {
    let mut values = BTreeMap::new();
    for token in tokens {
        let (name, value) = match token.split_once('=') {
            Some((key, value)) => {
                let name = names.iter().find(|n| **n == key).ok_or_else(|| {
                    format!("unknown parameter '{key}' (expected {})", names.join(", "))
                })?;
                (*name, value)
            }
            None => {
                let name = names
                    .iter()
                    .find(|n| !values.contains_key(*n))
                    .ok_or_else(|| {
                        format!(
                            "too many parameters: '{token}' (expected at most {}: {})",
                            names.len(),
                            names.join(", ")
                        )
                    })?;
                (*name, token.as_str())
            }
        };
        if value.is_empty() {
            return Err(format!("parameter '{name}' is empty"));
        }
        if values.insert(name, value.to_string()).is_some() {
            return Err(format!("parameter '{name}' is given twice"));
        }
    }
    Ok(values)
}

/// A CIDR block, IPv4 or IPv6, with no host bits set (as AWS requires).
pub fn parse_cidr(text: &str) -> Result<String, String> {
    let bad = || format!("scope must be a CIDR block such as 0.0.0.0/0 or ::/0, got '{text}'");
    let (addr, prefix) = text.split_once('/').ok_or_else(bad)?;
    let addr: IpAddr = addr.parse().map_err(|_| bad())?;
    let prefix: u8 = prefix.parse().map_err(|_| bad())?;
    let (bits, max) = match addr {
        IpAddr::V4(a) => (u128::from(u32::from(a)), 32u8),
        IpAddr::V6(a) => (u128::from(a), 128u8),
    };
    if prefix > max {
        return Err(bad());
    }
    let host_bits = u32::from(max - prefix);
    let host_mask = if host_bits == 128 {
        u128::MAX
    } else {
        (1u128 << host_bits) - 1
    };
    if bits & host_mask != 0 {
        return Err(format!(
            "scope '{text}' has host bits set; use the network address of the block"
        ));
    }
    Ok(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<String> {
        s.split(' ').map(str::to_string).collect()
    }

    #[test]
    fn no_params_rejects_stray_tokens() {
        assert_eq!(NoParams::parse(&[]).unwrap(), NoParams {});
        assert_eq!(
            NoParams::parse(&toks("now please")).unwrap_err(),
            "takes no parameters, got 'now please'"
        );
    }
}
