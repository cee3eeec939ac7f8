use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::args::Sql;
use super::records::{USER_COLUMNS, UserRecord, convert_all};
use super::{DbId, SqlStore, found};
use crate::repo::users::{NewUser, Role, User, UserChanges, UserRepo};
use crate::{Page, PageRequest, Result, StoreError, Table, Timestamp};

/// Users are listed by lower-cased username, which is unique. The cursor keeps the name
/// as stored and the database lower-cases both sides, so Rust's and SQL's idea of
/// lower case never have to agree.
#[derive(Serialize, Deserialize)]
struct UserCursor {
    username: String,
}

#[async_trait]
impl UserRepo for SqlStore {
    async fn create(&self, user: NewUser) -> Result<User> {
        let now = Timestamp::now();
        let sql = format!(
            "INSERT INTO users ({USER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING {USER_COLUMNS}"
        );
        let record: UserRecord = on_writer!(&self.db, pool => {
            sqlx::query_as(&sql)
                .bind(DbId(Uuid::now_v7()))
                .bind(&user.username)
                .bind(&user.password_hash)
                .bind(user.role.as_str())
                .bind(user.disabled)
                .bind(now)
                .fetch_one(pool)
                .await?
        });
        record.try_into()
    }

    async fn get(&self, id: Uuid) -> Result<User> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        let record: Option<UserRecord> = on_reader!(&self.db, pool => {
            sqlx::query_as(&sql).bind(DbId(id)).fetch_optional(pool).await?
        });
        record.ok_or(StoreError::NotFound)?.try_into()
    }

    async fn find_by_username(&self, username: &str) -> Result<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE lower(username) = lower($1)");
        let record: Option<UserRecord> = on_reader!(&self.db, pool => {
            sqlx::query_as(&sql).bind(username).fetch_optional(pool).await?
        });
        record.map(User::try_from).transpose()
    }

    async fn list(&self, page: PageRequest) -> Result<Page<User>> {
        let limit = page.clamped_limit();
        let mut sql = Sql::new(self.dialect(), format!("SELECT {USER_COLUMNS} FROM users"));
        if let Some(cursor) = &page.after {
            let after: UserCursor = cursor.decode()?;
            sql.push(" WHERE lower(username) > lower(")
                .bind(after.username)
                .push(")");
        }
        sql.push(" ORDER BY lower(username) LIMIT ")
            .bind(i64::from(limit) + 1);
        let (text, args) = sql.into_parts();
        let records: Vec<UserRecord> = on_reader!(&self.db, pool => {
            bind_args!(sqlx::query_as(&text), args).fetch_all(pool).await?
        });
        let users = convert_all(records)?;
        Ok(Page::from_overfetch(users, limit, |user: &User| {
            UserCursor {
                username: user.username.clone(),
            }
        }))
    }

    async fn update(&self, id: Uuid, changes: UserChanges) -> Result<User> {
        let mut sql = Sql::new(self.dialect(), "UPDATE users SET updated_at = ");
        sql.bind(Timestamp::now());
        if let Some(username) = changes.username {
            sql.push(", username = ").bind(username);
        }
        if let Some(password_hash) = changes.password_hash {
            sql.push(", password_hash = ").bind(password_hash);
        }
        if let Some(role) = changes.role {
            sql.push(", role = ").bind(role.as_str());
        }
        if let Some(disabled) = changes.disabled {
            sql.push(", disabled = ").bind(disabled);
        }
        sql.push(" WHERE id = ")
            .bind(id)
            .push(&format!(" RETURNING {USER_COLUMNS}"));
        let (text, args) = sql.into_parts();
        let record: Option<UserRecord> = on_writer!(&self.db, pool => {
            bind_args!(sqlx::query_as(&text), args).fetch_optional(pool).await?
        });
        record.ok_or(StoreError::NotFound)?.try_into()
    }

    async fn delete(&self, id: Uuid) -> Result<()> {
        let deleted = on_writer!(&self.db, pool => {
            sqlx::query("DELETE FROM users WHERE id = $1").bind(DbId(id)).execute(pool).await?.rows_affected()
        });
        // Their guests lost their owner (ON DELETE SET NULL).
        self.note_guest_write();
        self.note_write(Table::Volumes);
        found(deleted)
    }

    async fn count_active_admins(&self) -> Result<u64> {
        let count: i64 = on_reader!(&self.db, pool => {
            sqlx::query_scalar("SELECT count(*) FROM users WHERE role = $1 AND disabled = $2")
                .bind(Role::Admin.as_str())
                .bind(false)
                .fetch_one(pool)
                .await?
        });
        Ok(count.unsigned_abs())
    }
}
