//! Parameters of the Lambda function bots.

use super::instance::check_tag;
use super::BotParams;
use serde::{Deserialize, Serialize};

/// `lambda_tag <key> [<value>]`: the tag to set on the function; without a value the tag is
/// set with an empty one. Quotes around either are dropped, as the original did (a key or a
/// value cannot hold a space: the rule's tokens are split on spaces).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LambdaTagParams {
    pub key: String,
    pub value: String,
}

impl BotParams for LambdaTagParams {
    fn parse(tokens: &[String]) -> Result<Self, String> {
        let unquoted = |token: &String| token.replace(['"', '\''], "");
        let (key, value) = match tokens {
            [key] => (unquoted(key), String::new()),
            [key, value] => (unquoted(key), unquoted(value)),
            _ => {
                return Err(format!(
                "takes a tag key and an optional value (<key> [<value>]), got {} parameter(s){}",
                tokens.len(),
                match tokens.is_empty() {
                    true => String::new(),
                    false => format!(": '{}'", tokens.join(" ")),
                }
            ))
            }
        };
        check_tag(&key, &value)?;
        Ok(LambdaTagParams { key, value })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<LambdaTagParams, String> {
        let tokens: Vec<String> = line.split_whitespace().map(str::to_string).collect();
        LambdaTagParams::parse(&tokens)
    }

    #[test]
    fn a_key_with_or_without_a_value_quotes_dropped() {
        assert_eq!(
            parse("\"owner\" 'security'"),
            Ok(LambdaTagParams {
                key: "owner".into(),
                value: "security".into()
            })
        );
        assert_eq!(
            parse("quarantined"),
            Ok(LambdaTagParams {
                key: "quarantined".into(),
                value: String::new()
            })
        );
    }

    #[test]
    fn no_parameter_or_more_than_two_is_refused_with_the_count() {
        assert_eq!(
            parse(""),
            Err(
                "takes a tag key and an optional value (<key> [<value>]), got 0 parameter(s)"
                    .into()
            )
        );
        assert_eq!(
            parse("owner security team"),
            Err("takes a tag key and an optional value (<key> [<value>]), got 3 parameter(s): 'owner security team'".into())
        );
    }

    #[test]
    fn reserved_or_empty_keys_are_refused() {
        assert_eq!(
            parse("aws:owner x"),
            Err("tag key 'aws:owner' uses the reserved prefix aws:".into())
        );
        assert_eq!(parse("\"\" x"), Err("the tag key is empty".into()));
    }
}
