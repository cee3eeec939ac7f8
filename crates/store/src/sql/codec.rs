//! How our Rust types are stored: UUIDs, timestamps and unsigned numbers.

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo, PgValueRef};
use sqlx::sqlite::{SqliteArgumentValue, SqliteTypeInfo, SqliteValueRef};
use sqlx::{Decode, Encode, Postgres, Sqlite, Type};
use uuid::Uuid;

use crate::StoreError;

/// A UUID as the database stores it: native `uuid` on PostgreSQL, hyphenated lower-case
/// text on SQLite (readable in the `sqlite3` shell, and sorted like the UUID's bytes, so
/// UUIDv7 ids sort by creation time on both).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DbId(pub Uuid);

impl From<Uuid> for DbId {
    fn from(id: Uuid) -> Self {
        Self(id)
    }
}

impl From<DbId> for Uuid {
    fn from(id: DbId) -> Self {
        id.0
    }
}

impl Type<Sqlite> for DbId {
    fn type_info() -> SqliteTypeInfo {
        <String as Type<Sqlite>>::type_info()
    }
    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <String as Type<Sqlite>>::compatible(ty)
    }
}

impl<'q> Encode<'q, Sqlite> for DbId {
    fn encode_by_ref(&self, buf: &mut Vec<SqliteArgumentValue<'q>>) -> Result<IsNull, BoxDynError> {
        <String as Encode<'q, Sqlite>>::encode(self.0.hyphenated().to_string(), buf)
    }
}

impl<'r> Decode<'r, Sqlite> for DbId {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        let text = <&str as Decode<'r, Sqlite>>::decode(value)?;
        Ok(Self(Uuid::parse_str(text)?))
    }
}

impl Type<Postgres> for DbId {
    fn type_info() -> PgTypeInfo {
        <Uuid as Type<Postgres>>::type_info()
    }
    fn compatible(ty: &PgTypeInfo) -> bool {
        <Uuid as Type<Postgres>>::compatible(ty)
    }
}

impl<'q> Encode<'q, Postgres> for DbId {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        <Uuid as Encode<'q, Postgres>>::encode_by_ref(&self.0, buf)
    }
}

impl<'r> Decode<'r, Postgres> for DbId {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Self(<Uuid as Decode<'r, Postgres>>::decode(value)?))
    }
}

/// The outcome of an UPDATE or DELETE of one row by id: no row affected means there
/// is no row with that id.
pub(crate) fn found(rows_affected: u64) -> Result<(), StoreError> {
    if rows_affected == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Counters and sizes are `u64` in Rust and `BIGINT` in the database (PostgreSQL has no
/// unsigned type); values above `i64::MAX` are saturated rather than wrapped.
pub(crate) fn to_db_int(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// The reverse of [`to_db_int`]: a negative stored value is corrupt.
pub(crate) fn from_db_int<T: TryFrom<i64>>(value: i64, column: &str) -> Result<T, StoreError> {
    T::try_from(value)
        .map_err(|_| StoreError::Corrupt(format!("{column} = {value} is out of range")))
}

/// Parses a stored enum-like text column.
pub(crate) fn parse_column<T: std::str::FromStr<Err = String>>(
    text: &str,
) -> Result<T, StoreError> {
    text.parse().map_err(StoreError::Corrupt)
}
