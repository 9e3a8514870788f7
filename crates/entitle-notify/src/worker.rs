//! The outbox worker: claims runnable steps from the store, hands each to the
//! sink its route names, and records how it went: `delivered`, `failed` with
//! a retry time, or `dead`.
//!
//! Any number of workers, in any number of processes, may share one
//! database: a step is claimed by one of them at a time (`FOR UPDATE SKIP
//! LOCKED` on PostgreSQL). A claim that outlives its lease (a worker killed
//! mid-delivery) is claimed again and delivered with the same idempotency
//! key, so a receiver that deduplicates on `Idempotency-Key` sees each effect
//! once.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use chrono::{DateTime, TimeDelta, Utc};
use entitle_store::{ActionRecord, ClaimedAction, Delivered, JsonText, Store, StoreError};
use serde_json::Value;
use tokio::task::JoinSet;

use crate::config::{MAX_RETRY_DELAY_SECONDS, WorkerConfig};
use crate::delivery::{Delivery, DeliveryError, Input};
use crate::sink::Sink;

/// What the worker did in a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunStats {
    /// Steps claimed.
    pub claimed: usize,
    /// Steps delivered.
    pub delivered: usize,
    /// Steps that failed and will be tried again.
    pub retrying: usize,
    /// Steps that failed for good.
    pub dead: usize,
    /// Results not recorded because the claim had passed to another worker.
    pub stale: usize,
}

impl std::ops::AddAssign for RunStats {
    fn add_assign(&mut self, other: RunStats) {
        self.claimed += other.claimed;
        self.delivered += other.delivered;
        self.retrying += other.retrying;
        self.dead += other.dead;
        self.stale += other.stale;
    }
}

impl std::fmt::Display for RunStats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} claimed, {} delivered, {} to retry, {} dead",
            self.claimed, self.delivered, self.retrying, self.dead
        )
    }
}

/// Delivers the outbox's steps to their sinks. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Worker {
    store: Store,
    sinks: Arc<BTreeMap<String, Sink>>,
    config: WorkerConfig,
}

/// How one delivery ended, before it is recorded.
enum Outcome {
    Delivered(Value),
    Retry {
        error: String,
        response: Option<Value>,
        at: DateTime<Utc>,
    },
    Dead {
        error: String,
        response: Option<Value>,
    },
}

impl Worker {
    /// A worker over `store`, delivering to `sinks` (by name) as `config`
    /// says.
    pub fn new(store: Store, sinks: BTreeMap<String, Sink>, config: WorkerConfig) -> Worker {
        Worker {
            store,
            sinks: Arc::new(sinks),
            config,
        }
    }

    /// How many sinks it delivers to.
    pub fn sink_count(&self) -> usize {
        self.sinks.len()
    }

    /// How long a claim holds before another worker may take the step over:
    /// twice the longest sink timeout, plus a margin.
    pub fn lease(&self) -> Duration {
        let longest = self
            .sinks
            .values()
            .map(Sink::timeout)
            .max()
            .unwrap_or(Duration::from_secs(30));
        longest.saturating_mul(2) + Duration::from_secs(5)
    }

    /// Delivers runnable steps until none is left (steps waiting for a retry
    /// time in the future stay), and says what it did.
    pub async fn run_once(&self) -> Result<RunStats, StoreError> {
        let mut total = RunStats::default();
        loop {
            let pass = self.pass().await?;
            total += pass;
            if pass.claimed == 0 {
                return Ok(total);
            }
        }
    }

    /// Runs until `shutdown` resolves: passes back to back while there is
    /// work, a pause of `poll_interval_ms` when there is none. Deliveries
    /// under way when `shutdown` resolves are finished and recorded first.
    pub async fn run(&self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        let poll = Duration::from_millis(self.config.poll_interval_ms);
        loop {
            let idle = match self.pass().await {
                Ok(pass) => pass.claimed == 0,
                Err(error) => {
                    tracing::warn!(%error, "outbox: a pass failed; trying again after the poll interval");
                    true
                }
            };
            let pause = if idle { poll } else { Duration::ZERO };
            tokio::select! {
                biased;
                () = &mut shutdown => return,
                () = tokio::time::sleep(pause) => {}
            }
        }
    }

