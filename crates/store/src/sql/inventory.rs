use std::collections::HashSet;

use async_trait::async_trait;
use uuid::Uuid;

use super::args::{Arg, Sql};
use super::codec::{from_db_int, to_db_int};
use super::connect::BeginWrite;
use super::guests::{GUEST_COLUMNS, GuestRecord};
use super::records::convert_all;
use super::sync_plan::{self, LOCK_CLONE, LOCK_CREATE};
use super::volumes::detach_from_guests;
use super::{DbId, Dialect, SqlStore};
use crate::repo::guests::Guest;
use crate::repo::inventory::{
    GuestObservation, InventoryRepo, InventorySnapshot, IoRates, Node, NodeObservation, Storage,
    StorageObservation, SyncReport,
};
use crate::{Result, StoreError, Table, Timestamp};

/// Rows per multi-row statement: 1,000 guests × 27 values stays far below SQLite's
/// (32,766) and PostgreSQL's (65,535) bind-parameter limits.
const ROWS_PER_STATEMENT: usize = 1000;

/// Proxmox's fields of a guest, and the rates derived from them: `sync` overwrites
/// exactly these (and `seen_at`).
const OBSERVED_GUEST_FIELDS: [&str; 22] = [
    "node",
    "kind",
    "name",
    "status",
    "cpus",
    "maxmem",
    "mem",
    "maxdisk",
    "disk",
    "uptime",
    "template",
    "lock",
    "tags",
    "cpu",
    "netin",
    "netout",
    "diskread",
    "diskwrite",
    "netin_rate",
    "netout_rate",
    "diskread_rate",
    "diskwrite_rate",
];

/// Inserts new guests and refreshes known ones (matched through the live-vmid index);
/// returns `(id, vmid)` of every row, inserted or updated.
fn guest_upsert(
    dialect: Dialect,
    chunk: &[(&GuestObservation, IoRates)],
    cluster_id: Uuid,
    observed_at: Timestamp,
) -> Sql {
    let mut sql = Sql::new(
        dialect,
        format!(
            "INSERT INTO guests (id, cluster_id, vmid, {}, managed, created_at, seen_at) VALUES ",
            OBSERVED_GUEST_FIELDS.join(", ")
        ),
    );
    for (i, (g, rates)) in chunk.iter().enumerate() {
        let io = &g.activity.counters;
        sql.push(if i == 0 { "(" } else { ", (" }).bind_list([
            Arg::from(Uuid::now_v7()),
            Arg::from(cluster_id),
            Arg::from(i64::from(g.vmid.get())),
            Arg::from(g.node.as_str()),
            Arg::from(g.kind.as_str()),
            Arg::from(g.name.as_str()),
            Arg::from(g.status.as_str()),
            Arg::from(g.cpus),
            Arg::from(to_db_int(g.maxmem)),
            Arg::from(to_db_int(g.mem)),
            Arg::from(to_db_int(g.maxdisk)),
            Arg::from(to_db_int(g.disk)),
            Arg::from(to_db_int(g.uptime)),
            Arg::from(g.template),
            Arg::from(g.lock.clone()),
            Arg::from(g.tags.clone()),
            Arg::from(g.activity.cpu),
            Arg::from(to_db_int(io.netin)),
            Arg::from(to_db_int(io.netout)),
            Arg::from(to_db_int(io.diskread)),
            Arg::from(to_db_int(io.diskwrite)),
            Arg::from(rates.netin),
            Arg::from(rates.netout),
            Arg::from(rates.diskread),
            Arg::from(rates.diskwrite),
        ]);
        sql.push(", FALSE, ")
            .bind(observed_at)
            .push(", ")
            .bind(observed_at)
            .push(")");
    }
    let updates: Vec<String> = OBSERVED_GUEST_FIELDS
        .iter()
        .map(|&f| match f {
            // While Proxmox creates a guest it reports a placeholder name (`CT112`,
            // `VM112`): the name we already hold (the one the user chose) stays until
            // it ends. A VM clone is created under the `clone` lock.
            "name" => format!(
                "name = CASE WHEN excluded.lock IN ('{LOCK_CREATE}', '{LOCK_CLONE}') THEN guests.name ELSE excluded.name END"
            ),
            f => format!("{f} = excluded.{f}"),
        })
        .collect();
    sql.push(&format!(
        " ON CONFLICT (cluster_id, vmid) WHERE removed_at IS NULL DO UPDATE SET {}, seen_at = excluded.seen_at \
         RETURNING id, vmid",
        updates.join(", ")
    ));
    sql
}

fn mark_removed(dialect: Dialect, ids: &[Uuid], at: Timestamp) -> Sql {
    let mut sql = Sql::new(dialect, "UPDATE guests SET removed_at = ");
    sql.bind(at).push(" WHERE id IN (");
    sql.bind_list(ids.iter().map(|id| Arg::from(*id))).push(")");
    sql
}

