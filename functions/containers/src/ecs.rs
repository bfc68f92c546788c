//! `ecs_reboot` and `ecs_stop`: stop every running task whose task definition runs with the
//! execution role the finding names (a Log.ic RegisterTaskDefinition finding: the entity id is
//! `<executionRoleArn>,…`), across the region's clusters.
//!
//! `ecs_reboot` only stops the tasks: the services that run them start new ones. `ecs_stop`
//! first drains the EC2 container instances that host them, so nothing is placed on those
//! instances again. Tasks are read live (ListTasks for the desired status RUNNING, then
//! DescribeTasks with their tags), and a task tagged to opt out of the bot is left alone and
//! named: the finding's entity is a role, not a resource whose tag could be re-read. Once
//! stopped, the tasks are read again: each must have the desired status STOPPED.

use aws_config::SdkConfig;
use aws_sdk_ecs::types::{ContainerInstanceStatus, DesiredStatus, Task, TaskField};
use cloudbots_runtime::aws_error::bot_error;
use cloudbots_runtime::bot::{entity_id, make_changes, params, Bot};
use cloudbots_runtime::exclusion::NO_TAGS;
use cloudbots_runtime::verify::reread;
use cloudbots_shared::error::BotError;
use cloudbots_shared::outcome::{BotInput, BotOutcome, OutcomeStatus};
use cloudbots_shared::params::NoParams;
use cloudbots_shared::plan::exclusion_reason;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The bots of this module.
pub const BOTS: &[Bot] = &[REBOOT, STOP];

pub const REBOOT: Bot = Bot {
    name: "ecs_reboot",
    tags: NO_TAGS,
    run: |input, aws| Box::pin(stop_tasks(input, aws, Drain::No)),
};

pub const STOP: Bot = Bot {
    name: "ecs_stop",
    tags: NO_TAGS,
    run: |input, aws| Box::pin(stop_tasks(input, aws, Drain::Hosts)),
};

/// The reason every stopped task gets, as in the original.
pub const STOP_REASON: &str = "Privileged task is dangerous and unnecessary";

/// Whether the container instances that host the tasks are drained first.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Drain {
    No,
    Hosts,
}

/// A running task that uses the role.
struct RoleTask {
    cluster: String,
    arn: String,
    task_definition: String,
    /// The EC2 container instance that hosts it (None on Fargate).
    host: Option<String>,
}

/// The last segment of an ECS ARN: a task, cluster or container instance id.
fn short(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// The execution role the finding names: the first of the entity id's comma-separated ARNs.
fn execution_role(input: &BotInput) -> Result<&str, BotError> {
    let role = entity_id(input)?.split(',').next().unwrap_or("").trim();
    match role.starts_with("arn:") && role.contains(":role/") {
        true => Ok(role),
        false => Err(BotError::invalid_input(format!(
            "the finding's entity id should start with the task definition's execution role ARN (arn:aws:iam::<account>:role/<name>), got '{role}'"
        ))),
    }
}

async fn stop_tasks(
    input: &BotInput,
    aws: &SdkConfig,
    drain: Drain,
) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let role = execution_role(input)?;
    let ecs = aws_sdk_ecs::Client::new(aws);
    let region = input.target.region.as_str();
    let (tasks, opted_out) = tasks_using(&ecs, input, role).await?;
    if tasks.is_empty() {
        return Ok(match opted_out.is_empty() {
            true => BotOutcome::compliant(
                input,
                format!("No running task in {region} uses execution role {role}"),
            ),
            false => BotOutcome::new(
                input,
                OutcomeStatus::Skipped,
                format!(
                    "Every running task using execution role {role} opts out: {}",
                    opted_out.join("; ")
                ),
            ),
        });
    }

    // Container instances to drain, by cluster.
    let mut hosts: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    if drain == Drain::Hosts {
        for task in &tasks {
            if let Some(host) = &task.host {
                hosts.entry(&task.cluster).or_default().insert(host);
            }
        }
    }
    let mut changes: Vec<String> = hosts
        .iter()
        .flat_map(|(cluster, hosts)| {
            hosts.iter().map(move |host| {
                format!(
                    "drain container instance {} of cluster {}",
                    short(host),
                    short(cluster)
                )
            })
        })
        .collect();
    changes.extend(tasks.iter().map(|task| {
        format!(
            "stop task {} of cluster {} (task definition {})",
            short(&task.arn),
            short(&task.cluster),
            short(&task.task_definition)
        )
    }));
    let left_alone = match opted_out.is_empty() {
        true => String::new(),
        false => format!("; left alone: {}", opted_out.join("; ")),
    };
    let done = match drain {
        Drain::No => format!(
            "Stopped {} task(s) using execution role {role}; the services that ran them start new ones{left_alone}",
            tasks.len()
        ),
        Drain::Hosts => format!(
            "Stopped {} task(s) using execution role {role} after draining {} container instance(s), on which nothing is placed again until they are set ACTIVE{left_alone}",
            tasks.len(),
            hosts.values().map(BTreeSet::len).sum::<usize>()
        ),
    };
    let mut verified = Vec::new();
    let apply = async {
        for (cluster, hosts) in &hosts {
            ecs.update_container_instances_state()
                .cluster(*cluster)
                .set_container_instances(Some(hosts.iter().map(|h| h.to_string()).collect()))
                .status(ContainerInstanceStatus::Draining)
                .send()
                .await
                .map_err(|e| {
                    bot_error(
                        &format!(
                            "draining the container instances of cluster {}",
                            short(cluster)
                        ),
                        e,
                    )
                })?;
        }
        for task in &tasks {
            ecs.stop_task()
                .cluster(&task.cluster)
                .task(&task.arn)
                .reason(STOP_REASON)
                .send()
                .await
                .map_err(|e| bot_error(&format!("stopping task {}", short(&task.arn)), e))?;
        }
        reread(
            &format!("the tasks using execution role {role}"),
            || not_stopping(&ecs, &tasks),
            Vec::clone,
        )
        .await?;
        verified.extend(tasks.iter().map(|task| {
            format!(
                "task {} of cluster {} has desired status STOPPED",
                short(&task.arn),
                short(&task.cluster)
            )
        }));
        Ok(())
    };
    let outcome = make_changes(
        input,
        changes,
        format!(
            "Would stop {} task(s) using execution role {role}{left_alone}",
            tasks.len()
        ),
        apply,
        done,
    )
    .await?;
    Ok(outcome.with_verified(verified))
}

