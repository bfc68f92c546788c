//! The local stack: moto serving EC2, S3, IAM, KMS, STS, SNS, DynamoDB and Step Functions on
//! 127.0.0.1, and beside it a gateway that answers the Lambda Invoke API with our functions,
//! so the *real* state machine definition runs in moto and its Task states reach our code.
//!
//! moto's Step Functions engine sends every service call it makes to `localhost:$MOTO_PORT`;
//! moto is started with `MOTO_PORT` set to the gateway's port, and the gateway forwards
//! everything that is not a Lambda invocation to moto.

pub mod deploy;
pub mod gateway;
pub mod moto;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use cloudbots_shared::error::ErrorName;
use gateway::Gateway;
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
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl LocalStack {
    /// Start moto and the gateway on free loopback ports. They run on a thread of their own,
    /// which owns the moto process: when that thread ends, moto ends with it.
    pub fn start() -> Result<LocalStack, String> {
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
                        let base = local_sdk_config(moto_port, LOCAL_REGION).await;
                        let gateway = Arc::new(Gateway::new(moto_port, base));
                        gateway::serve(gateway.clone(), gateway_port).await?;
                        Ok::<_, String>(gateway)
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
        let gateway = ready_rx
            .recv()
            .map_err(|_| "the local stack thread ended before it was ready".to_string())??;
        Ok(LocalStack {
            moto_port,
            gateway_port,
            gateway,
            shutdown: Some(shutdown_tx),
            thread: Some(thread),
        })
    }

    /// The endpoint clients use (moto itself).
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.moto_port)
    }

    /// An AWS configuration pointed at the stack, in `region`, as the local account.
    pub async fn sdk_config(&self, region: &str) -> SdkConfig {
        local_sdk_config(self.moto_port, region).await
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
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region.to_string()))
        .endpoint_url(format!("http://127.0.0.1:{port}"))
        .credentials_provider(Credentials::new(
            "testing",
            "testing",
            None,
            None,
            "local-stack",
        ))
        .load()
        .await
}

fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|e| format!("finding a free port: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("finding a free port: {e}"))
}
