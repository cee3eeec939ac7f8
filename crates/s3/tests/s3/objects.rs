use aws_sdk_s3::primitives::{ByteStream, DateTime};
use aws_sdk_s3::types::{Delete, MetadataDirective, ObjectIdentifier};

use crate::support::{Lab, failure, md5_hex};

#[tokio::test]
async fn objects_keep_their_content_headers_and_user_metadata() {
    let lab = Lab::new().await;
    lab.bucket("data").await;
    let body: Vec<u8> = (0..200_000u32).map(|i| (i % 253) as u8).collect();
    let put = lab
        .alice
        .put_object()
        .bucket("data")
        .key("dir/report.bin")
        .body(ByteStream::from(body.clone()))
        .content_type("application/x-report")
        .content_encoding("identity")
        .content_disposition("attachment; filename=\"report.bin\"")
        .content_language("en")
        .cache_control("max-age=60")
        .metadata("colour", "Blue")
        .send()
        .await
        .unwrap();
    assert_eq!(
        put.e_tag(),
        Some(format!("\"{}\"", md5_hex(&body)).as_str())
    );

    let got = lab
        .alice
        .get_object()
        .bucket("data")
        .key("dir/report.bin")
        .send()
        .await
        .unwrap();
    assert_eq!(got.content_type(), Some("application/x-report"));
    assert_eq!(got.content_encoding(), Some("identity"));
    assert_eq!(
        got.content_disposition(),
        Some("attachment; filename=\"report.bin\"")
    );
    assert_eq!(got.content_language(), Some("en"));
    assert_eq!(got.cache_control(), Some("max-age=60"));
    assert_eq!(
        got.metadata().unwrap().get("colour").map(String::as_str),
        Some("Blue")
    );
    assert_eq!(got.content_length(), Some(body.len() as i64));
    assert_eq!(got.e_tag(), put.e_tag());
    assert_eq!(got.body.collect().await.unwrap().to_vec(), body);

    let head = lab
        .alice
        .head_object()
        .bucket("data")
        .key("dir/report.bin")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_length(), Some(body.len() as i64));
    assert_eq!(head.e_tag(), put.e_tag());
    assert!(head.last_modified().is_some());

    let missing = lab
        .alice
        .get_object()
        .bucket("data")
        .key("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(missing), (404, "NoSuchKey".into()));
    let missing = lab
        .alice
        .head_object()
        .bucket("data")
        .key("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(missing).0, 404);
    let denied = lab
        .bob
        .get_object()
        .bucket("data")
        .key("dir/report.bin")
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(denied), (403, "AccessDenied".into()));
    let denied = lab
        .bob
        .put_object()
        .bucket("data")
        .key("intruder")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(denied), (403, "AccessDenied".into()));
    let no_bucket = lab
        .alice
        .get_object()
        .bucket("nowhere")
        .key("k")
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(no_bucket), (404, "NoSuchBucket".into()));
}

#[tokio::test]
async fn ranges_and_conditionals_follow_http() {
    let lab = Lab::new().await;
    lab.bucket("data").await;
    let body: Vec<u8> = (0..1000u32).map(|i| (i % 256) as u8).collect();
    let etag = lab.put("data", "k", &body).await;

    let part = lab
        .alice
        .get_object()
        .bucket("data")
        .key("k")
        .range("bytes=10-19")
        .send()
        .await
        .unwrap();
    assert_eq!(part.content_range(), Some("bytes 10-19/1000"));
    assert_eq!(part.content_length(), Some(10));
    assert_eq!(part.body.collect().await.unwrap().to_vec(), &body[10..20]);
    let tail = lab
        .alice
        .get_object()
        .bucket("data")
        .key("k")
        .range("bytes=-5")
        .send()
        .await
        .unwrap();
    assert_eq!(tail.body.collect().await.unwrap().to_vec(), &body[995..]);
    let open = lab
        .alice
        .get_object()
        .bucket("data")
        .key("k")
        .range("bytes=990-")
        .send()
        .await
        .unwrap();
    assert_eq!(open.body.collect().await.unwrap().to_vec(), &body[990..]);
    let beyond = lab
        .alice
        .get_object()
        .bucket("data")
        .key("k")
        .range("bytes=1000-")
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(beyond), (416, "InvalidRange".into()));

    let same = lab
        .alice
        .get_object()
        .bucket("data")
        .key("k")
        .if_none_match(&etag)
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(same).0, 304);
    let other = lab
        .alice
        .get_object()
        .bucket("data")
        .key("k")
        .if_none_match("\"abc\"")
        .send()
        .await;
    assert!(other.is_ok());
    let wrong = lab
        .alice
        .get_object()
        .bucket("data")
        .key("k")
        .if_match("\"abc\"")
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(wrong), (412, "PreconditionFailed".into()));
    lab.alice
        .get_object()
        .bucket("data")
        .key("k")
        .if_match(&etag)
        .send()
        .await
        .unwrap();

    let future = DateTime::from_secs(time_now() + 3600);
    let past = DateTime::from_secs(time_now() - 3600);
    let unchanged = lab
        .alice
        .get_object()
        .bucket("data")
        .key("k")
        .if_modified_since(future)
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(unchanged).0, 304);
    lab.alice
        .get_object()
        .bucket("data")
        .key("k")
        .if_modified_since(past)
        .send()
        .await
        .unwrap();
    let changed = lab
        .alice
        .get_object()
        .bucket("data")
        .key("k")
        .if_unmodified_since(past)
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(changed), (412, "PreconditionFailed".into()));
    let head = lab
        .alice
        .head_object()
        .bucket("data")
        .key("k")
        .if_none_match(&etag)
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(head).0, 304);

    // Conditional writes: create-only, and replace-only-this-version.
    let exists = lab
        .alice
        .put_object()
        .bucket("data")
        .key("k")
        .if_none_match("*")
        .body(ByteStream::from_static(b"new"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(exists), (412, "PreconditionFailed".into()));
    lab.alice
        .put_object()
        .bucket("data")
        .key("fresh")
        .if_none_match("*")
        .body(ByteStream::from_static(b"new"))
        .send()
        .await
        .unwrap();
}

