//! `payments`: every accepted payment and its outcome (idempotency by `(tenant, payment_id)`).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub payment_id: String,
    pub invoice_id: String,
    pub invoice_number: Option<String>,
    pub customer_id: String,
    pub amount_minor: i64,
    pub currency: String,
    pub paid_at: i64,
    pub product_ids: String,
    pub outcome: String,
    pub partner_id: Option<Uuid>,
    pub event_id: Option<Uuid>,
    pub recorded_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
