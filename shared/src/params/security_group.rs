//! Parameters of the security-group bots.

use super::{keyed_or_positional, parse_cidr, BotParams};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Direction of a security-group rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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
        let get = |name: &str| required(&values, name);
        let split = match get("split")?.to_ascii_lowercase().as_str() {
            "true" => true,
            "false" => false,
            other => return Err(format!("split must be true or false, got '{other}'")),
        };
        let protocol = parse_protocol(get("protocol")?)?;
        let scope = parse_cidr(get("scope")?)?;
        let direction = parse_direction(get("direction")?)?;
        let port = match (values.get("port"), protocol) {
            (None, RuleProtocol::All) => 0,
            (None, _) => return Err("missing parameter 'port'".to_string()),
            (Some(p), _) => parse_port(p)?,
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

/// `sg_rules_delete_by_scope <scope> <direction> <port|*> <protocol|*>`, and the same grammar
/// for `intelligence_sg_rules_delete_by_scope`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SgRulesDeleteByScopeParams {
    /// A rule matches when its CIDR contains this block (`0.0.0.0/0` and `::/0` both mean
    /// anywhere).
    pub scope: String,
    pub direction: Direction,
    /// None (`*`): any port; otherwise rules opening exactly this one port.
    pub port: Option<u16>,
    /// None (`*`): any protocol.
    pub protocol: Option<RuleProtocol>,
}

impl BotParams for SgRulesDeleteByScopeParams {
    fn parse(tokens: &[String]) -> Result<Self, String> {
        const NAMES: [&str; 4] = ["scope", "direction", "port", "protocol"];
        let values = keyed_or_positional(tokens, &NAMES)?;
        let get = |name: &str| required(&values, name);
        Ok(SgRulesDeleteByScopeParams {
            scope: parse_cidr(get("scope")?)?,
            direction: parse_direction(get("direction")?)?,
            port: any_or(get("port")?, |p| {
                parse_port(p).map_err(|e| format!("{e} (or * for any port)"))
            })?,
            protocol: any_or(get("protocol")?, |p| {
                parse_protocol(p).map_err(|e| format!("{e} (or * for any protocol)"))
            })?,
        })
    }
}

/// `sg_delete_not_matching_cidr <port> <cidr> <direction>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SgDeleteNotMatchingCidrParams {
    pub port: u16,
    /// The only sources (or destinations) allowed on the port: rules whose CIDR lies
    /// outside it are revoked.
    pub cidr: String,
    pub direction: Direction,
}

impl BotParams for SgDeleteNotMatchingCidrParams {
    fn parse(tokens: &[String]) -> Result<Self, String> {
        const NAMES: [&str; 3] = ["port", "cidr", "direction"];
        let values = keyed_or_positional(tokens, &NAMES)?;
        let get = |name: &str| required(&values, name);
        Ok(SgDeleteNotMatchingCidrParams {
            port: parse_port(get("port")?)?,
            cidr: parse_cidr(get("cidr")?)?,
            direction: parse_direction(get("direction")?)?,
        })
    }
}

/// `sg_clear_rules_for_any_scope <port> <protocol> <direction> [<cidr,cidr,...>]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SgClearRulesForAnyScopeParams {
    /// Ignored for protocol ALL (the all-traffic rule has no ports).
    pub port: u16,
    pub protocol: RuleProtocol,
    pub direction: Direction,
    /// CIDR blocks to keep; empty when omitted.
    #[serde(default)]
    pub whitelist: Vec<String>,
}

impl BotParams for SgClearRulesForAnyScopeParams {
    fn parse(tokens: &[String]) -> Result<Self, String> {
        const NAMES: [&str; 4] = ["port", "protocol", "direction", "whitelist"];
        let values = keyed_or_positional(tokens, &NAMES)?;
        let get = |name: &str| required(&values, name);
        let whitelist = match values.get("whitelist") {
            None => Vec::new(),
            Some(list) => list
                .split(',')
                .map(|cidr| {
                    parse_cidr(cidr).map_err(|e| {
                        format!("whitelist must be CIDR blocks separated by commas: {e}")
                    })
                })
                .collect::<Result<_, _>>()?,
        };
        Ok(SgClearRulesForAnyScopeParams {
            port: parse_port(get("port")?)?,
            protocol: parse_protocol(get("protocol")?)?,
            direction: parse_direction(get("direction")?)?,
            whitelist,
        })
    }
}

