use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};

use crate::support::{Lab, failure, md5_hex};

const MIB: usize = 1024 * 1024;

fn completed(parts: &[(i32, &str)]) -> CompletedMultipartUpload {
    CompletedMultipartUpload::builder()
        .set_parts(Some(
            parts
                .iter()
                .map(|(n, etag)| {
                    CompletedPart::builder()
                        .part_number(*n)
                        .e_tag(*etag)
                        .build()
                })
                .collect(),
        ))
        .build()
}

#[tokio::test]
async fn parts_complete_into_an_object_with_a_multipart_etag() {
    let lab = Lab::new().await;
    lab.bucket("big").await;
    let first: Vec<u8> = (0..5 * MIB).map(|i| (i % 251) as u8).collect();
    let second = b"the tail".to_vec();
    let upload = lab
        .alice
        .create_multipart_upload()
        .bucket("big")
        .key("video.bin")
        .content_type("video/x-test")
        .metadata("camera", "one")
        .send()
        .await
        .unwrap();
    let id = upload.upload_id().unwrap();
    let mut etags = Vec::new();
    for (n, data) in [(1, &first), (2, &second)] {
        let part = lab
            .alice
            .upload_part()
            .bucket("big")
            .key("video.bin")
            .upload_id(id)
            .part_number(n)
            .body(ByteStream::from(data.clone()))
            .send()
            .await
            .unwrap();
        etags.push(part.e_tag().unwrap().to_owned());
    }
    let parts = lab
        .alice
        .list_parts()
        .bucket("big")
        .key("video.bin")
        .upload_id(id)
        .send()
        .await
        .unwrap();
    let sizes: Vec<_> = parts
        .parts()
        .iter()
        .map(|p| (p.part_number(), p.size()))
        .collect();
    assert_eq!(sizes, [(Some(1), Some(5 * MIB as i64)), (Some(2), Some(8))]);
    let uploads = lab
        .alice
        .list_multipart_uploads()
        .bucket("big")
        .send()
        .await
        .unwrap();
    assert_eq!(uploads.uploads().len(), 1);
    assert_eq!(uploads.uploads()[0].upload_id(), Some(id));

    let wrong = lab
        .alice
        .complete_multipart_upload()
        .bucket("big")
        .key("video.bin")
        .upload_id(id)
        .multipart_upload(completed(&[(1, &etags[0]), (2, "\"0123\"")]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(wrong), (400, "InvalidPart".into()));
    let order = lab
        .alice
        .complete_multipart_upload()
        .bucket("big")
        .key("video.bin")
        .upload_id(id)
        .multipart_upload(completed(&[(2, &etags[1]), (1, &etags[0])]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(order), (400, "InvalidPartOrder".into()));

    let done = lab
        .alice
        .complete_multipart_upload()
        .bucket("big")
        .key("video.bin")
        .upload_id(id)
        .multipart_upload(completed(&[(1, &etags[0]), (2, &etags[1])]))
        .send()
        .await
        .unwrap();
    let mut md5s = hex::decode(md5_hex(&first)).unwrap();
    md5s.extend(hex::decode(md5_hex(&second)).unwrap());
    assert_eq!(
        done.e_tag(),
        Some(format!("\"{}-2\"", md5_hex(&md5s)).as_str())
    );
    let got = lab
        .alice
        .get_object()
        .bucket("big")
        .key("video.bin")
        .send()
        .await
        .unwrap();
    assert_eq!(got.content_type(), Some("video/x-test"));
    assert_eq!(
        got.metadata().unwrap().get("camera").map(String::as_str),
        Some("one")
    );
    assert_eq!(
        got.body.collect().await.unwrap().to_vec(),
        [first, second].concat()
    );
    let gone = lab
        .alice
        .list_parts()
        .bucket("big")
        .key("video.bin")
        .upload_id(id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(gone), (404, "NoSuchUpload".into()));
}

#[tokio::test]
async fn small_parts_aborts_and_part_copies() {
    let lab = Lab::new().await;
    lab.bucket("big").await;
    let source: Vec<u8> = (0..6 * MIB).map(|i| (i % 241) as u8).collect();
    lab.put("big", "source", &source).await;
    let upload = lab
        .alice
        .create_multipart_upload()
        .bucket("big")
        .key("k")
        .send()
        .await
        .unwrap();
    let id = upload.upload_id().unwrap();
    let mut etags = Vec::new();
    for n in 1..=2 {
        let part = lab
            .alice
            .upload_part()
            .bucket("big")
            .key("k")
            .upload_id(id)
            .part_number(n)
            .body(ByteStream::from_static(b"tiny"))
            .send()
            .await
            .unwrap();
        etags.push(part.e_tag().unwrap().to_owned());
    }
    let small = lab
        .alice
        .complete_multipart_upload()
        .bucket("big")
        .key("k")
        .upload_id(id)
        .multipart_upload(completed(&[(1, &etags[0]), (2, &etags[1])]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(small), (400, "EntityTooSmall".into()));

    // Part 1 copied from an existing object's first 5 MiB, part 2 from the rest.
    let copy = lab
        .alice
        .upload_part_copy()
        .bucket("big")
        .key("k")
        .upload_id(id)
        .part_number(1)
        .copy_source("big/source")
        .copy_source_range(format!("bytes=0-{}", 5 * MIB - 1))
        .send()
        .await
        .unwrap();
    let first = copy.copy_part_result().unwrap().e_tag().unwrap().to_owned();
    assert_eq!(first, format!("\"{}\"", md5_hex(&source[..5 * MIB])));
    let copy = lab
        .alice
        .upload_part_copy()
        .bucket("big")
        .key("k")
        .upload_id(id)
        .part_number(2)
        .copy_source("big/source")
        .copy_source_range(format!("bytes={}-{}", 5 * MIB, 6 * MIB - 1))
        .send()
        .await
        .unwrap();
    let second = copy.copy_part_result().unwrap().e_tag().unwrap().to_owned();
    lab.alice
        .complete_multipart_upload()
        .bucket("big")
        .key("k")
        .upload_id(id)
        .multipart_upload(completed(&[(1, &first), (2, &second)]))
        .send()
        .await
        .unwrap();
    assert_eq!(lab.get("big", "k").await, source);

    let upload = lab
        .alice
        .create_multipart_upload()
        .bucket("big")
        .key("abandoned")
        .send()
        .await
        .unwrap();
    let id = upload.upload_id().unwrap();
    lab.alice
        .abort_multipart_upload()
        .bucket("big")
        .key("abandoned")
        .upload_id(id)
        .send()
        .await
        .unwrap();
    let gone = lab
        .alice
        .upload_part()
        .bucket("big")
        .key("abandoned")
        .upload_id(id)
        .part_number(1)
        .body(ByteStream::from_static(b"late"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(gone), (404, "NoSuchUpload".into()));
    let uploads = lab
        .alice
        .list_multipart_uploads()
        .bucket("big")
        .send()
        .await
        .unwrap();
    assert!(uploads.uploads().is_empty());
}
