//! Login throttling: too many failures for one username, or from one address,
//! within a window lock further attempts until the oldest failure ages out.
//!
//! Kept in memory: a restart forgets failures, which is acceptable for a brute
//! force defence (the attacker still pays Argon2 per guess). Several replicas
//! would each count separately; the store can take this over when we scale out.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

/// Tracked usernames plus addresses above which expired entries are swept.
const SWEEP_THRESHOLD: usize = 10_000;

#[derive(Debug, Clone, Copy)]
pub struct ThrottlePolicy {
    pub window: Duration,
    pub max_failures_per_user: usize,
    pub max_failures_per_ip: usize,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        Self {
            window: Duration::from_secs(15 * 60),
            max_failures_per_user: 5,
            max_failures_per_ip: 20,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many failed logins; try again in {} seconds", crate::error::whole_seconds(*retry_after))]
pub struct Throttled {
    pub retry_after: Duration,
}

#[derive(Default)]
struct Failures {
    by_user: HashMap<String, VecDeque<Instant>>,
    by_ip: HashMap<IpAddr, VecDeque<Instant>>,
}

pub struct LoginThrottle {
    policy: ThrottlePolicy,
    failures: Mutex<Failures>,
}

fn prune(times: &mut VecDeque<Instant>, now: Instant, window: Duration) {
    while times
        .front()
        .is_some_and(|t| now.duration_since(*t) >= window)
    {
        times.pop_front();
    }
}

fn wait_for(
    times: &VecDeque<Instant>,
    max: usize,
    now: Instant,
    window: Duration,
) -> Option<Duration> {
    if times.len() < max {
        return None;
    }
    // The attempt is allowed again once enough of the oldest failures expire.
    let unlocking = times[times.len() - max];
    Some(window.saturating_sub(now.duration_since(unlocking)))
}

impl LoginThrottle {
    pub fn new(policy: ThrottlePolicy) -> Self {
        Self {
            policy,
            failures: Mutex::new(Failures::default()),
        }
    }

    /// Call before checking the password. Usernames compare case-insensitively.
    pub fn check(&self, username: &str, ip: IpAddr) -> Result<(), Throttled> {
        self.check_at(username, ip, Instant::now())
    }

    fn check_at(&self, username: &str, ip: IpAddr, now: Instant) -> Result<(), Throttled> {
        let mut f = self.failures.lock();
        let window = self.policy.window;
        // Look up without inserting: a check must not grow the maps.
        let user_wait = f
            .by_user
            .get_mut(&username.to_lowercase())
            .and_then(|times| {
                prune(times, now, window);
                wait_for(times, self.policy.max_failures_per_user, now, window)
            });
        let ip_wait = f.by_ip.get_mut(&ip).and_then(|times| {
            prune(times, now, window);
            wait_for(times, self.policy.max_failures_per_ip, now, window)
        });
        match user_wait.max(ip_wait) {
            Some(retry_after) => Err(Throttled { retry_after }),
            None => Ok(()),
        }
    }

    pub fn record_failure(&self, username: &str, ip: IpAddr) {
        self.record_failure_at(username, ip, Instant::now());
    }

    fn record_failure_at(&self, username: &str, ip: IpAddr, now: Instant) {
        let mut f = self.failures.lock();
        // Attackers choose usernames freely: sweep out expired entries before the
        // maps grow, so memory is bounded by the failures of one window.
        if f.by_user.len() + f.by_ip.len() >= SWEEP_THRESHOLD {
            let window = self.policy.window;
            f.by_user.retain(|_, times| {
                prune(times, now, window);
                !times.is_empty()
            });
            f.by_ip.retain(|_, times| {
                prune(times, now, window);
                !times.is_empty()
            });
        }
        f.by_user
            .entry(username.to_lowercase())
            .or_default()
            .push_back(now);
        f.by_ip.entry(ip).or_default().push_back(now);
    }

    #[cfg(test)]
    fn tracked_keys(&self) -> usize {
        let f = self.failures.lock();
        f.by_user.len() + f.by_ip.len()
    }

    /// A successful login clears that user's failures (not the address's: one
    /// good password must not reset an address that is guessing other accounts).
    pub fn record_success(&self, username: &str) {
        self.failures
            .lock()
            .by_user
            .remove(&username.to_lowercase());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IP: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1));
    const OTHER_IP: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 2));

    fn throttle() -> LoginThrottle {
        LoginThrottle::new(ThrottlePolicy {
            window: Duration::from_secs(60),
            max_failures_per_user: 3,
            max_failures_per_ip: 5,
        })
    }

    #[test]
    fn user_is_locked_after_repeated_failures_until_window_passes() {
        let t = throttle();
        let start = Instant::now();
        for i in 0..3 {
            assert!(t.check_at("Alice", IP, start).is_ok(), "attempt {i}");
            t.record_failure_at("alice", IP, start);
        }
        let locked = t.check_at("ALICE", OTHER_IP, start + Duration::from_secs(10));
        assert_eq!(
            locked,
            Err(Throttled {
                retry_after: Duration::from_secs(50)
            })
        );
        assert!(t.check_at("bob", OTHER_IP, start).is_ok());
        assert!(
            t.check_at("alice", IP, start + Duration::from_secs(60))
                .is_ok()
        );
    }

    #[test]
    fn address_is_locked_when_guessing_many_accounts() {
        let t = throttle();
        let now = Instant::now();
        for user in ["a", "b", "c", "d", "e"] {
            t.record_failure_at(user, IP, now);
        }
        assert!(t.check_at("f", IP, now).is_err());
        assert!(t.check_at("f", OTHER_IP, now).is_ok());
    }

    #[test]
    fn memory_stays_bounded_under_random_usernames() {
        let t = throttle();
        let start = Instant::now();
        for i in 0..SWEEP_THRESHOLD {
            t.record_failure_at(&format!("user{i}"), OTHER_IP, start);
        }
        // Once the window has passed, the next failure sweeps everything expired.
        t.record_failure_at("late", IP, start + Duration::from_secs(61));
        assert_eq!(t.tracked_keys(), 2);
        assert!(t.check_at("user1", OTHER_IP, start).is_ok());
    }

    #[test]
    fn success_clears_the_users_failures() {
        let t = throttle();
        let now = Instant::now();
        t.record_failure_at("alice", IP, now);
        t.record_failure_at("alice", IP, now);
        t.record_success("alice");
        t.record_failure_at("alice", IP, now);
        assert!(t.check_at("alice", IP, now).is_ok());
    }
}
