//! Listing objects, S3's way: keys under a prefix in UTF-8 byte order, keys that
//! contain the delimiter after the prefix rolled up into common prefixes, at most
//! `max_keys` entries (objects and common prefixes together), resumable after the
//! last entry returned.

use proxicloud_store::{Bucket, ObjectRange, ObjectRow};

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

/// Where to resume after the keys rolled up into `cp`: past every key that starts
/// with it (a key under `cp` beyond this, one containing U+10FFFF right after it, is
/// read and skipped as before — the seek is only a shortcut).
fn past(cp: &str) -> String {
    format!("{cp}{}", char::MAX)
}

impl ObjectStore {
    pub async fn list_objects(
        &self,
        bucket: &Bucket,
        query: &ListQuery,
    ) -> Result<ListPage, ObjectError> {
        let objects = self.store.objects();
        list_page(query, |after| async move {
            let range = ObjectRange {
                prefix: &query.prefix,
                after: after.as_deref(),
                limit: BATCH,
            };
            Ok(objects.list_objects(bucket.id, range).await?)
        })
        .await
    }
}

/// One page of `query`, reading rows in batches from `fetch(after)` (keys under the
/// prefix after `after`, in order, at most [`BATCH`]). A second key inside the
/// common prefix just returned ends the batch: the next read seeks past the whole
/// prefix instead of reading every key under it.
async fn list_page<F, Fut>(query: &ListQuery, mut fetch: F) -> Result<ListPage, ObjectError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<ObjectRow>, ObjectError>>,
{
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
    let mut cursor = match &last_prefix {
        Some(cp) => Some(past(cp)),
        None => query.after.clone(),
    };
    let mut entries = 0usize;
    loop {
        let rows = fetch(cursor.clone()).await?;
        let mut exhausted = rows.len() < BATCH as usize;
        for row in &rows {
            cursor = Some(row.key.clone());
            if let Some(cp) = common_prefix(&row.key, &query.prefix, delimiter) {
                if last_prefix.as_deref() == Some(cp) {
                    // Inside a prefix already returned: seek past it.
                    cursor = Some(past(cp));
                    exhausted = false;
                    break;
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use proxicloud_store::{ObjectRow, Timestamp};
    use uuid::Uuid;

    use super::{BATCH, ListQuery, common_prefix, list_page};

    /// `keys`, sorted, read the way the store reads them; counts the rows handed out.
    async fn listed(keys: &[String], query: &ListQuery, read: &AtomicUsize) -> super::ListPage {
        let mut sorted = keys.to_vec();
        sorted.sort();
        list_page(query, |after| {
            let rows: Vec<ObjectRow> = sorted
                .iter()
                .filter(|k| k.starts_with(&query.prefix))
                .filter(|k| after.as_ref().is_none_or(|a| k.as_str() > a.as_str()))
                .take(BATCH as usize)
                .map(|key| ObjectRow {
                    bucket_id: Uuid::nil(),
                    key: key.clone(),
                    blob: "b".into(),
                    size: 1,
                    etag: "e".into(),
                    headers: "{}".into(),
                    modified_at: Timestamp::now(),
                })
                .collect();
            read.fetch_add(rows.len(), Ordering::Relaxed);
            async move { Ok(rows) }
        })
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn a_delimiter_listing_seeks_past_a_big_common_prefix() {
        let mut keys: Vec<String> = (0..10_000).map(|i| format!("a/x/{i:05}")).collect();
        keys.extend([
            "a/file".into(),
            "a/y/1".into(),
            "a/y/2".into(),
            "a/z".into(),
            "b/1".into(),
        ]);
        let query = ListQuery {
            prefix: "a/".into(),
            delimiter: Some("/".into()),
            max_keys: 1000,
            ..ListQuery::default()
        };
        let read = AtomicUsize::new(0);
        let page = listed(&keys, &query, &read).await;
        let objects: Vec<_> = page.objects.iter().map(|o| o.key.as_str()).collect();
        assert_eq!(objects, ["a/file", "a/z"]);
        assert_eq!(page.common_prefixes, ["a/x/", "a/y/"]);
        assert!(!page.truncated);
        let read = read.into_inner();
        assert!(
            read <= BATCH as usize + 10,
            "read {read} rows for 4 entries"
        );

        // Resuming after the prefix (a marker) does not read it either.
        let resumed = ListQuery {
            after: Some("a/x/".into()),
            ..query
        };
        let read = AtomicUsize::new(0);
        let page = listed(&keys, &resumed, &read).await;
        assert_eq!(page.common_prefixes, ["a/y/"]);
        assert!(read.into_inner() < 10);
    }

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
