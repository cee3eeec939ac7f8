//! Kill -9 the real `proxicloud serve` while large PUTs, overwrites and multipart
//! completions stream into its S3 endpoint, restart it on the same data directory,
//! and check the durability promise: no partial object is visible, every
//! acknowledged object reads back byte-identical, and the start-up sweep left no
//! orphan blob and no temporary file behind.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_s3::Client;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use common::{Api, ServeProcess};
use md5::{Digest, Md5};
use reqwest::Method;

const ADMIN_PASSWORD: &str = "s3-crash-test-password";
const MIB: usize = 1024 * 1024;
const ROUNDS: usize = 3;
const BUCKET: &str = "crash";

/// Deterministic bytes for `(key, piece)`: what an object must read back as is
/// known from its key alone.
fn bytes(key: &str, piece: u64, len: usize) -> Vec<u8> {
    let mut state = key.bytes().fold(0xcbf2_9ce4_8422_2325u64 ^ piece, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    }) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.extend_from_slice(&state.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// The whole content a key stands for: PUTs (`put/…`, 3–5 MiB, `hot/…` versions of
/// 2 MiB) are one piece; multipart objects (`mp/…`) a 5 MiB and a 1 MiB part.
fn expected(key: &str) -> Vec<u8> {
    if key.starts_with("mp/") {
        let mut all = bytes(key, 1, 5 * MIB);
        all.extend(bytes(key, 2, MIB));
        all
    } else if let Some(version) = key.strip_prefix("hot/") {
        bytes(version, 0, 2 * MIB)
    } else {
        let size = 3 * MIB + (key.len() % 3) * MIB;
        bytes(key, 0, size)
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn client(endpoint: &str, key: &(String, String)) -> Client {
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
        .credentials_provider(Credentials::new(&key.0, &key.1, None, None, "test"))
        .http_client(http)
        .retry_config(aws_sdk_s3::config::retry::RetryConfig::disabled())
        .build();
    Client::from_conf(config)
}

fn start(data: &Path) -> (ServeProcess, String) {
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let server = ServeProcess::start(data, ADMIN_PASSWORD, &["--s3-listen", &listen]);
    (server, format!("http://{listen}"))
}

/// What the writers were told succeeded: key → content (for `hot`, the version key).
type Acked = Arc<Mutex<BTreeMap<String, String>>>;

async fn put_objects(s3: Client, round: usize, acked: Acked) {
    for i in 0.. {
        let key = format!("put/{round}/{i}");
        let body = ByteStream::from(expected(&key));
        let put = s3.put_object().bucket(BUCKET).key(&key).body(body);
        if put.send().await.is_err() {
            return;
        }
        acked.lock().unwrap().insert(key.clone(), key);
    }
}

/// Overwrites one key again and again: after the crash it holds one complete version.
async fn overwrite(s3: Client, round: usize, acked: Acked) {
    for i in 0.. {
        let version = format!("{round}-{i}");
        let body = ByteStream::from(expected(&format!("hot/{version}")));
        let put = s3.put_object().bucket(BUCKET).key("hot").body(body);
        if put.send().await.is_err() {
            return;
        }
        acked.lock().unwrap().insert("hot".into(), version);
    }
}

async fn multipart(s3: Client, round: usize, acked: Acked) {
    for i in 0.. {
        let key = format!("mp/{round}/{i}");
        let Ok(created) = s3
            .create_multipart_upload()
            .bucket(BUCKET)
            .key(&key)
            .send()
            .await
        else {
            return;
        };
        let id = created.upload_id().unwrap().to_owned();
        let mut parts = Vec::new();
        for (number, len) in [(1, 5 * MIB), (2, MIB)] {
            let body = ByteStream::from(bytes(&key, number as u64, len));
            let uploaded = s3
                .upload_part()
                .bucket(BUCKET)
                .key(&key)
                .upload_id(&id)
                .part_number(number)
                .body(body)
                .send()
                .await;
            let Ok(uploaded) = uploaded else { return };
            parts.push(
                CompletedPart::builder()
                    .part_number(number)
                    .e_tag(uploaded.e_tag().unwrap())
                    .build(),
            );
        }
        let completed = s3
            .complete_multipart_upload()
            .bucket(BUCKET)
            .key(&key)
            .upload_id(&id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .send()
            .await;
        if completed.is_err() {
            return;
        }
        acked.lock().unwrap().insert(key.clone(), key);
    }
}

/// Every visible object is complete and what its key stands for; every
/// acknowledged one is visible (as the acknowledged or a later version).
async fn check(s3: &Client, acked: &BTreeMap<String, String>, hot_versions: &BTreeSet<String>) {
    let mut listed = Vec::new();
    let mut token = None;
    loop {
        let page = s3
            .list_objects_v2()
            .bucket(BUCKET)
            .set_continuation_token(token)
            .send()
            .await
            .unwrap();
        listed.extend(page.contents().iter().map(|o| o.key().unwrap().to_owned()));
        token = page.next_continuation_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    for key in acked.keys() {
        assert!(listed.contains(key), "acknowledged {key} is gone");
    }
    for key in &listed {
        let got = s3
            .get_object()
            .bucket(BUCKET)
            .key(key)
            .send()
            .await
            .unwrap();
        let body = got.body.collect().await.unwrap().into_bytes();
        let digest = Md5::digest(&body);
        if key == "hot" {
            let version = hot_versions
                .iter()
                .find(|v| Md5::digest(expected(&format!("hot/{v}"))) == digest)
                .unwrap_or_else(|| panic!("hot is no complete version ({} bytes)", body.len()));
            let last_acked = &acked["hot"];
            let order = |v: &str| -> (usize, usize) {
                let (r, i) = v.split_once('-').unwrap();
                (r.parse().unwrap(), i.parse().unwrap())
            };
            assert!(
                order(version) >= order(last_acked),
                "hot went back to {version} from acknowledged {last_acked}"
            );
        } else {
            assert_eq!(
                digest,
                Md5::digest(expected(key)),
                "{key} reads back as something else ({} bytes)",
                body.len()
            );
        }
    }
}

/// Blob files on disk are exactly the objects' and the open uploads' parts, and
/// no temporary file remains.
async fn no_orphans(s3: &Client, data: &Path) {
    let objects = data.join("objects");
    let tmp = std::fs::read_dir(objects.join("tmp")).unwrap().count();
    assert_eq!(tmp, 0, "temporary files survived the start-up sweep");
    let mut blobs = 0;
    for fan in std::fs::read_dir(objects.join("blobs")).unwrap() {
        blobs += std::fs::read_dir(fan.unwrap().path()).unwrap().count();
    }
    let mut named = 0;
    let mut token = None;
    loop {
        let page = s3
            .list_objects_v2()
            .bucket(BUCKET)
            .set_continuation_token(token)
            .send()
            .await
            .unwrap();
        named += page.contents().len();
        token = page.next_continuation_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    let uploads = s3
        .list_multipart_uploads()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap();
    for upload in uploads.uploads() {
        let parts = s3
            .list_parts()
            .bucket(BUCKET)
            .key(upload.key().unwrap())
            .upload_id(upload.upload_id().unwrap())
            .send()
            .await
            .unwrap();
        named += parts.parts().len();
    }
    assert_eq!(
        blobs, named,
        "blob files vs objects and parts: orphans survived"
    );
}

#[test]
fn kill_dash_nine_mid_write_leaves_only_complete_acknowledged_objects() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (mut server, mut endpoint) = start(&data);
    let api = Api::login(&server.url, ADMIN_PASSWORD);
    let (status, created) = api.call(Method::POST, "/api/v1/s3/access-keys", None);
    assert_eq!(status, 201, "{created}");
    let key = (
        created["access_key_id"].as_str().unwrap().to_owned(),
        created["secret_access_key"].as_str().unwrap().to_owned(),
    );
    runtime.block_on(async {
        let s3 = client(&endpoint, &key);
        s3.create_bucket().bucket(BUCKET).send().await.unwrap();
    });
    let acked: Acked = Arc::default();
    let mut hot_versions = BTreeSet::new();
    for round in 0..ROUNDS {
        let s3 = client(&endpoint, &key);
        let writers = [
            runtime.spawn(put_objects(s3.clone(), round, acked.clone())),
            runtime.spawn(overwrite(s3.clone(), round, acked.clone())),
            runtime.spawn(multipart(s3, round, acked.clone())),
        ];
        // Somewhere between 0.6 and 2 s in: mid-PUT, mid-part or mid-completion.
        let jitter = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_millis();
        std::thread::sleep(Duration::from_millis(600 + u64::from(jitter) * 14 / 10));
        let before_kill = acked.lock().unwrap().len();
        server.kill_hard();
        for writer in writers {
            runtime.block_on(writer).unwrap();
        }
        // Versions of `hot` a writer may have started (acknowledged or not).
        let last = acked.lock().unwrap().get("hot").cloned();
        let next = last.as_deref().map_or(0, |v| {
            v.split_once('-')
                .filter(|(r, _)| r.parse::<usize>().ok() == Some(round))
                .map_or(0, |(_, i)| i.parse::<usize>().unwrap() + 1)
        });
        for i in 0..=next {
            hot_versions.insert(format!("{round}-{i}"));
        }

        (server, endpoint) = start(&data);
        let acked_now = acked.lock().unwrap().clone();
        assert!(
            acked_now.len() >= before_kill,
            "round {round}: nothing was acknowledged; the test proves nothing"
        );
        runtime.block_on(async {
            let s3 = client(&endpoint, &key);
            check(&s3, &acked_now, &hot_versions).await;
            no_orphans(&s3, &data).await;
        });
    }
    assert!(
        acked.lock().unwrap().len() > ROUNDS,
        "too little was written to prove anything"
    );
    server.kill_hard();
}
