//! A fresh object store per test: SQLite in a temporary directory, blobs beside it.

use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::StreamExt;
use proxicloud_objects::{
    Access, ByteStream, FsBlobStore, MultipartLimits, ObjectHeaders, ObjectStore, PutObject,
};
use proxicloud_store::{Bucket, NewUser, Role, Store};
use uuid::Uuid;

pub struct Lab {
    pub objects: ObjectStore,
    pub store: Arc<dyn Store>,
    pub root: PathBuf,
    pub alice: Uuid,
    pub bob: Uuid,
    _dir: tempfile::TempDir,
}

impl Lab {
    pub async fn new() -> Self {
        Self::with_limits(MultipartLimits { min_part_size: 10 }).await
    }

    pub async fn with_limits(limits: MultipartLimits) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("db").display());
        let store = proxicloud_store::connect(&url).await.unwrap();
        let root = dir.path().join("objects");
        let blobs = Arc::new(FsBlobStore::open(&root).await.unwrap());
        let mut users = Vec::new();
        for name in ["alice", "bob"] {
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
            users.push(user.id);
        }
        Self {
            objects: ObjectStore::with_limits(store.clone(), blobs, limits),
            store,
            root,
            alice: users[0],
            bob: users[1],
            _dir: dir,
        }
    }

    pub async fn bucket(&self, name: &str) -> Bucket {
        self.objects.create_bucket(self.alice, name).await.unwrap()
    }

    pub async fn put(
        &self,
        bucket: &Bucket,
        key: &str,
        data: &[u8],
    ) -> proxicloud_objects::ObjectInfo {
        self.objects
            .put_object(bucket, key, put(data))
            .await
            .unwrap()
    }

    pub async fn read(&self, bucket: &Bucket, key: &str) -> Vec<u8> {
        let got = self.objects.get_object(bucket, key, None).await.unwrap();
        collect(got.body).await.unwrap()
    }

    /// Files in the blob store's directories (blobs, temporary files).
    pub fn files(&self, under: &str) -> usize {
        fn count(dir: &std::path::Path) -> usize {
            std::fs::read_dir(dir)
                .map(|entries| {
                    entries
                        .flatten()
                        .map(|e| {
                            if e.path().is_dir() {
                                count(&e.path())
                            } else {
                                1
                            }
                        })
                        .sum()
                })
                .unwrap_or(0)
        }
        count(&self.root.join(under))
    }

    pub fn alice(&self) -> Access {
        Access::Owner(self.alice)
    }
}

pub fn body(data: &[u8]) -> ByteStream {
    // Several chunks, as a network body arrives.
    let chunks: Vec<std::io::Result<Bytes>> = data
        .chunks(7)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    Box::pin(futures_util::stream::iter(chunks))
}

pub fn put(data: &[u8]) -> PutObject {
    PutObject {
        headers: ObjectHeaders::default(),
        body: body(data),
        content_md5: None,
        declared_size: None,
    }
}

pub async fn collect(mut body: ByteStream) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    while let Some(chunk) = body.next().await {
        out.extend_from_slice(&chunk?);
    }
    Ok(out)
}

pub fn md5_hex(data: &[u8]) -> String {
    use md5::{Digest, Md5};
    hex::encode(Md5::digest(data))
}
