//! Parameters of the security-group bots.

use super::{keyed_or_positional, parse_cidr, BotParams};
use serde::{Deserialize, Serialize};

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
}
