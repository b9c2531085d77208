//! SeaORM entities: one per table of the migration, the storage shape of the domain types.

pub mod audit_log;
pub mod commission_event;
pub mod commission_rule;
pub mod customer;
pub mod idempotency_key;
pub mod partner;
pub mod partner_account;
pub mod partner_daily_total;
pub mod partner_month_volume;
pub mod partner_user;
pub mod payment;
pub mod payout;
pub mod refund;
pub mod rule_month_usage;
pub mod staff_user;
pub mod tenant;
