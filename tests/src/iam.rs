//! IAM identities for the tests: users and roles with unique names, the managed policies
//! attached to them read back, and the identity each bot runs as.
//!
//! A bot runs as an IAM user of the local stack whose only policy allows exactly the actions
//! the deployed bot's role gets, while moto enforces IAM: a bot that calls an action its
//! catalogue entry does not declare fails its test with `AccessDenied`.

use crate::{aws, entity, unique_name};
use aws_sdk_iam::config::Credentials;
use cloudbots_cli::local::create_user_with_policy;
use cloudbots_shared::catalogue;
use serde_json::{json, Value};
use std::collections::HashMap;
use tokio::sync::Mutex;

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

/// A new group named `<prefix>-<unique>`.
pub async fn new_group(iam: &aws_sdk_iam::Client, prefix: &str) -> String {
    let group = unique_name(prefix);
    iam.create_group()
        .group_name(&group)
        .send()
        .await
        .expect("create_group");
    group
}

/// A policy document allowing `action` on any resource.
pub fn document(action: &str) -> String {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]})
        .to_string()
}

/// A customer-managed policy allowing `action`; returns its ARN.
pub async fn new_policy(iam: &aws_sdk_iam::Client, prefix: &str, action: &str) -> String {
    let out = iam
        .create_policy()
        .policy_name(unique_name(prefix))
        .policy_document(document(action))
        .send()
        .await
        .expect("create_policy");
    out.policy().unwrap().arn().unwrap().to_string()
}

/// A CloudGuard IamGroup entity: known by name, with an empty id.
pub fn group_entity(group: &str) -> Value {
    entity("IamGroup", "", group)
}

