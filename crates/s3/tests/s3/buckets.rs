use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};

use crate::support::{Lab, failure};

#[tokio::test]
async fn buckets_are_created_listed_located_and_deleted_when_empty() {
    let lab = Lab::new().await;
    lab.bucket("photos").await;
    lab.bucket("backups").await;
    let listed = lab.alice.list_buckets().send().await.unwrap();
    let names: Vec<_> = listed.buckets().iter().filter_map(|b| b.name()).collect();
    assert_eq!(names, ["backups", "photos"]);
    assert!(listed.buckets()[0].creation_date().is_some());
    let bobs = lab.bob.list_buckets().send().await.unwrap();
    assert!(bobs.buckets().is_empty(), "bob sees only his own buckets");

    lab.alice
        .head_bucket()
        .bucket("photos")
        .send()
        .await
        .unwrap();
    let location = lab
        .alice
        .get_bucket_location()
        .bucket("photos")
        .send()
        .await
        .unwrap();
    // Like AWS for us-east-1: an empty constraint (the SDK reads it as "").
    let constraint = location.location_constraint().map(|c| c.as_str());
    assert!(matches!(constraint, None | Some("")), "{constraint:?}");
    // Never versioned: an empty configuration, as S3 answers (rclone asks this).
    let versioning = lab
        .alice
        .get_bucket_versioning()
        .bucket("photos")
        .send()
        .await
        .unwrap();
    assert_eq!(versioning.status(), None);
    let denied = lab
        .bob
        .get_bucket_versioning()
        .bucket("photos")
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(denied), (403, "AccessDenied".into()));

    lab.put("photos", "cat.jpg", b"meow").await;
    let refused = lab
        .alice
        .delete_bucket()
        .bucket("photos")
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(refused), (409, "BucketNotEmpty".into()));
    lab.alice
        .delete_object()
        .bucket("photos")
        .key("cat.jpg")
        .send()
        .await
        .unwrap();
    lab.alice
        .delete_bucket()
        .bucket("photos")
        .send()
        .await
        .unwrap();
    let gone = lab
        .alice
        .head_bucket()
        .bucket("photos")
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(gone).0, 404);
    let gone = lab
        .alice
        .delete_bucket()
        .bucket("photos")
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(gone), (404, "NoSuchBucket".into()));
}

#[tokio::test]
async fn bucket_names_are_unique_valid_and_private() {
    let lab = Lab::new().await;
    lab.bucket("shared-name").await;
    let again = lab
        .alice
        .create_bucket()
        .bucket("shared-name")
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(again), (409, "BucketAlreadyOwnedByYou".into()));
    let taken = lab
        .bob
        .create_bucket()
        .bucket("shared-name")
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(taken), (409, "BucketAlreadyExists".into()));
    let invalid = lab
        .alice
        .create_bucket()
        .bucket("Not_Valid")
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(invalid), (400, "InvalidBucketName".into()));

    let denied = lab
        .bob
        .head_bucket()
        .bucket("shared-name")
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(denied).0, 403);
    let denied = lab
        .bob
        .list_objects_v2()
        .bucket("shared-name")
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(denied), (403, "AccessDenied".into()));
    let denied = lab
        .bob
        .delete_bucket()
        .bucket("shared-name")
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(denied), (403, "AccessDenied".into()));

    // A location constraint (what clients send outside us-east-1) is accepted.
    lab.alice
        .create_bucket()
        .bucket("with-config")
        .create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::UsEast2)
                .build(),
        )
        .send()
        .await
        .unwrap();
}
