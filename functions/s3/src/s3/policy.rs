//! The bots that edit a bucket's policy statement by statement (`s3_limit_access`,
//! `s3_only_allow_ssl`) or delete it with the ACL grants (`s3_delete_permissions`).

use super::settings::{change_settings, BucketAcl, BucketSetting};
use super::*;

/// The policy settings a bot found and leaves: the document, or none when there is no policy.
fn policy_setting(policy: Option<&BucketPolicy>) -> BucketSetting {
    BucketSetting::Policy {
        document: policy
            .filter(|p| !p.statements().is_empty())
            .map(BucketPolicy::document),
    }
}

// ---- s3_delete_permissions ----

pub(super) async fn delete_permissions(
    input: &BotInput,
    aws: &SdkConfig,
) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let bucket = entity_id(input)?;
    let s3 = Client::new(aws);
    finish(
        input,
        bucket,
        delete_permissions_on(input, &s3, bucket).await,
    )
}

async fn delete_permissions_on(input: &BotInput, s3: &Client, bucket: &str) -> BucketResult {
    let policy = BucketPolicy::read(s3, bucket).await.map_err(on_bucket)?;
    let acl = BucketAcl::read(s3, bucket).await?;
    let grants = acl.foreign_grants();
    if policy.is_none() && grants.is_empty() {
        return Ok(BotOutcome::compliant(
            input,
            format!(
                "Bucket {bucket} has no bucket policy and grants ACL permissions to its owner only"
            ),
        ));
    }
    let mut changes = Vec::new();
    let (mut before, mut after) = (Vec::new(), Vec::new());
    if let Some(policy) = &policy {
        changes.push(format!(
            "delete the policy of bucket {bucket}: {}",
            policy.text()
        ));
        before.push(policy_setting(Some(policy)));
        after.push(policy_setting(None));
    }
    if !grants.is_empty() {
        changes.extend(grant_changes(bucket, &grants));
        after.push(BucketSetting::Acl(acl.private()));
        before.push(BucketSetting::Acl(acl));
    }
    if dry_run(input) {
        return would(
            input,
            format!("Would delete the permissions of bucket {bucket}"),
            changes,
        );
    }
    change_settings(
        input,
        s3,
        bucket,
        (before, after),
        format!(
            "Deleted the permissions of bucket {bucket} ({}{} ACL grant(s) removed)",
            if policy.is_some() {
                "bucket policy deleted, "
            } else {
                ""
            },
            grants.len()
        ),
        changes,
    )
    .await
}

// ---- s3_limit_access ----

/// The original's operations the public may not be granted: `s3:Delete*`, `s3:Get*`, `s3:List*`,
/// `s3:Put*` and `s3:RestoreObject`, in lower case.
const LIMITED_PREFIXES: [&str; 4] = ["delete", "get", "list", "put"];
const LIMITED_OPERATION: &str = "restoreobject";

/// Whether a policy action (possibly a wildcard) can grant one of the limited operations.
fn is_limited_action(action: &str) -> bool {
    let action = action.to_ascii_lowercase();
    if action == "*" {
        return true;
    }
    let Some(operation) = action.strip_prefix("s3:") else {
        return false;
    };
    let named =
        |op: &str| LIMITED_PREFIXES.iter().any(|p| op.starts_with(p)) || op == LIMITED_OPERATION;
    match operation.find(['*', '?']) {
        None => named(operation),
        // A wildcard covers a limited operation when its literal head is compatible with one.
        Some(wildcard) => {
            let head = &operation[..wildcard];
            named(head)
                || LIMITED_PREFIXES.iter().any(|p| p.starts_with(head))
                || LIMITED_OPERATION.starts_with(head)
        }
    }
}

