//! The undo planner function: the first state of the undo state machine.

use cloudbots_intake::audit_store::AuditStore;
use cloudbots_intake::undo_planner::{UndoPlanner, UndoRequest};
use cloudbots_runtime::lambda::{aws_config_loader, init_logging, required_env, FunctionError};
use lambda_runtime::{service_fn, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_logging();
    let config = aws_config_loader().load().await;
    let planner = UndoPlanner {
        audit: AuditStore::new(
            aws_sdk_dynamodb::Client::new(&config),
            required_env("AUDIT_TABLE")?,
        ),
    };
    let planner = &planner;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<UndoRequest>| async move {
            planner.run(event.payload).await.map_err(FunctionError)
        },
    ))
    .await
}
