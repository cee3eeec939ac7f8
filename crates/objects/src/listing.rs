//! Listing objects, S3's way: keys under a prefix in UTF-8 byte order, keys that
//! contain the delimiter after the prefix rolled up into common prefixes, at most
//! `max_keys` entries (objects and common prefixes together), resumable after the
//! last entry returned.

use proxicloud_store::{Bucket, ObjectRange};

use crate::ObjectError;
use crate::objects::ObjectInfo;
use crate::service::ObjectStore;

/// Rows read per query while filling a page.
const BATCH: u32 = 1000;
/// S3's upper bound of `max-keys`.
pub const MAX_KEYS: u32 = 1000;

#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub prefix: String,
    pub delimiter: Option<String>,
    /// Resume after this key or common prefix (v1 `marker`, v2 `start-after` or the
    /// decoded continuation token).
    pub after: Option<String>,
    /// Capped at [`MAX_KEYS`]; 0 gives an empty, untruncated page like S3.
    pub max_keys: u32,
}

#[derive(Debug, Clone, Default)]
pub struct ListPage {
    pub objects: Vec<ObjectInfo>,
    pub common_prefixes: Vec<String>,
    pub truncated: bool,
    /// The last entry returned (key or common prefix): where the next page starts.
    pub next_after: Option<String>,
}

/// The common prefix `key` rolls up into, if any.
fn common_prefix<'k>(key: &'k str, prefix: &str, delimiter: Option<&str>) -> Option<&'k str> {
    let delimiter = delimiter.filter(|d| !d.is_empty())?;
    let rest = key.strip_prefix(prefix)?;
    let at = rest.find(delimiter)?;
    Some(&key[..prefix.len() + at + delimiter.len()])
}

impl ObjectStore {
    pub async fn list_objects(
        &self,
        bucket: &Bucket,
        query: &ListQuery,
    ) -> Result<ListPage, ObjectError> {
        let max_keys = query.max_keys.min(MAX_KEYS) as usize;
        let delimiter = query.delimiter.as_deref();
        let mut page = ListPage::default();
        if max_keys == 0 {
            return Ok(page);
        }
        // A marker that is itself a common prefix (or inside one) was returned as
        // that prefix: everything under it is skipped.
        let mut last_prefix: Option<String> = query
            .after
            .as_deref()
            .and_then(|after| common_prefix(after, &query.prefix, delimiter))
            .map(str::to_owned);
        let mut cursor = query.after.clone();
        let mut entries = 0usize;
        loop {
            let rows = self
                .store
                .objects()
                .list_objects(
                    bucket.id,
                    ObjectRange {
                        prefix: &query.prefix,
                        after: cursor.as_deref(),
                        limit: BATCH,
                    },
                )
                .await?;
            let exhausted = rows.len() < BATCH as usize;
            for row in &rows {
                cursor = Some(row.key.clone());
                if let Some(cp) = common_prefix(&row.key, &query.prefix, delimiter) {
                    if last_prefix.as_deref() == Some(cp) {
                        continue;
                    }
                    if entries == max_keys {
                        page.truncated = true;
                        return Ok(page);
                    }
                    last_prefix = Some(cp.to_owned());
                    page.common_prefixes.push(cp.to_owned());
                    page.next_after = Some(cp.to_owned());
                } else {
                    if entries == max_keys {
                        page.truncated = true;
                        return Ok(page);
                    }
                    page.objects.push(ObjectInfo::from_row(row)?);
                    page.next_after = Some(row.key.clone());
                }
                entries += 1;
            }
            if exhausted {
                return Ok(page);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::common_prefix;

    #[test]
    fn keys_roll_up_at_the_first_delimiter_after_the_prefix() {
        assert_eq!(common_prefix("a/b/c", "", Some("/")), Some("a/"));
        assert_eq!(common_prefix("a/b/c", "a/", Some("/")), Some("a/b/"));
        assert_eq!(common_prefix("a/b", "a/", Some("/")), None);
        assert_eq!(common_prefix("a/b", "a/", None), None);
        assert_eq!(common_prefix("a--b--c", "a", Some("--")), Some("a--"));
        assert_eq!(common_prefix("x/b", "a/", Some("/")), None);
    }
}
