use proxicloud_objects::{CompletedPart, ObjectError};

use crate::support::{Lab, body, md5_hex};

fn part(part_number: u32, data: &[u8]) -> CompletedPart {
    CompletedPart {
        part_number,
        etag: format!("\"{}\"", md5_hex(data)),
    }
}

#[tokio::test]
async fn parts_complete_into_one_object_with_a_multipart_etag() {
    let lab = Lab::new().await;
    let bucket = lab.bucket("multi").await;
    let upload = lab
        .objects
        .create_upload(&bucket, "big", &Default::default())
        .await
        .unwrap();
    let one = vec![1u8; 20];
    let two = vec![2u8; 20];
    let three = b"tail".to_vec();
    for (n, data) in [(1, &one), (2, &vec![9u8; 20]), (2, &two), (3, &three)] {
        let etag = lab
            .objects
            .upload_part(&upload, n, body(data), None)
            .await
            .unwrap();
        assert_eq!(etag, md5_hex(data));
    }
    assert_eq!(
        lab.objects.list_parts(&upload, 0, 100).await.unwrap().len(),
        3
    );
    assert!(matches!(
        lab.objects
            .complete_upload(&bucket, &upload, &[part(2, &two), part(1, &one)])
            .await,
        Err(ObjectError::InvalidPartOrder)
    ));
    assert!(matches!(
        lab.objects
            .complete_upload(&bucket, &upload, &[part(1, &one), part(2, b"other")])
            .await,
        Err(ObjectError::InvalidPart)
    ));
    assert!(matches!(
        lab.objects
            .complete_upload(&bucket, &upload, &[part(3, &three), part(4, &one)])
            .await,
        Err(ObjectError::InvalidPart)
    ));
    let info = lab
        .objects
        .complete_upload(
            &bucket,
            &upload,
            &[part(1, &one), part(2, &two), part(3, &three)],
        )
        .await
        .unwrap();
    let mut md5s = Vec::new();
    for data in [&one, &two, &three] {
        md5s.extend(hex::decode(md5_hex(data)).unwrap());
    }
    assert_eq!(info.etag, format!("{}-3", md5_hex(&md5s)));
    assert_eq!(lab.read(&bucket, "big").await, [one, two, three].concat());
    assert_eq!(
        lab.files("blobs"),
        1,
        "the parts are gone, the object is one blob"
    );
    assert!(matches!(
        lab.objects
            .upload(&bucket, "big", &upload.id.to_string())
            .await,
        Err(ObjectError::NoSuchUpload)
    ));
}

#[tokio::test]
async fn small_parts_are_refused_except_the_last_and_aborts_free_the_parts() {
    let lab = Lab::new().await;
    let bucket = lab.bucket("multi").await;
    let upload = lab
        .objects
        .create_upload(&bucket, "k", &Default::default())
        .await
        .unwrap();
    lab.objects
        .upload_part(&upload, 1, body(b"tiny"), None)
        .await
        .unwrap();
    lab.objects
        .upload_part(&upload, 2, body(b"tiny too"), None)
        .await
        .unwrap();
    assert!(matches!(
        lab.objects
            .complete_upload(&bucket, &upload, &[part(1, b"tiny"), part(2, b"tiny too")])
            .await,
        Err(ObjectError::EntityTooSmall)
    ));
    assert!(matches!(
        lab.objects.upload_part(&upload, 0, body(b"x"), None).await,
        Err(ObjectError::InvalidArgument(_))
    ));
    let listed = lab
        .objects
        .list_uploads(&bucket, "", None, 10)
        .await
        .unwrap();
    assert_eq!(listed, std::slice::from_ref(&upload));
    lab.objects.abort_upload(&upload).await.unwrap();
    assert_eq!(lab.files("blobs"), 0);
    assert!(matches!(
        lab.objects
            .upload_part(&upload, 3, body(b"late"), None)
            .await,
        Err(ObjectError::NoSuchUpload)
    ));
    assert_eq!(lab.files("blobs"), 0, "the late part's blob was released");
    assert!(matches!(
        lab.objects.upload(&bucket, "k", "not-a-uuid").await,
        Err(ObjectError::NoSuchUpload)
    ));
}
