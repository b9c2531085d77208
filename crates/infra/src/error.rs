//! The infra boundary for errors: driver errors become domain [`StoreError`]s here, and only
//! here. Unique violations become conflicts; lost connections become "unavailable".

use revshare_domain::StoreError;
use sea_orm::{DbErr, SqlErr};

/// Maps a SeaORM error to the domain's store error.
pub(crate) fn store_err(e: DbErr) -> StoreError {
    if let Some(SqlErr::UniqueConstraintViolation(msg)) = e.sql_err() {
        return StoreError::Conflict(msg);
    }
    match e {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => StoreError::Unavailable(e.to_string()),
        other => {
            let text = other.to_string();
            // The pool surfaces a dropped server as an I/O error inside a query error.
            if text.contains("Connection refused")
                || text.contains("connection closed")
                || text.contains("PoolTimedOut")
            {
                StoreError::Unavailable(text)
            } else {
                StoreError::Internal(text)
            }
        }
    }
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
