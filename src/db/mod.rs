//! Storage adapter: SQLite (embedded default) and PostgreSQL behind one
//! connection type, an r2d2 pool, embedded migrations and the transaction
//! helper that every audited write goes through.

pub mod models;
pub mod schema;
pub mod types;

use std::path::PathBuf;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};
use diesel::sqlite::SqliteConnection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgresql");

/// One connection type for both backends; the variant is chosen by URL scheme.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

pub type Pool = r2d2::Pool<DbManager>;
pub type PooledConn = r2d2::PooledConnection<DbManager>;

/// Where the database lives, parsed from `DATABASE_URL`. An unknown scheme is
/// an error rather than a silently created SQLite file named after the URL.
#[derive(Clone, PartialEq, Eq)]
pub enum DbTarget {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DbTarget {
    pub fn parse(url: &str) -> Result<Self, String> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(
                    "DATABASE_URL sqlite:// needs a file path, e.g. sqlite://./releasegate.db"
                        .into(),
                );
            }
            Ok(Self::Sqlite(PathBuf::from(path)))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres(url.to_string()))
        } else {
            Err(format!(
                "DATABASE_URL must start with sqlite:// or postgres://, got {:?}",
                redact_url(url)
            ))
        }
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgresql",
        }
    }
}

impl std::fmt::Debug for DbTarget {
    // Never print a PostgreSQL password into logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
            Self::Postgres(url) => f.write_str(&redact_url(url)),
        }
    }
}

/// The URL with its password replaced by `***`, for logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let creds = &url[scheme_end + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..scheme_end + 3], user, &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[derive(Debug)]
pub struct DbManager {
    target: DbTarget,
}

impl ManageConnection for DbManager {
    type Connection = DbConn;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConn, r2d2::Error> {
        match &self.target {
            DbTarget::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(&path.to_string_lossy())
                    .map_err(r2d2::Error::ConnectionError)?;
                // WAL lets readers proceed during a write; busy_timeout makes a
                // second writer wait instead of failing at once. FULL syncs the
                // WAL at every commit: an acknowledged decision survives a power
                // failure (NORMAL could lose the last commits; see
                // docs/security.md for what it costs).
                conn.batch_execute(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                )
                .map_err(r2d2::Error::QueryError)?;
                Ok(DbConn::Sqlite(conn))
            }
            DbTarget::Postgres(url) => PgConnection::establish(url)
                .map(DbConn::Postgres)
                .map_err(r2d2::Error::ConnectionError),
        }
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConn) -> bool {
        use diesel::r2d2::R2D2Connection;
        conn.is_broken()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("cannot create the directory for {0}: {1}")]
    Directory(PathBuf, std::io::Error),
    #[error("cannot open the database {target}: {source}")]
    Connect { target: String, source: r2d2::Error },
    #[error("cannot apply migrations: {0}")]
    Migrate(String),
    #[error("cannot build the connection pool: {0}")]
    Pool(#[from] r2d2::PoolError),
}

/// Opens (creating if needed) the database, applies pending migrations on a
/// dedicated connection, then builds the pool.
pub fn connect(target: &DbTarget, max_size: u32) -> Result<Pool, SetupError> {
    if let DbTarget::Sqlite(path) = target {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| SetupError::Directory(dir.to_path_buf(), e))?;
        }
    }
    let manager = DbManager {
        target: target.clone(),
    };
    let mut conn = manager.connect().map_err(|source| SetupError::Connect {
        target: format!("{target:?}"),
        source,
    })?;
    let applied = match &mut conn {
        DbConn::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
        DbConn::Postgres(c) => c
            .run_pending_migrations(POSTGRES_MIGRATIONS)
            .map(|v| v.len()),
    }
    .map_err(|e| SetupError::Migrate(e.to_string()))?;
    if applied > 0 {
        tracing::info!(
            applied,
            backend = target.backend(),
            "applied database migrations"
        );
    }
    drop(conn);
    r2d2::Pool::builder()
        .max_size(max_size)
        .connection_timeout(Duration::from_secs(30))
        .build(manager)
        .map_err(SetupError::Pool)
}

