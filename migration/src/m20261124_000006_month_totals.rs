//! Monthly payment totals — a partner's tier volume and a rule's cap usage per currency and
//! UTC month — maintained by triggers on `commission_events`, in place of the two indexes
//! ingestion used to sum them from.
//!
//! Tier volume is the Σ `base_minor` of a partner's `invoice_payment` events in a currency and
//! month; cap usage the Σ `amount_minor` of the `invoice_payment` events a rule produced in a
//! currency and month; both over every status (SPEC: "any status"). Every batch of payments
//! read them with a `SUM` over the events of the month: at a million events for one partner,
//! ~43,000 rows and ~20 ms in each batch, inside the partner locks, and two indexes on
//! `commission_events` (`ix_events_partner_type_currency_date`, `ix_events_rule_date`) that
//! every insert and every payout claim had to update. Now a batch reads one row per key.
//!
//! As with `partner_daily_totals`, triggers rather than the application keep the totals, so
//! every statement that writes events — whoever writes it — updates them in its own
//! transaction. Inserts and deletes are statement-level on PostgreSQL (transition tables,
//! deltas in key order so concurrent statements lock totals rows in one order), row-level on
//! SQLite. Updates are row-level on both, and only for statements that set a column the
//! totals depend on: the application never changes those after an insert, and a payout claim
//! or a status move (which set other columns) must not pay for a trigger.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum PartnerMonthVolumes {
    Table,
    TenantId,
    PartnerId,
    Currency,
    Month,
    BaseMinor,
}

#[derive(DeriveIden, Clone, Copy)]
enum RuleMonthUsages {
    Table,
    TenantId,
    RuleId,
    Currency,
    Month,
    AmountMinor,
}

/// One kept total: its table, the key column beside tenant, currency and month, the value
/// column, what an event adds to it, and which events count.
struct Total {
    table: &'static str,
    key: &'static str,
    value: &'static str,
    adds: &'static str,
    counts: &'static str,
}

const TOTALS: [Total; 2] = [
    Total {
        table: "partner_month_volumes",
        key: "partner_id",
        value: "base_minor",
        adds: "COALESCE(base_minor, 0)",
        counts: "event_type = 'invoice_payment'",
    },
    Total {
        table: "rule_month_usages",
        key: "rule_id",
        value: "amount_minor",
        adds: "amount_minor",
        counts: "event_type = 'invoice_payment' AND rule_id IS NOT NULL",
    },
];

/// The columns the totals read from an event; an update setting none of them fires nothing.
const READS: [&str; 8] = [
    "tenant_id",
    "partner_id",
    "rule_id",
    "event_type",
    "currency",
    "event_date",
    "base_minor",
    "amount_minor",
];

/// The replaced indexes (name, columns), dropped by `up` and rebuilt by `down`.
const REPLACED: [(&str, &[&str]); 2] = [
    (
        "ix_events_partner_type_currency_date",
        &[
            "tenant_id",
            "partner_id",
            "event_type",
            "currency",
            "event_date",
        ],
    ),
    (
        "ix_events_rule_date",
        &["tenant_id", "rule_id", "event_date"],
    ),
];

/// UTC month of `event_date` (microseconds) as `year × 12 + month − 1`, the number
/// `revshare-infra` computes from a month's first instant. Public so the reconciliation groups
/// events exactly as the triggers do.
pub fn event_month_sql(backend: DbBackend) -> String {
    match backend {
        DbBackend::Sqlite => {
            "(CAST(strftime('%Y', event_date / 1000000, 'unixepoch') AS INTEGER) * 12 \
             + CAST(strftime('%m', event_date / 1000000, 'unixepoch') AS INTEGER) - 1)"
                .into()
        }
        _ => {
            let utc = "(to_timestamp(event_date / 1000000) AT TIME ZONE 'UTC')";
            format!(
                "(CAST(EXTRACT(YEAR FROM {utc}) AS BIGINT) * 12 \
                 + CAST(EXTRACT(MONTH FROM {utc}) AS BIGINT) - 1)"
            )
        }
    }
}

/// Adds to `total` the net deltas of the events in `rows` (a relation with the event's
/// columns), each counted with `sign` (`""` or `"-"`), in key order. (No alias for the
/// target: SQLite refuses one inside a trigger.)
fn apply(backend: DbBackend, total: &Total, rows: &str, sign: &str) -> String {
    let Total {
        table,
        key,
        value,
        adds,
        counts,
    } = total;
    let month = event_month_sql(backend);
    format!(
        "INSERT INTO {table} (tenant_id, {key}, currency, month, {value}) \
         SELECT tenant_id, {key}, currency, month, CAST(SUM(delta) AS BIGINT) \
         FROM (SELECT tenant_id, {key}, currency, {month} AS month, {sign}{adds} AS delta \
               FROM {rows} WHERE {counts}) AS d \
         WHERE true \
         GROUP BY tenant_id, {key}, currency, month \
         HAVING SUM(delta) <> 0 \
         ORDER BY tenant_id, {key}, currency, month \
         ON CONFLICT (tenant_id, {key}, currency, month) DO UPDATE SET \
           {value} = {table}.{value} + excluded.{value}"
    )
}

/// One row of a row-level trigger (`NEW` or `OLD`) as a relation with the columns it reads.
fn one_row(row: &str) -> String {
    let columns: Vec<String> = READS.iter().map(|c| format!("{row}.{c} AS {c}")).collect();
    format!("(SELECT {}) AS r", columns.join(", "))
}

/// Both totals' deltas of `rows`.
fn apply_all(backend: DbBackend, rows: &str, sign: &str) -> Vec<String> {
    TOTALS
        .iter()
        .map(|t| apply(backend, t, rows, sign))
        .collect()
}

