//! Multipart uploads over the REST API (a failed part sent again) and presigned
//! URLs that the S3 endpoint honours.

use md5::{Digest, Md5};
use proxicloud_store::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::buckets::{create_bucket, enc, put};
use crate::support::{call, error_code, spawn_app, status_and_json};

const MIB: usize = 1024 * 1024;

#[tokio::test]
async fn a_big_file_uploads_in_parts_and_a_failed_part_is_sent_again() {
    let app = spawn_app().await;
    let session = app.login_user(&app.insert_user(Role::Operator).await).await;
    create_bucket(&app, &session, "big").await;
    let (status, upload) = call(
        &app,
        &session,
        Method::POST,
        "/api/v1/buckets/big/uploads",
        Some(json!({ "key": "disk/image.bin", "content_type": "application/x-raw" })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{upload}");
    let upload_id = upload["upload_id"].as_str().unwrap().to_owned();
    let data: Vec<u8> = (0..5 * MIB + 1000).map(|i| (i * 7 % 256) as u8).collect();
    let (one, two) = data.split_at(5 * MIB);
    let part = |number: u32, bytes: Vec<u8>| {
        app.request(
            Method::PUT,
            &format!("/api/v1/buckets/big/uploads/{upload_id}/parts/{number}"),
        )
        .bearer_auth(&session.access)
        .body(bytes)
        .send()
    };
    // The first attempt of part 1 carried the wrong bytes (a blip mid-way); sending
    // it again replaces it.
    let (status, _) = status_and_json(part(1, vec![0; 5 * MIB]).await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    let (_, first) = status_and_json(part(1, one.to_vec()).await.unwrap()).await;
    let (_, second) = status_and_json(part(2, two.to_vec()).await.unwrap()).await;
    assert_eq!(first["etag"], hex::encode(Md5::digest(one)));
    let parts = json!({ "parts": [first, second] });
    let (status, object) = call(
        &app,
        &session,
        Method::POST,
        &format!("/api/v1/buckets/big/uploads/{upload_id}/complete"),
        Some(parts),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{object}");
    assert!(object["etag"].as_str().unwrap().ends_with("-2"));
    assert_eq!(object["content_type"], "application/x-raw");
    let downloaded = app
        .get(
            &format!("/api/v1/buckets/big/objects/{}", enc("disk/image.bin")),
            &session.access,
        )
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(Md5::digest(&downloaded), Md5::digest(&data));

    // Completed: the upload is gone. Parts too small are refused at completion.
    let (status, _) = call(
        &app,
        &session,
        Method::DELETE,
        &format!("/api/v1/buckets/big/uploads/{upload_id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, small) = call(
        &app,
        &session,
        Method::POST,
        "/api/v1/buckets/big/uploads",
        Some(json!({ "key": "s" })),
    )
    .await;
    let small_id = small["upload_id"].as_str().unwrap();
    let mut etags = Vec::new();
    for number in 1..=2 {
        let response = app
            .request(
                Method::PUT,
                &format!("/api/v1/buckets/big/uploads/{small_id}/parts/{number}"),
            )
            .bearer_auth(&session.access)
            .body(vec![1u8; 10])
            .send()
            .await
            .unwrap();
        etags.push(status_and_json(response).await.1);
    }
    let (status, body) = call(
        &app,
        &session,
        Method::POST,
        &format!("/api/v1/buckets/big/uploads/{small_id}/complete"),
        Some(json!({ "parts": etags })),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"]["fields"]["parts"]
            .as_str()
            .unwrap()
            .contains("smaller than the minimum")
    );
    let (status, _) = call(
        &app,
        &session,
        Method::DELETE,
        &format!("/api/v1/buckets/big/uploads/{small_id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn a_presigned_url_is_signed_with_your_key_and_the_s3_endpoint_honours_it() {
    let app = spawn_app().await;
    let session = app.login_user(&app.insert_user(Role::Operator).await).await;
    create_bucket(&app, &session, "shared").await;
    let content = b"hello through S3".to_vec();
    put(&app, &session, "shared", "docs/a b+c.txt", content.clone()).await;
    let presign = format!(
        "/api/v1/buckets/shared/objects/{}/presign",
        enc("docs/a b+c.txt")
    );

    let (status, body) = call(
        &app,
        &session,
        Method::POST,
        &presign,
        Some(json!({ "expires_in_secs": 600 })),
    )
    .await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::BAD_REQUEST, "no_access_key")
    );
    let (_, key) = call(&app, &session, Method::POST, "/api/v1/s3/access-keys", None).await;
    let (status, body) = call(
        &app,
        &session,
        Method::POST,
        &presign,
        Some(json!({ "expires_in_secs": 8 * 24 * 3600 })),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    let (status, signed) = call(
        &app,
        &session,
        Method::POST,
        &presign,
        Some(json!({ "expires_in_secs": 600 })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{signed}");
    assert_eq!(signed["access_key_id"], key["access_key_id"]);
    let url = signed["url"].as_str().unwrap();
    assert!(
        url.starts_with(&format!("{}/shared/docs/a%20b%2Bc.txt?", app.s3_url)),
        "{url}"
    );
    assert!(url.contains("X-Amz-Expires=600"), "{url}");
    // Anyone holding the URL downloads it, without our session.
    let fetched = reqwest::get(url).await.unwrap();
    assert_eq!(fetched.status(), StatusCode::OK);
    assert_eq!(fetched.bytes().await.unwrap(), content);
    // A tampered URL is refused; so is the URL once its key is disabled.
    let tampered = url.replace("X-Amz-Expires=600", "X-Amz-Expires=601");
    assert_eq!(
        reqwest::get(&tampered).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    let key_path = format!("/api/v1/s3/access-keys/{}", key["id"].as_str().unwrap());
    let (status, _) = call(
        &app,
        &session,
        Method::PATCH,
        &key_path,
        Some(json!({ "disabled": true })),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        reqwest::get(url).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
}
