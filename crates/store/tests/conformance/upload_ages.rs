//! How long a multipart upload has been idle: since its last part, or its start.

use std::sync::Arc;
use std::time::Duration;

use proxicloud_store::{Part, Role, Store};

use crate::fixtures::user;

pub async fn an_upload_is_stale_only_once_idle_since_its_last_part(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice", Role::Operator).await;
    let repo = store.objects();
    let bucket = repo.create_bucket("slow", alice.id).await.unwrap();
    let busy = repo.create_upload(bucket.id, "big", "{}").await.unwrap();
    let idle = repo.create_upload(bucket.id, "left", "{}").await.unwrap();
    let t0 = busy.initiated_at.max(idle.initiated_at);
    let hours = |h: u64| Duration::from_secs(h * 3600);
    let part = |part_number, at| Part {
        upload_id: busy.id,
        part_number,
        blob: format!("b{part_number}"),
        size: 10,
        etag: format!("\"b{part_number}\""),
        modified_at: at,
    };
    // Still receiving parts 20 hours after it started.
    repo.put_part(part(1, t0 + hours(1))).await.unwrap();
    repo.put_part(part(2, t0 + hours(20))).await.unwrap();
    let ids = |uploads: Vec<proxicloud_store::MultipartUpload>| {
        uploads.into_iter().map(|u| u.id).collect::<Vec<_>>()
    };
    // Idle since before t0 + 6 h: only the upload that never got a part.
    assert_eq!(
        ids(repo.stale_uploads(t0 + hours(6), 10).await.unwrap()),
        [idle.id]
    );
    // Idle since before t0 + 21 h: both, the longest idle first.
    assert_eq!(
        ids(repo.stale_uploads(t0 + hours(21), 10).await.unwrap()),
        [idle.id, busy.id]
    );
    assert_eq!(
        ids(repo.stale_uploads(t0 + hours(21), 1).await.unwrap()),
        [idle.id]
    );
}
