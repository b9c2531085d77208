//! Commission rows decoded by position.
//!
//! SeaORM's derived decoding looks every column up by name (a hash per cell) and, for each
//! NULL, formats the column's name into an error it then discards. A page of 100 commissions
//! has ~2,800 cells, a third of them NULL: under 64 connections on PostgreSQL `small` that
//! decoding was a quarter of the CPU of a shared list read (perf). A `Select` of
//! `commission_events` returns the entity's columns in declaration order, so [`events`] checks
//! each row's column names against that order and decodes by index; a row shaped otherwise
//! goes through SeaORM's own decoding. Debug builds assert that no PostgreSQL or SQLite row
//! takes that slow path, decode every row both ways and assert they agree: every test that
//! reads commissions checks this module, on both backends.

use sea_orm::sqlx::{self, Column as _, ColumnIndex, Decode, Row, Type};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, Iterable, QueryResult, Select};
use uuid::Uuid;

use revshare_domain::StoreError;
use revshare_domain::commission::CommissionEvent;

use crate::convert::event_from;
use crate::entity::commission_event as ev;
use crate::error::OrStore;

/// Every commission `select` finds, decoded.
pub(crate) async fn events<C: ConnectionTrait>(
    db: &C,
    select: Select<ev::Entity>,
) -> Result<Vec<CommissionEvent>, StoreError> {
    let rows = select.into_model::<EventRow>().all(db).await.or_store()?;
    rows.into_iter().map(|r| event_from(r.0)).collect()
}

/// The name of the column [`events_with_total`] reads after the entity's.
pub(crate) const TOTAL: &str = "revshare_total";

/// Every commission `select` finds, decoded, and the value of its last column, [`TOTAL`] (a
/// nullable integer the same on every row, such as a count computed beside the rows); `None`
/// when no row was found.
pub(crate) async fn events_with_total<C: ConnectionTrait>(
    db: &C,
    select: Select<ev::Entity>,
) -> Result<(Vec<CommissionEvent>, Option<i64>), StoreError> {
    let rows = select.into_model::<CountedRow>().all(db).await.or_store()?;
    let total = rows.first().and_then(|r| r.1);
    debug_assert!(
        rows.iter().all(|r| r.1 == total),
        "{TOTAL} differs between rows"
    );
    let events = rows
        .into_iter()
        .map(|r| event_from(r.0))
        .collect::<Result<_, _>>()?;
    Ok((events, total))
}

/// The first commission `select` finds, decoded.
pub(crate) async fn event<C: ConnectionTrait>(
    db: &C,
    select: Select<ev::Entity>,
) -> Result<Option<CommissionEvent>, StoreError> {
    select
        .into_model::<EventRow>()
        .one(db)
        .await
        .or_store()?
        .map(|r| event_from(r.0))
        .transpose()
}

/// A `commission_events` row.
struct EventRow(ev::Model);

impl FromQueryResult for EventRow {
    fn from_query_result(res: &QueryResult, pre: &str) -> Result<Self, DbErr> {
        Ok(EventRow(model(res, pre, 0)?))
    }
}

/// A `commission_events` row and its [`TOTAL`] after the entity's columns.
struct CountedRow(ev::Model, Option<i64>);

impl FromQueryResult for CountedRow {
    fn from_query_result(res: &QueryResult, pre: &str) -> Result<Self, DbErr> {
        let model = model(res, pre, 1)?;
        Ok(CountedRow(model, res.try_get(pre, TOTAL)?))
    }
}

