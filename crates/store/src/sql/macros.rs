//! Expanding one query body for both backends.

/// Runs `$body` with `$pool` bound to the pool for reads: the SQLite reader pool or the
/// PostgreSQL pool. The body is compiled once per backend, against concrete types.
macro_rules! on_reader {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::sql::Db::Sqlite { reader: $pool, .. } => $body,
            $crate::sql::Db::Postgres($pool) => $body,
        }
    };
}

/// Like [`on_reader!`] for writes: the single SQLite writer connection or the
/// PostgreSQL pool.
macro_rules! on_writer {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::sql::Db::Sqlite { writer: $pool, .. } => $body,
            $crate::sql::Db::Postgres($pool) => $body,
        }
    };
}

/// Binds the values of an [`Args`](super::args::Args) list, in order, to a query.
macro_rules! bind_args {
    ($query:expr, $args:expr) => {{
        let mut query = $query;
        for arg in $args {
            query = match arg {
                $crate::sql::args::Arg::Text(v) => query.bind(v),
                $crate::sql::args::Arg::Int(v) => query.bind(v),
                $crate::sql::args::Arg::Real(v) => query.bind(v),
                $crate::sql::args::Arg::Bool(v) => query.bind(v),
                $crate::sql::args::Arg::Id(v) => query.bind(v),
                $crate::sql::args::Arg::Time(v) => query.bind(v),
                $crate::sql::args::Arg::Json(v) => query.bind(v),
                $crate::sql::args::Arg::Bytes(v) => query.bind(v),
            };
        }
        query
    }};
}
