//! What a row's `{id}` names, created fresh for every cell.

use proxicloud_domain::clusters::{AuthInput, ClusterInput};
use proxicloud_domain::iam::tokens::mint_api_token;
use proxicloud_objects::{ObjectHeaders, ObjectStore, PutObject};
use proxicloud_store::Bucket;
use proxicloud_store::{GuestObservation, InventorySnapshot, Uuid};
use proxicloud_store::{JobActor, JobStep, NewApiToken, NewJob, NewKeyPair, Timestamp};
use proxicloud_types::{GuestType, VmId};
use secrecy::SecretString;

use crate::support::{TestApp, TestUser};

/// What the path's `{id}` names. Created for every cell, owned by the cell's owner.
#[derive(Debug, Clone, Copy)]
pub(super) enum Target {
    /// The route has no `{id}`.
    Nothing,
    /// The owner's own user account.
    OwnerAccount,
    /// An API token of the owner.
    OwnerApiToken,
    /// A registered Proxmox VE cluster (nobody owns clusters).
    Cluster,
    /// A mirrored instance owned by the owner.
    OwnerInstance,
    /// A job started by the owner.
    OwnerJob,
    /// An available, detached volume owned by the owner (its cluster cannot be reached).
    OwnerVolume,
    /// An available snapshot of a volume owned by the owner.
    OwnerVolumeSnapshot,
    /// An available backup owned by the owner (its cluster cannot be reached).
    OwnerBackup,
    /// An SSH key pair of the owner.
    OwnerKeyPair,
    /// A custom alert rule of the owner.
    OwnerAlertRule,
    /// An alert silence of the owner.
    OwnerSilence,
    /// An S3 access key of the owner.
    OwnerAccessKey,
    /// A secret of the owner at version 2 (`{name}`: its id).
    OwnerSecret,
    /// A notification channel of the owner.
    OwnerChannel,
    /// A subscription of the owner (to one of their channels).
    OwnerSubscription,
    /// A bucket of the owner holding the object `matrix.txt` (`{bucket}`, `{key}`).
    OwnerBucket,
    /// An empty bucket of the owner.
    OwnerEmptyBucket,
    /// A multipart upload in a bucket of the owner: `{bucket}|{upload_id}`.
    OwnerUpload,
}

/// The key of the object in an [`Target::OwnerBucket`] (a path's `{key}`).
pub(super) const MATRIX_KEY: &str = "matrix.txt";

/// A new bucket of `owner`, made through the object store (no caller involved).
async fn owned_bucket(app: &TestApp, owner: &TestUser, with_object: bool) -> Bucket {
    let objects = app.services.get::<ObjectStore>();
    let name = format!("m-{}", Uuid::now_v7().simple());
    let bucket = objects.create_bucket(owner.id, &name).await.unwrap();
    if with_object {
        let body = futures_util::stream::iter([Ok(bytes::Bytes::from_static(b"matrix"))]);
        let put = PutObject {
            headers: ObjectHeaders::default(),
            body: Box::pin(body),
            content_md5: None,
            declared_size: None,
        };
        objects.put_object(&bucket, MATRIX_KEY, put).await.unwrap();
    }
    bucket
}

/// Nothing listens there: connection tests fail fast, and no poll reaches anything.
pub(super) const UNREACHABLE_NODE: &str = "https://127.0.0.1:9";

/// The name of the cell's cluster (unique: every cell has a new owner), which a
/// deletion repeats to confirm it.
pub(super) fn matrix_cluster_name(owner: &TestUser) -> String {
    format!("matrix-{}", owner.username)
}

/// A cluster registered straight through the domain (no API call, no caller).
async fn matrix_cluster(app: &TestApp, owner: &TestUser) -> Uuid {
    let input = ClusterInput {
        name: matrix_cluster_name(owner),
        addresses: vec![UNREACHABLE_NODE.into()],
        auth: AuthInput::ApiToken {
            token_id: "root@pam!matrix".into(),
            secret: Some(SecretString::from("matrix-secret")),
        },
        tls_fingerprint: None,
        ca_pem: None,
        verify_tls: true,
    };
    app.services
        .platform()
        .clusters
        .register(input)
        .await
        .unwrap()
        .id
}

/// A guest as one inventory sync would mirror it, given to `owner`.
async fn owned_instance(app: &TestApp, owner: &TestUser) -> Uuid {
    let cluster = matrix_cluster(app, owner).await;
    let guest = GuestObservation {
        vmid: VmId::new(100).unwrap(),
        node: "pve1".into(),
        kind: GuestType::Lxc,
        name: "matrix".into(),
        status: "running".into(),
        cpus: 1.0,
        maxmem: 512 << 20,
        mem: 0,
        maxdisk: 8 << 30,
        disk: 0,
        uptime: 0,
        template: false,
        lock: None,
        tags: None,
        activity: Default::default(),
    };
    let snapshot = InventorySnapshot {
        observed_at: Timestamp::now(),
        nodes: Vec::new(),
        storages: Vec::new(),
        guests: vec![guest],
    };
    let report = app
        .store
        .inventory()
        .sync(cluster, &snapshot)
        .await
        .unwrap();
    let id = report.appeared[0];
    app.store
        .guests()
        .set_owner(id, Some(owner.id))
        .await
        .unwrap();
    id
}

