//! Every failure is a JSON error with a stable code, whatever produced it: the
//! router, a body or query parser, the auth layer, or the domain.

use proxicloud_domain::clusters::{AuthInput, ClusterInput};
use proxicloud_store::{ClusterHealth, ClusterStatus, Timestamp};
use reqwest::{Method, StatusCode, header};
use secrecy::SecretString;

use crate::support::{TestApp, error_code, spawn_app, status_and_json};

async fn expect(
    request: reqwest::RequestBuilder,
    status: StatusCode,
    code: &str,
) -> serde_json::Value {
    let response = request.send().await.unwrap();
    assert!(response.headers().contains_key("x-request-id"));
    let (actual, body) = status_and_json(response).await;
    assert_eq!((actual, error_code(&body)), (status, code), "{body}");
    body
}

#[tokio::test]
async fn malformed_and_mistyped_bodies() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let post = |body: &'static str| {
        app.request(Method::POST, "/api/v1/tokens")
            .bearer_auth(&admin.access)
            .header(header::CONTENT_TYPE, "application/json")
            .body(body)
    };
    expect(
        post("{\"name\": "),
        StatusCode::BAD_REQUEST,
        "malformed_json",
    )
    .await;
    expect(
        post("{\"name\": \"a\"} trailing"),
        StatusCode::BAD_REQUEST,
        "malformed_json",
    )
    .await;
    let body = expect(
        post("{\"name\": 5}"),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(
        body["error"]["fields"]["name"]
            .as_str()
            .unwrap()
            .contains("expected a string")
    );
    let body = expect(
        post("{}"),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(
        body["error"]["fields"]["body"]
            .as_str()
            .unwrap()
            .contains("missing field `name`")
    );
    let body = expect(
        post("{\"name\": \"a\", \"nmae\": 1}"),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(
        body["error"]["fields"]["nmae"]
            .as_str()
            .unwrap()
            .contains("unknown field")
    );

    let untyped = app
        .request(Method::POST, "/api/v1/tokens")
        .bearer_auth(&admin.access)
        .body("{\"name\": \"a\"}");
    expect(
        untyped,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
}

#[tokio::test]
async fn unknown_routes_methods_and_bad_parameters() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    expect(
        app.get("/api/v1/nothing-here", &admin.access),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    expect(
        app.request(Method::GET, "/no/such/page"),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let put = app
        .request(Method::PUT, "/api/v1/users")
        .bearer_auth(&admin.access);
    expect(put, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;
    expect(
        app.get("/api/v1/users/not-a-uuid", &admin.access),
        StatusCode::BAD_REQUEST,
        "invalid_path_parameter",
    )
    .await;
    let missing = format!("/api/v1/users/{}", uuid::Uuid::now_v7());
    let body = expect(
        app.get(&missing, &admin.access),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_eq!(body["error"]["message"], "user not found");
    let body = expect(
        app.get("/api/v1/users?limit=many", &admin.access),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(body["error"]["fields"]["limit"].is_string());
    expect(
        app.get("/api/v1/users?colour=blue", &admin.access),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
}

#[tokio::test]
async fn bad_credentials_of_every_kind() {
    let app = spawn_app().await;
    let me = |value: &str| {
        app.request(Method::GET, "/api/v1/auth/me")
            .header(header::AUTHORIZATION, value.to_owned())
    };
    for value in [
        "Bearer ",
        "Basic YWRtaW46YWRtaW4=",
        "Bearer not.a.jwt",
        "Bearer pc_nope",
        "Token abc",
    ] {
        expect(me(value), StatusCode::UNAUTHORIZED, "unauthenticated").await;
    }
    expect(
        app.request(Method::GET, "/api/v1/auth/me"),
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
}

#[tokio::test]
async fn request_ids_are_echoed_or_generated() {
    let app = spawn_app().await;
    let echoed = app
        .request(Method::GET, "/healthz")
        .header("x-request-id", "trace-abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.headers()["x-request-id"], "trace-abc-123");
    let hostile = app
        .request(Method::GET, "/healthz")
        .header("x-request-id", "a b\"<script>")
        .send()
        .await
        .unwrap();
    let generated = hostile.headers()["x-request-id"].to_str().unwrap();
    assert!(
        uuid::Uuid::parse_str(generated).is_ok(),
        "unsafe ids are replaced: {generated}"
    );
}

#[tokio::test]
async fn health_readiness_spec_and_reference_page() {
    let app = spawn_app().await;
    let (status, health) =
        status_and_json(app.request(Method::GET, "/healthz").send().await.unwrap()).await;
    assert_eq!(
        (status, health["status"].as_str()),
        (StatusCode::OK, Some("ok"))
    );
    let (status, ready) =
        status_and_json(app.request(Method::GET, "/readyz").send().await.unwrap()).await;
    assert_eq!(
        (status, ready["status"].as_str()),
        (StatusCode::OK, Some("ready"))
    );

    let (_, spec) = status_and_json(
        app.request(Method::GET, "/api/v1/openapi.json")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(spec["openapi"], "3.1.0");
    assert!(spec["components"]["securitySchemes"]["bearer"].is_object());
    assert_eq!(
        spec["paths"]["/api/v1/users/{id}/disable"]["post"]["operationId"],
        "disable_user"
    );

    let page = app.request(Method::GET, "/api/docs").send().await.unwrap();
    assert!(
        page.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = page.text().await.unwrap();
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no external assets"
    );
    for path in spec["paths"].as_object().unwrap().keys() {
        assert!(
            html.contains(&path.replace('&', "&amp;")),
            "{path} missing from the reference page"
        );
    }
}

#[tokio::test]
async fn internal_failures_are_logged_with_the_request_id_and_answered_generically() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.store.close().await;

    let response = app
        .get("/api/v1/users", &admin.access)
        .send()
        .await
        .unwrap();
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let (status, body) = status_and_json(response).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        body,
        serde_json::json!({ "error": { "code": "internal_error", "message": "internal error" } })
    );

    let logs =
        String::from_utf8_lossy(&crate::support::captured_logs().lock().unwrap()).into_owned();
    let logged = logs
        .lines()
        .any(|line| line.contains(&request_id) && line.contains("internal error"));
    assert!(logged, "the cause is logged under request {request_id}");

    let (status, body) =
        status_and_json(app.request(Method::GET, "/readyz").send().await.unwrap()).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::SERVICE_UNAVAILABLE, "not_ready")
    );
    assert_eq!(body["error"]["fields"]["database"], "unavailable");
}

#[tokio::test]
async fn readiness_needs_a_reachable_cluster_once_one_is_configured() {
    let app = spawn_app().await;
    let ready = |app: &TestApp| {
        let request = app.request(Method::GET, "/readyz");
        async move { status_and_json(request.send().await.unwrap()).await }
    };
    // A fresh install, no cluster yet: ready to be set up.
    assert_eq!(ready(&app).await.0, StatusCode::OK);

    let cluster = app
        .services
        .platform()
        .clusters
        .register(ClusterInput {
            name: "lab".into(),
            addresses: vec!["https://127.0.0.1:9".into()],
            auth: AuthInput::ApiToken {
                token_id: "root@pam!ready".into(),
                secret: Some(SecretString::from("ready-secret")),
            },
            tls_fingerprint: None,
            ca_pem: None,
            verify_tls: true,
        })
        .await
        .unwrap();
    let (status, body) = ready(&app).await;
    assert_eq!(
        status,
        StatusCode::SERVICE_UNAVAILABLE,
        "never polled: {body}"
    );
    assert_eq!(body["error"]["fields"]["clusters"], "unavailable");

    let online = ClusterHealth {
        status: ClusterStatus::Online,
        last_seen_at: Some(Timestamp::now()),
        ..ClusterHealth::default()
    };
    app.store
        .clusters()
        .set_health(cluster.id, online)
        .await
        .unwrap();
    assert_eq!(ready(&app).await.0, StatusCode::OK);
}
