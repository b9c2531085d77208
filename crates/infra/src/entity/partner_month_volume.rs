//! `partner_month_volumes`: Σ `base_minor` of a partner's `invoice_payment` events per currency
//! and UTC month (tier volume), kept by triggers on `commission_events` (never written by the
//! application).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "partner_month_volumes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub partner_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub currency: String,
    /// `year × 12 + month − 1` of the UTC month.
    #[sea_orm(primary_key, auto_increment = false)]
    pub month: i64,
    pub base_minor: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
