//! The bench database (a fresh one per invocation), the connections, and the raw statements
//! of the floors.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use clap::ValueEnum;
use revshare_infra::{DatabaseConnection, DbConfig, connect, migrate_up};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DbBackend, EntityTrait, IdenStatic, Iterable,
    ModelTrait, Statement, Value,
};

/// `--db`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DbKind {
    Sqlite,
    Postgres,
}

impl DbKind {
    /// `sqlite` or `postgres`.
    pub fn name(self) -> &'static str {
        match self {
            DbKind::Sqlite => "sqlite",
            DbKind::Postgres => "postgres",
        }
    }
}

/// The admin URL used when `--database-url` is not a PostgreSQL URL.
pub const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Creates the bench database afresh (dropping what an earlier run left), migrates it and
/// answers its URL.
pub async fn prepare(
    kind: DbKind,
    profile: &str,
    admin_url: &str,
    bench_dir: &Path,
) -> anyhow::Result<String> {
    let main = format!("revshare_bench_{profile}");
    let url = match kind {
        DbKind::Postgres => {
            let admin = Database::connect(admin_url)
                .await
                .context("connecting to the PostgreSQL admin URL")?;
            admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{main}\" WITH (FORCE)"))
                .await
                .with_context(|| format!("dropping {main}"))?;
            admin
                .execute_unprepared(&format!("CREATE DATABASE \"{main}\""))
                .await
                .with_context(|| format!("creating {main}"))?;
            admin.close().await.ok();
            with_database(admin_url, &main)?
        }
        DbKind::Sqlite => {
            std::fs::create_dir_all(bench_dir)
                .with_context(|| format!("creating {}", bench_dir.display()))?;
            let path = bench_dir.join(format!("{main}.db"));
            for suffix in ["", "-wal", "-shm"] {
                let p = format!("{}{suffix}", path.display());
                match std::fs::remove_file(&p) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e).with_context(|| format!("removing {p}")),
                }
            }
            format!("sqlite://{}?mode=rwc", path.display())
        }
    };
    let db = measured(&url).await?;
    migrate_up(&db).await.context("migrating")?;
    db.close().await.ok();
    Ok(url)
}

/// `admin` with its database name replaced by `name`.
pub fn with_database(admin: &str, name: &str) -> anyhow::Result<String> {
    let (base, query) = match admin.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (admin, None),
    };
    let rest = base
        .split_once("://")
        .map(|(_, r)| r)
        .context("the admin URL has no scheme")?;
    let base = match rest.find('/') {
        Some(_) => base.rsplit_once('/').map(|(b, _)| b).unwrap_or(base),
        None => base,
    };
    Ok(match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    })
}

/// A pool with the server's own settings (durable commits): every measured figure uses one.
pub async fn measured(url: &str) -> anyhow::Result<DatabaseConnection> {
    connect(&DbConfig::new(url))
        .await
        .context("connecting to the bench database")
}

/// A pool for loading the dataset only: commits do not wait for the disk
/// (`synchronous_commit = off` on PostgreSQL, `synchronous = OFF` on SQLite). What is written
/// is the same; how fast the dataset loads is not one of the figures.
pub async fn loader(url: &str, connections: u32) -> anyhow::Result<DatabaseConnection> {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.sqlx_logging(false)
        .acquire_timeout(Duration::from_secs(60));
    if url.starts_with("sqlite:") {
        opts.max_connections(1)
            .min_connections(1)
            .map_sqlx_sqlite_opts(|o| {
                o.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Off)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(30))
            });
    } else {
        opts.max_connections(connections.max(1))
            .map_sqlx_postgres_opts(|o| o.options([("synchronous_commit", "off")]));
    }
    Database::connect(opts)
        .await
        .context("connecting to load the dataset")
}

/// After the load: fresh planner statistics (PostgreSQL; autovacuum would get there later)
/// and the SQLite write-ahead log folded into the database file.
pub async fn settle(db: &DatabaseConnection) -> anyhow::Result<()> {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            db.execute_unprepared("VACUUM ANALYZE").await?;
        }
        _ => {
            db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
                .await?;
        }
    }
    Ok(())
}

