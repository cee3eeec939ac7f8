use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use sqlx::types::Json;
use uuid::Uuid;

use super::args::Sql;
use super::connect::BeginWrite;
use super::records::{AUDIT_COLUMNS, AuditRecord, convert_all};
use super::{DbId, SqlStore};
use crate::page::MAX_PAGE_LIMIT;
use crate::repo::audit::{AuditEntry, AuditEntryBuilder, AuditFilter, AuditHead, AuditRepo};
use crate::{Page, PageRequest, Result};

#[derive(Serialize, Deserialize)]
struct AuditCursor {
    before_seq: i64,
}

#[async_trait]
impl AuditRepo for SqlStore {
    async fn append(&self, build: AuditEntryBuilder) -> Result<AuditEntry> {
        let lock_head = format!(
            "SELECT last_seq, last_hash FROM audit_head WHERE id = 1{}",
            self.dialect().for_update()
        );
        let insert = format!(
            "INSERT INTO audit_log ({AUDIT_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING {AUDIT_COLUMNS}"
        );
        let advance_head = "UPDATE audit_head SET last_seq = $1, last_hash = $2 WHERE id = 1";
        let record: AuditRecord = on_writer!(&self.db, pool => {
            let mut tx = pool.begin_write().await?;
            let (seq, hash): (i64, Option<String>) =
                sqlx::query_as(&lock_head).fetch_one(&mut *tx).await?;
            let head = AuditHead { seq, hash };
            let entry = build(&head);
            let record: AuditRecord = sqlx::query_as(&insert)
                .bind(head.next_seq())
                .bind(DbId(Uuid::now_v7()))
                .bind(entry.at)
                .bind(entry.user_id.map(DbId))
                .bind(&entry.username)
                .bind(&entry.source_ip)
                .bind(&entry.action)
                .bind(&entry.resource)
                .bind(entry.outcome.as_str())
                .bind(&entry.request_id)
                .bind(Json(&entry.details))
                .bind(&head.hash)
                .bind(&entry.hash)
                .fetch_one(&mut *tx)
                .await?;
            sqlx::query(advance_head)
                .bind(head.next_seq())
                .bind(&entry.hash)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            record
        });
        record.try_into()
    }

    async fn head(&self) -> Result<AuditHead> {
        let (seq, hash): (i64, Option<String>) = on_reader!(&self.db, pool => {
            sqlx::query_as("SELECT last_seq, last_hash FROM audit_head WHERE id = 1").fetch_one(pool).await?
        });
        Ok(AuditHead { seq, hash })
    }

    async fn query(&self, filter: &AuditFilter, page: PageRequest) -> Result<Page<AuditEntry>> {
        let limit = page.clamped_limit();
        let mut sql = Sql::new(
            self.dialect(),
            format!("SELECT {AUDIT_COLUMNS} FROM audit_log WHERE 1 = 1"),
        );
        if let Some(cursor) = &page.after {
            let cursor: AuditCursor = cursor.decode()?;
            sql.push(" AND seq < ").bind(cursor.before_seq);
        }
        if let Some(user_id) = filter.user_id {
            sql.push(" AND user_id = ").bind(user_id);
        }
        if let Some(username) = &filter.username {
            sql.push(" AND ").push_text_match("username", username);
        }
        if let Some(action) = &filter.action {
            sql.push(" AND ").push_text_match("action", action);
        }
        if let Some(resource) = &filter.resource {
            sql.push(" AND ").push_text_match("resource", resource);
        }
        if let Some(outcome) = filter.outcome {
            sql.push(" AND outcome = ").bind(outcome.as_str());
        }
        if let Some(from) = filter.from {
            sql.push(" AND at >= ").bind(from);
        }
        if let Some(to) = filter.to {
            sql.push(" AND at < ").bind(to);
        }
        sql.push(" ORDER BY seq DESC LIMIT ")
            .bind(i64::from(limit) + 1);
        let (text, args) = sql.into_parts();
        let records: Vec<AuditRecord> = on_reader!(&self.db, pool => {
            bind_args!(sqlx::query_as(&text), args).fetch_all(pool).await?
        });
        let entries = convert_all(records)?;
        Ok(Page::from_overfetch(
            entries,
            limit,
            |entry: &AuditEntry| AuditCursor {
                before_seq: entry.seq,
            },
        ))
    }

    async fn scan(&self, after_seq: i64, limit: u32) -> Result<Vec<AuditEntry>> {
        let sql =
            format!("SELECT {AUDIT_COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2");
        let limit = i64::from(limit.clamp(1, MAX_PAGE_LIMIT));
        let records: Vec<AuditRecord> = on_reader!(&self.db, pool => {
            sqlx::query_as(&sql).bind(after_seq).bind(limit).fetch_all(pool).await?
        });
        convert_all(records)
    }
}
