//! Reading policy documents (bucket, topic and IAM policies): which statements let anyone
//! act, how a statement is named in a change, and IAM's URL-encoded documents decoded. Shared by the bots that edit such
//! policies and by the plan-time check of a policy a rule supplies.

use serde_json::Value;

/// A policy field that may be one string or a list of strings, as a list.
pub fn strings(value: Option<&Value>) -> Vec<&str> {
    match value {
        Some(Value::String(one)) => vec![one.as_str()],
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Whether a statement's principal includes everyone (`"*"`, `{"AWS": "*"}`, `{"AWS": [.., "*"]}`).
pub fn is_public_principal(principal: Option<&Value>) -> bool {
    match principal {
        Some(Value::String(p)) => p == "*",
        Some(Value::Object(map)) => strings(map.get("AWS")).contains(&"*"),
        _ => false,
    }
}

/// Whether a statement lets anyone act with no condition to narrow it: an `Allow` to a public
/// principal without a `Condition` (an empty condition narrows nothing).
pub fn lets_anyone_act(statement: &Value) -> bool {
    statement.get("Effect").and_then(Value::as_str) == Some("Allow")
        && is_public_principal(statement.get("Principal"))
        && statement
            .get("Condition")
            .and_then(Value::as_object)
            .is_none_or(|condition| condition.is_empty())
}

/// The statements of a policy document (`Statement` may be one object or a list).
pub fn statements(document: &Value) -> Vec<&Value> {
    match document.get("Statement") {
        Some(Value::Array(many)) => many.iter().collect(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => Vec::new(),
    }
}

/// How a statement is named in changes: its Sid, or its position.
pub fn statement_label(statement: &Value, index: usize) -> String {
    match statement.get("Sid").and_then(Value::as_str) {
        Some(sid) if !sid.is_empty() => format!("statement {sid}"),
        _ => format!("statement #{}", index + 1),
    }
}

/// A policy document as IAM returns it (URL-encoded JSON), decoded.
pub fn decode_policy_document(text: &str) -> String {
    if text.trim_start().starts_with('{') {
        return text.to_string();
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], escaped) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn anyone_means_a_public_principal_allowed_without_a_condition() {
        let open = json!({"Effect": "Allow", "Principal": {"AWS": ["111122223333", "*"]}, "Action": "sns:Publish"});
        assert!(lets_anyone_act(&open));
        assert!(lets_anyone_act(
            &json!({"Effect": "Allow", "Principal": "*", "Condition": {}})
        ));
        let narrowed = json!({"Effect": "Allow", "Principal": "*",
            "Condition": {"StringEquals": {"AWS:SourceOwner": "111122223333"}}});
        assert!(!lets_anyone_act(&narrowed));
        assert!(!lets_anyone_act(
            &json!({"Effect": "Deny", "Principal": "*"})
        ));
        assert!(!lets_anyone_act(
            &json!({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}})
        ));
        assert!(!lets_anyone_act(
            &json!({"Effect": "Allow", "Principal": {"Service": "*"}})
        ));
    }

    #[test]
    fn statement_may_be_one_object_or_a_list() {
        assert_eq!(statements(&json!({"Statement": {"Sid": "a"}})).len(), 1);
        assert_eq!(
            statements(&json!({"Statement": [{"Sid": "a"}, {}]})).len(),
            2
        );
        assert!(statements(&json!({})).is_empty());
        assert_eq!(statement_label(&json!({"Sid": "a"}), 0), "statement a");
        assert_eq!(statement_label(&json!({"Sid": ""}), 1), "statement #2");
    }

    #[test]
    fn iam_documents_are_url_decoded_and_json_left_alone() {
        assert_eq!(
            decode_policy_document("%7B%22a%22%3A%201%7D"),
            r#"{"a": 1}"#
        );
        assert_eq!(decode_policy_document(r#"{"a":"b+c"}"#), r#"{"a":"b+c"}"#);
    }
}
