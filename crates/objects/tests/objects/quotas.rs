//! Quotas meet an upload before its body: a declared length the owner's quota cannot
//! take is refused at once, without reading (or storing) a byte.

use std::time::Duration;

use proxicloud_objects::{ByteStream, ObjectError, ObjectHeaders, PutObject};
use proxicloud_store::Quota;

use crate::support::{Lab, put};

/// A body that never arrives: a call that reads it never ends.
fn never() -> ByteStream {
    Box::pin(futures_util::stream::pending())
}

const ANSWER_WITHIN: Duration = Duration::from_secs(5);

#[tokio::test]
async fn a_declared_length_past_the_quota_is_refused_before_the_body_is_read() {
    let lab = Lab::new().await;
    let bucket = lab.bucket("capped").await;
    let quota = Quota {
        max_bytes: Some(100),
        max_objects: None,
    };
    lab.store
        .objects()
        .set_quota(lab.alice, quota)
        .await
        .unwrap();
    lab.objects
        .put_object(&bucket, "old", put(&[0; 60]))
        .await
        .unwrap();

    let object = PutObject {
        declared_size: Some(41),
        body: never(),
        ..put(b"")
    };
    let refused = tokio::time::timeout(
        ANSWER_WITHIN,
        lab.objects.put_object(&bucket, "new", object),
    )
    .await
    .expect("refused before the body was read");
    assert!(
        matches!(refused, Err(ObjectError::QuotaExceeded)),
        "{refused:?}"
    );

    let upload = lab
        .objects
        .create_upload(&bucket, "big", &ObjectHeaders::default())
        .await
        .unwrap();
    let part = lab
        .objects
        .upload_part_sized(&upload, 1, never(), None, Some(41));
    let refused = tokio::time::timeout(ANSWER_WITHIN, part)
        .await
        .expect("refused before the body was read");
    assert!(
        matches!(refused, Err(ObjectError::QuotaExceeded)),
        "{refused:?}"
    );

    // What fits is read and stored: a replacement counts the old object as freed.
    let replacement = PutObject {
        declared_size: Some(100),
        ..put(&[1; 100])
    };
    lab.objects
        .put_object(&bucket, "old", replacement)
        .await
        .unwrap();
    let usage = lab.store.objects().owner_usage(lab.alice).await.unwrap();
    assert_eq!((usage.objects, usage.bytes), (1, 100));
}
