//! The revshare schema: one migration set for PostgreSQL and SQLite.
//!
//! Conventions, chosen so both backends are exact and behave alike:
//! - money is `BIGINT` minor units beside a `currency` code; rates are `BIGINT` millionths;
//! - instants are `BIGINT` microseconds since the Unix epoch, UTC (SQLite has no instant type,
//!   and text timestamps compare wrongly across formats);
//! - enums are short strings with a `CHECK` constraint (portable; no `CREATE TYPE`);
//! - every table carries `tenant_id`, and every unique key and hot index starts with it.

pub use sea_orm_migration::prelude::*;

mod event_triggers;
mod m20261124_000001_ledger;
mod m20261124_000002_access;
mod m20261124_000003_daily_totals;
mod m20261124_000004_list_indexes;
mod m20261124_000005_plan_indexes;
mod m20261124_000006_month_totals;
mod m20261124_000007_partial_indexes;
mod m20261125_000008_payout_references;

pub use m20261124_000006_month_totals::event_month_sql;

/// Every migration, in order.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261124_000001_ledger::Migration),
            Box::new(m20261124_000002_access::Migration),
            Box::new(m20261124_000003_daily_totals::Migration),
            Box::new(m20261124_000004_list_indexes::Migration),
            Box::new(m20261124_000005_plan_indexes::Migration),
            Box::new(m20261124_000006_month_totals::Migration),
            Box::new(m20261124_000007_partial_indexes::Migration),
            Box::new(m20261125_000008_payout_references::Migration),
        ]
    }
}
