//! The infra boundary for errors: driver errors become domain [`StoreError`]s here, and only
//! here. Unique violations become conflicts; lost connections become "unavailable".

use revshare_domain::StoreError;
use sea_orm::{DbErr, SqlErr};

/// True when the driver error means the database cannot be reached right now: an I/O
/// failure, an exhausted or closed pool, or a PostgreSQL connection-class (`08…`) or
/// shutdown (`57P01`–`57P03`) SQLSTATE.
fn is_unavailable(e: &DbErr) -> bool {
    use sea_orm::{RuntimeErr, sqlx};
    let sqlx_err = match e {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => return true,
        DbErr::Query(RuntimeErr::SqlxError(x)) | DbErr::Exec(RuntimeErr::SqlxError(x)) => x,
        _ => return false,
    };
    match &**sqlx_err {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|c| {
            c.starts_with("08") || matches!(c.as_ref(), "57P01" | "57P02" | "57P03")
        }),
        _ => false,
    }
}

/// True when PostgreSQL aborted the transaction to break a deadlock (`40P01`) or a
/// serialization conflict (`40001`): a retry of the whole transaction is safe.
fn is_contention(e: &DbErr) -> bool {
    use sea_orm::{RuntimeErr, sqlx};
    let (DbErr::Query(RuntimeErr::SqlxError(x)) | DbErr::Exec(RuntimeErr::SqlxError(x))) = e else {
        return false;
    };
    match &**x {
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|c| matches!(c.as_ref(), "40P01" | "40001")),
        _ => false,
    }
}

/// Maps a SeaORM error to the domain's store error.
pub(crate) fn store_err(e: DbErr) -> StoreError {
    if let Some(SqlErr::UniqueConstraintViolation(msg)) = e.sql_err() {
        return StoreError::Conflict(msg);
    }
    if is_contention(&e) {
        return StoreError::Contention(e.to_string());
    }
    if is_unavailable(&e) {
        return StoreError::Unavailable(e.to_string());
    }
    StoreError::Internal(e.to_string())
}

/// `?` on SeaORM results inside the adapters.
pub(crate) trait OrStore<T> {
    fn or_store(self) -> Result<T, StoreError>;
}

impl<T> OrStore<T> for Result<T, DbErr> {
    fn or_store(self) -> Result<T, StoreError> {
        self.map_err(store_err)
    }
}
