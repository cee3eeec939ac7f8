use async_trait::async_trait;
use proxicloud_types::{GuestType, VmId};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::args::Sql;
use super::codec::{from_db_int, to_db_int};
use super::connect::BeginWrite;
use super::records::convert_all;
use super::volumes::{HOLDERS_AT, lock_vmids_sql};
use super::{DbId, Dialect, SqlStore};
use crate::repo::guests::{
    Guest, GuestAddresses, GuestQuery, GuestRepo, GuestReservation, GuestSort, OwnerFilter,
    STATUS_CREATING,
};
use crate::repo::inventory::{GuestActivity, GuestObservation, IoCounters, IoRates};
use crate::{Page, PageRequest, Result, StoreError, Timestamp, constraints};

pub(crate) const GUEST_COLUMNS: &str = "id, cluster_id, vmid, node, kind, name, status, cpus, maxmem, mem, \
     maxdisk, disk, uptime, template, lock, tags, owner_id, managed, created_by_job, created_at, seen_at, removed_at, \
     addresses, addresses_at, cpu, netin, netout, diskread, diskwrite, netin_rate, netout_rate, diskread_rate, \
     diskwrite_rate";

/// `;a;b;` of the guest's `tags`, whatever separators Proxmox wrote.
const TAG_LIST: &str = "(';' || replace(replace(coalesce(tags, ''), ',', ';'), ' ', ';') || ';')";

/// The live (not removed) guest at a vmid of a cluster (`$1`, `$2`): what
/// [`constraints::GUEST_VMID`] keeps unique.
pub(super) const LIVE_GUEST_AT: &str = "cluster_id = $1 AND vmid = $2 AND removed_at IS NULL";

#[derive(sqlx::FromRow)]
pub(crate) struct GuestRecord {
    id: DbId,
    cluster_id: DbId,
    vmid: i64,
    node: String,
    kind: String,
    name: String,
    status: String,
    cpus: f64,
    maxmem: i64,
    mem: i64,
    maxdisk: i64,
    disk: i64,
    uptime: i64,
    template: bool,
    lock: Option<String>,
    tags: Option<String>,
    owner_id: Option<DbId>,
    managed: bool,
    created_by_job: Option<DbId>,
    created_at: Timestamp,
    seen_at: Option<Timestamp>,
    removed_at: Option<Timestamp>,
    addresses: Option<String>,
    addresses_at: Option<Timestamp>,
    cpu: f64,
    netin: i64,
    netout: i64,
    diskread: i64,
    diskwrite: i64,
    netin_rate: Option<f64>,
    netout_rate: Option<f64>,
    diskread_rate: Option<f64>,
    diskwrite_rate: Option<f64>,
}

impl TryFrom<GuestRecord> for Guest {
    type Error = StoreError;
    fn try_from(r: GuestRecord) -> Result<Self> {
        let vmid = VmId::new(from_db_int(r.vmid, "vmid")?)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let kind: GuestType = r
            .kind
            .parse()
            .map_err(|e: proxicloud_types::InvalidId| StoreError::Corrupt(e.to_string()))?;
        Ok(Guest {
            id: r.id.0,
            cluster_id: r.cluster_id.0,
            observed: GuestObservation {
                vmid,
                node: r.node,
                kind,
                name: r.name,
                status: r.status,
                cpus: r.cpus,
                maxmem: from_db_int(r.maxmem, "maxmem")?,
                mem: from_db_int(r.mem, "mem")?,
                maxdisk: from_db_int(r.maxdisk, "maxdisk")?,
                disk: from_db_int(r.disk, "disk")?,
                uptime: from_db_int(r.uptime, "uptime")?,
                template: r.template,
                lock: r.lock,
                tags: r.tags,
                activity: GuestActivity {
                    cpu: r.cpu,
                    counters: IoCounters {
                        netin: from_db_int(r.netin, "netin")?,
                        netout: from_db_int(r.netout, "netout")?,
                        diskread: from_db_int(r.diskread, "diskread")?,
                        diskwrite: from_db_int(r.diskwrite, "diskwrite")?,
                    },
                    rates: IoRates {
                        netin: r.netin_rate,
                        netout: r.netout_rate,
                        diskread: r.diskread_rate,
                        diskwrite: r.diskwrite_rate,
                    },
                },
            },
            owner_id: r.owner_id.map(Into::into),
            managed: r.managed,
            created_by_job: r.created_by_job.map(Into::into),
            created_at: r.created_at,
            seen_at: r.seen_at,
            removed_at: r.removed_at,
            addresses: r
                .addresses
                .map(|json| serde_json::from_str(&json))
                .transpose()
                .map_err(|e| StoreError::Corrupt(format!("guest addresses: {e}")))?,
            addresses_at: r.addresses_at,
        })
    }
}

