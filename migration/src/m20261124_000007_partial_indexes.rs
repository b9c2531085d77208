//! Four indexes of `commission_events` narrowed to the rows their queries can ask for, and one
//! dropped.
//!
//! An index holds an entry for every row, NULLs included, unless it is partial; each entry is
//! written when the row is inserted and again for every new row version (a payout claim sets
//! `payout_id`, an indexed column, so PostgreSQL writes a new version into every index). Four
//! of the indexes answer questions asked of a few rows only:
//! - `ix_events_payout` → `ix_events_of_payout`: the events *of a payout* —
//!   `payout_id IS NOT NULL`;
//! - `ix_events_original` → `ix_events_of_original`: the adjustments *of a commission* —
//!   `original_event_id IS NOT NULL`;
//! - `ux_events_refund` → `ux_events_of_refund`: the event *of a refund*, unique —
//!   `refund_id IS NOT NULL` (NULLs were never in conflict, so uniqueness is unchanged);
//! - `ix_events_hold` → `ix_events_held_until`: held events whose hold has ended —
//!   `status = 'pending'`, keyed by `hold_until` alone.
//!
//! And `ix_events_payment (tenant_id, payment_id)` is dropped: a payment's commission is read
//! through `payments.event_id` (both primary keys), a refund's earlier adjustments through
//! `original_event_id`.
//!
//! New names, `IF NOT EXISTS`: on a large ledger an operator builds them beforehand with
//! `CREATE INDEX CONCURRENTLY` (which cannot run in a migration's transaction), so writes are
//! not blocked while they build; the migration then only drops the old ones.
//!
//! A new payment's event now enters none of the first three, and a claimed (approved) one
//! none of the four; neither enters the dropped one. Every query that used them still implies the predicate — an equality on
//! the column implies it is not NULL; automatic approval names `'pending'` inline — so both
//! backends still use them, in generic plans too (`tests/contract/plans.rs`).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLE: &str = "commission_events";

/// One index as it was, and its narrowed successor (a new name, so an operator can build it
/// beforehand with `CREATE INDEX CONCURRENTLY`; `docs/operations.md`).
struct Narrowed {
    old: &'static str,
    cols: &'static [&'static str],
    unique: bool,
    new: &'static str,
    new_cols: &'static [&'static str],
    /// The predicate of the new index.
    only: fn() -> Expr,
}

const NARROWED: [Narrowed; 4] = [
    Narrowed {
        old: "ix_events_payout",
        cols: &["payout_id"],
        unique: false,
        new: "ix_events_of_payout",
        new_cols: &["payout_id"],
        only: || Expr::col(Alias::new("payout_id")).is_not_null(),
    },
    Narrowed {
        old: "ix_events_original",
        cols: &["original_event_id"],
        unique: false,
        new: "ix_events_of_original",
        new_cols: &["original_event_id"],
        only: || Expr::col(Alias::new("original_event_id")).is_not_null(),
    },
    Narrowed {
        old: "ux_events_refund",
        cols: &["tenant_id", "refund_id"],
        unique: true,
        new: "ux_events_of_refund",
        new_cols: &["tenant_id", "refund_id"],
        only: || Expr::col(Alias::new("refund_id")).is_not_null(),
    },
    Narrowed {
        old: "ix_events_hold",
        cols: &["status", "hold_until"],
        unique: false,
        new: "ix_events_held_until",
        new_cols: &["hold_until"],
        only: || Expr::col(Alias::new("status")).eq("pending"),
    },
];

fn create(name: &str, cols: &[&str], unique: bool) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(Alias::new(TABLE)).if_not_exists();
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

/// Dropped: a payment's commission is found through `payments.event_id` and a refund's
/// adjustments through `original_event_id`, so no query needs the payment id of the events.
const DROPPED: (&str, &[&str]) = ("ix_events_payment", &["tenant_id", "payment_id"]);

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(drop(DROPPED.0)).await?;
        for n in &NARROWED {
            m.create_index(
                create(n.new, n.new_cols, n.unique)
                    .and_where((n.only)())
                    .to_owned(),
            )
            .await?;
            m.drop_index(drop(n.old)).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(create(DROPPED.0, DROPPED.1, false)).await?;
        for n in &NARROWED {
            m.create_index(create(n.old, n.cols, n.unique)).await?;
            m.drop_index(drop(n.new)).await?;
        }
        Ok(())
    }
}
