//! The triggers on `commission_events` that keep totals (daily, monthly): created and dropped
//! alike by the migrations that own them.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

/// Runs `statements` of the backend: a trigger set's functions and triggers.
pub(crate) async fn create(
    m: &SchemaManager<'_>,
    what: &str,
    postgres: fn() -> Vec<String>,
    sqlite: fn() -> Vec<String>,
) -> Result<(), DbErr> {
    let statements = match m.get_database_backend() {
        DbBackend::Postgres => postgres(),
        DbBackend::Sqlite => sqlite(),
        other => {
            return Err(DbErr::Migration(format!(
                "{what}: unsupported backend {other:?}"
            )));
        }
    };
    let db = m.get_connection();
    for sql in statements {
        db.execute_unprepared(&sql).await?;
    }
    Ok(())
}

/// Drops the triggers `names` (and, on PostgreSQL, their functions of the same names).
pub(crate) async fn drop(m: &SchemaManager<'_>, names: &[&str]) -> Result<(), DbErr> {
    let db = m.get_connection();
    let postgres = m.get_database_backend() == DbBackend::Postgres;
    for name in names {
        if postgres {
            db.execute_unprepared(&format!(
                "DROP TRIGGER IF EXISTS {name} ON commission_events"
            ))
            .await?;
            db.execute_unprepared(&format!("DROP FUNCTION IF EXISTS {name}()"))
                .await?;
        } else {
            db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {name}"))
                .await?;
        }
    }
    Ok(())
}