/// The position after the last guest of a page: its sort key (as text) and id. The sort
/// and direction are recorded so a cursor cannot be replayed against another order.
#[derive(Serialize, Deserialize)]
struct GuestCursor {
    sort: String,
    descending: bool,
    key: String,
    id: Uuid,
}

fn sort_column(sort: GuestSort) -> &'static str {
    match sort {
        GuestSort::Name => "name",
        GuestSort::Created => "created_at",
        GuestSort::Status => "status",
        GuestSort::Node => "node",
        GuestSort::VmId => "vmid",
        GuestSort::Cpu => "cpu",
    }
}

fn sort_key(sort: GuestSort, guest: &Guest) -> String {
    match sort {
        GuestSort::Name => guest.observed.name.clone(),
        GuestSort::Created => guest.created_at.to_rfc3339(),
        GuestSort::Status => guest.observed.status.clone(),
        GuestSort::Node => guest.observed.node.clone(),
        GuestSort::VmId => guest.observed.vmid.to_string(),
        // Rust prints an f64 so that it parses back to the same value.
        GuestSort::Cpu => guest.observed.activity.cpu.to_string(),
    }
}

/// Binds a cursor key with the column's own type, so the comparison is the same as the
/// ORDER BY's.
fn bind_sort_key(sql: &mut Sql, sort: GuestSort, key: String) -> Result<()> {
    match sort {
        GuestSort::Name | GuestSort::Status | GuestSort::Node => sql.bind(key),
        GuestSort::Created => {
            sql.bind(Timestamp::parse_rfc3339(&key).map_err(|_| StoreError::InvalidCursor)?)
        }
        GuestSort::VmId => sql.bind(key.parse::<i64>().map_err(|_| StoreError::InvalidCursor)?),
        GuestSort::Cpu => sql.bind(key.parse::<f64>().map_err(|_| StoreError::InvalidCursor)?),
    };
    Ok(())
}

fn build_list_sql(
    dialect: Dialect,
    query: &GuestQuery,
    page: &PageRequest,
    limit: u32,
) -> Result<Sql> {
    let filter = &query.filter;
    let mut sql = Sql::new(
        dialect,
        format!("SELECT {GUEST_COLUMNS} FROM guests WHERE 1 = 1"),
    );
    if !filter.include_removed {
        sql.push(" AND removed_at IS NULL");
    }
    if let Some(status) = &filter.status {
        sql.push(" AND status = ").bind(status.as_str());
    }
    if let Some(kind) = filter.kind {
        sql.push(" AND kind = ").bind(kind.as_str());
    }
    if let Some(cluster_id) = filter.cluster_id {
        sql.push(" AND cluster_id = ").bind(cluster_id);
    }
    if let Some(node) = &filter.node {
        sql.push(" AND node = ").bind(node.as_str());
    }
    match filter.owner {
        OwnerFilter::Any => {}
        OwnerFilter::Owner(owner_id) => {
            sql.push(" AND owner_id = ").bind(owner_id);
        }
        OwnerFilter::Unowned => {
            sql.push(" AND owner_id IS NULL");
        }
    }
    if let Some(text) = &filter.name_contains {
        sql.push(" AND ").push_contains("name", text);
    }
    if let Some(tag) = &filter.tag {
        // `tags` is PVE's list (`;`, `,` or spaces between): one whole entry matches.
        sql.push(" AND ")
            .push_contains(TAG_LIST, &format!(";{tag};"));
    }
    let column = sort_column(query.sort);
    let (direction, comparison) = if query.descending {
        ("DESC", "<")
    } else {
        ("ASC", ">")
    };
    if let Some(cursor) = &page.after {
        let cursor: GuestCursor = cursor.decode()?;
        if cursor.sort != column || cursor.descending != query.descending {
            return Err(StoreError::InvalidCursor);
        }
        sql.push(&format!(" AND ({column}, id) {comparison} ("));
        bind_sort_key(&mut sql, query.sort, cursor.key)?;
        sql.push(", ").bind(cursor.id).push(")");
    }
    sql.push(&format!(
        " ORDER BY {column} {direction}, id {direction} LIMIT "
    ))
    .bind(i64::from(limit) + 1);
    Ok(sql)
}

