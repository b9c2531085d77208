//! Indexes in the exact order of the lists, so a page is read by walking an index backwards
//! from its position — by offset or by cursor — and never sorted.
//!
//! Lists are ordered `event_date DESC, id DESC` (payouts: `created_at DESC, id DESC`). The old
//! indexes stopped at the date, so ties needed a sort and a cursor's `(date, id)` position
//! could not be sought. Each new index extends an old one by `id` and replaces it: every query
//! the old one served (its columns are a prefix of the new one) the new one serves, and
//! `commission_events` keeps the same number of indexes to maintain on ingestion.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// One replacement: the old index, and the new one with `id` appended.
struct Swap {
    table: &'static str,
    old: &'static str,
    new: &'static str,
    cols: &'static [&'static str],
}

const SWAPS: &[Swap] = &[
    // The portal's list of a partner: partner, newest first.
    Swap {
        table: "commission_events",
        old: "ix_events_partner_date",
        new: "ix_events_partner_date_id",
        cols: &["tenant_id", "partner_id", "event_date"],
    },
    // …and of one status; metrics also read by partner, status and date.
    Swap {
        table: "commission_events",
        old: "ix_events_partner_status_date",
        new: "ix_events_partner_status_date_id",
        cols: &["tenant_id", "partner_id", "status", "event_date"],
    },
    Swap {
        table: "payouts",
        old: "ix_payouts_partner_status",
        new: "ix_payouts_partner_status_created_id",
        cols: &["tenant_id", "partner_id", "status", "created_at"],
    },
    Swap {
        table: "payouts",
        old: "ix_payouts_tenant_created",
        new: "ix_payouts_tenant_created_id",
        cols: &["tenant_id", "created_at"],
    },
];

// `IF [NOT] EXISTS`: an operator may build the new indexes beforehand with
// `CREATE INDEX CONCURRENTLY` (which cannot run in a migration's transaction), so a large
// ledger's writes are not blocked while they build.
fn index(name: &str, table: &str, cols: &[&str], with_id: bool) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(Alias::new(table)).if_not_exists();
    for c in cols {
        i.col(Alias::new(*c));
    }
    if with_id {
        i.col(Alias::new("id"));
    }
    i.to_owned()
}

fn unindex(name: &str, table: &str) -> IndexDropStatement {
    Index::drop()
        .name(name)
        .table(Alias::new(table))
        .if_exists()
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // New before old, so no list is ever left without its index.
        for s in SWAPS {
            m.create_index(index(s.new, s.table, s.cols, true)).await?;
            m.drop_index(unindex(s.old, s.table)).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for s in SWAPS.iter().rev() {
            m.create_index(index(s.old, s.table, s.cols, false)).await?;
            m.drop_index(unindex(s.new, s.table)).await?;
        }
        Ok(())
    }
}