/// Inserts many rows with multi-row INSERTs. The multi-backend connection
/// has no batch insert, so this dispatches to the concrete connection; the
/// chunk keeps each statement under SQLite's bound-parameter limit. The
/// rows are moved into the statements: a row with a typed column
/// (`serialize_as`) inserts only by value.
#[macro_export]
macro_rules! insert_batch {
    ($conn:expr, $table:expr, $rows:expr) => {{
        use diesel::RunQueryDsl as _;
        let mut inserted = 0usize;
        let mut rows = $rows.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<_> = rows.by_ref().take(500).collect();
            inserted += match $conn {
                $crate::db::DbConn::Postgres(c) => {
                    diesel::insert_into($table).values(chunk).execute(c)?
                }
                $crate::db::DbConn::Sqlite(c) => {
                    diesel::insert_into($table).values(chunk).execute(c)?
                }
            };
        }
        inserted
    }};
}

/// `SELECT key, COUNT(*) … GROUP BY key` as a map from key to count: the
/// per-department tallies of the plan summary and the assessment report.
/// Keys with no row are absent (a count of 0), and so is a NULL key (pass
/// `Option<String>` as the key type for a nullable column).
#[macro_export]
macro_rules! count_per {
    ($conn:expr, $query:expr, $key:expr) => {
        $crate::count_per!($conn, $query, $key, String)
    };
    ($conn:expr, $query:expr, $key:expr, $key_type:ty) => {{
        let counts: Vec<($key_type, i64)> = $query
            .group_by($key)
            .select(($key, diesel::dsl::count_star()))
            .load($conn)?;
        counts
            .into_iter()
            .filter_map(|(key, n)| Option::<String>::from(key).map(|key| (key, n)))
            .collect::<std::collections::BTreeMap<String, i64>>()
    }};
}

/// Runs `f` in one read-only transaction that sees a single snapshot of the
/// database (REPEATABLE READ on PostgreSQL; on SQLite every read
/// transaction is one).
pub fn read_snapshot<T>(
    conn: &mut DbConn,
    f: impl FnOnce(&mut DbConn) -> QueryResult<T>,
) -> QueryResult<T> {
    conn.transaction(|conn| {
        if let DbConn::Postgres(_) = conn {
            conn.batch_execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")?;
        }
        f(conn)
    })
}

/// Runs `f` in a transaction that first takes the audit-chain lock (a write
/// to the single `audit_head` row). This serialises audited writers on both
/// backends: the chain stays gapless, and SQLite never has to upgrade a read
/// lock mid-transaction (which would fail instead of waiting).
pub fn write_tx<T, E>(
    conn: &mut DbConn,
    f: impl FnOnce(&mut DbConn) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    conn.transaction(|conn| {
        use schema::audit_head::dsl::*;
        diesel::update(audit_head.filter(id.eq(1)))
            .set(seq.eq(seq))
            .execute(conn)?;
        f(conn)
    })
}

diesel::define_sql_function!(
    /// SQL `lower`: case-insensitive search on both backends.
    fn lower(x: diesel::sql_types::Nullable<diesel::sql_types::Text>) -> diesel::sql_types::Nullable<diesel::sql_types::Text>
);

/// `%text%` for LIKE with `\` as the escape character.
pub fn contains_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.to_lowercase().chars() {
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
    fn parses_known_schemes_and_refuses_others() {
        assert_eq!(
            DbTarget::parse("sqlite://./releasegate.db").unwrap(),
            DbTarget::Sqlite(PathBuf::from("./releasegate.db"))
        );
        assert!(matches!(
            DbTarget::parse("postgres://u@h/db").unwrap(),
            DbTarget::Postgres(_)
        ));
        let err = DbTarget::parse("mysql://root:pw@h/db").unwrap_err();
        assert!(
            err.contains("sqlite:// or postgres://") && !err.contains("pw"),
            "{err}"
        );
        assert!(DbTarget::parse("sqlite://").is_err());
    }

    /// The two migration trees move in step: same migrations, same order.
    #[test]
    fn both_backends_have_the_same_migrations() {
        let names = |backend: &str| {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("migrations")
                .join(backend);
            let mut names: Vec<String> = std::fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            names
        };
        assert_eq!(names("sqlite"), names("postgresql"));
        assert!(names("sqlite").len() >= 2);
    }

    #[test]
    fn debug_hides_the_password() {
        let t = DbTarget::parse("postgres://rg:hunter2@db:5432/rg").unwrap();
        assert_eq!(format!("{t:?}"), "postgres://rg:***@db:5432/rg");
    }
}