/// `sg_modify_scope_by_port <port> <change_scope_from|*> <change_scope_to> <direction>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SgModifyScopeByPortParams {
    pub port: u16,
    /// None (`*`): rules of any scope on the port.
    pub change_scope_from: Option<String>,
    pub change_scope_to: String,
    pub direction: Direction,
}

impl BotParams for SgModifyScopeByPortParams {
    fn parse(tokens: &[String]) -> Result<Self, String> {
        const NAMES: [&str; 4] = ["port", "change_scope_from", "change_scope_to", "direction"];
        let values = keyed_or_positional(tokens, &NAMES)?;
        let get = |name: &str| required(&values, name);
        Ok(SgModifyScopeByPortParams {
            port: parse_port(get("port")?)?,
            change_scope_from: any_or(get("change_scope_from")?, |s| {
                parse_cidr(s).map_err(|e| format!("change_scope_from: {e} (or * for any scope)"))
            })?,
            change_scope_to: parse_cidr(get("change_scope_to")?)
                .map_err(|e| format!("change_scope_to: {e}"))?,
            direction: parse_direction(get("direction")?)?,
        })
    }
}

fn required<'a>(values: &'a BTreeMap<&'static str, String>, name: &str) -> Result<&'a str, String> {
    values
        .get(name)
        .map(String::as_str)
        .ok_or_else(|| format!("missing parameter '{name}'"))
}

