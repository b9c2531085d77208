//! `commission_rules`.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "commission_rules")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub partner_id: Uuid,
    pub name: String,
    pub model: String,
    pub rate_micros: Option<i64>,
    pub fee_minor: Option<i64>,
    pub fee_currency: Option<String>,
    pub tiers: Option<String>,
    pub product_ids: String,
    pub customer_ids: String,
    pub effective_from: i64,
    pub effective_to: Option<i64>,
    pub priority: i32,
    pub max_duration_months: Option<i32>,
    pub cap_minor: Option<i64>,
    pub cap_currency: Option<String>,
    pub active: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