/// Three parameters per guest; SQLite allows 32766 per statement.
const ADDRESS_ROWS_PER_STATEMENT: usize = 1000;

/// `UPDATE guests SET addresses = CASE id WHEN … THEN … END, addresses_at = … WHERE id IN
/// (…)`: one statement for a whole chunk.
fn addresses_update(
    dialect: Dialect,
    chunk: &[GuestAddresses],
    learned_at: Timestamp,
) -> Result<Sql> {
    let mut sql = Sql::new(dialect, "UPDATE guests SET addresses = CASE id");
    for learned in chunk {
        let json = serde_json::to_string(&learned.addresses)
            .map_err(|e| StoreError::Corrupt(format!("guest addresses: {e}")))?;
        sql.push(" WHEN ")
            .bind(learned.guest_id)
            .push(" THEN ")
            .bind(json);
    }
    sql.push(" END, addresses_at = ")
        .bind(learned_at)
        .push(" WHERE id IN (")
        .bind_list(chunk.iter().map(|learned| learned.guest_id.into()))
        .push(")");
    Ok(sql)
}

#[async_trait]
impl GuestRepo for SqlStore {
    async fn list(&self, query: &GuestQuery, page: PageRequest) -> Result<Page<Guest>> {
        let limit = page.clamped_limit();
        let (text, args) = build_list_sql(self.dialect(), query, &page, limit)?.into_parts();
        let records: Vec<GuestRecord> = on_reader!(&self.db, pool => {
            bind_args!(sqlx::query_as(&text), args).fetch_all(pool).await?
        });
        let guests = convert_all(records)?;
        let (sort, descending) = (query.sort, query.descending);
        Ok(Page::from_overfetch(guests, limit, |guest: &Guest| {
            GuestCursor {
                sort: sort_column(sort).to_owned(),
                descending,
                key: sort_key(sort, guest),
                id: guest.id,
            }
        }))
    }

    async fn get(&self, id: Uuid) -> Result<Guest> {
        let sql = format!("SELECT {GUEST_COLUMNS} FROM guests WHERE id = $1");
        let record: Option<GuestRecord> = on_reader!(&self.db, pool => {
            sqlx::query_as(&sql).bind(DbId(id)).fetch_optional(pool).await?
        });
        record.ok_or(StoreError::NotFound)?.try_into()
    }

    async fn list_live(&self) -> Result<Vec<Guest>> {
        let sql = format!("SELECT {GUEST_COLUMNS} FROM guests WHERE removed_at IS NULL");
        let records: Vec<GuestRecord> = on_reader!(&self.db, pool => {
            sqlx::query_as(&sql).fetch_all(pool).await?
        });
        convert_all(records)
    }