fn node_insert(
    dialect: Dialect,
    chunk: &[NodeObservation],
    cluster_id: Uuid,
    observed_at: Timestamp,
) -> Sql {
    let mut sql = Sql::new(
        dialect,
        "INSERT INTO nodes (cluster_id, name, status, cpu, maxcpu, mem, maxmem, uptime, seen_at) VALUES ",
    );
    for (i, n) in chunk.iter().enumerate() {
        sql.push(if i == 0 { "(" } else { ", (" }).bind_list([
            Arg::from(cluster_id),
            Arg::from(n.name.as_str()),
            Arg::from(n.status.as_str()),
            Arg::from(n.cpu),
            Arg::from(i64::from(n.maxcpu)),
            Arg::from(to_db_int(n.mem)),
            Arg::from(to_db_int(n.maxmem)),
            Arg::from(to_db_int(n.uptime)),
            Arg::from(observed_at),
        ]);
        sql.push(")");
    }
    // Proxmox never repeats a node; if a snapshot did, the last entry wins.
    sql.push(
        " ON CONFLICT (cluster_id, name) DO UPDATE SET status = excluded.status, cpu = excluded.cpu, \
         maxcpu = excluded.maxcpu, mem = excluded.mem, maxmem = excluded.maxmem, uptime = excluded.uptime",
    );
    sql
}

fn storage_insert(
    dialect: Dialect,
    chunk: &[StorageObservation],
    cluster_id: Uuid,
    observed_at: Timestamp,
) -> Sql {
    let mut sql = Sql::new(
        dialect,
        "INSERT INTO storages (cluster_id, node, storage, storage_type, content, total, used, avail, shared, \
         status, seen_at) VALUES ",
    );
    for (i, s) in chunk.iter().enumerate() {
        sql.push(if i == 0 { "(" } else { ", (" }).bind_list([
            Arg::from(cluster_id),
            Arg::from(s.node.as_str()),
            Arg::from(s.storage.as_str()),
            Arg::from(s.storage_type.as_str()),
            Arg::from(s.content.as_str()),
            Arg::from(to_db_int(s.total)),
            Arg::from(to_db_int(s.used)),
            Arg::from(to_db_int(s.avail)),
            Arg::from(s.shared),
            Arg::from(s.status.as_str()),
            Arg::from(observed_at),
        ]);
        sql.push(")");
    }
    sql.push(
        " ON CONFLICT (cluster_id, node, storage) DO UPDATE SET storage_type = excluded.storage_type, \
         content = excluded.content, total = excluded.total, used = excluded.used, avail = excluded.avail, \
         shared = excluded.shared, status = excluded.status",
    );
    sql
}

/// Every statement of one sync, in execution order, built before the transaction.
struct SyncStatements {
    replace_rows: Vec<Sql>,
    removals: Vec<Sql>,
    upserts: Vec<Sql>,
}

#[async_trait]
impl InventoryRepo for SqlStore {
    async fn sync(&self, cluster_id: Uuid, snapshot: &InventorySnapshot) -> Result<SyncReport> {
        let at = snapshot.observed_at;
        let dialect = self.dialect();
        let mut replace_rows: Vec<Sql> = Vec::new();
        for chunk in snapshot.nodes.chunks(ROWS_PER_STATEMENT) {
            replace_rows.push(node_insert(self.dialect(), chunk, cluster_id, at));
        }
        for chunk in snapshot.storages.chunks(ROWS_PER_STATEMENT) {
            replace_rows.push(storage_insert(self.dialect(), chunk, cluster_id, at));
        }
        let live_sql = format!(
            "SELECT {GUEST_COLUMNS} FROM guests WHERE cluster_id = $1 AND removed_at IS NULL ORDER BY vmid"
        );

        let (plan_ids, returned): ((Vec<Uuid>, Vec<Uuid>, HashSet<u32>), Vec<(DbId, i64)>) = on_writer!(&self.db, pool => {
            let mut tx = pool.begin_write().await?;
            let clusters: i64 = sqlx::query_scalar("SELECT count(*) FROM clusters WHERE id = $1")
                .bind(DbId(cluster_id))
                .fetch_one(&mut *tx)
                .await?;
            if clusters == 0 {
                return Err(StoreError::NotFound);
            }
            let live: Vec<GuestRecord> = sqlx::query_as(&live_sql).bind(DbId(cluster_id)).fetch_all(&mut *tx).await?;
            let live: Vec<Guest> = convert_all(live)?;
            let plan = sync_plan::plan(&live, &snapshot.guests, at);
            let statements = SyncStatements {
                replace_rows: std::mem::take(&mut replace_rows),
                removals: plan.removed.chunks(ROWS_PER_STATEMENT)
                    .flat_map(|ids| [mark_removed(dialect, ids, at), detach_from_guests(dialect, ids, at)])
                    .collect(),
                upserts: plan.upserts.chunks(ROWS_PER_STATEMENT).map(|c| guest_upsert(dialect, c, cluster_id, at)).collect(),
            };

            for table in ["nodes", "storages"] {
                sqlx::query(&format!("DELETE FROM {table} WHERE cluster_id = $1"))
                    .bind(DbId(cluster_id))
                    .execute(&mut *tx)
                    .await?;
            }
            for statement in statements.replace_rows.into_iter().chain(statements.removals) {
                let (text, args) = statement.into_parts();
                bind_args!(sqlx::query(&text), args).execute(&mut *tx).await?;
            }
            let mut returned: Vec<(DbId, i64)> = Vec::with_capacity(plan.upserts.len());
            for statement in statements.upserts {
                let (text, args) = statement.into_parts();
                let rows: Vec<(DbId, i64)> = bind_args!(sqlx::query_as(&text), args).fetch_all(&mut *tx).await?;
                returned.extend(rows);
            }
            tx.commit().await?;
            ((plan.removed, plan.changed, plan.kept_vmids), returned)
        });
        // Every live guest's `seen_at` moved, at least.
        self.note_guest_write();

        let (disappeared, changed, kept_vmids) = plan_ids;
        if !disappeared.is_empty() {
            // Their volumes were detached in the same transaction.
            self.note_write(Table::Volumes);
        }
        let appeared = returned
            .into_iter()
            .filter(|(_, vmid)| !u32::try_from(*vmid).is_ok_and(|vmid| kept_vmids.contains(&vmid)))
            .map(|(id, _)| id.0)
            .collect();
        Ok(SyncReport {
            appeared,
            changed,
            disappeared,
        })
    }

