//! Many rows into one table in few statements, on both backends.
//!
//! SQLite gets multi-row `INSERT … VALUES`, as many rows per statement as its bind parameter
//! limit allows. PostgreSQL gets the rows as one JSON array bound as a single parameter and
//! expanded by `json_populate_recordset`: with 30 columns, a multi-row `VALUES` of 1,000 rows
//! binds 30,000 parameters, which PostgreSQL parses and binds one by one (measured: 120 ms
//! for 1,000 `commission_events` rows, against 55 ms for the same rows as one JSON document —
//! the insert itself, its indexes and triggers, are the rest).

use revshare_domain::StoreError;
use sea_orm::sea_query::Value;
use sea_orm::{
    ActiveModelTrait, ActiveValue, ConnectionTrait, DatabaseTransaction, DbBackend, EntityName,
    EntityTrait, IdenStatic, Iterable, Statement,
};

use crate::error::OrStore;

/// Bind parameters per statement: SQLite allows 32,766, PostgreSQL 65,535.
const MAX_BIND_PARAMS: usize = 30_000;
/// Rows per JSON document on PostgreSQL: bounds the document (about 1 KB a row).
const ROWS_PER_DOCUMENT: usize = 5_000;
/// Most rows per SQLite statement.
const MAX_ROWS_PER_STATEMENT: usize = 256;
/// Up to this many rows go in one SQLite statement of exactly that many.
const SMALL_INSERT_ROWS: usize = 32;

/// Rows in the next SQLite statement: all of them when few, else the largest power of two
/// not above `left` or `most`.
///
/// sqlx keeps every prepared statement in a per-connection cache, and a SQLite statement of
/// 1,000 rows × 30 columns holds megabytes of bound values and program; with one statement
/// shape per batch size, a server's memory grew by ~60 MB over ten batches. Large inserts are
/// therefore cut in powers of two (few shapes), and small ones — a payout run's few payouts,
/// a single payment — stay one statement, so their count does not depend on the row count.
fn statement_rows(left: usize, most: usize) -> usize {
    if left <= SMALL_INSERT_ROWS {
        return left.max(1);
    }
    1 << left.min(most).ilog2()
}

/// Inserts `rows` (no `RETURNING`: ids are chosen by the domain). Every column of every row
/// must be set.
pub(crate) async fn insert_rows<A>(
    tx: &DatabaseTransaction,
    rows: impl Iterator<Item = A>,
) -> Result<(), StoreError>
where
    A: ActiveModelTrait + Send,
{
    let rows: Vec<A> = rows.collect();
    if rows.is_empty() {
        return Ok(());
    }
    if tx.get_database_backend() == DbBackend::Postgres {
        for chunk in rows.chunks(ROWS_PER_DOCUMENT) {
            tx.execute_raw(recordset_insert(chunk)?).await.or_store()?;
        }
        return Ok(());
    }
    let columns = <A::Entity as EntityTrait>::Column::iter().count();
    let most = (MAX_BIND_PARAMS / columns.max(1)).clamp(1, MAX_ROWS_PER_STATEMENT);
    let mut rest = rows.into_iter().peekable();
    let mut left = rest.len();
    while left > 0 {
        let take = statement_rows(left, most);
        left -= take;
        let chunk: Vec<A> = rest.by_ref().take(take).collect();
        <A::Entity as EntityTrait>::insert_many(chunk)
            .exec_without_returning(tx)
            .await
            .or_store()?;
    }
    Ok(())
}

