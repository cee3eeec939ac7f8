//! Injected faults that are not part of the cluster model: an API that is down or
//! answering 5xx, and added latency. (Offline nodes, failing tasks and stuck locks live in
//! the cluster itself, so they are persisted with `--state`.) The `/sim/…` endpoints that
//! switch them are in `control.rs`.

use std::collections::BTreeSet;
use std::time::Duration;

use parking_lot::Mutex;
use serde::Serialize;

use crate::api::ApiError;

#[derive(Debug, Default)]
pub struct Faults {
    state: Mutex<FaultState>,
}

/// What is currently injected; `GET /sim/faults` shows it.
#[derive(Debug, Default, Clone, PartialEq, Serialize)]
pub struct FaultState {
    /// `/api2` connections are closed without an answer (see `server.rs`).
    pub api_down: bool,
    /// Added before every `/api2` request is handled.
    pub latency_ms: u64,
    /// The API answers this error instead of handling requests.
    pub errors: Option<ErrorInjection>,
    /// Guests locked through `/sim/guests/{vmid}/lock`, unlocked again by `/sim/reset`.
    pub locked_guests: BTreeSet<u32>,
    /// `/version` answers this instead of the simulated release (`/sim/version`),
    /// to exercise what older Proxmox VE versions cannot do.
    pub version: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ErrorInjection {
    pub status: u16,
    pub message: String,
    /// Requests left to fail; `None` fails every request until cleared.
    pub remaining: Option<u32>,
}

impl Faults {
    pub fn snapshot(&self) -> FaultState {
        self.state.lock().clone()
    }

    pub fn update(&self, change: impl FnOnce(&mut FaultState)) {
        change(&mut self.state.lock());
    }

    /// Clears everything and returns what was injected (so the caller can undo locks).
    pub fn reset(&self) -> FaultState {
        std::mem::take(&mut *self.state.lock())
    }

    pub fn version(&self) -> Option<String> {
        self.state.lock().version.clone()
    }

    pub fn api_down(&self) -> bool {
        self.state.lock().api_down
    }

    pub fn latency(&self) -> Duration {
        Duration::from_millis(self.state.lock().latency_ms)
    }

    /// The error to answer instead of handling this request, counting it down.
    pub fn take_injected_error(&self) -> Option<ApiError> {
        let mut state = self.state.lock();
        let injection = state.errors.as_mut()?;
        let error = ApiError::new(injection.status, injection.message.clone());
        match &mut injection.remaining {
            Some(0) => {
                state.errors = None;
                return None;
            }
            Some(1) => state.errors = None,
            Some(n) => *n -= 1,
            None => {}
        }
        Some(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counted_errors_stop_after_n_requests() {
        let faults = Faults::default();
        faults.update(|s| {
            s.errors = Some(ErrorInjection {
                status: 503,
                message: "down for maintenance".into(),
                remaining: Some(2),
            })
        });
        assert_eq!(faults.take_injected_error().unwrap().status, 503);
        assert!(faults.take_injected_error().is_some());
        assert!(faults.take_injected_error().is_none());
    }

    #[test]
    fn uncounted_errors_last_until_reset() {
        let faults = Faults::default();
        faults.update(|s| {
            s.errors = Some(ErrorInjection {
                status: 500,
                message: "boom".into(),
                remaining: None,
            });
            s.latency_ms = 20;
        });
        for _ in 0..5 {
            assert!(faults.take_injected_error().is_some());
        }
        assert_eq!(faults.latency(), Duration::from_millis(20));
        faults.reset();
        assert!(faults.take_injected_error().is_none());
        assert_eq!(faults.latency(), Duration::ZERO);
    }
}
