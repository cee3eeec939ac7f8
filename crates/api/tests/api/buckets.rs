//! Buckets over the REST API: create, folder view, streamed upload and download
//! (with ranges), metadata, multi-select delete, delete only when empty, pagination,
//! and isolation between users.

use md5::{Digest, Md5};
use proxicloud_store::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{Session, TestApp, call, error_code, spawn_app, status_and_json};

/// `key` as one path segment.
pub fn enc(key: &str) -> String {
    percent_encoding::utf8_percent_encode(key, percent_encoding::NON_ALPHANUMERIC).to_string()
}

pub async fn create_bucket(app: &TestApp, session: &Session, name: &str) {
    let (status, body) = call(
        app,
        session,
        Method::POST,
        "/api/v1/buckets",
        Some(json!({ "name": name })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

pub async fn put(
    app: &TestApp,
    session: &Session,
    bucket: &str,
    key: &str,
    bytes: Vec<u8>,
) -> (StatusCode, Value) {
    let response = app
        .request(
            Method::PUT,
            &format!("/api/v1/buckets/{bucket}/objects/{}", enc(key)),
        )
        .bearer_auth(&session.access)
        .header("content-type", "text/plain")
        .header("x-amz-meta-colour", "blue")
        .body(bytes)
        .send()
        .await
        .unwrap();
    status_and_json(response).await
}

fn names(list: &Value, field: &str, name: &str) -> Vec<String> {
    list[field]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            if name.is_empty() {
                v.as_str().unwrap().to_owned()
            } else {
                v[name].as_str().unwrap().to_owned()
            }
        })
        .collect()
}

#[tokio::test]
async fn a_bucket_is_browsed_like_folders_and_its_objects_stream_both_ways() {
    let app = spawn_app().await;
    let alice = app.insert_user(Role::Operator).await;
    let session = app.login_user(&alice).await;
    create_bucket(&app, &session, "photos").await;

    // Larger than the 256 KiB JSON body limit: uploads are streamed, not capped.
    let big: Vec<u8> = (0..1_500_000u32).map(|i| (i % 251) as u8).collect();
    let (status, object) = put(
        &app,
        &session,
        "photos",
        "2024/summer/beach.raw",
        big.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{object}");
    assert_eq!(object["size"], big.len());
    assert_eq!(object["etag"], hex::encode(Md5::digest(&big)));
    assert_eq!(object["content_type"], "text/plain");
    for key in ["2024/notes.txt", "readme.txt", "2025/x.txt"] {
        let (status, _) = put(&app, &session, "photos", key, key.as_bytes().to_vec()).await;
        assert_eq!(status, StatusCode::OK);
    }

    let (_, root) = call(
        &app,
        &session,
        Method::GET,
        "/api/v1/buckets/photos/objects?delimiter=/",
        None,
    )
    .await;
    assert_eq!(names(&root, "common_prefixes", ""), ["2024/", "2025/"]);
    assert_eq!(names(&root, "objects", "key"), ["readme.txt"]);
    assert_eq!(root["next_cursor"], Value::Null);
    let (_, folder) = call(
        &app,
        &session,
        Method::GET,
        "/api/v1/buckets/photos/objects?prefix=2024/&delimiter=/",
        None,
    )
    .await;
    assert_eq!(folder["prefix"], "2024/");
    assert_eq!(names(&folder, "common_prefixes", ""), ["2024/summer/"]);
    assert_eq!(names(&folder, "objects", "key"), ["2024/notes.txt"]);
    assert_eq!(folder["objects"][0]["size"], 14);
    // One entry per page, resumed from the cursor.
    let (_, first) = call(
        &app,
        &session,
        Method::GET,
        "/api/v1/buckets/photos/objects?delimiter=/&limit=1",
        None,
    )
    .await;
    assert_eq!(names(&first, "common_prefixes", ""), ["2024/"]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, second) = call(
        &app,
        &session,
        Method::GET,
        &format!(
            "/api/v1/buckets/photos/objects?delimiter=/&limit=1&cursor={}",
            enc(cursor)
        ),
        None,
    )
    .await;
    assert_eq!(names(&second, "common_prefixes", ""), ["2025/"]);

    // Download: the same bytes, with S3's headers; and a range.
    let path = format!(
        "/api/v1/buckets/photos/objects/{}",
        enc("2024/summer/beach.raw")
    );
    let response = app.get(&path, &session.access).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "text/plain");
    assert_eq!(
        headers["etag"],
        format!("\"{}\"", hex::encode(Md5::digest(&big)))
    );
    assert_eq!(headers["content-length"], big.len().to_string());
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains("filename=\"beach.raw\"")
    );
    assert_eq!(response.bytes().await.unwrap(), big);
    let ranged = app
        .get(&path, &session.access)
        .header("range", "bytes=10-19")
        .send()
        .await
        .unwrap();
    assert_eq!(ranged.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        ranged.headers()["content-range"],
        format!("bytes 10-19/{}", big.len())
    );
    assert_eq!(ranged.bytes().await.unwrap(), big[10..20]);
    let beyond = app
        .get(&path, &session.access)
        .header("range", "bytes=9999999-")
        .send()
        .await
        .unwrap();
    let (status, body) = status_and_json(beyond).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::RANGE_NOT_SATISFIABLE, "invalid_range")
    );

    let (status, meta) = call(
        &app,
        &session,
        Method::GET,
        &format!("{path}/metadata"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(meta["metadata"]["colour"], "blue");
    assert_eq!(meta["content_type"], "text/plain");

    let (_, listed) = call(&app, &session, Method::GET, "/api/v1/buckets", None).await;
    assert_eq!(listed["items"][0]["name"], "photos");
    assert_eq!(listed["items"][0]["object_count"], 4);
    assert_eq!(listed["items"][0]["size_bytes"], big.len() + 14 + 10 + 10);

    // Not empty: refused with a clear code. Multi-select delete, then it goes.
    let (status, body) = call(
        &app,
        &session,
        Method::DELETE,
        "/api/v1/buckets/photos",
        None,
    )
    .await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::CONFLICT, "bucket_not_empty")
    );
    let keys = json!({ "keys": ["2024/summer/beach.raw", "2024/notes.txt", "readme.txt", "2025/x.txt", "never-there"] });
    let (status, deleted) = call(
        &app,
        &session,
        Method::POST,
        "/api/v1/buckets/photos/delete-objects",
        Some(keys),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{deleted}");
    let flags: Vec<bool> = deleted["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["deleted"].as_bool().unwrap())
        .collect();
    assert_eq!(flags, [true, true, true, true, false]);
    let (status, _) = call(
        &app,
        &session,
        Method::DELETE,
        "/api/v1/buckets/photos",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = call(&app, &session, Method::GET, "/api/v1/buckets/photos", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn another_user_never_sees_or_touches_a_bucket_and_names_are_unique() {
    let app = spawn_app().await;
    let alice = app.login_user(&app.insert_user(Role::Operator).await).await;
    let bob = app.login_user(&app.insert_user(Role::Operator).await).await;
    let readonly = app.login_user(&app.insert_user(Role::Readonly).await).await;
    create_bucket(&app, &alice, "alices").await;
    put(&app, &alice, "alices", "secret.txt", b"hers".to_vec()).await;

    let object = "/api/v1/buckets/alices/objects/secret.txt";
    for (method, path) in [
        (Method::GET, "/api/v1/buckets/alices"),
        (Method::GET, "/api/v1/buckets/alices/objects"),
        (Method::GET, object),
        (Method::GET, &format!("{object}/metadata") as &str),
        (Method::DELETE, object),
        (Method::DELETE, "/api/v1/buckets/alices"),
    ] {
        let (status, body) = call(&app, &bob, method.clone(), path, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {body}");
        assert_eq!(body["error"]["message"], "bucket not found");
    }
    let (status, _) = put(&app, &bob, "alices", "mine.txt", b"x".to_vec()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, listed) = call(&app, &bob, Method::GET, "/api/v1/buckets", None).await;
    assert_eq!(listed["items"], json!([]));
    // Unique system-wide, like S3; the owner is told it is theirs.
    let (status, body) = call(
        &app,
        &bob,
        Method::POST,
        "/api/v1/buckets",
        Some(json!({ "name": "alices" })),
    )
    .await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::CONFLICT, "bucket_exists")
    );
    let (_, body) = call(
        &app,
        &alice,
        Method::POST,
        "/api/v1/buckets",
        Some(json!({ "name": "alices" })),
    )
    .await;
    assert_eq!(
        body["error"]["message"],
        "you already have a bucket of that name"
    );
    let (status, body) = call(
        &app,
        &alice,
        Method::POST,
        "/api/v1/buckets",
        Some(json!({ "name": "Bad_Name" })),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"]["fields"]["name"]
            .as_str()
            .unwrap()
            .contains("lower-case")
    );
    // Readonly users read (their own) and create nothing.
    let (status, _) = call(
        &app,
        &readonly,
        Method::POST,
        "/api/v1/buckets",
        Some(json!({ "name": "ro-bucket" })),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = call(&app, &readonly, Method::GET, object, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Admins see every bucket, a page at a time.
    create_bucket(&app, &bob, "bobs").await;
    let admin = app.admin().await;
    let (_, first) = call(&app, &admin, Method::GET, "/api/v1/buckets?limit=1", None).await;
    assert_eq!(first["items"][0]["name"], "alices");
    assert_eq!(first["items"][0]["object_count"], 1);
    assert_eq!(first["next_cursor"], "alices");
    let (_, second) = call(
        &app,
        &admin,
        Method::GET,
        "/api/v1/buckets?limit=1&cursor=alices",
        None,
    )
    .await;
    assert_eq!(second["items"][0]["name"], "bobs");
    assert_eq!(second["next_cursor"], Value::Null);
    let (status, _) = call(&app, &admin, Method::GET, object, None).await;
    assert_eq!(status, StatusCode::OK);
}
