//! `refunds`: every accepted refund and its outcome (idempotency by `(tenant, refund_id)`).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "refunds")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub refund_id: String,
    pub payment_id: String,
    pub amount_minor: i64,
    pub currency: String,
    pub refunded_at: i64,
    pub outcome: String,
    pub event_id: Option<Uuid>,
    pub recorded_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
