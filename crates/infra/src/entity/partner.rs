//! `partners`.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "partners")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub partner_number: String,
    pub name: String,
    pub status: String,
    pub tier: String,
    pub default_model: Option<String>,
    pub default_rate_micros: Option<i64>,
    pub default_fee_minor: Option<i64>,
    pub default_fee_currency: Option<String>,
    pub default_tiers: Option<String>,
    pub hold_days: i32,
    pub minimum_payouts: String,
    pub contact_email: Option<String>,
    pub tax_id: Option<String>,
    pub lock_seq: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
