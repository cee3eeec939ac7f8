//! How many consoles each user has open on this server, and the cap on it
//! (`[console] max_sessions_per_user`): every console holds a relay and a Proxmox
//! console process, so one user (or a script with their token) cannot open hundreds.
//! Counted per server process: with several replicas each one enforces it for the
//! sessions it relays.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use proxicloud_store::Uuid;

use crate::error::{DomainError, DomainResult};

#[derive(Debug, Default)]
pub(super) struct SessionCounts {
    open: Mutex<HashMap<Uuid, usize>>,
}

/// One open session's place in the count, given back when dropped (the relay ended,
/// the upgrade failed, or opening the console failed).
#[derive(Debug)]
pub struct SessionSlot {
    counts: Arc<SessionCounts>,
    user: Uuid,
}

impl Drop for SessionSlot {
    fn drop(&mut self) {
        let mut open = self.counts.open.lock();
        if let Some(count) = open.get_mut(&self.user) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.user);
            }
        }
    }
}

/// Takes a slot for `user`, unless they already hold `max` (0: no limit).
pub(super) fn take(
    counts: &Arc<SessionCounts>,
    user: Uuid,
    max: usize,
) -> DomainResult<SessionSlot> {
    let mut open = counts.open.lock();
    let count = open.entry(user).or_default();
    if max > 0 && *count >= max {
        return Err(DomainError::Busy {
            message: format!(
                "you have {max} consoles open, the most one user may have at once: close one first"
            ),
            retry_after: Duration::from_secs(5),
        });
    }
    *count += 1;
    Ok(SessionSlot {
        counts: Arc::clone(counts),
        user,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_holds_at_most_max_slots_and_dropping_one_frees_it() {
        let counts = Arc::new(SessionCounts::default());
        let (alice, bob) = (Uuid::now_v7(), Uuid::now_v7());
        let first = take(&counts, alice, 2).unwrap();
        let _second = take(&counts, alice, 2).unwrap();
        assert!(matches!(
            take(&counts, alice, 2),
            Err(DomainError::Busy { .. })
        ));
        let _bob = take(&counts, bob, 2).expect("counted per user");
        drop(first);
        let _third = take(&counts, alice, 2).expect("a closed session frees its slot");
        assert!(take(&counts, alice, 0).is_ok(), "0: no limit");
    }
}
