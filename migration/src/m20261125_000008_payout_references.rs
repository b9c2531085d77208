//! PostgreSQL: `commission_events.payout_id` checked once per statement, not once per row.
//!
//! The foreign key `fk_commission_events_payout` checked each claimed commission on its own:
//! per row one look-up of the payout and one `FOR KEY SHARE` lock on it, logged to the WAL.
//! A payout run claims 100,000 commissions for 1,000 payouts, so it looked up and locked each
//! payout a hundred times: ~0.17 s per chunk of 50,000 at 10 million events (`EXPLAIN
//! ANALYZE`, "Trigger for constraint fk_commission_events_payout"), a sixth of the run.
//!
//! The same rule, set-based (PostgreSQL only; SQLite keeps its foreign key, checked in
//! process memory):
//! - after every `INSERT` or `UPDATE` statement on `commission_events`, the payouts its rows
//!   name are locked `FOR KEY SHARE` **once each**, and the statement fails (SQLSTATE 23503,
//!   as the foreign key did) unless each exists;
//! - after every `DELETE` statement on `payouts`, it fails if a commission still names one of
//!   the deleted payouts;
//! - a payout's id never changes.
//!
//! Concurrency is the foreign key's: a transaction naming a payout holds its key-share lock
//! to commit, so a concurrent delete of that payout waits, then finds the reference and
//! fails; a delete that came first makes the naming statement find the payout gone. Checks
//! read the latest committed rows (READ COMMITTED, which revshare uses).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const FOREIGN_KEY: &str = "fk_commission_events_payout";

/// Triggers on `commission_events`, each with its function of the same name.
const EVENT_TRIGGERS: [&str; 2] = [
    "revshare_event_payouts_insert",
    "revshare_event_payouts_update",
];

/// Triggers on `payouts`, each with its function of the same name.
const PAYOUT_TRIGGERS: [&str; 2] = ["revshare_payouts_deleted", "revshare_payouts_id_fixed"];

/// Locks the payouts the statement's rows name (`revshare_new`), once each and in id order
/// (so concurrent statements cannot deadlock on them), and fails if one does not exist.
const EVENTS_CHECK: &str = "\
DECLARE
  named uuid[];
  found bigint;
BEGIN
  named := ARRAY(SELECT DISTINCT payout_id FROM revshare_new WHERE payout_id IS NOT NULL
                 ORDER BY payout_id);
  IF cardinality(named) > 0 THEN
    SELECT count(*) INTO found FROM (
      SELECT id FROM payouts WHERE id = ANY(named) ORDER BY id FOR KEY SHARE
    ) AS locked;
    IF found < cardinality(named) THEN
      RAISE EXCEPTION 'a commission names a payout that does not exist'
        USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'fk_commission_events_payout',
              TABLE = 'commission_events', COLUMN = 'payout_id';
    END IF;
  END IF;
  RETURN NULL;
END";

/// Fails if a commission still names a deleted payout (`revshare_old`). `= ANY(…)` implies
/// `payout_id IS NOT NULL`, so custom and generic plans read `ix_events_of_payout` (checked
/// with `EXPLAIN` at 130,000 events), not the table: the engine deletes the payouts of a run
/// that claimed nothing.
const PAYOUTS_DELETED_CHECK: &str = "\
BEGIN
  IF EXISTS (SELECT 1 FROM commission_events
             WHERE payout_id = ANY(ARRAY(SELECT id FROM revshare_old))) THEN
    RAISE EXCEPTION 'a deleted payout is still named by a commission'
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'fk_commission_events_payout',
            TABLE = 'payouts';
  END IF;
  RETURN NULL;
END";

const PAYOUT_ID_FIXED: &str = "\
BEGIN
  RAISE EXCEPTION 'a payout''s id never changes'
    USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'fk_commission_events_payout',
          TABLE = 'payouts', COLUMN = 'id';
END";

fn function(name: &str, body: &str) -> String {
    format!("CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n{body}\n$$")
}

fn create_statements() -> Vec<String> {
    let mut out = vec![format!(
        "ALTER TABLE commission_events DROP CONSTRAINT {FOREIGN_KEY}"
    )];
    for (name, event) in EVENT_TRIGGERS.into_iter().zip(["INSERT", "UPDATE"]) {
        out.push(function(name, EVENTS_CHECK));
        out.push(format!(
            "CREATE TRIGGER {name} AFTER {event} ON commission_events \
             REFERENCING NEW TABLE AS revshare_new FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
        ));
    }
    out.extend([
        function(PAYOUT_TRIGGERS[0], PAYOUTS_DELETED_CHECK),
        format!(
            "CREATE TRIGGER {0} AFTER DELETE ON payouts \
             REFERENCING OLD TABLE AS revshare_old FOR EACH STATEMENT EXECUTE FUNCTION {0}()",
            PAYOUT_TRIGGERS[0]
        ),
        function(PAYOUT_TRIGGERS[1], PAYOUT_ID_FIXED),
        format!(
            "CREATE TRIGGER {0} BEFORE UPDATE OF id ON payouts FOR EACH ROW \
             WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION {0}()",
            PAYOUT_TRIGGERS[1]
        ),
    ]);
    out
}

fn drop_statements() -> Vec<String> {
    let mut out = Vec::new();
    for (table, names) in [
        ("commission_events", &EVENT_TRIGGERS),
        ("payouts", &PAYOUT_TRIGGERS),
    ] {
        for name in names {
            out.push(format!("DROP TRIGGER IF EXISTS {name} ON {table}"));
            out.push(format!("DROP FUNCTION IF EXISTS {name}()"));
        }
    }
    out.push(format!(
        "ALTER TABLE commission_events ADD CONSTRAINT {FOREIGN_KEY} \
         FOREIGN KEY (payout_id) REFERENCES payouts (id)"
    ));
    out
}

async fn run(m: &SchemaManager<'_>, statements: Vec<String>) -> Result<(), DbErr> {
    if m.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let db = m.get_connection();
    for sql in statements {
        db.execute_unprepared(&sql).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        run(m, create_statements()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        run(m, drop_statements()).await
    }
}
