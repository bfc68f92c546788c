//! A topic's or queue's attribute as the SNS and SQS bots find and leave it: what both
//! services' settings have in common (a name, a text value, JSON documents compared as
//! documents), so that each service only says how the attribute is read and written.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One attribute and its value; an attribute the resource does not have reads as empty.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Attribute {
    pub name: String,
    pub value: String,
}

impl Attribute {
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Attribute {
        Attribute {
            name: name.into(),
            value: value.into(),
        }
    }

    /// The attribute, as people call it.
    pub fn title(&self) -> &'static str {
        match self.name.as_str() {
            "KmsMasterKeyId" => "KMS key",
            "SqsManagedSseEnabled" => "SSE-SQS encryption",
            "Policy" => "policy",
            "RedrivePolicy" => "redrive policy",
            _ => "attribute",
        }
    }

    /// The value as people read it (`none` when empty).
    pub fn words(&self) -> String {
        if self.value.is_empty() {
            "none".to_string()
        } else {
            self.value.clone()
        }
    }

    /// The value as a JSON document, when it is one.
    fn document(&self) -> Option<Value> {
        serde_json::from_str::<Value>(&self.value)
            .ok()
            .filter(Value::is_object)
    }
}

/// Documents (policies) are equal when their JSON is, whatever the spacing and key order the
/// service answers with; other values when their text is.
impl PartialEq for Attribute {
    fn eq(&self, other: &Attribute) -> bool {
        self.name == other.name
            && match (self.document(), other.document()) {
                (Some(mine), Some(theirs)) => mine == theirs,
                _ => self.value == other.value,
            }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_compare_as_json_and_other_values_as_text() {
        let policy = |text: &str| Attribute::new("Policy", text);
        assert_eq!(
            policy(r#"{"a": 1, "b": [2]}"#),
            policy(r#"{"b":[2],"a":1}"#)
        );
        assert_ne!(policy(r#"{"a": 1}"#), policy(r#"{"a": 2}"#));
        assert_ne!(
            Attribute::new("KmsMasterKeyId", "k"),
            Attribute::new("KmsMasterKeyId", "K")
        );
        assert_ne!(policy("{}"), Attribute::new("RedrivePolicy", "{}"));
        assert_eq!(Attribute::new("KmsMasterKeyId", "").words(), "none");
    }
}
