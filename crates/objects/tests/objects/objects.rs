use std::collections::BTreeMap;

use proxicloud_objects::{ByteRange, ObjectError, ObjectHeaders, PutObject};

use crate::support::{Lab, body, collect, md5_hex};

#[tokio::test]
async fn objects_round_trip_with_their_headers_and_md5_etag() {
    let lab = Lab::new().await;
    let bucket = lab.bucket("data").await;
    let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    let headers = ObjectHeaders {
        content_type: Some("application/x-test".into()),
        cache_control: Some("no-cache".into()),
        metadata: BTreeMap::from([("colour".into(), "blue".into())]),
        ..Default::default()
    };
    let info = lab
        .objects
        .put_object(
            &bucket,
            "dir/file.bin",
            PutObject {
                headers: headers.clone(),
                body: body(&data),
                content_md5: None,
                declared_size: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(info.etag, md5_hex(&data));
    assert_eq!(info.size, data.len() as u64);
    let head = lab
        .objects
        .head_object(&bucket, "dir/file.bin")
        .await
        .unwrap();
    assert_eq!(head, info);
    assert_eq!(head.headers, headers);
    assert_eq!(lab.read(&bucket, "dir/file.bin").await, data);

    let got = lab
        .objects
        .get_object(
            &bucket,
            "dir/file.bin",
            Some(ByteRange::From {
                first: 10,
                last: Some(19),
            }),
        )
        .await
        .unwrap();
    assert_eq!(got.range, Some(10..20));
    assert_eq!(collect(got.body).await.unwrap(), &data[10..20]);
    let got = lab
        .objects
        .get_object(
            &bucket,
            "dir/file.bin",
            Some(ByteRange::Suffix { length: 5 }),
        )
        .await
        .unwrap();
    assert_eq!(collect(got.body).await.unwrap(), &data[data.len() - 5..]);
    assert!(matches!(
        lab.objects
            .get_object(
                &bucket,
                "dir/file.bin",
                Some(ByteRange::From {
                    first: 100_000,
                    last: None
                })
            )
            .await,
        Err(ObjectError::InvalidRange)
    ));
    assert!(matches!(
        lab.objects.head_object(&bucket, "missing").await,
        Err(ObjectError::NoSuchKey)
    ));
    assert!(matches!(
        lab.objects
            .put_object(&bucket, "", crate::support::put(b"x"))
            .await,
        Err(ObjectError::InvalidKey(_))
    ));
}

#[tokio::test]
async fn replacing_and_deleting_free_the_old_blob() {
    let lab = Lab::new().await;
    let bucket = lab.bucket("data").await;
    lab.put(&bucket, "k", b"first").await;
    lab.put(&bucket, "k", b"second version").await;
    assert_eq!(lab.read(&bucket, "k").await, b"second version");
    assert_eq!(lab.files("blobs"), 1, "the replaced blob is gone");
    assert!(lab.objects.delete_object(&bucket, "k").await.unwrap());
    assert!(!lab.objects.delete_object(&bucket, "k").await.unwrap());
    assert_eq!(lab.files("blobs"), 0);
    assert_eq!(lab.files("tmp"), 0);
}

#[tokio::test]
async fn a_wrong_content_md5_is_refused_and_keeps_the_old_object() {
    let lab = Lab::new().await;
    let bucket = lab.bucket("data").await;
    lab.put(&bucket, "k", b"old").await;
    let result = lab
        .objects
        .put_object(
            &bucket,
            "k",
            PutObject {
                headers: Default::default(),
                body: body(b"new"),
                content_md5: Some([0; 16]),
                declared_size: None,
            },
        )
        .await;
    assert!(matches!(result, Err(ObjectError::BadDigest)));
    assert_eq!(lab.read(&bucket, "k").await, b"old");
    assert_eq!(lab.files("blobs"), 1);
}

#[tokio::test]
async fn copies_keep_or_replace_the_headers() {
    let lab = Lab::new().await;
    let source = lab.bucket("source").await;
    let target = lab.bucket("target").await;
    let headers = ObjectHeaders {
        content_type: Some("text/plain".into()),
        ..Default::default()
    };
    lab.objects
        .put_object(
            &source,
            "a",
            PutObject {
                headers: headers.clone(),
                body: body(b"copy me"),
                content_md5: None,
                declared_size: None,
            },
        )
        .await
        .unwrap();
    let copy = lab
        .objects
        .copy_object(&source, "a", &target, "b", None)
        .await
        .unwrap();
    assert_eq!(copy.headers, headers);
    assert_eq!(copy.etag, md5_hex(b"copy me"));
    assert_eq!(lab.read(&target, "b").await, b"copy me");
    let replaced = ObjectHeaders {
        content_type: Some("application/json".into()),
        ..Default::default()
    };
    let copy = lab
        .objects
        .copy_object(&source, "a", &source, "a", Some(replaced.clone()))
        .await
        .unwrap();
    assert_eq!(
        copy.headers, replaced,
        "a copy onto itself replaces the metadata"
    );
    assert_eq!(lab.read(&source, "a").await, b"copy me");
    assert!(matches!(
        lab.objects
            .copy_object(&source, "nope", &target, "c", None)
            .await,
        Err(ObjectError::NoSuchKey)
    ));
    assert_eq!(lab.files("blobs"), 2);
}
