//! What probing the running server from outside found (issue 18): bodies that are
//! not objects, an admin resetting their own password, and the other edges a
//! well-behaved client never reaches.

use proxicloud_api::ApiConfig;
use proxicloud_domain::iam::IamConfig;
use proxicloud_store::Role;
use reqwest::{Method, StatusCode, header};
use serde_json::json;

use crate::support::{
    ADMIN_PASSWORD, error_code, spawn_app, spawn_app_configured, status_and_json,
};

#[tokio::test]
async fn only_a_json_object_is_a_request_body() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let user = app.insert_user(Role::Operator).await;
    let send = |method: Method, path: String, body: &'static str| {
        app.request(method, &path)
            .bearer_auth(&admin.access)
            .header(header::CONTENT_TYPE, "application/json")
            .body(body)
    };
    // serde reads an array positionally: `["name", 5]` would be a token named "name".
    let cases = [
        (Method::POST, "/api/v1/tokens".to_owned(), r#"["name", 5]"#),
        (
            Method::PATCH,
            format!("/api/v1/users/{}", user.id),
            r#" [null, "readonly"]"#,
        ),
        (
            Method::POST,
            format!("/api/v1/users/{}/reset-password", user.id),
            "null",
        ),
        (Method::POST, "/api/v1/tokens".to_owned(), r#""name""#),
    ];
    for (method, path, body) in cases {
        let response = send(method.clone(), path.clone(), body)
            .send()
            .await
            .unwrap();
        let (status, json) = status_and_json(response).await;
        assert_eq!(
            (status, error_code(&json)),
            (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
            "{method} {path} {body}: {json}"
        );
        if body.trim_start().starts_with('[') {
            assert_eq!(json["error"]["fields"]["body"], "must be a JSON object");
        }
    }
    let (_, shown) = status_and_json(
        app.get(&format!("/api/v1/users/{}", user.id), &admin.access)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(shown["role"], "operator", "the array changed nothing");
    let (_, tokens) = status_and_json(
        app.get("/api/v1/tokens", &admin.access)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(tokens["items"], json!([]), "no token was created");
}

#[tokio::test]
async fn an_admin_changes_their_own_password_only_with_the_current_one() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (_, me) = status_and_json(
        app.get("/api/v1/auth/me", &admin.access)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let my_id = me["user"]["id"].as_str().unwrap().to_owned();
    let reset = app.post(
        &format!("/api/v1/users/{my_id}/reset-password"),
        &admin.access,
        json!({ "password": "a-new-password-nobody-confirmed" }),
    );
    let (status, body) = status_and_json(reset.send().await.unwrap()).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::CONFLICT, "cannot_reset_own_password")
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("/api/v1/me/password")
    );
    // The old password still works: nothing changed.
    app.admin().await;
}

/// Sends `head` (and then `body`, from another task, ignoring write errors: the server
/// may answer and close before it has read everything) over a raw connection, and
/// returns the status line's code, the headers and body of the response, and how long
/// the answer took.
async fn raw_exchange(
    app: &crate::support::TestApp,
    head: String,
    body: Vec<u8>,
) -> (u16, String, serde_json::Value, std::time::Duration) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = app.base.trim_start_matches("http://");
    let stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let started = std::time::Instant::now();
    let sender = tokio::spawn(async move {
        if writer.write_all(head.as_bytes()).await.is_ok() {
            let _ = writer.write_all(&body).await;
        }
        // Keep the connection open (a half-close could end the request early).
        writer
    });
    let mut response = Vec::new();
    let mut buffer = [0u8; 8192];
    loop {
        let read =
            tokio::time::timeout(std::time::Duration::from_secs(10), reader.read(&mut buffer))
                .await
                .expect("the server answers")
                .unwrap_or(0);
        if read == 0 {
            break;
        }
        response.extend_from_slice(&buffer[..read]);
        if let Some(end) = find(&response, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&response[..end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length: "))
                .and_then(|value| value.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if response.len() >= end + 4 + length {
                break;
            }
        }
    }
    let elapsed = started.elapsed();
    sender.abort();
    let end = find(&response, b"\r\n\r\n").expect("a complete response head");
    let head = String::from_utf8_lossy(&response[..end]).into_owned();
    let status = head[9..12].parse().unwrap();
    let body = serde_json::from_slice(&response[end + 4..]).unwrap_or(serde_json::Value::Null);
    (status, head, body, elapsed)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

#[tokio::test]
async fn oversized_bodies_are_refused_before_they_are_read() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    // A declared 100 MB body: refused from its headers, with only 1 KiB sent.
    let head = format!(
        "POST /api/v1/tokens HTTP/1.1\r\nhost: test\r\nauthorization: Bearer {}\r\n\
         content-type: application/json\r\ncontent-length: 104857600\r\n\r\n",
        admin.access
    );
    let (status, _, body, elapsed) = raw_exchange(&app, head, vec![b' '; 1024]).await;
    assert_eq!(
        (status, error_code(&body)),
        (413, "payload_too_large"),
        "{body}"
    );
    assert!(elapsed < std::time::Duration::from_secs(2), "{elapsed:?}");

    // Without a length (chunked), the body is cut off at the limit: 100 chunks of
    // 64 KiB, 6.4 MB, are never all read.
    let head = format!(
        "POST /api/v1/tokens HTTP/1.1\r\nhost: test\r\nauthorization: Bearer {}\r\n\
         content-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n",
        admin.access
    );
    let chunk = [
        format!("{:x}\r\n", 65536).into_bytes(),
        vec![b' '; 65536],
        b"\r\n".to_vec(),
    ]
    .concat();
    let (status, _, body, _) = raw_exchange(&app, head, chunk.repeat(100)).await;
    assert_eq!(
        (status, error_code(&body)),
        (413, "payload_too_large"),
        "{body}"
    );

    // Routes without a body refuse a declared huge one the same way.
    let head =
        "GET /healthz HTTP/1.1\r\nhost: test\r\ncontent-length: 104857600\r\n\r\n".to_owned();
    let (status, _, body, _) = raw_exchange(&app, head, Vec::new()).await;
    assert_eq!(
        (status, error_code(&body)),
        (413, "payload_too_large"),
        "{body}"
    );
}

#[tokio::test]
async fn every_response_carries_the_browser_security_headers() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let responses = [
        app.request(Method::GET, "/healthz").send().await.unwrap(),
        app.get("/api/v1/users", &admin.access)
            .send()
            .await
            .unwrap(),
        app.request(Method::GET, "/api/v1/users")
            .send()
            .await
            .unwrap(),
        app.request(Method::GET, "/api/docs").send().await.unwrap(),
        app.request(Method::GET, "/no/such/page")
            .send()
            .await
            .unwrap(),
    ];
    for response in responses {
        let url = response.url().to_string();
        let headers = response.headers();
        let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        let directive = |name: &str| {
            csp.split(';')
                .map(str::trim)
                .find(|d| d.starts_with(&format!("{name} ")))
                .unwrap_or_else(|| panic!("{url}: no {name} in {csp}"))
                .to_owned()
        };
        assert_eq!(directive("script-src"), "script-src 'self'", "{url}");
        assert_eq!(
            directive("frame-ancestors"),
            "frame-ancestors 'none'",
            "{url}"
        );
        assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY", "{url}");
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{url}");
        assert_eq!(headers[header::REFERRER_POLICY], "no-referrer", "{url}");
        assert!(
            !headers.contains_key(header::STRICT_TRANSPORT_SECURITY),
            "{url}: no HSTS over plain HTTP"
        );
    }
}

/// One setting says "served over HTTPS": it marks the session cookies `Secure` and
/// sends HSTS (a separate flag that serve never set once kept HSTS from going out).
#[tokio::test]
async fn served_over_https_cookies_are_secure_and_hsts_goes_out() {
    let app = spawn_app_configured(IamConfig::default(), ApiConfig::default()).await;
    let health = app.request(Method::GET, "/healthz").send().await.unwrap();
    assert!(
        health.headers()[header::STRICT_TRANSPORT_SECURITY]
            .to_str()
            .unwrap()
            .starts_with("max-age="),
        "{:?}",
        health.headers()
    );
    let login = json!({ "username": "admin", "password": ADMIN_PASSWORD, "use_cookies": true });
    let response = app
        .request(Method::POST, "/api/v1/auth/login")
        .json(&login)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response
            .headers()
            .contains_key(header::STRICT_TRANSPORT_SECURITY)
    );
    let cookies: Vec<_> = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|c| c.to_str().unwrap().to_owned())
        .collect();
    assert!(!cookies.is_empty());
    for cookie in cookies {
        assert!(cookie.contains("; Secure"), "{cookie}");
    }
}

