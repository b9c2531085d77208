//! `commission_events`: the ledger.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "commission_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub partner_id: Uuid,
    pub event_type: String,
    pub status: String,
    pub amount_minor: i64,
    pub currency: String,
    pub event_date: i64,
    pub payment_id: Option<String>,
    pub refund_id: Option<String>,
    pub invoice_id: Option<String>,
    pub invoice_number: Option<String>,
    pub customer_id: Option<String>,
    pub base_minor: Option<i64>,
    pub rate_micros: Option<i64>,
    pub fee_minor: Option<i64>,
    pub rule_id: Option<Uuid>,
    pub terms_source: String,
    pub original_event_id: Option<Uuid>,
    pub hold_until: Option<i64>,
    pub payout_id: Option<Uuid>,
    pub approved_at: Option<i64>,
    pub paid_at: Option<i64>,
    pub rejected_at: Option<i64>,
    pub rejection_reason: Option<String>,
    pub note: Option<String>,
    pub created_by: String,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