/// A statement with the public's access to the limited actions taken out: the statements that
/// replace it (none when nothing is left), and the actions taken away. None when the statement
/// grants the public none of them.
fn limit_statement(statement: &Value) -> Option<(Vec<Value>, Vec<String>)> {
    if statement.get("Effect").and_then(Value::as_str) != Some("Allow")
        || !is_public_principal(statement.get("Principal"))
    {
        return None;
    }
    let actions = strings(statement.get("Action"));
    let (limited, kept): (Vec<&str>, Vec<&str>) =
        actions.iter().partition(|a| is_limited_action(a));
    if limited.is_empty() {
        return None;
    }
    let mut replacements = Vec::new();
    // Named principals of the same statement keep every action.
    if let Some(Value::Object(principal)) = statement.get("Principal") {
        let mut named = principal.clone();
        let others: Vec<&str> = strings(principal.get("AWS"))
            .into_iter()
            .filter(|p| *p != "*")
            .collect();
        match others.as_slice() {
            [] => named.remove("AWS"),
            [one] => named.insert("AWS".into(), json!(one)),
            many => named.insert("AWS".into(), json!(many)),
        };
        if !named.is_empty() {
            let mut kept_for_named = statement.clone();
            kept_for_named["Principal"] = Value::Object(named);
            replacements.push(kept_for_named);
        }
    }
    // The public keeps the actions that are not limited.
    if !kept.is_empty() {
        let mut public = statement.clone();
        public["Action"] = json!(kept);
        if !replacements.is_empty() {
            // Sids are unique within a policy: the named principals' statement keeps it.
            if let Some(fields) = public.as_object_mut() {
                fields.remove("Sid");
            }
        }
        replacements.push(public);
    }
    Some((
        replacements,
        limited.into_iter().map(str::to_string).collect(),
    ))
}

pub(super) async fn limit_access(
    input: &BotInput,
    aws: &SdkConfig,
) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let bucket = entity_name(input)?;
    let s3 = Client::new(aws);
    finish(input, bucket, limit_access_on(input, &s3, bucket).await)
}

async fn limit_access_on(input: &BotInput, s3: &Client, bucket: &str) -> BucketResult {
    let Some(mut policy) = BucketPolicy::read(s3, bucket).await.map_err(on_bucket)? else {
        return Ok(BotOutcome::compliant(
            input,
            format!("Bucket {bucket} has no bucket policy"),
        ));
    };
    let mut statements = Vec::new();
    let mut changes = Vec::new();
    for (index, statement) in policy.statements().into_iter().enumerate() {
        match limit_statement(&statement) {
            None => statements.push(statement),
            Some((replacements, removed)) => {
                changes.push(format!(
                    "remove public access to {} granted by {} of the policy of bucket {bucket}{}",
                    removed.join(", "),
                    statement_label(&statement, index),
                    if replacements.is_empty() {
                        " (the statement is deleted)"
                    } else {
                        ""
                    }
                ));
                statements.extend(replacements);
            }
        }
    }
    if changes.is_empty() {
        return Ok(BotOutcome::compliant(
            input,
            format!("The policy of bucket {bucket} grants the public none of the limited actions"),
        ));
    }
    let emptied = statements.is_empty();
    if emptied {
        changes.push(format!(
            "delete the policy of bucket {bucket}: no statement is left"
        ));
    }
    if dry_run(input) {
        return would(
            input,
            format!("Would limit public access in the policy of bucket {bucket}"),
            changes,
        );
    }
    let before = policy_setting(Some(&policy));
    policy.set_statements(statements);
    change_settings(
        input,
        s3,
        bucket,
        (vec![before], vec![policy_setting(Some(&policy))]),
        if emptied {
            format!("Every statement of the policy of bucket {bucket} granted public access: the policy is deleted")
        } else {
            format!("Public access limited in the policy of bucket {bucket}; you may want to grant specific principals what they need")
        },
        changes,
    )
    .await
}

// ---- s3_only_allow_ssl ----

/// The Sid of the statement this bot adds.
const SSL_ONLY_SID: &str = "AllowSSLRequestsOnly";

/// Deny every S3 action on the bucket and its objects to requests made without TLS.
fn ssl_only_statement(bucket_arn: &str) -> Value {
    json!({
        "Sid": SSL_ONLY_SID,
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, format!("{bucket_arn}/*")],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}
    })
}

/// Whether a statement already denies every S3 action on the bucket and its objects to
/// requests without TLS.
fn denies_insecure_transport(statement: &Value, bucket_arn: &str) -> bool {
    let secure_transport = statement
        .pointer("/Condition/Bool/aws:SecureTransport")
        .map(|v| match v {
            Value::Array(values) => values.clone(),
            one => vec![one.clone()],
        })
        .unwrap_or_default();
    let resources = strings(statement.get("Resource"));
    let objects = format!("{bucket_arn}/*");
    statement.get("Effect").and_then(Value::as_str) == Some("Deny")
        && is_public_principal(statement.get("Principal"))
        && strings(statement.get("Action"))
            .iter()
            .any(|a| *a == "*" || a.eq_ignore_ascii_case("s3:*"))
        && !secure_transport.is_empty()
        && secure_transport
            .iter()
            .all(|v| *v == json!(false) || *v == json!("false"))
        && (resources.contains(&"*")
            || (resources.contains(&bucket_arn) && resources.contains(&objects.as_str())))
}