#[tokio::test]
async fn deleting_a_cluster_needs_its_name_and_keeps_jobs_and_audit() {
    use proxicloud_domain::clusters::{AuthInput, ClusterInput};
    use proxicloud_store::{JobActor, JobStep, NewJob};
    let app = spawn_app().await;
    let admin = app.admin().await;
    let cluster = app
        .services
        .platform()
        .clusters
        .register(ClusterInput {
            name: "doomed".into(),
            addresses: vec!["https://127.0.0.1:9".into()],
            auth: AuthInput::ApiToken {
                token_id: "root@pam!doomed".into(),
                secret: Some(secrecy::SecretString::from("doomed-secret")),
            },
            tls_fingerprint: None,
            ca_pem: None,
            verify_tls: true,
        })
        .await
        .unwrap();
    let operator = app.insert_user(Role::Operator).await;
    let mut job = NewJob::new(
        "instance.start",
        JobActor::User(operator.id),
        vec![JobStep::pending("start")],
    );
    job.resource_kind = Some("instance".into());
    job.resource_id = Some(uuid::Uuid::now_v7().to_string());
    let job = app.store.jobs().create(job).await.unwrap().job;
    let path = format!("/api/v1/clusters/{}", cluster.id);

    for confirm in [None, Some("wrong"), Some("DOOMED")] {
        let mut request = app
            .request(Method::DELETE, &path)
            .bearer_auth(&admin.access);
        if let Some(confirm) = confirm {
            request = request.query(&[("confirm", confirm)]);
        }
        let (status, body) = status_and_json(request.send().await.unwrap()).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{confirm:?}: {body}"
        );
        assert!(
            body["error"]["fields"]["confirm"]
                .as_str()
                .unwrap()
                .contains("'doomed'"),
            "{body}"
        );
    }
    let delete = app
        .request(Method::DELETE, &path)
        .bearer_auth(&admin.access)
        .query(&[("confirm", "doomed")]);
    assert_eq!(
        delete.send().await.unwrap().status(),
        StatusCode::NO_CONTENT
    );

    let (status, kept) = status_and_json(
        app.get(&format!("/api/v1/jobs/{}", job.id), &admin.access)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the job outlives the cluster: {kept}"
    );
    let (_, audit) = status_and_json(
        app.get("/api/v1/audit?limit=100", &admin.access)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|entry| entry["action"].as_str())
        .collect();
    assert_eq!(
        actions.iter().filter(|a| **a == "delete_cluster").count(),
        4,
        "three refusals and the deletion are audited: {actions:?}"
    );
}

#[tokio::test]
async fn requests_hyper_refuses_get_our_json_errors_too() {
    let app = spawn_app().await;
    // A 100,000-character path: over hyper's URI limit, answered before any layer of ours.
    let long_path = format!("/api/v1/{}", "a".repeat(100_000));
    let head = format!("GET {long_path} HTTP/1.1\r\nhost: test\r\n\r\n");
    let (status, head, body, _) = raw_exchange(&app, head, Vec::new()).await;
    assert_eq!((status, error_code(&body)), (414, "uri_too_long"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/json")
    );

    // A request line that is not HTTP.
    let (status, _, body, _) = raw_exchange(
        &app,
        "GET / HTTP/1.1\r\nbad header\r\n\r\n".into(),
        Vec::new(),
    )
    .await;
    assert_eq!((status, error_code(&body)), (400, "malformed_request"));

    // A long path under hyper's limit reaches the router: our JSON 404.
    let path = format!("/api/v1/{}", "a".repeat(10_000));
    let (status, body) =
        status_and_json(app.request(Method::GET, &path).send().await.unwrap()).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::NOT_FOUND, "not_found")
    );
}