/// A volume row as a finished create job leaves it, on an unreachable cluster.
async fn owned_volume(app: &TestApp, owner: &TestUser) -> Uuid {
    let cluster = matrix_cluster(app, owner).await;
    let volume = app
        .store
        .volumes()
        .insert(proxicloud_store::NewVolume {
            cluster_id: cluster,
            node: "pve1".into(),
            storage: "local-lvm".into(),
            class: None,
            name: "matrix".into(),
            size_bytes: 1 << 30,
            owner_id: Some(owner.id),
        })
        .await
        .unwrap();
    let now = Timestamp::now();
    app.store
        .volumes()
        .set_holder(volume.id, 5000, now)
        .await
        .unwrap();
    app.store
        .volumes()
        .set_ready(volume.id, "local-lvm:vm-5000-disk-1", now)
        .await
        .unwrap();
    volume.id
}

/// An available backup of a (never mirrored) container, owned by `owner`.
async fn owned_backup(app: &TestApp, owner: &TestUser) -> Uuid {
    let cluster = matrix_cluster(app, owner).await;
    let id = Uuid::now_v7();
    let backup = proxicloud_store::NewBackup {
        cluster_id: cluster,
        owner_id: Some(owner.id),
        guest_id: Some(Uuid::now_v7()),
        guest_name: "matrix".into(),
        guest_kind: GuestType::Lxc,
        vmid: VmId::new(100).unwrap(),
        node: "pve1".into(),
        storage: "local".into(),
        mode: "snapshot".into(),
        notes: String::new(),
        protected: false,
    };
    app.store.backups().insert_as(id, backup).await.unwrap();
    let now = Timestamp::now();
    let archive = proxicloud_store::BackupArchive {
        volid: "local:backup/vzdump-lxc-100-2026_12_07-23_10_00.tar.zst".into(),
        size_bytes: 1 << 20,
        config: serde_json::json!({"hostname": "matrix"}),
        started_at: now,
        finished_at: now,
    };
    app.store
        .backups()
        .record_archive(id, &archive, now)
        .await
        .unwrap();
    id
}

impl Target {
    /// Creates the target for one cell and returns the value of `{id}`.
    pub(super) async fn prepare(self, app: &TestApp, owner: &TestUser) -> Option<String> {
        match self {
            Target::Nothing => None,
            Target::Cluster => Some(matrix_cluster(app, owner).await.to_string()),
            Target::OwnerInstance => Some(owned_instance(app, owner).await.to_string()),
            Target::OwnerJob => {
                let job = NewJob::new(
                    "instance.start",
                    JobActor::User(owner.id),
                    vec![JobStep::pending("start")],
                );
                Some(
                    app.store
                        .jobs()
                        .create(job)
                        .await
                        .unwrap()
                        .job
                        .id
                        .to_string(),
                )
            }
            Target::OwnerVolume => Some(owned_volume(app, owner).await.to_string()),
            Target::OwnerBackup => Some(owned_backup(app, owner).await.to_string()),
            Target::OwnerVolumeSnapshot => {
                let volume = owned_volume(app, owner).await;
                let snapshot = app
                    .store
                    .volumes()
                    .insert_snapshot(volume, "matrix", "", 1 << 30)
                    .await
                    .unwrap();
                app.store
                    .volumes()
                    .set_snapshot_status(snapshot.id, "available")
                    .await
                    .unwrap();
                Some(snapshot.id.to_string())
            }
            Target::OwnerAccount => Some(owner.id.to_string()),
            Target::OwnerKeyPair => {
                let key_pair = NewKeyPair {
                    owner_id: owner.id,
                    name: "target".into(),
                    key_type: "ssh-ed25519".into(),
                    public_key: super::rows::PUBLIC_KEY.into(),
                    fingerprint: "SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU".into(),
                };
                let created = app.store.key_pairs().insert(key_pair).await.unwrap();
                Some(created.id.to_string())
            }
            Target::OwnerAlertRule | Target::OwnerSilence => {
                Some(super::rows::alert_target(app, owner.id, self).await)
            }
            Target::OwnerChannel | Target::OwnerSubscription => {
                Some(super::rows::notification_target(app, owner.id, self).await)
            }
            Target::OwnerSecret => Some(super::rows::secret_target(app, owner).await),
            Target::OwnerBucket => Some(owned_bucket(app, owner, true).await.name),
            Target::OwnerEmptyBucket => Some(owned_bucket(app, owner, false).await.name),
            Target::OwnerUpload => {
                let bucket = owned_bucket(app, owner, true).await;
                let objects = app.services.get::<ObjectStore>();
                let upload = objects
                    .create_upload(&bucket, "big.bin", &ObjectHeaders::default())
                    .await
                    .unwrap();
                Some(format!("{}|{}", bucket.name, upload.id))
            }
            Target::OwnerAccessKey => {
                let key = proxicloud_store::NewAccessKey {
                    owner_id: owner.id,
                    access_key_id: format!("PCMATRIX{}", owner.username.to_uppercase()),
                    secret_sealed: vec![0; 40],
                };
                let created = app.store.access_keys().insert(key).await.unwrap();
                Some(created.id.to_string())
            }
            Target::OwnerApiToken => {
                let minted = mint_api_token();
                let token = NewApiToken {
                    user_id: owner.id,
                    name: "target".into(),
                    prefix: minted.display_prefix,
                    token_hash: minted.hash,
                    expires_at: Some(Timestamp::now() + std::time::Duration::from_secs(3600)),
                };
                Some(
                    app.store
                        .api_tokens()
                        .insert(token)
                        .await
                        .unwrap()
                        .id
                        .to_string(),
                )
            }
        }
    }
}
