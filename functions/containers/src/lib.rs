//! The ECS and ECR bots: one Lambda binary per bot under `src/bin/`, thin mains over this
//! library. An area of its own so that changing one of its bots relinks its binaries only
//! (`ecs_service_role_detach_inline_policy`, an IAM change, lives with the IAM bots).

pub mod ecr;
pub mod ecs;

/// The bots of this area, one binary each under `src/bin/`.
pub const BOTS: &[&[cloudbots_runtime::bot::Bot]] = &[ecs::BOTS, ecr::BOTS];
