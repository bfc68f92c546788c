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

/// Direction of a security-group rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Inbound,
    Outbound,
}

/// Protocol of a security-group rule as CloudGuard names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum RuleProtocol {
    Tcp,
    Udp,
    All,
}

impl RuleProtocol {
    /// The `IpProtocol` value EC2 uses.
    pub fn ip_protocol(self) -> &'static str {
        match self {
            RuleProtocol::Tcp => "tcp",
            RuleProtocol::Udp => "udp",
            RuleProtocol::All => "-1",
        }
    }
}

/// `sg_single_rule_delete split=<bool> protocol=<TCP|UDP|ALL> scope=<cidr> direction=<inbound|outbound> port=<n>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SgSingleRuleDeleteParams {
    pub split: bool,
    pub protocol: RuleProtocol,
    pub scope: String,
    pub direction: Direction,
    /// 0 means "all ports" with `split=true`; ignored for protocol ALL.
    pub port: u16,
}

impl BotParams for SgSingleRuleDeleteParams {
    fn parse(tokens: &[String]) -> Result<Self, String> {
        const NAMES: [&str; 5] = ["split", "protocol", "scope", "direction", "port"];
        let values = keyed_or_positional(tokens, &NAMES)?;
        let get = |name: &str| {
            values
                .get(name)
                .map(String::as_str)
                .ok_or_else(|| format!("missing parameter '{name}'"))
        };
        let split = match get("split")?.to_ascii_lowercase().as_str() {
            "true" => true,
            "false" => false,
            other => return Err(format!("split must be true or false, got '{other}'")),
        };
        let protocol = match get("protocol")?.to_ascii_uppercase().as_str() {
            "TCP" => RuleProtocol::Tcp,
            "UDP" => RuleProtocol::Udp,
            "ALL" | "-1" => RuleProtocol::All,
            _ => {
                return Err(format!(
                    "protocol must be TCP, UDP or ALL, got '{}'",
                    get("protocol")?
                ))
            }
        };
        let scope = parse_cidr(get("scope")?)?;
        let direction = match get("direction")?.to_ascii_lowercase().as_str() {
            "inbound" => Direction::Inbound,
            "outbound" => Direction::Outbound,
            _ => {
                return Err(format!(
                    "direction must be inbound or outbound, got '{}'",
                    get("direction")?
                ))
            }
        };
        let port = match (values.get("port"), protocol) {
            (None, RuleProtocol::All) => 0,
            (None, _) => return Err("missing parameter 'port'".to_string()),
            (Some(p), _) => p
                .parse::<u16>()
                .map_err(|_| format!("port must be a number from 0 to 65535, got '{p}'"))?,
        };
        Ok(SgSingleRuleDeleteParams {
            split,
            protocol,
            scope,
            direction,
            port,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<String> {
        s.split(' ').map(str::to_string).collect()
    }

    #[test]
    fn sg_single_rule_delete_keyed_and_positional_agree() {
        let keyed = SgSingleRuleDeleteParams::parse(&toks(
            "split=false protocol=TCP scope=0.0.0.0/0 direction=inbound port=22",
        ))
        .unwrap();
        let positional =
            SgSingleRuleDeleteParams::parse(&toks("false tcp 0.0.0.0/0 inbound 22")).unwrap();
        assert_eq!(keyed, positional);
        assert_eq!(
            keyed,
            SgSingleRuleDeleteParams {
                split: false,
                protocol: RuleProtocol::Tcp,
                scope: "0.0.0.0/0".into(),
                direction: Direction::Inbound,
                port: 22
            }
        );
    }

    #[test]
    fn sg_single_rule_delete_precise_rejections() {
        let cases = [
            ("split=maybe protocol=TCP scope=0.0.0.0/0 direction=inbound port=22", "split must be true or false, got 'maybe'"),
            ("split=true protocol=ICMP scope=0.0.0.0/0 direction=inbound port=22", "protocol must be TCP, UDP or ALL, got 'ICMP'"),
            ("split=true protocol=TCP scope=1.2.3.4 direction=inbound port=22", "scope must be a CIDR block such as 0.0.0.0/0 or ::/0, got '1.2.3.4'"),
            ("split=true protocol=TCP scope=10.0.0.1/8 direction=inbound port=22", "scope '10.0.0.1/8' has host bits set; use the network address of the block"),
            ("split=true protocol=TCP scope=0.0.0.0/0 direction=up port=22", "direction must be inbound or outbound, got 'up'"),
            ("split=true protocol=TCP scope=0.0.0.0/0 direction=inbound port=ssh", "port must be a number from 0 to 65535, got 'ssh'"),
            ("split=true protocol=TCP scope=0.0.0.0/0 direction=inbound", "missing parameter 'port'"),
            ("split=true protocol=TCP scope=0.0.0.0/0 direction=inbound port=22 extra", "too many parameters: 'extra' (expected at most 5: split, protocol, scope, direction, port)"),
            ("split=true colour=red", "unknown parameter 'colour' (expected split, protocol, scope, direction, port)"),
            ("true split=false", "parameter 'split' is given twice"),
        ];
        for (input, reason) in cases {
            assert_eq!(
                SgSingleRuleDeleteParams::parse(&toks(input)).unwrap_err(),
                reason,
                "{input}"
            );
        }
    }

    #[test]
    fn protocol_all_needs_no_port_and_ipv6_scopes_are_accepted() {
        let p = SgSingleRuleDeleteParams::parse(&toks(
            "split=false protocol=ALL scope=::/0 direction=outbound",
        ))
        .unwrap();
        assert_eq!(p.protocol, RuleProtocol::All);
        assert_eq!(p.port, 0);
        assert_eq!(p.scope, "::/0");
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
