//! `Timestamp`: the one instant type of ProxiCloud (the store keeps it, the API sends it).

use std::fmt;
use std::ops::{Add, Sub};
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

/// An instant in UTC with microsecond precision.
///
/// Microseconds because that is what PostgreSQL's `timestamptz` keeps: a value read back
/// from either backend is exactly the value written, so anything hashed over a timestamp
/// (the audit chain) verifies after a round trip. On SQLite it is stored as fixed-width
/// RFC 3339 text (`2025-01-31T12:00:00.000000Z`), which sorts like the instant itself.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(OffsetDateTime);

const STORAGE_FORMAT: &[time::format_description::FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");

impl Timestamp {
    /// The current time, truncated to microseconds.
    pub fn now() -> Self {
        Self::from_datetime(OffsetDateTime::now_utc())
    }

    /// Converts to UTC and truncates to microseconds.
    pub fn from_datetime(instant: OffsetDateTime) -> Self {
        let utc = instant.to_offset(UtcOffset::UTC);
        let micros = utc.microsecond();
        Self(
            utc.replace_microsecond(micros)
                .expect("microsecond from a valid instant"),
        )
    }

    /// `None` outside the range `OffsetDateTime` represents.
    pub fn from_unix_micros(micros: i64) -> Option<Self> {
        let instant = OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1000).ok()?;
        Some(Self(instant))
    }

    pub fn as_datetime(self) -> OffsetDateTime {
        self.0
    }

    pub fn unix_micros(self) -> i64 {
        (self.0.unix_timestamp_nanos() / 1000) as i64
    }

    /// RFC 3339 with exactly six fractional digits and a `Z` suffix.
    pub fn to_rfc3339(self) -> String {
        self.0
            .format(STORAGE_FORMAT)
            .expect("years 0..=9999 format; other years cannot come from the clock")
    }

    /// Accepts any RFC 3339 instant (any offset, any precision).
    pub fn parse_rfc3339(text: &str) -> Result<Self, time::error::Parse> {
        OffsetDateTime::parse(text, &Rfc3339).map(Self::from_datetime)
    }
}

impl From<OffsetDateTime> for Timestamp {
    fn from(instant: OffsetDateTime) -> Self {
        Self::from_datetime(instant)
    }
}

impl Add<Duration> for Timestamp {
    type Output = Timestamp;
    fn add(self, duration: Duration) -> Timestamp {
        Self::from_datetime(self.0 + duration)
    }
}

impl Sub<Duration> for Timestamp {
    type Output = Timestamp;
    fn sub(self, duration: Duration) -> Timestamp {
        Self::from_datetime(self.0 - duration)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({self})")
    }
}

impl FromStr for Timestamp {
    type Err = time::error::Parse;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse_rfc3339(text)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse_rfc3339(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn truncates_to_microseconds_and_normalises_to_utc() {
        let t = Timestamp::from_datetime(datetime!(2025-03-01 13:00:00.123456789 +01:00));
        assert_eq!(t.to_rfc3339(), "2025-03-01T12:00:00.123456Z");
        assert_eq!(Timestamp::parse_rfc3339(&t.to_rfc3339()).unwrap(), t);
    }

    #[test]
    fn storage_text_sorts_like_the_instant() {
        let whole = Timestamp::from_datetime(datetime!(2025-03-01 12:00:00 UTC));
        let later = whole + Duration::from_micros(500_000);
        assert!(whole < later);
        assert!(whole.to_rfc3339() < later.to_rfc3339());
        assert_eq!(whole.to_rfc3339(), "2025-03-01T12:00:00.000000Z");
    }

    #[test]
    fn unix_micros_round_trip() {
        let t = Timestamp::now();
        assert_eq!(Timestamp::from_unix_micros(t.unix_micros()), Some(t));
    }
}