/// `INSERT INTO t (c…) SELECT c… FROM json_populate_recordset(NULL::t, $1::json)` with the
/// rows as one JSON array of objects keyed by column name.
fn recordset_insert<A>(rows: &[A]) -> Result<Statement, StoreError>
where
    A: ActiveModelTrait,
{
    let table = <A::Entity as Default>::default().table_name().to_owned();
    let columns: Vec<<A::Entity as EntityTrait>::Column> =
        <A::Entity as EntityTrait>::Column::iter().collect();
    // Each column's `"name":`, escaped once per statement rather than once per row.
    let keys: Vec<String> = columns
        .iter()
        .map(|c| {
            serde_json::to_string(c.as_str())
                .map(|k| k + ":")
                .map_err(|e| StoreError::Internal(format!("encoding {table} columns: {e}")))
        })
        .collect::<Result<_, _>>()?;
    // Written straight into the document: building a `serde_json::Value` per row (a map
    // per row, a string per value) took most of the CPU of a 1,000-event batch's insert,
    // spent while the batch holds its partners' locks.
    let mut document: Vec<u8> = Vec::with_capacity(rows.len() * 64 * columns.len().max(1));
    document.push(b'[');
    for (i, row) in rows.iter().enumerate() {
        if i > 0 {
            document.push(b',');
        }
        document.push(b'{');
        for (j, (column, key)) in columns.iter().zip(&keys).enumerate() {
            if j > 0 {
                document.push(b',');
            }
            let name = column.as_str();
            let value = match row.get(*column) {
                ActiveValue::Set(v) | ActiveValue::Unchanged(v) => v,
                ActiveValue::NotSet => {
                    return Err(StoreError::Internal(format!(
                        "{table}.{name} is not set in a bulk insert"
                    )));
                }
            };
            document.extend_from_slice(key.as_bytes());
            write_json(&mut document, &table, name, &value)?;
        }
        document.push(b'}');
    }
    document.push(b']');
    let document = String::from_utf8(document)
        .map_err(|e| StoreError::Internal(format!("encoding {table} rows: {e}")))?;
    let list = columns
        .iter()
        .map(|c| format!("\"{}\"", c.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "INSERT INTO \"{table}\" ({list}) SELECT {list} \
         FROM json_populate_recordset(NULL::\"{table}\", $1::json)"
    );
    Ok(Statement::from_sql_and_values(
        DbBackend::Postgres,
        sql,
        [Value::String(Some(document))],
    ))
}

/// Appends a column value as JSON, exactly: integers stay integers (money is minor units),
/// strings are escaped, and a type this crate does not store is an error rather than a lossy
/// conversion.
fn write_json(
    out: &mut Vec<u8>,
    table: &str,
    column: &str,
    value: &Value,
) -> Result<(), StoreError> {
    let encoding =
        |e: serde_json::Error| StoreError::Internal(format!("encoding {table}.{column}: {e}"));
    match value {
        Value::Bool(None)
        | Value::Int(None)
        | Value::BigInt(None)
        | Value::String(None)
        | Value::Uuid(None)
        | Value::Json(None) => out.extend_from_slice(b"null"),
        // serde_json writes in place: no string per value.
        Value::Bool(Some(b)) => serde_json::to_writer(&mut *out, b).map_err(encoding)?,
        Value::Int(Some(i)) => serde_json::to_writer(&mut *out, i).map_err(encoding)?,
        Value::BigInt(Some(i)) => serde_json::to_writer(&mut *out, i).map_err(encoding)?,
        Value::String(Some(s)) => serde_json::to_writer(&mut *out, s.as_str()).map_err(encoding)?,
        Value::Uuid(Some(u)) => {
            out.push(b'"');
            out.extend_from_slice(
                u.hyphenated()
                    .encode_lower(&mut uuid::Uuid::encode_buffer())
                    .as_bytes(),
            );
            out.push(b'"');
        }
        Value::Json(Some(j)) => serde_json::to_writer(&mut *out, j.as_ref()).map_err(encoding)?,
        other => {
            return Err(StoreError::Internal(format!(
                "{table}.{column}: no bulk encoding for {other:?}"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(value: Value) -> Result<String, StoreError> {
        let mut out = Vec::new();
        write_json(&mut out, "t", "c", &value)?;
        Ok(String::from_utf8(out).unwrap())
    }

    #[test]
    fn integers_stay_exact_and_unknown_types_are_refused() {
        assert_eq!(
            json(Value::BigInt(Some(i64::MAX))).unwrap(),
            "9223372036854775807"
        );
        assert_eq!(
            json(Value::BigInt(Some(i64::MIN))).unwrap(),
            "-9223372036854775808"
        );
        assert_eq!(json(Value::Int(Some(-7))).unwrap(), "-7");
        assert_eq!(json(Value::BigInt(None)).unwrap(), "null");
        assert_eq!(json(Value::String(None)).unwrap(), "null");
        assert_eq!(json(Value::Bool(Some(false))).unwrap(), "false");
        assert!(json(Value::Double(Some(0.5))).is_err());
        assert!(json(Value::Float(Some(0.5))).is_err());
    }

    #[test]
    fn strings_and_documents_read_back_as_written() {
        let nasty = "quote \" backslash \\ newline \n tab \t nul \u{0} bell \u{7} é 日本 🙂";
        let back: String =
            serde_json::from_str(&json(Value::String(Some(nasty.into()))).unwrap()).unwrap();
        assert_eq!(back, nasty);
        let id = uuid::Uuid::now_v7();
        assert_eq!(json(Value::Uuid(Some(id))).unwrap(), format!("\"{id}\""));
        let doc = serde_json::json!({"b": [1, "x\"y", null], "a": {"n": -1}});
        let back: serde_json::Value =
            serde_json::from_str(&json(Value::Json(Some(Box::new(doc.clone())))).unwrap()).unwrap();
        assert_eq!(back, doc);
    }

    #[test]
    fn sqlite_statements_come_in_few_sizes_and_cover_every_row() {
        let mut large = std::collections::BTreeSet::new();
        for n in 1..=2_000 {
            let (mut left, mut statements) = (n, 0);
            while left > 0 {
                let take = statement_rows(left, 256);
                assert!(take >= 1 && take <= left && take <= 256);
                if take > SMALL_INSERT_ROWS {
                    assert!(take.is_power_of_two());
                    large.insert(take);
                }
                left -= take;
                statements += 1;
            }
            if n <= SMALL_INSERT_ROWS {
                assert_eq!(statements, 1);
            }
            assert!(
                statements <= n.div_ceil(256) + 3,
                "{n} rows in {statements}"
            );
        }
        assert_eq!(large.into_iter().collect::<Vec<_>>(), [64, 128, 256]);
    }
}