/// `*` means any value (None); anything else is parsed.
fn any_or<T>(
    text: &str,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Result<Option<T>, String> {
    if text == "*" {
        Ok(None)
    } else {
        parse(text).map(Some)
    }
}

fn parse_direction(text: &str) -> Result<Direction, String> {
    match text.to_ascii_lowercase().as_str() {
        "inbound" => Ok(Direction::Inbound),
        "outbound" => Ok(Direction::Outbound),
        _ => Err(format!(
            "direction must be inbound or outbound, got '{text}'"
        )),
    }
}

fn parse_protocol(text: &str) -> Result<RuleProtocol, String> {
    match text.to_ascii_uppercase().as_str() {
        "TCP" => Ok(RuleProtocol::Tcp),
        "UDP" => Ok(RuleProtocol::Udp),
        "ALL" | "-1" => Ok(RuleProtocol::All),
        _ => Err(format!("protocol must be TCP, UDP or ALL, got '{text}'")),
    }
}

fn parse_port(text: &str) -> Result<u16, String> {
    text.parse::<u16>()
        .map_err(|_| format!("port must be a number from 0 to 65535, got '{text}'"))
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

    fn rejections<P: BotParams + std::fmt::Debug>(cases: &[(&str, &str)]) {
        for (input, reason) in cases {
            assert_eq!(P::parse(&toks(input)).unwrap_err(), *reason, "{input}");
        }
    }

    #[test]
    fn rules_delete_by_scope_grammar() {
        let p = SgRulesDeleteByScopeParams::parse(&toks("0.0.0.0/0 inbound 22 tcp")).unwrap();
        assert_eq!(
            p,
            SgRulesDeleteByScopeParams {
                scope: "0.0.0.0/0".into(),
                direction: Direction::Inbound,
                port: Some(22),
                protocol: Some(RuleProtocol::Tcp)
            }
        );
        let any = SgRulesDeleteByScopeParams::parse(&toks("::/0 outbound * *")).unwrap();
        assert_eq!((any.port, any.protocol), (None, None));
        assert_eq!(
            SgRulesDeleteByScopeParams::parse(&toks(
                "scope=1.0.0.0/16 direction=inbound port=* protocol=ALL"
            ))
            .unwrap()
            .protocol,
            Some(RuleProtocol::All)
        );
        rejections::<SgRulesDeleteByScopeParams>(&[
            ("0.0.0.0/0 inbound 22", "missing parameter 'protocol'"),
            ("0.0.0.0 inbound 22 tcp", "scope must be a CIDR block such as 0.0.0.0/0 or ::/0, got '0.0.0.0'"),
            ("0.0.0.0/0 sideways 22 tcp", "direction must be inbound or outbound, got 'sideways'"),
            ("0.0.0.0/0 inbound all tcp", "port must be a number from 0 to 65535, got 'all' (or * for any port)"),
            ("0.0.0.0/0 inbound 22 icmp", "protocol must be TCP, UDP or ALL, got 'icmp' (or * for any protocol)"),
            ("0.0.0.0/0 inbound 22 tcp more", "too many parameters: 'more' (expected at most 4: scope, direction, port, protocol)"),
        ]);
    }

    #[test]
    fn delete_not_matching_cidr_grammar() {
        let p = SgDeleteNotMatchingCidrParams::parse(&toks("22 10.163.0.0/16 inbound")).unwrap();
        assert_eq!(
            p,
            SgDeleteNotMatchingCidrParams {
                port: 22,
                cidr: "10.163.0.0/16".into(),
                direction: Direction::Inbound
            }
        );
        rejections::<SgDeleteNotMatchingCidrParams>(&[
            ("22 10.163.0.0/16", "missing parameter 'direction'"),
            (
                "* 10.163.0.0/16 inbound",
                "port must be a number from 0 to 65535, got '*'",
            ),
            (
                "22 10.163.0.1/16 inbound",
                "scope '10.163.0.1/16' has host bits set; use the network address of the block",
            ),
        ]);
    }

    #[test]
    fn clear_rules_for_any_scope_grammar_with_and_without_whitelist() {
        let without = SgClearRulesForAnyScopeParams::parse(&toks("22 tcp inbound")).unwrap();
        assert_eq!(
            without,
            SgClearRulesForAnyScopeParams {
                port: 22,
                protocol: RuleProtocol::Tcp,
                direction: Direction::Inbound,
                whitelist: vec![]
            }
        );
        let with =
            SgClearRulesForAnyScopeParams::parse(&toks("22 tcp inbound 10.0.0.1/32,2001:db8::/32"))
                .unwrap();
        assert_eq!(with.whitelist, vec!["10.0.0.1/32", "2001:db8::/32"]);
        rejections::<SgClearRulesForAnyScopeParams>(&[
            ("22 tcp", "missing parameter 'direction'"),
            ("22 tcp inbound 10.0.0.1/32,office", "whitelist must be CIDR blocks separated by commas: scope must be a CIDR block such as 0.0.0.0/0 or ::/0, got 'office'"),
            ("22 tcp inbound 10.0.0.1/32,", "whitelist must be CIDR blocks separated by commas: scope must be a CIDR block such as 0.0.0.0/0 or ::/0, got ''"),
        ]);
    }

    #[test]
    fn modify_scope_by_port_grammar() {
        let p =
            SgModifyScopeByPortParams::parse(&toks("22 0.0.0.0/0 10.0.0.0/24 inbound")).unwrap();
        assert_eq!(
            p,
            SgModifyScopeByPortParams {
                port: 22,
                change_scope_from: Some("0.0.0.0/0".into()),
                change_scope_to: "10.0.0.0/24".into(),
                direction: Direction::Inbound
            }
        );
        let any = SgModifyScopeByPortParams::parse(&toks("22 * 10.0.0.0/24 outbound")).unwrap();
        assert_eq!(any.change_scope_from, None);
        rejections::<SgModifyScopeByPortParams>(&[
            ("22 * 10.0.0.0/24", "missing parameter 'direction'"),
            ("22 any 10.0.0.0/24 inbound", "change_scope_from: scope must be a CIDR block such as 0.0.0.0/0 or ::/0, got 'any' (or * for any scope)"),
            ("22 * * inbound", "change_scope_to: scope must be a CIDR block such as 0.0.0.0/0 or ::/0, got '*'"),
        ]);
    }
}
