use async_trait::async_trait;
use sqlx::types::Json;
use uuid::Uuid;

use super::records::{SETTING_COLUMNS, SettingRecord, convert_all};
use super::{DbId, SqlStore};
use crate::repo::settings::{Setting, SettingKey, SettingsRepo};
use crate::{Result, Timestamp};

#[async_trait]
impl SettingsRepo for SqlStore {
    async fn get(&self, key: SettingKey) -> Result<Option<Setting>> {
        let sql = format!("SELECT {SETTING_COLUMNS} FROM settings WHERE key = $1");
        let record: Option<SettingRecord> = on_reader!(&self.db, pool => {
            sqlx::query_as(&sql).bind(key.as_str()).fetch_optional(pool).await?
        });
        record.map(Setting::try_from).transpose()
    }

    async fn put(
        &self,
        key: SettingKey,
        value: serde_json::Value,
        updated_by: Option<Uuid>,
    ) -> Result<Setting> {
        let sql = format!(
            "INSERT INTO settings ({SETTING_COLUMNS}) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, \
             updated_by = excluded.updated_by RETURNING {SETTING_COLUMNS}"
        );
        let record: SettingRecord = on_writer!(&self.db, pool => {
            sqlx::query_as(&sql)
                .bind(key.as_str())
                .bind(Json(&value))
                .bind(Timestamp::now())
                .bind(updated_by.map(DbId))
                .fetch_one(pool)
                .await?
        });
        record.try_into()
    }

    async fn list(&self) -> Result<Vec<Setting>> {
        let sql = format!("SELECT {SETTING_COLUMNS} FROM settings ORDER BY key");
        let records: Vec<SettingRecord> = on_reader!(&self.db, pool => {
            sqlx::query_as(&sql).fetch_all(pool).await?
        });
        convert_all(records)
    }
}
