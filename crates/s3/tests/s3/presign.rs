use std::time::Duration;

use aws_sdk_s3::presigning::PresigningConfig;

use crate::support::{Lab, client, failure};

#[tokio::test]
async fn presigned_urls_work_until_they_expire() {
    let lab = Lab::new().await;
    lab.bucket("share").await;
    lab.put("share", "file.txt", b"shared bytes").await;
    let presigned = lab
        .alice
        .get_object()
        .bucket("share")
        .key("file.txt")
        .presigned(PresigningConfig::expires_in(Duration::from_secs(300)).unwrap())
        .await
        .unwrap();
    let response = reqwest::get(presigned.uri()).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.bytes().await.unwrap().as_ref(), b"shared bytes");

    let expired = lab
        .alice
        .get_object()
        .bucket("share")
        .key("file.txt")
        .presigned(
            PresigningConfig::builder()
                .start_time(std::time::SystemTime::now() - Duration::from_secs(3600))
                .expires_in(Duration::from_secs(60))
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    let response = reqwest::get(expired.uri()).await.unwrap();
    assert_eq!(response.status(), 403);
    assert!(response.text().await.unwrap().contains("AccessDenied"));

    let put = lab
        .alice
        .put_object()
        .bucket("share")
        .key("uploaded.txt")
        .presigned(PresigningConfig::expires_in(Duration::from_secs(300)).unwrap())
        .await
        .unwrap();
    let response = reqwest::Client::new()
        .put(put.uri())
        .body("via a presigned PUT")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        lab.get("share", "uploaded.txt").await,
        b"via a presigned PUT"
    );
}

#[tokio::test]
async fn bad_credentials_and_anonymous_requests_are_refused() {
    let lab = Lab::new().await;
    lab.bucket("safe").await;
    let (access_key, _) = &lab.alice_key;
    let forged = client(
        &lab.endpoint,
        access_key,
        "not-the-secret-at-all-000000000000000000",
    );
    let refused = forged.list_buckets().send().await.unwrap_err();
    assert_eq!(failure(refused), (403, "SignatureDoesNotMatch".into()));
    let unknown = client(&lab.endpoint, "PCNOSUCHKEY000000000", "whatever");
    let refused = unknown.list_buckets().send().await.unwrap_err();
    assert_eq!(failure(refused), (403, "InvalidAccessKeyId".into()));
    let anonymous = reqwest::get(format!("{}/safe", lab.endpoint))
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 403);
    assert!(anonymous.text().await.unwrap().contains("AccessDenied"));
}