    async fn list_nodes(&self, cluster_id: Option<Uuid>) -> Result<Vec<Node>> {
        let mut sql = Sql::new(
            self.dialect(),
            "SELECT cluster_id, name, status, cpu, maxcpu, mem, maxmem, uptime, seen_at FROM nodes",
        );
        if let Some(cluster_id) = cluster_id {
            sql.push(" WHERE cluster_id = ").bind(cluster_id);
        }
        sql.push(" ORDER BY cluster_id, name");
        let (text, args) = sql.into_parts();
        type NodeRow = (DbId, String, String, f64, i64, i64, i64, i64, Timestamp);
        let rows: Vec<NodeRow> = on_reader!(&self.db, pool => {
            bind_args!(sqlx::query_as(&text), args).fetch_all(pool).await?
        });
        rows.into_iter()
            .map(
                |(cluster_id, name, status, cpu, maxcpu, mem, maxmem, uptime, seen_at)| {
                    Ok(Node {
                        cluster_id: cluster_id.0,
                        observed: NodeObservation {
                            name,
                            status,
                            cpu,
                            maxcpu: from_db_int(maxcpu, "maxcpu")?,
                            mem: from_db_int(mem, "mem")?,
                            maxmem: from_db_int(maxmem, "maxmem")?,
                            uptime: from_db_int(uptime, "uptime")?,
                        },
                        seen_at,
                    })
                },
            )
            .collect()
    }

    async fn list_storages(&self, cluster_id: Option<Uuid>) -> Result<Vec<Storage>> {
        let mut sql = Sql::new(
            self.dialect(),
            "SELECT cluster_id, node, storage, storage_type, content, total, used, avail, shared, status, seen_at \
             FROM storages",
        );
        if let Some(cluster_id) = cluster_id {
            sql.push(" WHERE cluster_id = ").bind(cluster_id);
        }
        sql.push(" ORDER BY cluster_id, node, storage");
        let (text, args) = sql.into_parts();
        let records: Vec<StorageRecord> = on_reader!(&self.db, pool => {
            bind_args!(sqlx::query_as(&text), args).fetch_all(pool).await?
        });
        records.into_iter().map(Storage::try_from).collect()
    }
}

#[derive(sqlx::FromRow)]
struct StorageRecord {
    cluster_id: DbId,
    node: String,
    storage: String,
    storage_type: String,
    content: String,
    total: i64,
    used: i64,
    avail: i64,
    shared: bool,
    status: String,
    seen_at: Timestamp,
}

impl TryFrom<StorageRecord> for Storage {
    type Error = StoreError;
    fn try_from(r: StorageRecord) -> Result<Self> {
        Ok(Storage {
            cluster_id: r.cluster_id.0,
            observed: StorageObservation {
                node: r.node,
                storage: r.storage,
                storage_type: r.storage_type,
                content: r.content,
                total: from_db_int(r.total, "total")?,
                used: from_db_int(r.used, "used")?,
                avail: from_db_int(r.avail, "avail")?,
                shared: r.shared,
                status: r.status,
            },
            seen_at: r.seen_at,
        })
    }
}
