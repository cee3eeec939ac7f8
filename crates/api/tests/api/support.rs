//! `spawn_app()`: the real server on 127.0.0.1:0 over a fresh SQLite database in a
//! temporary directory, with a fresh master key, plus helpers to talk to it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use std::time::Duration;

use proxicloud_api::{ApiConfig, AppState};
use proxicloud_domain::app::{Services, ServicesConfig};
use proxicloud_domain::buckets::S3Endpoint;
use proxicloud_domain::iam::password::hash_password;
use proxicloud_domain::iam::{IamConfig, IamService};
use proxicloud_domain::inventory::InventoryConfig;
use proxicloud_domain::jobs::EngineConfig;
use proxicloud_domain::objects::ObjectsConfig;
use proxicloud_domain::s3keys::AccessKeyService;
use proxicloud_domain::secrets::MasterKey;
use proxicloud_domain::workers::SupervisorConfig;
use proxicloud_objects::{FsBlobStore, ObjectStore};
use proxicloud_store::{NewUser, Role, Store, Uuid};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use secrecy::SecretString;
use serde_json::{Value, json};
use tokio::sync::oneshot;

pub const ADMIN_PASSWORD: &str = "admin-password-for-tests";
/// Every user created by [`TestApp::insert_user`] has this password.
pub const USER_PASSWORD: &str = "user-password-for-tests";

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub store: Arc<dyn Store>,
    /// The application behind the server, built as `serve` builds it; nothing is
    /// started (see `sim_support` and `job_support` for the mirror and the engine).
    pub services: Arc<Services>,
    pub db_path: PathBuf,
    /// The S3 endpoint over the same object store (what presigned URLs reach).
    pub s3_url: String,
    _dir: tempfile::TempDir,
    _shutdown: oneshot::Sender<()>,
}

#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: Uuid,
    pub username: String,
    pub password: String,
}

/// Tokens of a bearer session.
#[derive(Debug, Clone)]
pub struct Session {
    pub access: String,
    pub refresh: String,
}

/// Everything the server (and this test binary) logs, for the secret-in-logs test.
pub fn captured_logs() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter("debug,hyper_util=info,h2=info")
            .with_ansi(false)
            .with_writer(move || LogWriter(writer.clone()))
            .finish();
        tracing::subscriber::set_global_default(subscriber)
            .expect("only this helper installs a subscriber");
        buffer
    })
}

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// One Argon2 hash of [`USER_PASSWORD`], shared by every inserted user (hashing is slow).
fn user_password_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| hash_password(&SecretString::from(USER_PASSWORD)))
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(IamConfig::default()).await
}

/// The application's configuration in tests: quick job and mirror timings, used only
/// by the tests that start the engine or the mirror.
pub fn test_config(iam: IamConfig) -> ServicesConfig {
    ServicesConfig {
        iam,
        engine: EngineConfig {
            workers: 2,
            lease: Duration::from_secs(10),
            idle_poll: Duration::from_millis(50),
            task_poll: Duration::from_millis(20),
            ..EngineConfig::default()
        },
        inventory: InventoryConfig {
            max_backoff: Duration::from_millis(500),
            reconcile_interval: Duration::from_secs(60),
        },
        workers: SupervisorConfig {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
            election_interval: Duration::from_secs(1),
            shutdown_grace: Duration::from_secs(5),
        },
        inventory_poll: Some(Duration::from_millis(100)),
        // Tests drive metrics collection themselves, with their own clock.
        metrics_manual: true,
        alerts_manual: true,
        ..ServicesConfig::default()
    }
}

pub async fn spawn_app_with(iam_config: IamConfig) -> TestApp {
    // Plain HTTP from the test client: no `Secure` cookies.
    let config = ApiConfig {
        secure_cookies: false,
        ..ApiConfig::default()
    };
    spawn_app_configured(iam_config, config).await
}

