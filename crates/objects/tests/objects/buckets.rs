use proxicloud_objects::{Access, ObjectError};

use crate::support::Lab;

#[tokio::test]
async fn bucket_names_are_checked_unique_and_owned() {
    let lab = Lab::new().await;
    let bucket = lab.bucket("photos").await;
    assert!(matches!(
        lab.objects.create_bucket(lab.alice, "photos").await,
        Err(ObjectError::BucketAlreadyOwnedByYou)
    ));
    assert!(matches!(
        lab.objects.create_bucket(lab.bob, "photos").await,
        Err(ObjectError::BucketAlreadyExists)
    ));
    assert!(matches!(
        lab.objects.create_bucket(lab.bob, "Bad_Name").await,
        Err(ObjectError::InvalidBucketName(_))
    ));
    assert_eq!(
        lab.objects.bucket(lab.alice(), "photos").await.unwrap(),
        bucket
    );
    assert_eq!(
        lab.objects.bucket(Access::Any, "photos").await.unwrap(),
        bucket
    );
    assert!(matches!(
        lab.objects.bucket(Access::Owner(lab.bob), "photos").await,
        Err(ObjectError::AccessDenied)
    ));
    assert!(matches!(
        lab.objects.bucket(lab.alice(), "nothing-here").await,
        Err(ObjectError::NoSuchBucket)
    ));
    lab.objects.create_bucket(lab.bob, "bobs").await.unwrap();
    let names = |buckets: Vec<proxicloud_store::Bucket>| {
        buckets.into_iter().map(|b| b.name).collect::<Vec<_>>()
    };
    assert_eq!(
        names(lab.objects.list_buckets(lab.alice()).await.unwrap()),
        ["photos"]
    );
    assert_eq!(
        names(lab.objects.list_buckets(Access::Any).await.unwrap()),
        ["bobs", "photos"]
    );
}

#[tokio::test]
async fn only_empty_buckets_are_deleted_and_their_uploads_go_with_them() {
    let lab = Lab::new().await;
    let bucket = lab.bucket("data").await;
    lab.put(&bucket, "a", b"hello").await;
    assert!(matches!(
        lab.objects.delete_bucket(lab.alice(), "data").await,
        Err(ObjectError::BucketNotEmpty)
    ));
    assert!(matches!(
        lab.objects
            .delete_bucket(Access::Owner(lab.bob), "data")
            .await,
        Err(ObjectError::AccessDenied)
    ));
    assert!(lab.objects.delete_object(&bucket, "a").await.unwrap());
    let upload = lab
        .objects
        .create_upload(&bucket, "big", &Default::default())
        .await
        .unwrap();
    lab.objects
        .upload_part(&upload, 1, crate::support::body(b"part"), None)
        .await
        .unwrap();
    assert_eq!(lab.files("blobs"), 1);
    lab.objects
        .delete_bucket(lab.alice(), "data")
        .await
        .unwrap();
    assert_eq!(
        lab.files("blobs"),
        0,
        "the unfinished upload's part went too"
    );
    assert!(matches!(
        lab.objects.bucket(lab.alice(), "data").await,
        Err(ObjectError::NoSuchBucket)
    ));
}
