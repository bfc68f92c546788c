//! IAM identities for the tests: users and roles with unique names, and the managed
//! policies attached to them read back.

use crate::{entity, unique_name};
use serde_json::Value;

/// A trust policy letting EC2 assume the role.
pub const TRUST_EC2: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

/// A CloudGuard IamUser entity: known by name, with an empty id.
pub fn user_entity(user: &str) -> Value {
    entity("IamUser", "", user)
}

/// A CloudGuard IamRole entity.
pub fn role_entity(role: &str) -> Value {
    entity("IamRole", role, role)
}

/// A new user named `<prefix>-<unique>`.
pub async fn new_user(iam: &aws_sdk_iam::Client, prefix: &str) -> String {
    let user = unique_name(prefix);
    iam.create_user()
        .user_name(&user)
        .send()
        .await
        .expect("create_user");
    user
}

/// A new role named `<prefix>-<unique>`, assumable by EC2.
pub async fn new_role(iam: &aws_sdk_iam::Client, prefix: &str) -> String {
    let role = unique_name(prefix);
    iam.create_role()
        .role_name(&role)
        .assume_role_policy_document(TRUST_EC2)
        .send()
        .await
        .expect("create_role");
    role
}

/// ARNs of the managed policies attached to the role.
pub async fn role_policies(iam: &aws_sdk_iam::Client, role: &str) -> Vec<String> {
    let out = iam
        .list_attached_role_policies()
        .role_name(role)
        .send()
        .await
        .expect("list_attached_role_policies");
    out.attached_policies()
        .iter()
        .filter_map(|p| p.policy_arn().map(str::to_string))
        .collect()
}

/// ARNs of the managed policies attached to the user.
pub async fn user_policies(iam: &aws_sdk_iam::Client, user: &str) -> Vec<String> {
    let out = iam
        .list_attached_user_policies()
        .user_name(user)
        .send()
        .await
        .expect("list_attached_user_policies");
    out.attached_policies()
        .iter()
        .filter_map(|p| p.policy_arn().map(str::to_string))
        .collect()
}
