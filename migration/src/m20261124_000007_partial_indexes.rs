//! Four indexes of `commission_events` narrowed to the rows their queries can ask for.
//!
//! An index holds an entry for every row, NULLs included, unless it is partial; each entry is
//! written when the row is inserted and again for every new row version (a payout claim sets
//! `payout_id`, an indexed column, so PostgreSQL writes a new version into every index). Four
//! of the indexes answer questions asked of a few rows only:
//! - `ix_events_payout`: the events *of a payout* — `payout_id IS NOT NULL`;
//! - `ix_events_original`: the adjustments *of a commission* — `original_event_id IS NOT NULL`;
//! - `ux_events_refund`: the event *of a refund*, unique — `refund_id IS NOT NULL` (NULLs were
//!   never in conflict, so uniqueness is unchanged);
//! - `ix_events_hold`: held events whose hold has ended — `status = 'pending'`, keyed by
//!   `hold_until` alone.
//!
//! A new payment's event now enters none of the first three, and a claimed (approved) one
//! none of the four. Every query that used them still implies the predicate — an equality on
//! the column implies it is not NULL; automatic approval names `'pending'` inline — so both
//! backends still use them, in generic plans too (`tests/contract/plans.rs`).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLE: &str = "commission_events";

/// One index, as it was and as it becomes.
struct Narrowed {
    name: &'static str,
    cols: &'static [&'static str],
    unique: bool,
    /// The columns of the new index, when they differ.
    new_cols: &'static [&'static str],
    /// The predicate of the new index.
    only: fn() -> SimpleExpr,
}

const NARROWED: [Narrowed; 4] = [
    Narrowed {
        name: "ix_events_payout",
        cols: &["payout_id"],
        unique: false,
        new_cols: &["payout_id"],
        only: || Expr::col(Alias::new("payout_id")).is_not_null(),
    },
    Narrowed {
        name: "ix_events_original",
        cols: &["original_event_id"],
        unique: false,
        new_cols: &["original_event_id"],
        only: || Expr::col(Alias::new("original_event_id")).is_not_null(),
    },
    Narrowed {
        name: "ux_events_refund",
        cols: &["tenant_id", "refund_id"],
        unique: true,
        new_cols: &["tenant_id", "refund_id"],
        only: || Expr::col(Alias::new("refund_id")).is_not_null(),
    },
    Narrowed {
        name: "ix_events_hold",
        cols: &["status", "hold_until"],
        unique: false,
        new_cols: &["hold_until"],
        only: || Expr::col(Alias::new("status")).eq("pending"),
    },
];

fn create(name: &str, cols: &[&str], unique: bool) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(Alias::new(TABLE));
    for c in cols {
        i.col(Alias::new(*c));
    }
    if unique {
        i.unique();
    }
    i.to_owned()
}

fn drop(name: &str) -> IndexDropStatement {
    Index::drop().name(name).table(Alias::new(TABLE)).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for n in &NARROWED {
            m.drop_index(drop(n.name)).await?;
            m.create_index(
                create(n.name, n.new_cols, n.unique)
                    .and_where((n.only)())
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for n in &NARROWED {
            m.drop_index(drop(n.name)).await?;
            m.create_index(create(n.name, n.cols, n.unique)).await?;
        }
        Ok(())
    }
}
