//! The local stack: moto serving EC2, S3, IAM, KMS, STS, SNS, DynamoDB and Step Functions on
//! 127.0.0.1, and beside it a gateway that answers the Lambda Invoke API with our functions,
//! so the *real* state machine definition runs in moto and its Task states reach our code.
//!
//! moto's Step Functions engine sends every service call it makes to `localhost:$MOTO_PORT`;
//! moto is started with `MOTO_PORT` set to the gateway's port, and the gateway forwards
//! everything that is not a Lambda invocation to moto.
//!
//! A stack can also enforce IAM, to prove that each bot's declared actions are enough: it is
//! then started with an administrator user in each account it serves, whose keys sign its
//! configurations, and
//! [`LocalStack::enforce_iam`] turns moto's IAM checks on, after which every request must be
//! signed by a moto IAM user whose policies allow the action. moto's own Step Functions engine
//! signs with the process's dummy credentials, which enforcement rejects, so a stack that runs
//! the state machine is left unenforced.

pub mod deploy;
pub mod gateway;
pub mod moto;
mod signing;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use cloudbots_shared::error::ErrorName;
use gateway::Gateway;
use std::collections::HashMap;
use std::sync::Arc;

/// The account moto acts as when no other is asked for.
pub const LOCAL_ACCOUNT: &str = "123456789012";
/// The region the local stack deploys into.
pub const LOCAL_REGION: &str = "us-east-1";

/// A running local stack. Dropping it (or the end of the process) stops moto.
pub struct LocalStack {
    pub moto_port: u16,
    pub gateway_port: u16,
    gateway: Arc<Gateway>,
    /// Each account's administrator keys, when the stack was started to enforce IAM.
    admins: HashMap<String, Credentials>,
    enforcing: tokio::sync::OnceCell<()>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl LocalStack {
    /// Start moto and the gateway on free loopback ports. They run on a thread of their own,
    /// which owns the moto process: when that thread ends, moto ends with it.
    pub fn start() -> Result<LocalStack, String> {
        Self::boot(Vec::new())
    }

    /// Start a stack that can enforce IAM: as [`LocalStack::start`], plus an IAM user
    /// [`ADMIN_USER`] allowed every action in the local account and in each of
    /// `member_accounts`, whose keys sign [`LocalStack::sdk_config`] and
    /// [`LocalStack::sdk_config_in`]. Enforcement stays off until [`LocalStack::enforce_iam`]
    /// (once it is on, no identity can be created in an account without one).
    pub fn start_with_admins(member_accounts: &[&str]) -> Result<LocalStack, String> {
        let mut accounts = vec![LOCAL_ACCOUNT.to_string()];
        accounts.extend(member_accounts.iter().map(|a| a.to_string()));
        Self::boot(accounts)
    }

    fn boot(admin_accounts: Vec<String>) -> Result<LocalStack, String> {
        let moto_port = free_port()?;
        let gateway_port = free_port()?;
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (shutdown_tx, shutdown_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("local-stack".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .expect("a tokio runtime");
                runtime.block_on(async move {
                    let mut child = match moto::spawn(moto_port, gateway_port) {
                        Ok(child) => child,
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                            return;
                        }
                    };
                    let booted = async {
                        moto::wait_ready(moto_port).await?;
                        moto::enable_step_functions_execution(moto_port).await?;
                        let mut admins = HashMap::new();
                        for account in admin_accounts {
                            let admin = create_admin(moto_port, &account).await?;
                            admins.insert(account, admin);
                        }
                        let base = match admins.get(LOCAL_ACCOUNT) {
                            Some(admin) => {
                                enforceable_sdk_config(moto_port, LOCAL_REGION, admin.clone()).await
                            }
                            None => local_sdk_config(moto_port, LOCAL_REGION).await,
                        };
                        let gateway = Arc::new(Gateway::new(moto_port, base));
                        gateway::serve(gateway.clone(), gateway_port).await?;
                        Ok::<_, String>((gateway, admins))
                    }
                    .await;
                    let ok = booted.is_ok();
                    let _ = ready_tx.send(booted);
                    if ok {
                        let _ = shutdown_rx.await;
                    }
                    let _ = child.kill();
                    let _ = child.wait();
                });
            })
            .map_err(|e| format!("starting the local stack thread: {e}"))?;
        let (gateway, admins) = ready_rx
            .recv()
            .map_err(|_| "the local stack thread ended before it was ready".to_string())??;
        Ok(LocalStack {
            moto_port,
            gateway_port,
            gateway,
            admins,
            enforcing: tokio::sync::OnceCell::new(),
            shutdown: Some(shutdown_tx),
            thread: Some(thread),
        })
    }

