//! Verify after change: a bot that changed a resource reads it again and checks the state it
//! promised, so a silent no-op (a call that succeeded and changed nothing, a change someone
//! reverted at once) fails the step as `NotVerified` instead of being reported `remediated`.
//!
//! Many AWS reads are eventually consistent, so the check may read a few times, with short
//! pauses: bounded to [`READS`] reads and about two seconds, never a wait loop in the Lambda.

use cloudbots_shared::error::{BotError, ErrorName};
use std::future::Future;
use std::time::Duration;

/// How many times the resource is read before a mismatch fails the step.
pub const READS: usize = 3;

/// The pauses before the second and third reads.
const PAUSES: [Duration; READS - 1] = [Duration::from_millis(400), Duration::from_millis(1500)];

/// Read the resource with `read` until `mismatches` finds nothing wrong with it, at most
/// [`READS`] times; returns the state read last. `what` names the resource in the error,
/// which lists the mismatches of the last read.
pub async fn reread<T, F, Fut>(
    what: &str,
    mut read: F,
    mismatches: impl Fn(&T) -> Vec<String>,
) -> Result<T, BotError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, BotError>>,
{
    let mut attempt = 0;
    loop {
        let state = read().await?;
        let wrong = mismatches(&state);
        if wrong.is_empty() {
            return Ok(state);
        }
        if attempt == PAUSES.len() {
            return Err(BotError::new(
                ErrorName::NotVerified,
                format!(
                    "{what} read back after the change is not as intended ({} reads): {}",
                    READS,
                    wrong.join("; ")
                ),
            ));
        }
        tokio::time::sleep(PAUSES[attempt]).await;
        attempt += 1;
    }
}

/// The check of a deletion: read `what` (`security group sg-1`) with `read` (None once it no
/// longer exists) until it is gone, else the step fails `NotVerified` (`… still exists`).
/// What was checked, for the outcome's `verified`.
pub async fn gone<T, F, Fut>(what: &str, read: F) -> Result<String, BotError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, BotError>>,
{
    reread(what, read, |now| {
        now.iter().map(|_| format!("{what} still exists")).collect()
    })
    .await?;
    Ok(format!("{what} no longer exists"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test(start_paused = true)]
    async fn a_late_state_is_accepted_and_a_state_never_reached_fails_not_verified() {
        let reads = AtomicUsize::new(0);
        let read = || async { Ok::<_, BotError>(reads.fetch_add(1, Ordering::SeqCst) + 1) };
        let state = reread("counter", read, |n| {
            if *n < 2 {
                vec![format!("{n} < 2")]
            } else {
                vec![]
            }
        })
        .await
        .unwrap();
        assert_eq!(state, 2, "the second read is the first that matches");

        reads.store(0, Ordering::SeqCst);
        let error = reread("rule of sg-1", read, |n| vec![format!("read {n}")])
            .await
            .unwrap_err();
        assert_eq!(error.name, ErrorName::NotVerified);
        assert_eq!(
            error.message,
            "rule of sg-1 read back after the change is not as intended (3 reads): read 3"
        );
        assert_eq!(reads.load(Ordering::SeqCst), READS);
    }

    #[tokio::test(start_paused = true)]
    async fn a_deletion_is_checked_until_the_resource_is_gone() {
        let reads = AtomicUsize::new(0);
        let read = || async {
            let n = reads.fetch_add(1, Ordering::SeqCst);
            Ok::<_, BotError>((n < 1).then_some("key"))
        };
        assert_eq!(
            gone("key pair k", read).await.unwrap(),
            "key pair k no longer exists"
        );
        let error = gone("key pair k", || async { Ok::<_, BotError>(Some(1)) })
            .await
            .unwrap_err();
        assert_eq!(error.name, ErrorName::NotVerified);
        assert_eq!(
            error.message,
            "key pair k read back after the change is not as intended (3 reads): key pair k still exists"
        );
    }
}
