use async_trait::async_trait;
use sqlx::types::Json;
use uuid::Uuid;

use super::records::{CLUSTER_COLUMNS, ClusterRecord, convert_all, credential_columns};
use super::{DbId, SqlStore, found};
use crate::repo::clusters::{Cluster, ClusterConfig, ClusterHealth, ClusterRepo};
use crate::{Result, StoreError, Table, Timestamp};

#[async_trait]
impl ClusterRepo for SqlStore {
    async fn create(&self, config: ClusterConfig) -> Result<Cluster> {
        let sql = format!(
            "INSERT INTO clusters (id, name, addresses, auth_kind, auth_id, secret_ciphertext, \
             tls_fingerprint, ca_pem, verify_tls, status, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'unknown', $10, $10) RETURNING {CLUSTER_COLUMNS}"
        );
        let (auth_kind, auth_id) = credential_columns(&config.credentials);
        let record: ClusterRecord = on_writer!(&self.db, pool => {
            sqlx::query_as(&sql)
                .bind(DbId(Uuid::now_v7()))
                .bind(&config.name)
                .bind(Json(&config.addresses))
                .bind(auth_kind)
                .bind(auth_id)
                .bind(&config.secret_ciphertext)
                .bind(&config.tls_fingerprint)
                .bind(&config.ca_pem)
                .bind(config.verify_tls)
                .bind(Timestamp::now())
                .fetch_one(pool)
                .await?
        });
        record.try_into()
    }

    async fn get(&self, id: Uuid) -> Result<Cluster> {
        let sql = format!("SELECT {CLUSTER_COLUMNS} FROM clusters WHERE id = $1");
        let record: Option<ClusterRecord> = on_reader!(&self.db, pool => {
            sqlx::query_as(&sql).bind(DbId(id)).fetch_optional(pool).await?
        });
        record.ok_or(StoreError::NotFound)?.try_into()
    }

    async fn list(&self) -> Result<Vec<Cluster>> {
        let sql = format!("SELECT {CLUSTER_COLUMNS} FROM clusters ORDER BY name, id");
        let records: Vec<ClusterRecord> = on_reader!(&self.db, pool => {
            sqlx::query_as(&sql).fetch_all(pool).await?
        });
        convert_all(records)
    }

    async fn update(&self, id: Uuid, config: ClusterConfig) -> Result<Cluster> {
        let sql = format!(
            "UPDATE clusters SET name = $2, addresses = $3, auth_kind = $4, auth_id = $5, \
             secret_ciphertext = $6, tls_fingerprint = $7, ca_pem = $8, verify_tls = $9, updated_at = $10 \
             WHERE id = $1 RETURNING {CLUSTER_COLUMNS}"
        );
        let (auth_kind, auth_id) = credential_columns(&config.credentials);
        let record: Option<ClusterRecord> = on_writer!(&self.db, pool => {
            sqlx::query_as(&sql)
                .bind(DbId(id))
                .bind(&config.name)
                .bind(Json(&config.addresses))
                .bind(auth_kind)
                .bind(auth_id)
                .bind(&config.secret_ciphertext)
                .bind(&config.tls_fingerprint)
                .bind(&config.ca_pem)
                .bind(config.verify_tls)
                .bind(Timestamp::now())
                .fetch_optional(pool)
                .await?
        });
        record.ok_or(StoreError::NotFound)?.try_into()
    }

    async fn delete(&self, id: Uuid) -> Result<()> {
        let deleted = on_writer!(&self.db, pool => {
            sqlx::query("DELETE FROM clusters WHERE id = $1").bind(DbId(id)).execute(pool).await?.rows_affected()
        });
        // Its guests went with it (ON DELETE CASCADE).
        self.note_guest_write();
        self.note_write(Table::Volumes);
        found(deleted)
    }

    async fn set_health(&self, id: Uuid, health: ClusterHealth) -> Result<()> {
        let sql = "UPDATE clusters SET status = $2, offline_since = $3, last_seen_at = $4, last_error = $5 \
                   WHERE id = $1";
        let updated = on_writer!(&self.db, pool => {
            sqlx::query(sql)
                .bind(DbId(id))
                .bind(health.status.as_str())
                .bind(health.offline_since)
                .bind(health.last_seen_at)
                .bind(&health.last_error)
                .execute(pool)
                .await?
                .rows_affected()
        });
        found(updated)
    }
}