    /// One claim of up to `concurrency` steps, delivered concurrently. The
    /// failures are recorded as they come (each may cascade); the
    /// deliveries together, in one transaction, once all have answered.
    async fn pass(&self) -> Result<RunStats, StoreError> {
        let sinks = &self.sinks;
        let redelivery = |name: &str| sinks.get(name).map(Sink::redelivery).unwrap_or_default();
        let claimed = self
            .store
            .outbox()
            .claim_with(
                Utc::now(),
                self.config.concurrency,
                self.lease(),
                &redelivery,
            )
            .await?;
        let mut stats = RunStats {
            claimed: claimed.len(),
            ..RunStats::default()
        };
        let mut deliveries = JoinSet::new();
        let mut running = HashMap::new();
        for step in claimed {
            let worker = self.clone();
            let task = step.clone();
            let handle = deliveries.spawn(async move {
                let outcome = worker.deliver(&task).await;
                (task, outcome)
            });
            running.insert(handle.id(), step);
        }
        let mut delivered = Vec::new();
        while let Some(joined) = deliveries.join_next_with_id().await {
            let (step, outcome) = match joined {
                Ok((_, done)) => done,
                // A delivery that panicked (a defect) is a failure to
                // retry, recorded now: left in flight, its step waited
                // for its lease with no error said.
                Err(error) => {
                    let Some(step) = running.remove(&error.id()) else {
                        continue;
                    };
                    let message = format!("the delivery stopped on a defect of entitle: {error}");
                    let outcome = match retry_delay(&self.config, step.action.attempts, None) {
                        Some(delay) => Outcome::Retry {
                            error: message,
                            response: None,
                            at: Utc::now()
                                .checked_add_signed(delay)
                                .unwrap_or_else(Utc::now),
                        },
                        None => Outcome::Dead {
                            error: message,
                            response: None,
                        },
                    };
                    (step, outcome)
                }
            };
            match outcome {
                Outcome::Delivered(response) => delivered.push((step, response)),
                failed => match self.record_failure(&step, failed).await? {
                    Some(Recorded::Retrying) => stats.retrying += 1,
                    Some(_) => stats.dead += 1,
                    None => stats.stale += 1,
                },
            }
        }
        let batch: Vec<Delivered<'_>> = delivered
            .iter()
            .map(|(step, response)| Delivered {
                id: &step.action.id,
                claim_token: &step.claim_token,
                response: JsonText::from(response),
            })
            .collect();
        for fresh in self.store.outbox().complete_all(&batch).await? {
            if fresh {
                stats.delivered += 1;
            } else {
                stats.stale += 1;
            }
        }
        Ok(stats)
    }

    async fn deliver(&self, step: &ClaimedAction) -> Outcome {
        let row = &step.action;
        let Some(sink) = self.sinks.get(&row.sink) else {
            return Outcome::Dead {
                error: format!(
                    "no sink `{}` is configured (the route changed since the decision)",
                    row.sink
                ),
                response: None,
            };
        };
        let payload = match row.step_payload() {
            Ok(payload) => payload,
            Err(e) => {
                return Outcome::Dead {
                    error: format!("the step's payload is not a step's payload: {e}"),
                    response: None,
                };
            }
        };
        let inputs: Vec<Input> = step.inputs.iter().map(input).collect();
        let delivery = Delivery {
            action_row_id: &row.id,
            decision_id: row.decision_id.as_deref(),
            action_id: &row.action_id,
            idempotency_key: &row.idempotency_key,
            payload: &payload,
            inputs: &inputs,
            attempt: row.attempts,
            previous: row.response.as_ref(),
        };
        tracing::debug!(action = %row.id, sink = %row.sink, attempt = row.attempts, "outbox: delivering");
        // The sinks enforce their own timeout; this one also bounds a sink
        // that would not (a stuck SMTP dialogue, say).
        let limit = sink.timeout() + Duration::from_secs(1);
        let error = match tokio::time::timeout(limit, sink.deliver(&delivery)).await {
            Ok(Ok(response)) => return Outcome::Delivered(response),
            Ok(Err(error)) => error,
            Err(_) => DeliveryError::Retryable {
                message: format!("no answer within {} s", limit.as_secs()),
                retry_after: None,
                response: None,
            },
        };
        match error {
            DeliveryError::Permanent { message, response } => Outcome::Dead {
                error: message,
                response,
            },
            DeliveryError::Retryable {
                message,
                retry_after,
                response,
            } => match retry_delay(&self.config, row.attempts, retry_after) {
                Some(delay) => Outcome::Retry {
                    error: message,
                    response,
                    // At most 30 days ahead: cannot overflow; were it to,
                    // retrying now beats a step left in flight.
                    at: Utc::now()
                        .checked_add_signed(delay)
                        .unwrap_or_else(Utc::now),
                },
                None => Outcome::Dead {
                    error: format!(
                        "{message} (gave up after {} attempt{})",
                        row.attempts,
                        if row.attempts == 1 { "" } else { "s" }
                    ),
                    response,
                },
            },
        }
    }

