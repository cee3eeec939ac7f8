//! The volume list at scale: volumes are written straight into the server's SQLite
//! database through the store (making them through jobs would take hours against the
//! simulator and measure the jobs, not the list), then `GET /api/v1/volumes` is loaded.

use std::time::{Duration, Instant};

use anyhow::Context;
use proxicloud_store::{Attachment, NewVolume, Timestamp};
use uuid::Uuid;

/// Seeds `count` volumes of `cluster_id` owned by `owner` into the database at
/// `database_url`: a mix of statuses (most available, every fifth attached to one of
/// `guests`, every fiftieth still creating). Returns how long it took.
pub async fn seed(
    database_url: &str,
    cluster_id: Uuid,
    owner: Option<Uuid>,
    guests: &[Uuid],
    count: usize,
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let store = proxicloud_store::connect(database_url)
        .await
        .context("open the server's database")?;
    let volumes = store.volumes();
    for n in 0..count {
        let volume = volumes
            .insert(NewVolume {
                cluster_id,
                node: format!("pve{}", n % 10 + 1),
                storage: "local-lvm".into(),
                class: n.is_multiple_of(2).then(|| "ssd".to_owned()),
                name: format!("bench-{n:05}"),
                size_bytes: ((n % 64) as u64 + 1) << 30,
                owner_id: owner,
            })
            .await?;
        if n.is_multiple_of(50) {
            continue;
        }
        let now = Timestamp::now();
        volumes
            .set_ready(
                volume.id,
                &format!("local-lvm:vm-{}-disk-1", 100_000 + n),
                now,
            )
            .await?;
        if n.is_multiple_of(5) && !guests.is_empty() {
            let attachment = Attachment {
                guest_id: guests[n % guests.len()],
                key: format!("mp{}", n / guests.len() % 256),
                mount_path: Some(format!("/data{n}")),
            };
            // A guest's slot may repeat in a large seed: then it stays detached.
            let _ = volumes.attach(volume.id, &attachment, now).await;
        }
    }
    Ok(started.elapsed())
}