    async fn find_by_vmid(&self, cluster_id: Uuid, vmid: VmId) -> Result<Option<Guest>> {
        let sql = format!("SELECT {GUEST_COLUMNS} FROM guests WHERE {LIVE_GUEST_AT}");
        let record: Option<GuestRecord> = on_reader!(&self.db, pool => {
            sqlx::query_as(&sql).bind(DbId(cluster_id)).bind(i64::from(vmid.get())).fetch_optional(pool).await?
        });
        record.map(Guest::try_from).transpose()
    }

    async fn reserve(&self, r: GuestReservation) -> Result<Guest> {
        let sql = format!(
            "INSERT INTO guests (id, cluster_id, vmid, node, kind, name, status, cpus, maxmem, mem, maxdisk, \
             disk, uptime, template, owner_id, managed, created_by_job, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10, 0, 0, FALSE, $11, TRUE, $12, $13) \
             RETURNING {GUEST_COLUMNS}"
        );
        let lock = lock_vmids_sql(self.dialect());
        let record: GuestRecord = on_writer!(&self.db, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(&lock).bind(DbId(r.cluster_id)).fetch_optional(&mut *tx).await?;
            let holders: i64 = sqlx::query_scalar(HOLDERS_AT)
                .bind(DbId(r.cluster_id))
                .bind(i64::from(r.vmid.get()))
                .fetch_one(&mut *tx)
                .await?;
            if holders > 0 {
                return Err(StoreError::Conflict { constraint: constraints::GUEST_VMID.to_owned() });
            }
            let record = sqlx::query_as(&sql)
                .bind(DbId(r.id))
                .bind(DbId(r.cluster_id))
                .bind(i64::from(r.vmid.get()))
                .bind(&r.node)
                .bind(r.kind.as_str())
                .bind(&r.name)
                .bind(STATUS_CREATING)
                .bind(r.cpus)
                .bind(to_db_int(r.maxmem))
                .bind(to_db_int(r.maxdisk))
                .bind(DbId(r.owner_id))
                .bind(DbId(r.job_id))
                .bind(Timestamp::now())
                .fetch_one(&mut *tx)
                .await?;
            tx.commit().await?;
            record
        });
        self.note_guest_write();
        record.try_into()
    }

    async fn set_owner(&self, id: Uuid, owner_id: Option<Uuid>) -> Result<Guest> {
        let sql =
            format!("UPDATE guests SET owner_id = $2 WHERE id = $1 RETURNING {GUEST_COLUMNS}");
        let record: Option<GuestRecord> = on_writer!(&self.db, pool => {
            sqlx::query_as(&sql).bind(DbId(id)).bind(owner_id.map(DbId)).fetch_optional(pool).await?
        });
        self.note_guest_write();
        record.ok_or(StoreError::NotFound)?.try_into()
    }

    async fn set_addresses(
        &self,
        learned: &[GuestAddresses],
        learned_at: Timestamp,
    ) -> Result<u64> {
        if learned.is_empty() {
            return Ok(0);
        }
        let statements = learned
            .chunks(ADDRESS_ROWS_PER_STATEMENT)
            .map(|chunk| addresses_update(self.dialect(), chunk, learned_at))
            .collect::<Result<Vec<Sql>>>()?;
        let updated = on_writer!(&self.db, pool => {
            let mut tx = pool.begin_write().await?;
            let mut updated = 0;
            for statement in statements {
                let (text, args) = statement.into_parts();
                updated += bind_args!(sqlx::query(&text), args).execute(&mut *tx).await?.rows_affected();
            }
            tx.commit().await?;
            updated
        });
        self.note_guest_write();
        Ok(updated)
    }

    async fn delete(&self, id: Uuid) -> Result<()> {
        // Its volumes' attachments end by the foreign key (`ON DELETE SET NULL`).
        let deleted = on_writer!(&self.db, pool => {
            sqlx::query("DELETE FROM guests WHERE id = $1").bind(DbId(id)).execute(pool).await?.rows_affected()
        });
        self.note_guest_write();
        self.note_write(crate::Table::Volumes);
        if deleted == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}