    /// Records a failed delivery: `Some(Retrying)` or `Some(Dead)`, `None`
    /// for a stale claim (another worker holds the step now).
    async fn record_failure(
        &self,
        step: &ClaimedAction,
        outcome: Outcome,
    ) -> Result<Option<Recorded>, StoreError> {
        let row = &step.action;
        let token = step.claim_token.as_str();
        let (error, response, retry_at) = match outcome {
            Outcome::Delivered(_) => return Ok(None),
            Outcome::Retry {
                error,
                response,
                at,
            } => {
                tracing::info!(action = %row.id, sink = %row.sink, %error, retry_at = %at, "outbox: delivery failed, will retry");
                (error, response, Some(at))
            }
            Outcome::Dead { error, response } => {
                tracing::warn!(action = %row.id, sink = %row.sink, %error, "outbox: delivery failed for good");
                (error, response, None)
            }
        };
        let recorded = if retry_at.is_some() {
            Recorded::Retrying
        } else {
            Recorded::Dead
        };
        let fresh = self
            .store
            .outbox()
            .fail(
                &row.id,
                token,
                &error,
                response.map(JsonText::from),
                retry_at,
            )
            .await?;
        Ok(fresh.then_some(recorded))
    }
}

/// How a failure was recorded.
enum Recorded {
    Retrying,
    Dead,
}

/// What a sink is told of an input step.
fn input(record: &ActionRecord) -> Input {
    Input {
        action_id: record.action_id.clone(),
        sink: record.sink.clone(),
        succeeded: record.status.is_success(),
        response: record.response.clone(),
        last_error: record.last_error.clone(),
    }
}

/// The pause before the attempt after `attempts` failed ones, or `None` once
/// `max_attempts` have been made: exponential from `base_delay_seconds`
/// (doubling), at most `max_delay_seconds`, with jitter, and never shorter
/// than the receiver's `Retry-After`; and never longer than
/// [`MAX_RETRY_DELAY_SECONDS`] (30 days), whatever the receiver asks
/// (`Retry-After: 9000000000000` overflowed the retry time, and the
/// delivery's task panicked with its step in flight).
pub fn retry_delay(
    config: &WorkerConfig,
    attempts: u32,
    retry_after: Option<Duration>,
) -> Option<TimeDelta> {
    if attempts >= config.max_attempts {
        return None;
    }
    let base = Duration::from_secs(config.base_delay_seconds);
    let max = Duration::from_secs(config.max_delay_seconds);
    let nth = usize::try_from(attempts.saturating_sub(1)).unwrap_or(usize::MAX);
    let backoff = ExponentialBuilder::new()
        .with_min_delay(base)
        .with_max_delay(max)
        .with_jitter()
        .without_max_times()
        .build()
        .nth(nth)
        .unwrap_or(max);
    let ceiling = Duration::from_secs(MAX_RETRY_DELAY_SECONDS);
    let delay = retry_after
        .map_or(backoff, |after| after.max(backoff))
        .min(ceiling);
    Some(TimeDelta::from_std(delay).unwrap_or(TimeDelta::seconds(30 * 24 * 3600)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> WorkerConfig {
        WorkerConfig {
            max_attempts: 5,
            base_delay_seconds: 2,
            max_delay_seconds: 10,
            ..WorkerConfig::default()
        }
    }

    #[test]
    fn delays_grow_from_the_base_to_the_cap_with_jitter() {
        let secs = |attempts| {
            retry_delay(&config(), attempts, None)
                .map(|d| d.as_seconds_f64())
                .unwrap()
        };
        // Jitter adds up to the delay itself: [d, 2d), capped.
        for _ in 0..50 {
            let first = secs(1);
            assert!((2.0..4.0).contains(&first), "{first}");
            let second = secs(2);
            assert!((4.0..8.0).contains(&second), "{second}");
            assert!(secs(4) <= 20.0);
        }
    }

    #[test]
    fn every_delay_is_at_most_30_days() {
        let ceiling = TimeDelta::seconds(30 * 24 * 3600);
        let largest = WorkerConfig {
            base_delay_seconds: MAX_RETRY_DELAY_SECONDS,
            max_delay_seconds: MAX_RETRY_DELAY_SECONDS,
            max_attempts: 100,
            ..WorkerConfig::default()
        };
        for (config, attempts) in [(config(), 1), (largest.clone(), 1), (largest, 99)] {
            for after in [
                None,
                Some(Duration::from_secs(9_000_000_000_000)),
                Some(Duration::MAX),
            ] {
                let delay = retry_delay(&config, attempts, after).unwrap();
                assert!(delay <= ceiling, "{delay}");
                assert!(Utc::now().checked_add_signed(delay).is_some());
            }
        }
        let huge = retry_delay(&config(), 1, Some(Duration::from_secs(9_000_000_000_000)));
        assert_eq!(huge, Some(ceiling));
    }

    #[test]
    fn retry_after_is_honoured_and_attempts_run_out() {
        let delay = retry_delay(&config(), 1, Some(Duration::from_secs(60))).unwrap();
        assert_eq!(delay.num_seconds(), 60);
        assert!(retry_delay(&config(), 5, None).is_none());
        assert!(retry_delay(&config(), 4, None).is_some());
    }
}
