//! The instance side of [`SecretRepo`](crate::SecretRepo): which secrets a guest
//! receives (`guest_secrets`) and where applying them stands (`guest_secret_states`).
//! Kept apart from the vault's own queries in `secrets.rs`, which delegates here.

use sqlx::types::Json;
use uuid::Uuid;

use super::connect::BeginWrite;
use super::secrets::{COLUMNS, Record};
use super::{DbId, SqlStore};
use crate::repo::secrets::{InjectionState, Secret};
use crate::{Result, Timestamp};

#[derive(sqlx::FromRow)]
struct StateRecord {
    guest_id: DbId,
    status: String,
    reason: Option<String>,
    managed: Json<Vec<String>>,
    updated_at: Timestamp,
}

impl SqlStore {
    pub(super) async fn replace_guest_secrets(
        &self,
        guest_id: Uuid,
        secret_ids: &[Uuid],
    ) -> Result<()> {
        let clear = "DELETE FROM guest_secrets WHERE guest_id = $1";
        let insert = "INSERT INTO guest_secrets (guest_id, secret_id) VALUES ($1, $2) \
             ON CONFLICT (guest_id, secret_id) DO NOTHING";
        on_writer!(&self.db, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(clear).bind(DbId(guest_id)).execute(&mut *tx).await?;
            for secret_id in secret_ids {
                sqlx::query(insert)
                    .bind(DbId(guest_id))
                    .bind(DbId(*secret_id))
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    pub(super) async fn secrets_of_guest(&self, guest_id: Uuid) -> Result<Vec<Secret>> {
        let columns = COLUMNS
            .split(", ")
            .map(|c| format!("s.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {columns} FROM secrets s JOIN guest_secrets g ON g.secret_id = s.id \
             WHERE g.guest_id = $1 ORDER BY s.name, s.id"
        );
        let records: Vec<Record> = on_reader!(&self.db, pool => {
            sqlx::query_as(&sql).bind(DbId(guest_id)).fetch_all(pool).await?
        });
        records.into_iter().map(TryInto::try_into).collect()
    }

    pub(super) async fn guests_of_secret(&self, secret_id: Uuid) -> Result<Vec<Uuid>> {
        let sql = "SELECT guest_id FROM guest_secrets WHERE secret_id = $1 ORDER BY guest_id";
        let ids: Vec<(DbId,)> = on_reader!(&self.db, pool => {
            sqlx::query_as(sql).bind(DbId(secret_id)).fetch_all(pool).await?
        });
        Ok(ids.into_iter().map(|(id,)| id.0).collect())
    }

    pub(super) async fn load_injection_state(
        &self,
        guest_id: Uuid,
    ) -> Result<Option<InjectionState>> {
        let sql = "SELECT guest_id, status, reason, managed, updated_at \
             FROM guest_secret_states WHERE guest_id = $1";
        let record: Option<StateRecord> = on_reader!(&self.db, pool => {
            sqlx::query_as(sql).bind(DbId(guest_id)).fetch_optional(pool).await?
        });
        Ok(record.map(|r| InjectionState {
            guest_id: r.guest_id.0,
            status: r.status,
            reason: r.reason,
            managed: r.managed.0,
            updated_at: r.updated_at,
        }))
    }

    pub(super) async fn save_injection_state(&self, state: &InjectionState) -> Result<()> {
        let sql = "INSERT INTO guest_secret_states (guest_id, status, reason, managed, updated_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (guest_id) DO UPDATE SET \
             status = excluded.status, reason = excluded.reason, managed = excluded.managed, \
             updated_at = excluded.updated_at";
        on_writer!(&self.db, pool => {
            sqlx::query(sql)
                .bind(DbId(state.guest_id))
                .bind(&state.status)
                .bind(state.reason.as_deref())
                .bind(Json(&state.managed))
                .bind(state.updated_at)
                .execute(pool)
                .await?;
        });
        Ok(())
    }
}