/// Whether ECS reports the task stopping or stopped. StopTask sets the desired status STOPPED
/// at once, and a task that ended by itself has it too; the last status lags behind the stop
/// and can read STOPPED for a task still wanted running, so it is not the sign.
fn stopping(task: &Task) -> bool {
    task.desired_status() == Some(DesiredStatus::Stopped.as_str())
}

/// The tasks, read again, that ECS does not report stopping or stopped (one line each); a
/// task ECS no longer knows is stopped.
async fn not_stopping(
    ecs: &aws_sdk_ecs::Client,
    tasks: &[RoleTask],
) -> Result<Vec<String>, BotError> {
    let mut by_cluster: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for task in tasks {
        by_cluster
            .entry(&task.cluster)
            .or_default()
            .push(task.arn.clone());
    }
    let mut wrong = Vec::new();
    for (cluster, arns) in by_cluster {
        for batch in arns.chunks(100) {
            let described = ecs
                .describe_tasks()
                .cluster(cluster)
                .set_tasks(Some(batch.to_vec()))
                .send()
                .await
                .map_err(|e| {
                    bot_error(
                        &format!("describing the tasks of cluster {}", short(cluster)),
                        e,
                    )
                })?;
            wrong.extend(
                described
                    .tasks()
                    .iter()
                    .filter(|task| !stopping(task))
                    .map(|task| {
                        format!(
                            "task {} of cluster {} has desired status {}",
                            short(task.task_arn().unwrap_or_default()),
                            short(cluster),
                            task.desired_status().unwrap_or("?")
                        )
                    }),
            );
        }
    }
    Ok(wrong)
}

/// The running tasks of every cluster whose task definition has the execution role, and the
/// ones among them that opt out of the bot (with the reason).
async fn tasks_using(
    ecs: &aws_sdk_ecs::Client,
    input: &BotInput,
    role: &str,
) -> Result<(Vec<RoleTask>, Vec<String>), BotError> {
    let clusters: Vec<String> = ecs
        .list_clusters()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<_, _>>()
        .await
        .map_err(|e| bot_error("listing the ECS clusters", e))?;
    let mut roles_of_definitions: HashMap<String, Option<String>> = HashMap::new();
    let (mut using, mut opted_out) = (Vec::new(), Vec::new());
    let today = chrono::Utc::now().date_naive();
    for cluster in clusters {
        let task_arns: Vec<String> = ecs
            .list_tasks()
            .cluster(&cluster)
            .desired_status(DesiredStatus::Running)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<_, _>>()
            .await
            .map_err(|e| {
                bot_error(
                    &format!("listing the tasks of cluster {}", short(&cluster)),
                    e,
                )
            })?;
        for batch in task_arns.chunks(100) {
            let described = ecs
                .describe_tasks()
                .cluster(&cluster)
                .set_tasks(Some(batch.to_vec()))
                .include(TaskField::Tags)
                .send()
                .await
                .map_err(|e| {
                    bot_error(
                        &format!("describing the tasks of cluster {}", short(&cluster)),
                        e,
                    )
                })?;
            for task in described.tasks() {
                let Some(definition) = task.task_definition_arn() else {
                    continue;
                };
                if !roles_of_definitions.contains_key(definition) {
                    let role = definition_role(ecs, definition).await?;
                    roles_of_definitions.insert(definition.to_string(), role);
                }
                if roles_of_definitions[definition].as_deref() != Some(role) {
                    continue;
                }
                let arn = task.task_arn().unwrap_or_default().to_string();
                if let Some(reason) = opt_out(task, input, today) {
                    opted_out.push(format!("task {} ({reason})", short(&arn)));
                    continue;
                }
                using.push(RoleTask {
                    cluster: cluster.clone(),
                    arn,
                    task_definition: definition.to_string(),
                    host: task.container_instance_arn().map(str::to_string),
                });
            }
        }
    }
    Ok((using, opted_out))
}

/// The execution role of a task definition.
async fn definition_role(
    ecs: &aws_sdk_ecs::Client,
    definition: &str,
) -> Result<Option<String>, BotError> {
    let described = ecs
        .describe_task_definition()
        .task_definition(definition)
        .send()
        .await
        .map_err(|e| {
            bot_error(
                &format!("describing task definition {}", short(definition)),
                e,
            )
        })?;
    Ok(described
        .task_definition()
        .and_then(|d| d.execution_role_arn())
        .map(str::to_string))
}

/// Why the task must be left alone, from its own opt-out tag.
fn opt_out(task: &Task, input: &BotInput, today: chrono::NaiveDate) -> Option<String> {
    let key = &input.step.exclude_tag_key;
    let value = task
        .tags()
        .iter()
        .find(|tag| tag.key() == Some(key.as_str()))?
        .value()
        .unwrap_or("");
    exclusion_reason(key, value, &input.step.bot, today)
}