/// The server's version, as the report names it (for PostgreSQL, whether autovacuum runs and
/// the memory and WAL settings that weigh on a large ledger's writes).
pub async fn version(db: &DatabaseConnection) -> anyhow::Result<String> {
    let (sql, prefix) = match db.get_database_backend() {
        DbBackend::Postgres => (
            "SELECT split_part(current_setting('server_version'), ' ', 1) || \
             ' (autovacuum ' || current_setting('autovacuum') || \
             ', shared_buffers ' || current_setting('shared_buffers') || \
             ', max_wal_size ' || current_setting('max_wal_size') || ')' AS v",
            "PostgreSQL",
        ),
        _ => ("SELECT sqlite_version() AS v", "SQLite"),
    };
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?
        .context("no version")?;
    let v: String = row.try_get("", "v")?;
    Ok(format!("{prefix} {v}"))
}

/// Microseconds in a UTC day: instants are stored as microseconds, and
/// `partner_daily_totals.day` is `event_date / MICROS_PER_DAY`.
pub const MICROS_PER_DAY: i64 = 86_400_000_000;

/// A raw statement written with `?` placeholders, numbered `$1, $2, …` for PostgreSQL.
pub fn raw(backend: DbBackend, sql: &str, values: Vec<Value>) -> Statement {
    let sql = match backend {
        DbBackend::Postgres => numbered(sql),
        _ => sql.to_owned(),
    };
    Statement::from_sql_and_values(backend, sql, values)
}

fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(c);
        }
    }
    out
}

/// One multi-row `INSERT` of `rows`, every column bound as a parameter, written by hand
/// (no query builder, no `RETURNING`).
pub fn insert_rows<E: EntityTrait>(backend: DbBackend, rows: &[E::Model]) -> Statement
where
    E::Model: ModelTrait<Entity = E>,
{
    let columns: Vec<E::Column> = E::Column::iter().collect();
    let names: Vec<String> = columns
        .iter()
        .map(|c| format!("\"{}\"", c.as_str()))
        .collect();
    let mut sql = format!(
        "INSERT INTO \"{}\" ({}) VALUES ",
        E::default().table_name(),
        names.join(", ")
    );
    let mut values = Vec::with_capacity(rows.len() * columns.len());
    let tuple = format!("({})", vec!["?"; columns.len()].join(", "));
    for (i, row) in rows.iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&tuple);
        values.extend(columns.iter().map(|c| row.get(*c)));
    }
    raw(backend, &sql, values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_names_are_swapped() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "x").unwrap(),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("postgres://u:p@h/db?sslmode=disable", "x").unwrap(),
            "postgres://u:p@h/x?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://u@h:5432", "x").unwrap(),
            "postgres://u@h:5432/x"
        );
    }

    #[test]
    fn placeholders_are_numbered_for_postgres() {
        let s = raw(
            DbBackend::Postgres,
            "SELECT a FROM t WHERE b = ? AND c IN (?, ?)",
            vec![1.into(), 2.into(), 3.into()],
        );
        assert_eq!(s.sql, "SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)");
        let s = raw(DbBackend::Sqlite, "SELECT ?", vec![1.into()]);
        assert_eq!(s.sql, "SELECT ?");
    }

    #[test]
    fn multi_row_inserts_bind_every_column() {
        use revshare_infra::entity::customer;
        let rows = vec![
            customer::Model {
                tenant_id: uuid::Uuid::nil(),
                customer_id: "a".into(),
                lock_seq: 0,
            },
            customer::Model {
                tenant_id: uuid::Uuid::nil(),
                customer_id: "b".into(),
                lock_seq: 1,
            },
        ];
        let s = insert_rows::<customer::Entity>(DbBackend::Postgres, &rows);
        assert_eq!(
            s.sql,
            "INSERT INTO \"customers\" (\"tenant_id\", \"customer_id\", \"lock_seq\") VALUES \
             ($1, $2, $3), ($4, $5, $6)"
        );
        assert_eq!(s.values.map(|v| v.0.len()), Some(6));
    }
}