fn time_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test]
async fn a_wrong_content_md5_is_bad_digest_and_keeps_the_old_object() {
    use base64::Engine;
    let lab = Lab::new().await;
    lab.bucket("data").await;
    lab.put("data", "k", b"old").await;
    let wrong = base64::engine::general_purpose::STANDARD.encode([0u8; 16]);
    let refused = lab
        .alice
        .put_object()
        .bucket("data")
        .key("k")
        .content_md5(wrong)
        .body(ByteStream::from_static(b"new"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(refused), (400, "BadDigest".into()));
    assert_eq!(lab.get("data", "k").await, b"old");
    let malformed = lab
        .alice
        .put_object()
        .bucket("data")
        .key("k")
        .content_md5("not base64!")
        .body(ByteStream::from_static(b"new"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(malformed), (400, "InvalidDigest".into()));
}

#[tokio::test]
async fn deletes_single_and_many_and_copies_with_metadata_directives() {
    let lab = Lab::new().await;
    lab.bucket("data").await;
    lab.bucket("other").await;
    lab.alice
        .put_object()
        .bucket("data")
        .key("source")
        .content_type("text/plain")
        .metadata("a", "1")
        .body(ByteStream::from_static(b"copy me"))
        .send()
        .await
        .unwrap();
    let copied = lab
        .alice
        .copy_object()
        .bucket("other")
        .key("copy")
        .copy_source("data/source")
        .send()
        .await
        .unwrap();
    let etag = copied
        .copy_object_result()
        .unwrap()
        .e_tag()
        .unwrap()
        .to_owned();
    assert_eq!(etag, format!("\"{}\"", md5_hex(b"copy me")));
    let head = lab
        .alice
        .head_object()
        .bucket("other")
        .key("copy")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_type(), Some("text/plain"));
    assert_eq!(
        head.metadata().unwrap().get("a").map(String::as_str),
        Some("1")
    );

    lab.alice
        .copy_object()
        .bucket("data")
        .key("source")
        .copy_source("data/source")
        .metadata_directive(MetadataDirective::Replace)
        .content_type("application/json")
        .metadata("b", "2")
        .send()
        .await
        .unwrap();
    let head = lab
        .alice
        .head_object()
        .bucket("data")
        .key("source")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_type(), Some("application/json"));
    assert_eq!(
        head.metadata().unwrap().get("b").map(String::as_str),
        Some("2")
    );
    assert!(head.metadata().unwrap().get("a").is_none());
    let to_itself = lab
        .alice
        .copy_object()
        .bucket("data")
        .key("source")
        .copy_source("data/source")
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(to_itself), (400, "InvalidRequest".into()));
    let missing = lab
        .alice
        .copy_object()
        .bucket("data")
        .key("x")
        .copy_source("data/nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(missing), (404, "NoSuchKey".into()));
    let precondition = lab
        .alice
        .copy_object()
        .bucket("data")
        .key("x")
        .copy_source("data/source")
        .copy_source_if_match("\"nope\"")
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(precondition), (412, "PreconditionFailed".into()));

    for key in ["a", "b", "c"] {
        lab.put("data", key, key.as_bytes()).await;
    }
    lab.alice
        .delete_object()
        .bucket("data")
        .key("a")
        .send()
        .await
        .unwrap();
    lab.alice
        .delete_object()
        .bucket("data")
        .key("a")
        .send()
        .await
        .unwrap();
    let ids = ["b", "c", "never-there"]
        .iter()
        .map(|k| ObjectIdentifier::builder().key(*k).build().unwrap())
        .collect();
    let deleted = lab
        .alice
        .delete_objects()
        .bucket("data")
        .delete(Delete::builder().set_objects(Some(ids)).build().unwrap())
        .send()
        .await
        .unwrap();
    let mut keys: Vec<_> = deleted.deleted().iter().filter_map(|d| d.key()).collect();
    keys.sort();
    assert_eq!(
        keys,
        ["b", "c", "never-there"],
        "S3 reports absent keys as deleted"
    );
    assert!(deleted.errors().is_empty());
    let listed = lab
        .alice
        .list_objects_v2()
        .bucket("data")
        .send()
        .await
        .unwrap();
    let left: Vec<_> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(left, ["source"]);
}
