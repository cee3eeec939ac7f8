//! Per-user quotas as S3 clients meet them: `QuotaExceeded`, 403, on PUT, copy, a
//! part (parts of unfinished uploads count) and multipart completion; the object that
//! was there stays.

use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use proxicloud_store::Quota;

use crate::support::{Lab, failure};

#[tokio::test]
async fn writes_past_the_quota_are_refused_with_quota_exceeded() {
    let lab = Lab::new().await;
    lab.bucket("capped").await;
    lab.objects
        .set_quota(
            lab.alice_id,
            Quota {
                max_bytes: Some(10),
                max_objects: Some(2),
            },
        )
        .await
        .unwrap();
    lab.put("capped", "six", b"123456").await;
    let refused = lab
        .alice
        .put_object()
        .bucket("capped")
        .key("five")
        .body(b"12345".to_vec().into())
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(refused), (403, "QuotaExceeded".into()));
    let copied = lab
        .alice
        .copy_object()
        .bucket("capped")
        .key("copy")
        .copy_source("capped/six")
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(copied), (403, "QuotaExceeded".into()));

    // Parts count toward the bytes: one that does not fit is refused as it is sent,
    // one that fits is stored; completing is checked too (here: the object count).
    let upload = lab
        .alice
        .create_multipart_upload()
        .bucket("capped")
        .key("parts")
        .send()
        .await
        .unwrap();
    let id = upload.upload_id().unwrap();
    let send_part = |body: &'static [u8]| {
        lab.alice
            .upload_part()
            .bucket("capped")
            .key("parts")
            .upload_id(id)
            .part_number(1)
            .body(body.to_vec().into())
            .send()
    };
    let refused = send_part(b"12345").await.unwrap_err();
    assert_eq!(failure(refused), (403, "QuotaExceeded".into()));
    let part = send_part(b"1234").await.unwrap();
    lab.objects
        .set_quota(
            lab.alice_id,
            Quota {
                max_bytes: Some(10),
                max_objects: Some(1),
            },
        )
        .await
        .unwrap();
    let completed = lab
        .alice
        .complete_multipart_upload()
        .bucket("capped")
        .key("parts")
        .upload_id(id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .parts(
                    CompletedPart::builder()
                        .part_number(1)
                        .e_tag(part.e_tag().unwrap())
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(completed), (403, "QuotaExceeded".into()));
    // Aborting gives the part's bytes back.
    lab.alice
        .abort_multipart_upload()
        .bucket("capped")
        .key("parts")
        .upload_id(id)
        .send()
        .await
        .unwrap();

    // Within the quota (a replacement gives its old bytes back) all is as usual.
    lab.put("capped", "six", b"0123456789").await;
    assert_eq!(lab.get("capped", "six").await, b"0123456789");
    let usage = lab.objects.owner_usage(lab.alice_id).await.unwrap();
    assert_eq!((usage.objects, usage.bytes), (1, 10));
}
