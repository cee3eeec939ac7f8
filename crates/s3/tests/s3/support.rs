//! One endpoint per test: a fresh SQLite store and blob directory, two users (alice,
//! bob) with an access key each, and the S3 server on a loopback port.

use std::sync::Arc;

use aws_sdk_s3::Client;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use proxicloud_domain::iam::{AuthMethod, Principal};
use proxicloud_domain::s3keys::AccessKeyService;
use proxicloud_domain::secrets::MasterKey;
use proxicloud_objects::{FsBlobStore, ObjectStore};
use proxicloud_s3::S3Config;
use proxicloud_store::{NewUser, Role, Store};
use secrecy::ExposeSecret;
use tokio::sync::oneshot;
use uuid::Uuid;

pub struct Lab {
    pub alice: Client,
    pub bob: Client,
    pub endpoint: String,
    pub alice_key: (String, String),
    pub alice_id: Uuid,
    /// The store behind the endpoint, for what S3 cannot do (quotas).
    pub objects: Arc<ObjectStore>,
    _stop: oneshot::Sender<()>,
    _dir: tempfile::TempDir,
}

pub fn client(endpoint: &str, access_key: &str, secret: &str) -> Client {
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
            aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https();
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .force_path_style(true)
        .credentials_provider(Credentials::new(access_key, secret, None, None, "test"))
        .http_client(http)
        .build();
    Client::from_conf(config)
}

async fn user(store: &dyn Store, name: &str) -> Principal {
    let user = store
        .users()
        .create(NewUser {
            username: name.into(),
            password_hash: "x".into(),
            role: Role::Operator,
            disabled: false,
        })
        .await
        .unwrap();
    Principal {
        user_id: user.id,
        username: user.username,
        role: user.role,
        via: AuthMethod::ApiToken { id: Uuid::now_v7() },
    }
}

impl Lab {
    pub async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("db").display());
        let store = proxicloud_store::connect(&url).await.unwrap();
        let blobs = Arc::new(
            FsBlobStore::open(&dir.path().join("objects"))
                .await
                .unwrap(),
        );
        let objects = Arc::new(ObjectStore::new(store.clone(), blobs));
        let keys = Arc::new(AccessKeyService::new(
            store.clone(),
            Arc::new(MasterKey::generate()),
        ));
        let mut pairs = Vec::new();
        let mut ids = Vec::new();
        for name in ["alice", "bob"] {
            let principal = user(store.as_ref(), name).await;
            ids.push(principal.user_id);
            let created = keys.create(&principal).await.unwrap();
            pairs.push((
                created.key.access_key_id.clone(),
                created.secret.expose_secret().to_owned(),
            ));
        }
        let service = proxicloud_s3::build(objects.clone(), keys, &S3Config::default());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(proxicloud_s3::serve(listener, service, async {
            let _ = stopped.await;
        }));
        Self {
            alice: client(&endpoint, &pairs[0].0, &pairs[0].1),
            bob: client(&endpoint, &pairs[1].0, &pairs[1].1),
            endpoint,
            alice_key: pairs[0].clone(),
            alice_id: ids[0],
            objects,
            _stop: stop,
            _dir: dir,
        }
    }

    pub async fn bucket(&self, name: &str) {
        self.alice
            .create_bucket()
            .bucket(name)
            .send()
            .await
            .unwrap();
    }

    pub async fn put(&self, bucket: &str, key: &str, data: &[u8]) -> String {
        self.alice
            .put_object()
            .bucket(bucket)
            .key(key)
            .body(data.to_vec().into())
            .send()
            .await
            .unwrap()
            .e_tag
            .unwrap()
    }

    pub async fn get(&self, bucket: &str, key: &str) -> Vec<u8> {
        let got = self
            .alice
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .unwrap();
        got.body.collect().await.unwrap().to_vec()
    }
}

/// The HTTP status and AWS error code of a failed call.
pub fn failure<E: ProvideErrorMetadata + std::fmt::Debug>(
    error: SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
) -> (u16, String) {
    let status = error
        .raw_response()
        .map(|raw| raw.status().as_u16())
        .unwrap_or_else(|| panic!("no response: {error:?}"));
    (status, error.code().unwrap_or_default().to_owned())
}

pub fn md5_hex(data: &[u8]) -> String {
    use md5::{Digest, Md5};
    hex::encode(Md5::digest(data))
}