pub(super) async fn only_allow_ssl(
    input: &BotInput,
    aws: &SdkConfig,
) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let bucket = entity_id(input)?;
    let s3 = Client::new(aws);
    finish(input, bucket, only_allow_ssl_on(input, &s3, bucket).await)
}

async fn only_allow_ssl_on(input: &BotInput, s3: &Client, bucket: &str) -> BucketResult {
    let arn = bucket_arn(input, bucket);
    let policy = BucketPolicy::read(s3, bucket).await.map_err(on_bucket)?;
    let had_policy = policy.is_some();
    let mut policy = policy.unwrap_or_else(BucketPolicy::empty);
    let mut statements = policy.statements();
    if statements
        .iter()
        .any(|s| denies_insecure_transport(s, &arn))
    {
        return Ok(BotOutcome::compliant(
            input,
            format!("The policy of bucket {bucket} already denies requests without SSL"),
        ));
    }
    let changes = vec![format!(
        "add statement {SSL_ONLY_SID} to the {} policy of bucket {bucket}: deny s3:* on {arn} and {arn}/* when aws:SecureTransport is false",
        if had_policy { "existing" } else { "new" }
    )];
    if dry_run(input) {
        return would(
            input,
            format!("Would allow only SSL requests to bucket {bucket}"),
            changes,
        );
    }
    let before = policy_setting(had_policy.then_some(&policy));
    statements.push(ssl_only_statement(&arn));
    policy.set_statements(statements);
    change_settings(
        input,
        s3,
        bucket,
        (vec![before], vec![policy_setting(Some(&policy))]),
        format!("Bucket {bucket} now allows only SSL requests"),
        changes,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limited_actions_are_the_originals_list_wildcards_included() {
        for action in [
            "*",
            "s3:*",
            "S3:GetObject",
            "s3:Get*",
            "s3:ListBucket",
            "s3:PutObjectAcl",
            "s3:DeleteObject",
            "s3:RestoreObject",
            "s3:G*",
            "s3:Restore*",
            "s3:*Object",
        ] {
            assert!(is_limited_action(action), "{action}");
        }
        for action in [
            "s3:AbortMultipartUpload",
            "s3:ReplicateObject",
            "s3:Create*",
            "sns:Publish",
            "s3:RestoreObjectX",
        ] {
            assert!(!is_limited_action(action), "{action}");
        }
    }

    #[test]
    fn limiting_keeps_named_principals_and_other_actions() {
        let statement = json!({
            "Sid": "Mixed",
            "Effect": "Allow",
            "Principal": {"AWS": ["*", "arn:aws:iam::111122223333:root"]},
            "Action": ["s3:GetObject", "s3:AbortMultipartUpload"],
            "Resource": "arn:aws:s3:::b/*"
        });
        let (replacements, removed) = limit_statement(&statement).unwrap();
        assert_eq!(removed, ["s3:GetObject"]);
        assert_eq!(
            replacements,
            vec![
                json!({"Sid": "Mixed", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                       "Action": ["s3:GetObject", "s3:AbortMultipartUpload"], "Resource": "arn:aws:s3:::b/*"}),
                json!({"Effect": "Allow", "Principal": {"AWS": ["*", "arn:aws:iam::111122223333:root"]},
                       "Action": ["s3:AbortMultipartUpload"], "Resource": "arn:aws:s3:::b/*"}),
            ]
        );
        let deny = json!({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"});
        assert_eq!(limit_statement(&deny), None);
        let named = json!({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "s3:*", "Resource": "*"});
        assert_eq!(limit_statement(&named), None);
    }

    #[test]
    fn the_ssl_statement_is_recognised_and_the_originals_objects_only_one_is_not_enough() {
        let arn = "arn:aws:s3:::b";
        assert!(denies_insecure_transport(&ssl_only_statement(arn), arn));
        let objects_only = json!({"Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": "arn:aws:s3:::b/*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}});
        assert!(!denies_insecure_transport(&objects_only, arn));
        let everything = json!({"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "*",
            "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": false}}});
        assert!(denies_insecure_transport(&everything, arn));
    }
}