/// The entity's columns of `res`, followed by `extra` columns this module does not decode.
fn model(res: &QueryResult, pre: &str, extra: usize) -> Result<ev::Model, DbErr> {
    let fast = if !pre.is_empty() {
        None
    } else if let Some(row) = res.try_as_pg_row() {
        entity_row(row, extra)
    } else if let Some(row) = res.try_as_sqlite_row() {
        entity_row(row, extra)
    } else {
        None
    };
    match fast {
        Some(decoded) => {
            let model = decoded.map_err(|e| DbErr::Type(format!("commission row: {e}")))?;
            debug_assert_eq!(
                ev::Model::from_query_result(res, pre).ok().as_ref(),
                Some(&model),
                "decoding by position and by name disagree"
            );
            Ok(model)
        }
        None => ev::Model::from_query_result(res, pre),
    }
}

/// Whether the row holds the entity's columns in declaration order, then `extra` more.
fn in_entity_order<R: Row>(row: &R, extra: usize) -> bool {
    let columns = row.columns();
    columns.len() == ev::Column::iter().count() + extra
        && columns
            .iter()
            .zip(ev::Column::iter())
            .all(|(c, e)| c.name() == sea_orm::IdenStatic::as_str(&e))
}

/// `row` decoded by position if it holds the entity's columns in declaration order and `extra`
/// more, as every `Select` of the whole entity does (with `extra` expressions after them):
/// debug builds assert it, so a test would catch this module falling back to the slow path
/// unnoticed.
fn entity_row<'r, R>(row: &'r R, extra: usize) -> Option<Result<ev::Model, sqlx::Error>>
where
    R: Row,
    usize: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    Uuid: Decode<'r, R::Database> + Type<R::Database>,
{
    let ordered = in_entity_order(row, extra);
    debug_assert!(
        ordered,
        "a commission row whose columns are not the entity's"
    );
    ordered.then(|| by_position(row))
}

/// Decodes a row [`in_entity_order`]: cell `i` is the entity's `i`-th column. The types are
/// those SeaORM asks the driver for, so both decodings accept and reject the same cells.
fn by_position<'r, R>(row: &'r R) -> Result<ev::Model, sqlx::Error>
where
    R: Row,
    usize: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    Uuid: Decode<'r, R::Database> + Type<R::Database>,
{
    let mut cells = Cells { row, next: 0 };
    Ok(ev::Model {
        id: cells.value()?,
        tenant_id: cells.value()?,
        partner_id: cells.value()?,
        event_type: cells.value()?,
        status: cells.value()?,
        amount_minor: cells.value()?,
        currency: cells.value()?,
        event_date: cells.value()?,
        payment_id: cells.nullable()?,
        refund_id: cells.nullable()?,
        invoice_id: cells.nullable()?,
        invoice_number: cells.nullable()?,
        customer_id: cells.nullable()?,
        base_minor: cells.nullable()?,
        rate_micros: cells.nullable()?,
        fee_minor: cells.nullable()?,
        rule_id: cells.nullable()?,
        terms_source: cells.value()?,
        original_event_id: cells.nullable()?,
        hold_until: cells.nullable()?,
        payout_id: cells.nullable()?,
        approved_at: cells.nullable()?,
        paid_at: cells.nullable()?,
        rejected_at: cells.nullable()?,
        rejection_reason: cells.nullable()?,
        note: cells.nullable()?,
        created_by: cells.value()?,
        created_at: cells.value()?,
    })
}

/// The cells of a row, read left to right.
struct Cells<'r, R> {
    row: &'r R,
    next: usize,
}

impl<'r, R> Cells<'r, R>
where
    R: Row,
    usize: ColumnIndex<R>,
{
    fn nullable<T>(&mut self) -> Result<Option<T>, sqlx::Error>
    where
        T: Decode<'r, R::Database> + Type<R::Database>,
    {
        let i = self.next;
        self.next += 1;
        self.row.try_get::<Option<T>, usize>(i)
    }

    fn value<T>(&mut self) -> Result<T, sqlx::Error>
    where
        T: Decode<'r, R::Database> + Type<R::Database>,
    {
        let i = self.next;
        self.nullable()?.ok_or_else(|| sqlx::Error::ColumnDecode {
            index: i.to_string(),
            source: "unexpected NULL".into(),
        })
    }
}