    /// The endpoint clients use (moto itself).
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.moto_port)
    }

    /// An AWS configuration pointed at the stack, in `region`, as the local account (signed by
    /// its administrator when the stack has one).
    pub async fn sdk_config(&self, region: &str) -> SdkConfig {
        match self.admins.get(LOCAL_ACCOUNT) {
            Some(admin) => self.sdk_config_as(region, admin.clone()).await,
            None => local_sdk_config(self.moto_port, region).await,
        }
    }

    /// An AWS configuration acting in `account` as its administrator, if the stack has one.
    pub async fn sdk_config_in(&self, account: &str, region: &str) -> Option<SdkConfig> {
        let admin = self.admins.get(account)?.clone();
        Some(self.sdk_config_as(region, admin).await)
    }

    /// An AWS configuration pointed at the stack, in `region`, signed with `credentials` (the
    /// keys of an IAM user created in the stack).
    pub async fn sdk_config_as(&self, region: &str, credentials: Credentials) -> SdkConfig {
        enforceable_sdk_config(self.moto_port, region, credentials).await
    }

    /// Turn moto's IAM enforcement on (once; later calls return at once): from then on a
    /// request is refused unless its keys belong to an IAM user of the stack whose policies
    /// allow the action. Only a stack started with [`LocalStack::start_with_admins`] can, so
    /// that its own configurations keep working.
    pub async fn enforce_iam(&self) -> Result<(), String> {
        if self.admins.is_empty() {
            return Err(
                "this local stack has no administrator to sign with: start it with LocalStack::start_with_admins to enforce IAM"
                    .to_string(),
            );
        }
        self.enforcing
            .get_or_try_init(|| moto::enforce_iam(self.moto_port))
            .await
            .map(drop)
    }

    /// The gateway, to inspect invocations and captured messages, or to inject faults.
    pub fn gateway(&self) -> &Gateway {
        &self.gateway
    }

    /// Make the next `times` invocations of `function` about `entity_id` fail with `error`.
    pub fn inject_fault(&self, function: &str, entity_id: &str, error: ErrorName, times: usize) {
        self.gateway.inject_fault(function, entity_id, error, times);
    }

    /// Stop moto and the gateway.
    pub fn stop(mut self) {
        self.shutdown_now();
    }

    fn shutdown_now(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for LocalStack {
    fn drop(&mut self) {
        self.shutdown_now();
    }
}

/// An AWS configuration for moto on `port`: dummy credentials, an IP endpoint (S3 then uses
/// path-style addressing).
pub async fn local_sdk_config(port: u16, region: &str) -> SdkConfig {
    let dummy = Credentials::new("testing", "testing", None, None, "local-stack");
    signed_sdk_config(port, region, dummy).await
}

/// An AWS configuration for moto on `port`, signed with `credentials`.
async fn signed_sdk_config(port: u16, region: &str, credentials: Credentials) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region.to_string()))
        .endpoint_url(format!("http://127.0.0.1:{port}"))
        .credentials_provider(credentials)
        .load()
        .await
}

/// As [`signed_sdk_config`], with the form bodies signed the way moto checks them when it
/// enforces IAM (see [`signing`]).
async fn enforceable_sdk_config(port: u16, region: &str, credentials: Credentials) -> SdkConfig {
    let plain_http = aws_smithy_http_client::Builder::new().build_http();
    signed_sdk_config(port, region, credentials)
        .await
        .to_builder()
        .http_client(signing::PlusSpacesClient::new(plain_http))
        .build()
}

/// The administrator of each account of a stack started with [`LocalStack::start_with_admins`].
pub const ADMIN_USER: &str = "local-stack-admin";

/// A policy allowing every action on every resource.
const ALLOW_ALL: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

/// Create [`ADMIN_USER`] (allowed everything) in `account` while moto does not enforce IAM
/// (moto takes the account of an unsigned request from its `x-moto-account-id` header, and
/// that of a signed one from the account its access key was created in); its keys.
async fn create_admin(port: u16, account: &str) -> Result<Credentials, String> {
    let mut config =
        aws_sdk_iam::config::Builder::from(&local_sdk_config(port, LOCAL_REGION).await);
    let in_account = AccountHeader(account.to_string());
    config.push_interceptor(aws_sdk_iam::config::SharedInterceptor::new(in_account));
    let iam = aws_sdk_iam::Client::from_conf(config.build());
    create_user_with_policy(&iam, ADMIN_USER, ALLOW_ALL)
        .await
        .map_err(|e| format!("creating the local administrator in account {account}: {e}"))
}

/// Create the IAM user `name` (through `iam`) whose only policy is the inline `policy`; the
/// keys of its new access key.
pub async fn create_user_with_policy(
    iam: &aws_sdk_iam::Client,
    name: &str,
    policy: &str,
) -> Result<Credentials, String> {
    let failed = |operation: &str, e: &dyn std::error::Error| {
        format!(
            "{operation} for {name}: {}",
            aws_sdk_iam::error::DisplayErrorContext(e)
        )
    };
    iam.create_user()
        .user_name(name)
        .send()
        .await
        .map_err(|e| failed("CreateUser", &e))?;
    iam.put_user_policy()
        .user_name(name)
        .policy_name(name)
        .policy_document(policy)
        .send()
        .await
        .map_err(|e| failed("PutUserPolicy", &e))?;
    let created = iam
        .create_access_key()
        .user_name(name)
        .send()
        .await
        .map_err(|e| failed("CreateAccessKey", &e))?;
    let key = created
        .access_key()
        .ok_or_else(|| format!("CreateAccessKey for {name} returned no key"))?;
    let credentials = Credentials::new(
        key.access_key_id(),
        key.secret_access_key(),
        None,
        None,
        "local-stack-user",
    );
    signing::register(&credentials);
    Ok(credentials)
}

/// Sends moto's `x-moto-account-id` header: the account an unenforced request acts in.
#[derive(Debug)]
struct AccountHeader(String);

impl aws_sdk_iam::config::Intercept for AccountHeader {
    fn name(&self) -> &'static str {
        "AccountHeader"
    }

    fn modify_before_signing(
        &self,
        context: &mut aws_sdk_iam::config::interceptors::BeforeTransmitInterceptorContextMut<'_>,
        _components: &aws_sdk_iam::config::RuntimeComponents,
        _cfg: &mut aws_sdk_iam::config::ConfigBag,
    ) -> Result<(), aws_sdk_iam::error::BoxError> {
        context
            .request_mut()
            .headers_mut()
            .insert("x-moto-account-id", self.0.clone());
        Ok(())
    }
}

fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|e| format!("finding a free port: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("finding a free port: {e}"))
}