const TRIGGERS: [&str; 3] = [
    "revshare_month_totals_insert",
    "revshare_month_totals_update",
    "revshare_month_totals_delete",
];

/// `OF … WHEN …`: an update that sets one of the columns the totals read, and changes it
/// ("differs, NULLs included": `IS DISTINCT FROM`, which SQLite spells `IS NOT`).
fn update_clause(backend: DbBackend) -> String {
    let differs = match backend {
        DbBackend::Sqlite => "IS NOT",
        _ => "IS DISTINCT FROM",
    };
    let changed: Vec<String> = READS
        .iter()
        .map(|c| format!("OLD.{c} {differs} NEW.{c}"))
        .collect();
    format!(
        "OF {} ON commission_events FOR EACH ROW WHEN ({})",
        READS.join(", "),
        changed.join(" OR ")
    )
}

/// An updated row's move between keys: its old values taken away, its new ones added.
fn moved(backend: DbBackend) -> Vec<String> {
    let mut out = apply_all(backend, &one_row("OLD"), "-");
    out.extend(apply_all(backend, &one_row("NEW"), ""));
    out
}

fn pg_statements() -> Vec<String> {
    let pg = DbBackend::Postgres;
    let bodies = [
        (
            TRIGGERS[0],
            "INSERT ON commission_events REFERENCING NEW TABLE AS revshare_new FOR EACH STATEMENT"
                .to_owned(),
            apply_all(pg, "revshare_new", ""),
        ),
        (
            TRIGGERS[1],
            format!("UPDATE {}", update_clause(pg)),
            moved(pg),
        ),
        (
            TRIGGERS[2],
            "DELETE ON commission_events REFERENCING OLD TABLE AS revshare_old FOR EACH STATEMENT"
                .to_owned(),
            apply_all(pg, "revshare_old", "-"),
        ),
    ];
    let mut out = Vec::new();
    for (name, when, body) in bodies {
        out.push(format!(
            "CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n\
             BEGIN\n  {};\n  RETURN NULL;\nEND\n$$",
            body.join(";\n  ")
        ));
        out.push(format!(
            "CREATE TRIGGER {name} AFTER {when} EXECUTE FUNCTION {name}()"
        ));
    }
    out
}

fn sqlite_statements() -> Vec<String> {
    let lite = DbBackend::Sqlite;
    let block = |parts: Vec<String>| parts.iter().map(|s| format!("{s};")).collect::<String>();
    vec![
        format!(
            "CREATE TRIGGER {} AFTER INSERT ON commission_events BEGIN {} END",
            TRIGGERS[0],
            block(apply_all(lite, &one_row("NEW"), ""))
        ),
        format!(
            "CREATE TRIGGER {} AFTER UPDATE {} BEGIN {} END",
            TRIGGERS[1],
            update_clause(lite),
            block(moved(lite))
        ),
        format!(
            "CREATE TRIGGER {} AFTER DELETE ON commission_events BEGIN {} END",
            TRIGGERS[2],
            block(apply_all(lite, &one_row("OLD"), "-"))
        ),
    ]
}

fn drop_index(name: &str) -> IndexDropStatement {
    Index::drop()
        .name(name)
        .table(Alias::new("commission_events"))
        .if_exists()
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// Tables, triggers and backfill in one transaction, as for the daily totals: creating the
    /// triggers locks `commission_events` against writers on PostgreSQL, so no event is
    /// counted twice or missed between the backfill and the triggers.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(PartnerMonthVolumes::Table)
                .col(uuid(PartnerMonthVolumes::TenantId))
                .col(uuid(PartnerMonthVolumes::PartnerId))
                .col(string_len(PartnerMonthVolumes::Currency, 3))
                .col(big_integer(PartnerMonthVolumes::Month))
                .col(big_integer(PartnerMonthVolumes::BaseMinor))
                .primary_key(
                    Index::create()
                        .col(PartnerMonthVolumes::TenantId)
                        .col(PartnerMonthVolumes::PartnerId)
                        .col(PartnerMonthVolumes::Currency)
                        .col(PartnerMonthVolumes::Month),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(RuleMonthUsages::Table)
                .col(uuid(RuleMonthUsages::TenantId))
                .col(uuid(RuleMonthUsages::RuleId))
                .col(string_len(RuleMonthUsages::Currency, 3))
                .col(big_integer(RuleMonthUsages::Month))
                .col(big_integer(RuleMonthUsages::AmountMinor))
                .primary_key(
                    Index::create()
                        .col(RuleMonthUsages::TenantId)
                        .col(RuleMonthUsages::RuleId)
                        .col(RuleMonthUsages::Currency)
                        .col(RuleMonthUsages::Month),
                )
                .to_owned(),
        )
        .await?;
        let backend = m.get_database_backend();
        crate::event_triggers::create(m, "month totals", pg_statements, sqlite_statements).await?;
        let db = m.get_connection();
        for sql in apply_all(backend, "commission_events", "") {
            db.execute_unprepared(&sql).await?;
        }
        for (name, _) in REPLACED {
            m.drop_index(drop_index(name)).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, cols) in REPLACED {
            let mut i = Index::create();
            i.name(name)
                .table(Alias::new("commission_events"))
                .if_not_exists();
            for c in cols {
                i.col(Alias::new(*c));
            }
            m.create_index(i).await?;
        }
        crate::event_triggers::drop(m, &TRIGGERS).await?;
        m.drop_table(Table::drop().table(RuleMonthUsages::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(PartnerMonthVolumes::Table).to_owned())
            .await?;
        Ok(())
    }
}
