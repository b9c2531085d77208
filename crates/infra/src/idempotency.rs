//! `IdempotencyStore` on SeaORM. A key is reserved by inserting its row; the primary key makes
//! the reservation atomic, so two concurrent requests with one key never both run.

use async_trait::async_trait;
use revshare_domain::StoreError;
use revshare_domain::port::{IdempotencyStore, Reservation};
use revshare_domain::value::TenantId;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, TryInsertResult};
use time::OffsetDateTime;

use crate::convert::micros;
use crate::entity::idempotency_key as key_row;
use crate::error::OrStore;

/// Idempotency keys on a SeaORM pool.
#[derive(Debug, Clone)]
pub struct SeaIdempotencyStore {
    db: DatabaseConnection,
}

impl SeaIdempotencyStore {
    /// Wraps a pool; the schema must be migrated.
    pub fn new(db: DatabaseConnection) -> Self {
        SeaIdempotencyStore { db }
    }

    fn filter(tenant: TenantId, principal: &str, key: &str) -> sea_orm::Condition {
        sea_orm::Condition::all()
            .add(key_row::Column::TenantId.eq(tenant.uuid()))
            .add(key_row::Column::Principal.eq(principal))
            .add(key_row::Column::Key.eq(key))
    }
}

#[async_trait]
impl IdempotencyStore for SeaIdempotencyStore {
    async fn reserve(
        &self,
        tenant: TenantId,
        principal: &str,
        key: &str,
        request_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Reservation, StoreError> {
        let row = key_row::ActiveModel {
            tenant_id: Set(tenant.uuid()),
            principal: Set(principal.to_owned()),
            key: Set(key.to_owned()),
            request_hash: Set(request_hash.to_owned()),
            status: Set(None),
            body: Set(None),
            created_at: Set(micros(now)),
        };
        let inserted = key_row::Entity::insert(row)
            .on_conflict_do_nothing_on([
                key_row::Column::TenantId,
                key_row::Column::Principal,
                key_row::Column::Key,
            ])
            .exec_without_returning(&self.db)
            .await
            .or_store()?;
        if matches!(inserted, TryInsertResult::Inserted(n) if n > 0) {
            return Ok(Reservation::Reserved);
        }
        let existing = key_row::Entity::find()
            .filter(Self::filter(tenant, principal, key))
            .one(&self.db)
            .await
            .or_store()?
            .ok_or_else(|| StoreError::Internal("idempotency key vanished".into()))?;
        Ok(match (existing.status, existing.body) {
            (Some(status), Some(body)) => Reservation::Completed {
                request_hash: existing.request_hash,
                status: u16::try_from(status).unwrap_or(500),
                body,
            },
            _ => Reservation::InProgress {
                request_hash: existing.request_hash,
            },
        })
    }

    async fn complete(
        &self,
        tenant: TenantId,
        principal: &str,
        key: &str,
        status: u16,
        body: &str,
    ) -> Result<(), StoreError> {
        key_row::Entity::update_many()
            .col_expr(key_row::Column::Status, Expr::val(i32::from(status)))
            .col_expr(key_row::Column::Body, Expr::val(body.to_owned()))
            .filter(Self::filter(tenant, principal, key))
            .exec(&self.db)
            .await
            .or_store()?;
        Ok(())
    }

    async fn release(
        &self,
        tenant: TenantId,
        principal: &str,
        key: &str,
    ) -> Result<(), StoreError> {
        key_row::Entity::delete_many()
            .filter(Self::filter(tenant, principal, key))
            .exec(&self.db)
            .await
            .or_store()?;
        Ok(())
    }
}