pub async fn spawn_app_configured(iam_config: IamConfig, config: ApiConfig) -> TestApp {
    captured_logs();
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("proxicloud.db");
    let store = proxicloud_store::connect(&format!("sqlite://{}?mode=rwc", db_path.display()))
        .await
        .unwrap();
    let s3_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let s3_url = format!("http://{}", s3_listener.local_addr().unwrap());
    let mut services_config = test_config(iam_config);
    services_config.objects = ObjectsConfig {
        blobs: Some(Arc::new(
            FsBlobStore::open(&dir.path().join("objects"))
                .await
                .unwrap(),
        )),
        ..ObjectsConfig::default()
    };
    services_config.s3_endpoint = S3Endpoint {
        url: Some(s3_url.clone()),
        region: String::new(),
    };
    let services = Services::build(store.clone(), MasterKey::generate(), services_config)
        .await
        .unwrap();
    let services = Arc::new(services);
    let s3 = proxicloud_s3::build(
        services.get::<ObjectStore>(),
        services.get::<AccessKeyService>(),
        &proxicloud_s3::S3Config {
            region: "us-east-1".into(),
            domain: None,
        },
    );
    tokio::spawn(proxicloud_s3::serve(
        s3_listener,
        s3,
        std::future::pending::<()>(),
    ));
    services
        .get::<IamService>()
        .bootstrap_admin(Some(SecretString::from(ADMIN_PASSWORD)))
        .await
        .unwrap()
        .unwrap();
    let state = AppState::new(services.clone(), config);

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let (shutdown, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        proxicloud_api::serve(listener, state, async {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    });
    TestApp {
        base: format!("http://{addr}"),
        client: reqwest::Client::new(),
        store,
        services,
        db_path,
        s3_url,
        _dir: dir,
        _shutdown: shutdown,
    }
}

impl TestApp {
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, format!("{}{path}", self.base))
    }

    pub fn get(&self, path: &str, token: &str) -> RequestBuilder {
        self.request(Method::GET, path).bearer_auth(token)
    }

    /// `GET path` as `token`, and its JSON body (whatever the status).
    pub async fn get_json(&self, path: &str, token: &str) -> Value {
        json_body(self.get(path, token)).await
    }

    pub fn post(&self, path: &str, token: &str, body: Value) -> RequestBuilder {
        self.request(Method::POST, path)
            .bearer_auth(token)
            .json(&body)
    }

    /// A user inserted straight into the store (no Argon2 cost) with [`USER_PASSWORD`].
    pub async fn insert_user(&self, role: Role) -> TestUser {
        let username = format!("{}-{}", role, Uuid::now_v7().simple());
        let new_user = NewUser {
            username: username.clone(),
            password_hash: user_password_hash().to_owned(),
            role,
            disabled: false,
        };
        let user = self.store.users().create(new_user).await.unwrap();
        TestUser {
            id: user.id,
            username,
            password: USER_PASSWORD.to_owned(),
        }
    }

    pub async fn try_login(&self, username: &str, password: &str) -> Response {
        let body = json!({ "username": username, "password": password });
        self.request(Method::POST, "/api/v1/auth/login")
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    pub async fn login(&self, username: &str, password: &str) -> Session {
        let response = self.try_login(username, password).await;
        assert_eq!(response.status(), StatusCode::OK, "login of {username}");
        let body: Value = response.json().await.unwrap();
        Session {
            access: body["access_token"].as_str().unwrap().to_owned(),
            refresh: body["refresh_token"].as_str().unwrap().to_owned(),
        }
    }

    pub async fn login_user(&self, user: &TestUser) -> Session {
        self.login(&user.username, &user.password).await
    }

    pub async fn admin(&self) -> Session {
        self.login("admin", ADMIN_PASSWORD).await
    }

    /// A `pc_` API token of `user`, created through the API.
    pub async fn api_token(&self, session: &Session, name: &str) -> (String, String) {
        let response = self
            .post("/api/v1/tokens", &session.access, json!({ "name": name }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        let body: Value = response.json().await.unwrap();
        (
            body["token"]["id"].as_str().unwrap().to_owned(),
            body["secret"].as_str().unwrap().to_owned(),
        )
    }
}

/// `method path` as `session`, with `body` as JSON if any: status and JSON body.
pub async fn call(
    app: &TestApp,
    session: &Session,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = app.request(method, path).bearer_auth(&session.access);
    if let Some(body) = body {
        request = request.json(&body);
    }
    status_and_json(request.send().await.unwrap()).await
}

/// Sends `request` and returns its JSON body (whatever the status).
pub async fn json_body(request: RequestBuilder) -> Value {
    request.send().await.unwrap().json().await.unwrap()
}

/// Status and JSON body; asserts that an error response has the documented shape.
pub async fn status_and_json(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.unwrap();
    let body: Value = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::Null)
    };
    if status.is_client_error() || status.is_server_error() {
        assert_error_shape(status, &body, &text);
    }
    (status, body)
}

pub fn assert_error_shape(status: StatusCode, body: &Value, text: &str) {
    let error = &body["error"];
    assert!(
        error["code"].is_string() && error["message"].is_string(),
        "{status} must carry {{\"error\": {{\"code\", \"message\"}}}}, got: {text}"
    );
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["error"],
        "nothing but `error` at the top level: {text}"
    );
}

pub fn error_code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("<none>")
}
