//! SQL text built at run time (dynamic filters, multi-row statements), then bound on
//! either backend with `bind_args!`.

use sqlx::types::Json;
use uuid::Uuid;

use super::{DbId, Dialect};
use crate::{TextMatch, Timestamp};

/// One bound value. Every variant is an `Option` so that NULL keeps its column type
/// (PostgreSQL rejects a `text` NULL for a `uuid` column).
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Text(Option<String>),
    Int(Option<i64>),
    Real(Option<f64>),
    Bool(Option<bool>),
    Id(Option<DbId>),
    Time(Option<Timestamp>),
    Json(Option<Json<serde_json::Value>>),
    Bytes(Option<Vec<u8>>),
}

macro_rules! arg_from {
    ($ty:ty, $variant:ident, $convert:expr) => {
        impl From<$ty> for Arg {
            fn from(value: $ty) -> Self {
                Arg::$variant(Some($convert(value)))
            }
        }
        impl From<Option<$ty>> for Arg {
            fn from(value: Option<$ty>) -> Self {
                Arg::$variant(value.map($convert))
            }
        }
    };
}

arg_from!(String, Text, |v| v);
arg_from!(&str, Text, |v: &str| v.to_owned());
arg_from!(i64, Int, |v| v);
arg_from!(f64, Real, |v| v);
arg_from!(bool, Bool, |v| v);
arg_from!(Uuid, Id, DbId);
arg_from!(Timestamp, Time, |v| v);
arg_from!(serde_json::Value, Json, Json);
arg_from!(Vec<u8>, Bytes, |v| v);

/// A statement under construction: `push` appends SQL, `bind` appends a value and the
/// placeholder that refers to it.
///
/// Placeholders are `$N` on PostgreSQL and anonymous `?` on SQLite. SQLite accepts `$N`
/// too, but looks each named parameter up by a linear scan when binding, which makes a
/// 15,000-value insert quadratic; `?` parameters are bound by position.
#[derive(Debug)]
pub(crate) struct Sql {
    dialect: Dialect,
    text: String,
    args: Vec<Arg>,
}

impl Sql {
    pub(crate) fn new(dialect: Dialect, text: impl Into<String>) -> Self {
        Self {
            dialect,
            text: text.into(),
            args: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    pub(crate) fn bind(&mut self, value: impl Into<Arg>) -> &mut Self {
        self.args.push(value.into());
        match self.dialect {
            Dialect::Sqlite => self.text.push('?'),
            Dialect::Postgres => {
                self.text.push('$');
                self.text.push_str(&self.args.len().to_string());
            }
        }
        self
    }

    /// Appends `v1, v2, …` with one placeholder per value.
    pub(crate) fn bind_list(&mut self, values: impl IntoIterator<Item = Arg>) -> &mut Self {
        for (i, value) in values.into_iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.bind(value);
        }
        self
    }

    /// Appends `lower(column) LIKE lower(<text as %text%>)`: case-insensitive substring
    /// matching with `%`, `_` and `\` in `text` taken literally, the same on both
    /// backends (`lower` and `LIKE … ESCAPE` mean the same on SQLite and PostgreSQL for
    /// ASCII; PostgreSQL also folds other letters).
    pub(crate) fn push_contains(&mut self, column: &str, text: &str) -> &mut Self {
        self.push(&format!("lower({column}) LIKE lower("))
            .bind(contains_pattern(text))
            .push(") ESCAPE '\\'")
    }

    /// Appends the comparison of `column` that `text` asks for.
    pub(crate) fn push_text_match(&mut self, column: &str, text: &TextMatch) -> &mut Self {
        match text {
            TextMatch::Exact(value) => self.push(&format!("{column} = ")).bind(value.as_str()),
            TextMatch::Contains(part) => self.push_contains(column, part),
        }
    }

    pub(crate) fn into_parts(self) -> (String, Vec<Arg>) {
        (self.text, self.args)
    }
}

/// `%text%` for LIKE, with the pattern characters of `text` escaped by `\`.
fn contains_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_follow_the_dialect_in_bind_order() {
        let build = |dialect| {
            let mut sql = Sql::new(dialect, "SELECT * FROM t WHERE a = ");
            sql.bind(7_i64)
                .push(" AND (b, c) IN (")
                .bind_list([Arg::from("x"), Arg::from(2.5)])
                .push(")");
            sql.push(" AND d = ").bind(true);
            sql.into_parts()
        };
        let (postgres, args) = build(Dialect::Postgres);
        assert_eq!(
            postgres,
            "SELECT * FROM t WHERE a = $1 AND (b, c) IN ($2, $3) AND d = $4"
        );
        assert_eq!(args.len(), 4);
        let (sqlite, _) = build(Dialect::Sqlite);
        assert_eq!(
            sqlite,
            "SELECT * FROM t WHERE a = ? AND (b, c) IN (?, ?) AND d = ?"
        );
    }

    #[test]
    fn like_patterns_match_the_text_literally() {
        assert_eq!(contains_pattern("web_1%"), "%web\\_1\\%%");
        assert_eq!(contains_pattern("a\\b"), "%a\\\\b%");
    }
}
