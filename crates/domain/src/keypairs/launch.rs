//! Key pairs chosen at launch: each must exist and be the caller's own (an admin may
//! use anyone's). Anything else is a field error on `key_pair_ids[i]` — the same
//! answer for a missing pair and for someone else's, so ids cannot be probed.

use proxicloud_store::{KeyPair, Store, Uuid};

use crate::error::{DomainResult, FieldErrors};
use crate::iam::Principal;

/// More than enough for one guest; keeps a request from naming thousands.
pub const MAX_KEY_PAIRS_PER_LAUNCH: usize = 16;
pub const FIELD: &str = "key_pair_ids";

/// The key pairs `ids` names, in the given order, or one error per bad entry.
pub async fn usable_key_pairs(
    store: &dyn Store,
    caller: &Principal,
    ids: &[Uuid],
) -> DomainResult<Result<Vec<KeyPair>, FieldErrors>> {
    let mut errors = FieldErrors::new();
    if ids.len() > MAX_KEY_PAIRS_PER_LAUNCH {
        errors.insert(
            FIELD.into(),
            format!("at most {MAX_KEY_PAIRS_PER_LAUNCH} key pairs"),
        );
        return Ok(Err(errors));
    }
    let stored = store.key_pairs().get_many(ids).await?;
    let mut found = Vec::with_capacity(ids.len());
    for (index, id) in ids.iter().enumerate() {
        let field = format!("{FIELD}[{index}]");
        if ids[..index].contains(id) {
            errors.insert(field, "is listed twice".into());
            continue;
        }
        match stored.iter().find(|pair| pair.id == *id) {
            Some(pair) if caller.can_view(Some(pair.owner_id)) => found.push(pair.clone()),
            _ => {
                errors.insert(field, "no such key pair among yours".into());
            }
        }
    }
    Ok(if errors.is_empty() {
        Ok(found)
    } else {
        Err(errors)
    })
}
