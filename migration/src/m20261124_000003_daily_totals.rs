//! Per-partner daily totals of the commission ledger, maintained by triggers on
//! `commission_events`.
//!
//! Revenue metrics read whole UTC days from `partner_daily_totals` instead of scanning a
//! partner's events, so they stay fast however many events a partner has. The totals are kept
//! by database triggers rather than by the application: every statement that writes events —
//! single and multi-row inserts, status moves, bulk approvals, payout claims and completions,
//! and any write path added later — updates them in its own transaction, atomically.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum PartnerDailyTotals {
    Table,
    TenantId,
    PartnerId,
    Status,
    Day,
    Currency,
    AmountMinor,
    EventCount,
}

/// `event_date` (microseconds, always positive) → UTC day number, by integer division on both
/// backends. A literal, so PostgreSQL sees equal expressions in SELECT and GROUP BY.
const DAY: &str = "event_date / 86400000000";

/// The key of a totals row, in the order upserts take row locks.
const KEY: &str = "tenant_id, partner_id, status, day, currency";

const TRIGGERS: [&str; 3] = [
    "revshare_daily_totals_insert",
    "revshare_daily_totals_update",
    "revshare_daily_totals_delete",
];

/// PostgreSQL: adds the net deltas of `source` (rows of the key, `amount_delta`,
/// `count_delta`) to the totals. Keys whose deltas cancel out write nothing (a payout claim
/// setting only `payout_id` moves no money); ORDER BY the key makes concurrent statements
/// lock totals rows in one global order, so they cannot deadlock on each other.
fn pg_apply(source: &str) -> String {
    format!(
        "INSERT INTO partner_daily_totals AS t \
           (tenant_id, partner_id, status, day, currency, amount_minor, event_count) \
         SELECT {KEY}, CAST(SUM(amount_delta) AS BIGINT), CAST(SUM(count_delta) AS BIGINT) \
         FROM ({source}) AS d \
         GROUP BY {KEY} \
         HAVING SUM(count_delta) <> 0 OR SUM(amount_delta) <> 0 \
         ORDER BY {KEY} \
         ON CONFLICT ({KEY}) DO UPDATE SET \
           amount_minor = t.amount_minor + EXCLUDED.amount_minor, \
           event_count = t.event_count + EXCLUDED.event_count"
    )
}

/// Rows of a transition table as signed deltas.
fn pg_rows(table: &str, sign: &str) -> String {
    format!(
        "SELECT tenant_id, partner_id, status, {DAY} AS day, currency, \
           {sign}amount_minor AS amount_delta, {sign}1 AS count_delta FROM {table}"
    )
}

/// PostgreSQL: one statement-level trigger per event type (transition tables are refused on
/// multi-event and column-list triggers), each over the rows its statement changed.
fn pg_statements() -> Vec<String> {
    let bodies = [
        (
            TRIGGERS[0],
            "INSERT",
            "REFERENCING NEW TABLE AS revshare_new",
            pg_apply(&pg_rows("revshare_new", "")),
        ),
        (
            TRIGGERS[1],
            "UPDATE",
            "REFERENCING OLD TABLE AS revshare_old NEW TABLE AS revshare_new",
            pg_apply(&format!(
                "{} UNION ALL {}",
                pg_rows("revshare_old", "-"),
                pg_rows("revshare_new", "")
            )),
        ),
        (
            TRIGGERS[2],
            "DELETE",
            "REFERENCING OLD TABLE AS revshare_old",
            pg_apply(&pg_rows("revshare_old", "-")),
        ),
    ];
    let mut out = Vec::new();
    for (name, event, referencing, body) in bodies {
        out.push(format!(
            "CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n\
             BEGIN\n  {body};\n  RETURN NULL;\nEND\n$$"
        ));
        out.push(format!(
            "CREATE TRIGGER {name} AFTER {event} ON commission_events {referencing} \
             FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
        ));
    }
    out
}

