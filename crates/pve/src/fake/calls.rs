//! Call recording and injected failures: every implemented method enters through
//! [`FakePve::enter`].

use crate::error::{PveError, Result};

use super::FakePve;

/// One call the fake received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The `Pve` method, e.g. `storages`.
    pub op: &'static str,
    /// The node it named, if any.
    pub node: Option<String>,
    /// Its other arguments, `Debug`-formatted.
    pub args: String,
}

/// How an injected failure fails a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// No node address accepts a connection.
    Unreachable,
    /// 403, as for a token lacking the privilege.
    Refused,
    /// A 5xx (or PVE's 595) with an "injected" message.
    Server(u16),
}

impl Failure {
    fn error(self) -> PveError {
        match self {
            Failure::Unreachable => PveError::Unreachable {
                attempts: vec!["10.0.0.1:8006: connection refused".into()],
            },
            Failure::Refused => PveError::Forbidden {
                message: "Permission check failed (injected)".into(),
            },
            Failure::Server(status) => PveError::Server {
                status,
                message: "simulated server error (injected)".into(),
            },
        }
    }
}

pub(super) struct Injection {
    op: Option<&'static str>,
    failure: Failure,
    /// `None`: until healed.
    remaining: Option<u32>,
}

impl Injection {
    pub(super) fn new(op: Option<&'static str>, failure: Failure, remaining: Option<u32>) -> Self {
        Self {
            op,
            failure,
            remaining,
        }
    }
}

impl FakePve {
    /// Records the call, then fails it if a failure was injected for it or its node
    /// cannot be reached.
    pub(super) fn enter(&self, op: &'static str, node: Option<&str>, args: String) -> Result<()> {
        let mut state = self.state();
        state.calls.push(Call {
            op,
            node: node.map(str::to_owned),
            args,
        });
        let injected = state
            .injections
            .iter_mut()
            .find(|i| i.op.is_none_or(|o| o == op) && i.remaining != Some(0));
        if let Some(injection) = injected {
            if let Some(remaining) = &mut injection.remaining {
                *remaining -= 1;
            }
            return Err(injection.failure.error());
        }
        match node {
            Some(node) if state.unreachable(node) => Err(PveError::Server {
                status: 595,
                message: format!("No route to host (node '{node}')"),
            }),
            _ => Ok(()),
        }
    }
}
