//! Coordination between processes sharing one database: leader election and a
//! broadcast channel. On PostgreSQL these are a session advisory lock and
//! `LISTEN/NOTIFY`; on SQLite (one process by definition) every contender leads and
//! notifications go nowhere, since there is nobody else to tell.
//!
//! The domain builds on this in `domain::workers` (elected background workers) and
//! `domain::events` (the cross-replica event relay); a new use (say, a lock around a
//! one-off migration task) needs nothing more here than a new name or channel.

use async_trait::async_trait;

use crate::Result;

/// The largest `NOTIFY` payload, in bytes. PostgreSQL refuses a payload of 8000 bytes
/// or more (with its default `block_size`); callers must keep below this and say what
/// they do with bigger messages.
pub const MAX_NOTIFY_PAYLOAD: usize = 7999;

#[async_trait]
pub trait Coordination: Send + Sync {
    /// Tries to become the single holder of `name` among every process sharing the
    /// database (and schema); `None` when another holds it. The lease lasts until it is dropped or
    /// its connection is lost (then the database releases it by itself), so a process
    /// that dies or is cut off cannot keep it.
    async fn try_lead(&self, name: &str) -> Result<Option<Box<dyn Leadership>>>;

    /// Sends `payload` (shorter than [`MAX_NOTIFY_PAYLOAD`] bytes) to every listener of
    /// `channel`, this process's included. At-most-once: a listener that is
    /// disconnected at the time misses it.
    async fn notify(&self, channel: &str, payload: &str) -> Result<()>;

    /// Starts listening on `channel` (letters, digits and `_`, at most 50 bytes: the
    /// store appends a tag of the schema, so deployments sharing a PostgreSQL database
    /// in different schemas never hear each other). Messages sent before this returns
    /// are not received.
    async fn listen(&self, channel: &str) -> Result<Box<dyn Listener>>;
}

/// A held leadership. Dropping it gives the leadership up.
#[async_trait]
pub trait Leadership: Send {
    /// Whether the lease still holds: `false` once its connection is gone (the
    /// database has released it, and another process may already lead). Once `false`,
    /// always `false`. Callers should bound the wait with a timeout and treat a
    /// timeout as lost, since a cut-off network may hang the check.
    async fn still_leading(&mut self) -> bool;
}

/// What a [`Listener`] heard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Heard {
    /// A payload sent with [`Coordination::notify`].
    Message(String),
    /// The connection was lost and has been re-established: messages sent meanwhile
    /// were missed.
    Gap,
}

#[async_trait]
pub trait Listener: Send {
    /// The next message; waits forever on SQLite. An error means the database cannot
    /// be reached right now; calling again retries.
    async fn recv(&mut self) -> Result<Heard>;
}

/// The coordination of a process alone with its database (SQLite): it always leads and
/// nobody else listens. Also the default of [`crate::Store::coordination`], so a store
/// wrapper written for a test behaves as one process unless it forwards the call.
#[derive(Debug, Default, Clone, Copy)]
pub struct SingleProcess;

#[async_trait]
impl Coordination for SingleProcess {
    async fn try_lead(&self, _name: &str) -> Result<Option<Box<dyn Leadership>>> {
        Ok(Some(Box::new(SingleProcess)))
    }

    async fn notify(&self, _channel: &str, _payload: &str) -> Result<()> {
        Ok(())
    }

    async fn listen(&self, _channel: &str) -> Result<Box<dyn Listener>> {
        Ok(Box::new(SingleProcess))
    }
}

#[async_trait]
impl Leadership for SingleProcess {
    async fn still_leading(&mut self) -> bool {
        true
    }
}

#[async_trait]
impl Listener for SingleProcess {
    async fn recv(&mut self) -> Result<Heard> {
        std::future::pending().await
    }
}