/// A CloudGuard IamPolicy entity, known by its ARN.
pub fn policy_entity(arn: &str) -> Value {
    let mut e = entity("IamPolicy", arn, arn.rsplit('/').next().unwrap());
    e["arn"] = json!(arn);
    e
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

/// Where moto checks a request under another name than the IAM action AWS checks: the IAM
/// action, and the name(s) moto's enforcement asks for on the same request. The bot users
/// get both; the catalogue keeps the real name only. (moto 5.2.5 names S3 bucket requests from
/// its `ACTION_MAP` by query key: it knows `public_access_block` but not the `publicAccessBlock`
/// the SDKs send, nor `encryption`, so those fall back to the map's defaults, `ListBucket` for
/// a GET and `CreateBucket` for a PUT; and it checks `HeadBucket`, which AWS authorises as
/// `s3:ListBucket`.)
const MOTO_ACTION_NAMES: &[(&str, &[&str])] = &[
    ("s3:GetBucketPublicAccessBlock", &["s3:ListBucket"]),
    ("s3:GetEncryptionConfiguration", &["s3:ListBucket"]),
    ("s3:ListBucket", &["s3:HeadBucket"]),
    ("s3:PutBucketPublicAccessBlock", &["s3:CreateBucket"]),
    ("s3:PutEncryptionConfiguration", &["s3:CreateBucket"]),
];

/// Calls only one function makes that moto checks under another name than AWS, beside those of
/// [`MOTO_ACTION_NAMES`]: moto names DeletePublicAccessBlock and DeleteBucketEncryption
/// `s3:DeleteBucket` (its map knows neither the `publicAccessBlock` the SDKs send nor
/// `encryption`, so a bucket DELETE falls to the default). AWS authorises them as
/// `s3:PutBucketPublicAccessBlock` and `s3:PutEncryptionConfiguration`, which the role holds;
/// only the restorer that removes a configuration the bucket never had calls them, so no bot's
/// user gets `s3:DeleteBucket` for them.
const MOTO_FUNCTION_NAMES: &[(&str, &[&str])] =
    &[("restore_bucket_settings", &["s3:DeleteBucket"])];

/// The actions the deployed role of `function` (a bot or a restorer) holds: what the SAM
/// template gives it.
pub fn role_actions(function: &str) -> Vec<String> {
    let actions = match (
        catalogue::lookup(function),
        catalogue::lookup_restorer(function),
    ) {
        (Some(bot), _) => bot.role_actions(),
        (None, Some(restorer)) => restorer.iam_actions.to_vec(),
        (None, None) => panic!("{function} is not in the catalogue"),
    };
    actions.into_iter().map(str::to_string).collect()
}

/// A policy allowing `actions` (plus moto's names for them) on any resource, and, for a bot in
/// multi-account mode, `sts:AssumeRole` on its member role (as the template gives it).
fn policy_allowing(actions: &[String], member_role: Option<&str>) -> String {
    let mut allowed: Vec<String> = actions.to_vec();
    for (action, moto_names) in MOTO_ACTION_NAMES {
        if actions.iter().any(|a| a == action) {
            allowed.extend(moto_names.iter().map(|n| n.to_string()));
        }
    }
    allowed.sort();
    allowed.dedup();
    let mut statements = vec![json!({"Effect": "Allow", "Action": allowed, "Resource": "*"})];
    if let Some(role) = member_role {
        statements.push(json!({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role}));
    }
    json!({"Version": "2012-10-17", "Statement": statements}).to_string()
}

/// A new IAM user named `name` (through `iam`) whose only policy is `policy`; its access key.
async fn user_with_policy(iam: &aws_sdk_iam::Client, name: &str, policy: String) -> Credentials {
    create_user_with_policy(iam, name, &policy)
        .await
        .unwrap_or_else(|e| panic!("creating the bot user: {e}"))
}

/// The users bots run as in multi-account mode, by the member role they may assume.
static MEMBER_ROLE_USERS: Mutex<Option<HashMap<String, Credentials>>> = Mutex::const_new(None);

/// The keys of the user `bot` runs as: allowed exactly its role's actions (created once per
/// test binary); in multi-account mode (`member_role`), the user made with that role by
/// [`member_role`].
pub async fn bot_credentials(bot: &str, member_role: Option<&str>) -> Credentials {
    if let Some(role) = member_role {
        let users = MEMBER_ROLE_USERS.lock().await;
        return users
            .as_ref()
            .and_then(|users| users.get(role))
            .unwrap_or_else(|| panic!("{role} was not created by iam::member_role"))
            .clone();
    }
    static USERS: Mutex<Option<HashMap<String, Credentials>>> = Mutex::const_new(None);
    let mut users = USERS.lock().await;
    let users = users.get_or_insert_with(HashMap::new);
    if let Some(credentials) = users.get(bot) {
        return credentials.clone();
    }
    let iam = aws_sdk_iam::Client::new(&aws().await);
    let mut actions = role_actions(bot);
    for (_, names) in MOTO_FUNCTION_NAMES.iter().filter(|(f, _)| *f == bot) {
        actions.extend(names.iter().map(|n| n.to_string()));
    }
    let policy = policy_allowing(&actions, None);
    let credentials = user_with_policy(&iam, &format!("bot-{bot}"), policy).await;
    users.insert(bot.to_string(), credentials.clone());
    credentials
}

/// The keys of a new user allowed the role actions of `bot` except `removed`.
pub async fn bot_credentials_without(bot: &str, removed: &[&str]) -> Credentials {
    let actions: Vec<String> = role_actions(bot)
        .into_iter()
        .filter(|a| !removed.contains(&a.as_str()))
        .collect();
    let iam = aws_sdk_iam::Client::new(&aws().await);
    let name = unique_name(&format!("bot-{bot}-less"));
    user_with_policy(&iam, &name, policy_allowing(&actions, None)).await
}

/// A member-account role in `account` for `bot` in multi-account mode, as the member template
/// makes it: holding the bot's role actions, assumable by the bot. Also creates the user the
/// bot then runs as, allowed only its actions and `sts:AssumeRole` on this role. Its ARN.
pub async fn member_role(bot: &str, account: &str) -> String {
    let role = unique_name("cloudbots-member");
    let role_arn = format!("arn:aws:iam::{account}:role/{role}");
    let local = aws_sdk_iam::Client::new(&aws().await);
    let user = unique_name(&format!("bot-{bot}-multi"));
    let policy = policy_allowing(&role_actions(bot), Some(&role_arn));
    let credentials = user_with_policy(&local, &user, policy).await;
    let member_config = crate::stack()
        .sdk_config_in(account, crate::LOCAL_REGION)
        .await
        .unwrap_or_else(|| panic!("the local stack has no administrator in account {account}"));
    let member = aws_sdk_iam::Client::new(&member_config);
    let trusted = format!("arn:aws:iam::{}:user/{user}", crate::LOCAL_ACCOUNT);
    create_bot_role(&member, &role, &trusted, bot).await;
    MEMBER_ROLE_USERS
        .lock()
        .await
        .get_or_insert_with(HashMap::new)
        .insert(role_arn.clone(), credentials);
    role_arn
}

/// Create the role `role` (through `iam`) holding the role actions of `bot`, assumable by the
/// principal `trusted` (an ARN: moto matches a trust policy's principal by exact ARN only).
pub async fn create_bot_role(iam: &aws_sdk_iam::Client, role: &str, trusted: &str, bot: &str) {
    let trust = json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Principal": {"AWS": trusted},
        "Action": "sts:AssumeRole",
    }]});
    iam.create_role()
        .role_name(role)
        .assume_role_policy_document(trust.to_string())
        .send()
        .await
        .expect("create_role");
    iam.put_role_policy()
        .role_name(role)
        .policy_name("bot-actions")
        .policy_document(policy_allowing(&role_actions(bot), None))
        .send()
        .await
        .expect("put_role_policy");
}