/// SQLite: adds one row's delta (`row` is `NEW` or `OLD`) to the totals.
fn sqlite_apply(row: &str, sign: &str) -> String {
    format!(
        "INSERT INTO partner_daily_totals \
           (tenant_id, partner_id, status, day, currency, amount_minor, event_count) \
         VALUES ({row}.tenant_id, {row}.partner_id, {row}.status, {row}.{DAY}, {row}.currency, \
           {sign}{row}.amount_minor, {sign}1) \
         ON CONFLICT ({KEY}) DO UPDATE SET \
           amount_minor = amount_minor + excluded.amount_minor, \
           event_count = event_count + excluded.event_count;"
    )
}

/// SQLite has row-level triggers only; an update fires only when it moves a row between keys
/// or changes its amount.
fn sqlite_statements() -> Vec<String> {
    vec![
        format!(
            "CREATE TRIGGER {} AFTER INSERT ON commission_events BEGIN {} END",
            TRIGGERS[0],
            sqlite_apply("NEW", "")
        ),
        format!(
            "CREATE TRIGGER {} AFTER UPDATE OF tenant_id, partner_id, status, amount_minor, \
             event_date, currency ON commission_events \
             WHEN OLD.tenant_id IS NOT NEW.tenant_id OR OLD.partner_id IS NOT NEW.partner_id \
               OR OLD.status IS NOT NEW.status OR OLD.amount_minor IS NOT NEW.amount_minor \
               OR (OLD.{DAY}) IS NOT (NEW.{DAY}) OR OLD.currency IS NOT NEW.currency \
             BEGIN {} {} END",
            TRIGGERS[1],
            sqlite_apply("OLD", "-"),
            sqlite_apply("NEW", "")
        ),
        format!(
            "CREATE TRIGGER {} AFTER DELETE ON commission_events BEGIN {} END",
            TRIGGERS[2],
            sqlite_apply("OLD", "-")
        ),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// Table, triggers and backfill in one transaction on both backends: creating the triggers
    /// locks `commission_events` against writers on PostgreSQL, so no event is counted twice or
    /// missed between the backfill and the triggers.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let status = PartnerDailyTotals::Status;
        let mut status_col = string_len(status, 24);
        status_col.check(Expr::col(status).is_in(["pending", "approved", "paid", "rejected"]));
        m.create_table(
            Table::create()
                .table(PartnerDailyTotals::Table)
                .col(uuid(PartnerDailyTotals::TenantId))
                .col(uuid(PartnerDailyTotals::PartnerId))
                .col(status_col)
                .col(big_integer(PartnerDailyTotals::Day))
                .col(string_len(PartnerDailyTotals::Currency, 3))
                .col(big_integer(PartnerDailyTotals::AmountMinor))
                .col(big_integer(PartnerDailyTotals::EventCount))
                // Metrics read a partner's statuses over a range of days.
                .primary_key(
                    Index::create()
                        .col(PartnerDailyTotals::TenantId)
                        .col(PartnerDailyTotals::PartnerId)
                        .col(PartnerDailyTotals::Status)
                        .col(PartnerDailyTotals::Day)
                        .col(PartnerDailyTotals::Currency),
                )
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        crate::event_triggers::create(m, "daily totals", pg_statements, sqlite_statements).await?;
        db.execute_unprepared(&format!(
            "INSERT INTO partner_daily_totals \
               (tenant_id, partner_id, status, day, currency, amount_minor, event_count) \
             SELECT tenant_id, partner_id, status, {DAY}, currency, \
               CAST(SUM(amount_minor) AS BIGINT), CAST(COUNT(*) AS BIGINT) \
             FROM commission_events \
             GROUP BY tenant_id, partner_id, status, {DAY}, currency"
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        crate::event_triggers::drop(m, &TRIGGERS).await?;
        m.drop_table(Table::drop().table(PartnerDailyTotals::Table).to_owned())
            .await?;
        Ok(())
    }
}
