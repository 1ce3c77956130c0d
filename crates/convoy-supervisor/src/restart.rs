use std::{
    collections::VecDeque,
    time::{Duration, Instant},
};

/// When a sidecar that exits on its own is started again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestartMode {
    /// After any exit.
    Always,
    /// After an exit with a non-zero code or a signal.
    OnFailure,
    /// Never: the sidecar is marked failed (or stopped, after exit 0).
    Never,
}

/// Exponential backoff with a budget: more than `max_restarts` within
/// `window` marks the sidecar failed instead of restarting it again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestartPolicy {
    pub mode: RestartMode,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    pub max_restarts: u32,
    pub window: Duration,
}

impl Default for RestartPolicy {
    fn default() -> Self {
        Self {
            mode: RestartMode::OnFailure,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            max_restarts: 5,
            window: Duration::from_secs(60),
        }
    }
}

impl RestartPolicy {
    pub fn never() -> Self {
        Self {
            mode: RestartMode::Never,
            ..Self::default()
        }
    }

    pub fn wants_restart(&self, exit_code: Option<i32>) -> bool {
        match self.mode {
            RestartMode::Always => true,
            RestartMode::OnFailure => exit_code != Some(0),
            RestartMode::Never => false,
        }
    }
}

/// The restarts a sidecar has had recently, and what the next one costs.
#[derive(Debug)]
pub struct RestartBudget {
    policy: RestartPolicy,
    recent: VecDeque<Instant>,
}

impl RestartBudget {
    pub fn new(policy: RestartPolicy) -> Self {
        Self {
            policy,
            recent: VecDeque::new(),
        }
    }

    /// Records a restart at `now`; `None` when the budget is spent, otherwise
    /// how long to wait first (doubling with each recent restart, capped).
    pub fn next_delay(&mut self, now: Instant) -> Option<Duration> {
        while let Some(&oldest) = self.recent.front() {
            if now.duration_since(oldest) > self.policy.window {
                self.recent.pop_front();
            } else {
                break;
            }
        }
        if self.recent.len() >= self.policy.max_restarts as usize {
            return None;
        }
        let doublings = u32::try_from(self.recent.len()).unwrap_or(u32::MAX).min(16);
        self.recent.push_back(now);
        Some(
            self.policy
                .initial_backoff
                .saturating_mul(1 << doublings)
                .min(self.policy.max_backoff),
        )
    }

    /// A manual restart starts with a clean slate.
    pub fn reset(&mut self) {
        self.recent.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RestartPolicy {
        RestartPolicy {
            mode: RestartMode::OnFailure,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(500),
            max_restarts: 4,
            window: Duration::from_secs(10),
        }
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_then_the_budget_runs_out() {
        let mut budget = RestartBudget::new(policy());
        let now = Instant::now();
        let delays: Vec<_> = (0..5).map(|_| budget.next_delay(now)).collect();
        assert_eq!(
            delays,
            [
                Some(Duration::from_millis(100)),
                Some(Duration::from_millis(200)),
                Some(Duration::from_millis(400)),
                Some(Duration::from_millis(500)),
                None
            ]
        );
    }

    #[test]
    fn restarts_outside_the_window_are_forgotten() {
        let mut budget = RestartBudget::new(policy());
        let start = Instant::now();
        for _ in 0..4 {
            assert!(budget.next_delay(start).is_some());
        }
        assert_eq!(budget.next_delay(start + Duration::from_secs(5)), None);
        let later = start + Duration::from_secs(11);
        assert_eq!(budget.next_delay(later), Some(Duration::from_millis(100)));
    }

    #[test]
    fn modes_decide_which_exits_restart() {
        let on_failure = policy();
        assert!(on_failure.wants_restart(Some(1)));
        assert!(on_failure.wants_restart(None));
        assert!(!on_failure.wants_restart(Some(0)));
        let always = RestartPolicy {
            mode: RestartMode::Always,
            ..policy()
        };
        assert!(always.wants_restart(Some(0)));
        assert!(!RestartPolicy::never().wants_restart(Some(1)));
    }
}
