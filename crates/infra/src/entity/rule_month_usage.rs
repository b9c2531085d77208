//! `rule_month_usages`: Σ `amount_minor` of the `invoice_payment` events a rule produced per
//! currency and UTC month (cap usage), kept by triggers on `commission_events` (never written
//! by the application).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rule_month_usages")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub rule_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub currency: String,
    /// `year × 12 + month − 1` of the UTC month.
    #[sea_orm(primary_key, auto_increment = false)]
    pub month: i64,
    pub amount_minor: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
