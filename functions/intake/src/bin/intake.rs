//! The intake function: findings in, executions started.

use cloudbots_intake::audit_store::AuditStore;
use cloudbots_intake::intake::Intake;
use cloudbots_runtime::lambda::{
    aws_config_loader, home_account, init_logging, required_env, FunctionError,
};
use cloudbots_shared::budget::Limits;
use cloudbots_shared::mapping::Mappings;
use cloudbots_shared::plan::PlannerConfig;
use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_logging();
    let config = aws_config_loader().load().await;
    let mut planner = PlannerConfig::from_vars(|name| std::env::var(name).ok())?;
    planner.home_account = Some(home_account(&config).await?);
    let intake = Intake {
        sfn: aws_sdk_sfn::Client::new(&config),
        audit: AuditStore::new(
            aws_sdk_dynamodb::Client::new(&config),
            required_env("AUDIT_TABLE")?,
        ),
        state_machine_arn: required_env("STATE_MACHINE_ARN")?,
        planner,
        mappings: Mappings::from_vars(|name| std::env::var(name).ok())?,
        limits: Limits::from_vars(|name| std::env::var(name).ok())?,
    };
    let intake = &intake;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        intake.handle(&event.payload).await.map_err(FunctionError)
    }))
    .await
}
