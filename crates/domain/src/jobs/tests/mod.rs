//! Engine tests with a toy job kind; `support` is shared with the instance tests.

mod cancel;
mod engine;
mod fan_out;
mod recovery;
mod schedule;
pub(crate) mod support;
mod toy;
mod tree;
