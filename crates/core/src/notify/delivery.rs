//! Retrying deliveries: a failed attempt is retried after 1, then 5, then 30 minutes; the
//! fourth failure is final and its error is kept for the operator.

use time::Duration;

use super::model::{DeliveryStatus, DeliveryUpdate};
use crate::time::Timestamp;

/// The waits after the first, second and third failure.
pub const RETRY_DELAYS: [Duration; 3] = [
    Duration::minutes(1),
    Duration::minutes(5),
    Duration::minutes(30),
];

/// Attempts before a delivery is given up.
pub const MAX_ATTEMPTS: u32 = RETRY_DELAYS.len() as u32 + 1;

/// How long a claimed delivery is reserved for the worker that claimed it.
pub const LEASE: Duration = Duration::minutes(10);

/// A delivery's state after attempt number `attempt` (1 for the first) ended in `outcome`.
pub fn after_attempt(attempt: u32, outcome: Result<(), String>, at: Timestamp) -> DeliveryUpdate {
    match outcome {
        Ok(()) => DeliveryUpdate {
            status: DeliveryStatus::Sent,
            attempts: attempt,
            next_attempt_at: at,
            last_error: None,
            sent_at: Some(at),
        },
        Err(error) => {
            let wait = usize::try_from(attempt.saturating_sub(1))
                .ok()
                .and_then(|i| RETRY_DELAYS.get(i));
            DeliveryUpdate {
                status: if wait.is_some() {
                    DeliveryStatus::Pending
                } else {
                    DeliveryStatus::Failed
                },
                attempts: attempt,
                next_attempt_at: wait.map(|w| at.add(*w)).unwrap_or(at),
                last_error: Some(error.chars().take(1000).collect()),
                sent_at: None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failing_delivery_is_retried_after_1_5_and_30_minutes_then_given_up() {
        let t0 = Timestamp::from_millis(1_700_000_000_000).unwrap();
        let waits: Vec<_> = (1..=MAX_ATTEMPTS)
            .map(|n| after_attempt(n, Err("refused".into()), t0))
            .collect();
        assert_eq!(waits[0].next_attempt_at, t0.add(Duration::minutes(1)));
        assert_eq!(waits[1].next_attempt_at, t0.add(Duration::minutes(5)));
        assert_eq!(waits[2].next_attempt_at, t0.add(Duration::minutes(30)));
        assert!(
            waits[..3]
                .iter()
                .all(|u| u.status == DeliveryStatus::Pending)
        );
        assert_eq!(waits[3].status, DeliveryStatus::Failed);
        assert_eq!(waits[3].last_error.as_deref(), Some("refused"));
        let sent = after_attempt(2, Ok(()), t0);
        assert_eq!(sent.status, DeliveryStatus::Sent);
        assert_eq!(sent.sent_at, Some(t0));
    }
}
