//! Engine tests with a toy job kind; `support` is shared with the instance tests.

mod engine;
mod recovery;
pub(crate) mod support;
mod toy;
