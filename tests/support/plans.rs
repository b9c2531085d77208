//! Query plans of statements exactly as the application sends them, and a recorder that
//! captures those statements from a connection, so plan tests cannot drift from the code.
//!
//! On PostgreSQL a statement is planned the way sqlx runs it: as a prepared statement with
//! typed parameters (sqlx caches its statements per connection, and after five executions
//! PostgreSQL may switch to a generic plan, one made without the parameter values). So each
//! statement is `PREPARE`d with the parameter types sqlx binds and explained by `EXECUTE`
//! under `plan_cache_mode = force_custom_plan` (the plan for these values) or
//! `force_generic_plan` (the plan for any values). On SQLite, `EXPLAIN QUERY PLAN`.

use std::sync::{Arc, Mutex};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, TransactionTrait, Value};

/// Which plan of a prepared statement to explain (PostgreSQL; SQLite has one kind).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanMode {
    /// Planned with the parameter values: what the first five executions get.
    Custom,
    /// Planned without them: what PostgreSQL may cache and reuse from the sixth on.
    Generic,
}

impl PlanMode {
    /// Both modes.
    pub const ALL: [PlanMode; 2] = [PlanMode::Custom, PlanMode::Generic];
}

/// One node of a plan: what it does, to which table, through which index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanNode {
    /// `Seq Scan`, `Index Scan`, `Sort`… (PostgreSQL); `SCAN`, `SEARCH`, `USE`… (SQLite).
    pub kind: String,
    /// The table read, if any.
    pub relation: Option<String>,
    /// The index used, if any.
    pub index: Option<String>,
    /// Whether it reads its index alone, not the table's rows: `Index Only Scan`
    /// (PostgreSQL), `COVERING INDEX` (SQLite).
    pub index_only: bool,
    /// Whether it orders rows: `Sort` (PostgreSQL), `USE TEMP B-TREE` (SQLite).
    pub sort: bool,
    /// Whether it works inside a bounded part of the statement: under a `Limit` node
    /// (PostgreSQL), in a subquery (SQLite).
    pub inner: bool,
}

/// A query plan, flattened, with a readable rendering for failure messages.
#[derive(Debug, Clone)]
pub struct Plan {
    /// One line per node, indented by depth.
    pub text: String,
    /// Every node, depth first.
    pub nodes: Vec<PlanNode>,
}

impl Plan {
    /// Whether some node reads through `index`.
    pub fn uses_index(&self, index: &str) -> bool {
        self.nodes.iter().any(|n| n.index.as_deref() == Some(index))
    }

    /// Tables read whole, without an index: `Seq Scan` (PostgreSQL) or `SCAN t` without
    /// `USING … INDEX` (SQLite).
    pub fn full_scans(&self) -> Vec<&str> {
        self.nodes
            .iter()
            .filter(|n| {
                (n.kind == "Seq Scan" || n.kind == "SCAN")
                    && n.index.is_none()
                    && n.relation.is_some()
            })
            .filter_map(|n| n.relation.as_deref())
            .collect()
    }

    /// Whether the rows are sorted rather than read in order from an index.
    pub fn sorts(&self) -> bool {
        self.nodes.iter().any(|n| n.sort)
    }

    /// Whether rows are sorted before a `LIMIT` cuts them (PostgreSQL) or inside a subquery
    /// (SQLite): a statement that reads a page's keys in a subquery and then the page may
    /// sort the page, never the rows it skips.
    pub fn sorts_inner(&self) -> bool {
        self.nodes.iter().any(|n| n.sort && n.inner)
    }

    /// Whether the statement's outer part — outside every `Limit` (PostgreSQL) or subquery
    /// (SQLite) — reads `table` only through an index `key` accepts: directly, or as a
    /// bitmap heap scan over such an index's bitmap.
    pub fn outer_reads_by(&self, table: &str, key: impl Fn(&str) -> bool) -> bool {
        let outer: Vec<&PlanNode> = self.nodes.iter().filter(|n| !n.inner).collect();
        let reads: Vec<&&PlanNode> = outer
            .iter()
            .filter(|n| n.relation.as_deref() == Some(table))
            .collect();
        let keyed = |n: &PlanNode| n.index.as_deref().is_some_and(&key);
        !reads.is_empty()
            && reads
                .iter()
                .all(|n| keyed(n) || (n.kind == "Bitmap Heap Scan" && n.index.is_none()))
            && outer.iter().any(|n| keyed(n))
    }

    /// Whether some node reads through `index` alone, without the table's rows.
    pub fn covered_by(&self, index: &str) -> bool {
        self.nodes
            .iter()
            .any(|n| n.index_only && n.index.as_deref() == Some(index))
    }
}

/// Captures every statement run on the connections it made, with its bound values.
#[derive(Clone, Default)]
pub struct Recorder(Arc<Mutex<Vec<Statement>>>);

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder").finish_non_exhaustive()
    }
}

impl Recorder {
    /// A handle on the same pool as `db` that records what runs through it (and through the
    /// transactions it begins). `db` itself records nothing.
    pub fn connection(&self, db: &DatabaseConnection) -> DatabaseConnection {
        let mut recording = db.clone();
        let log = self.0.clone();
        recording.set_metric_callback(move |info| {
            log.lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(info.statement.clone());
        });
        recording
    }

    /// The statements recorded since the last call, in order.
    pub fn take(&self) -> Vec<Statement> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// The plan of `stmt` on `db`, in `mode`. `settings` (`SET LOCAL …`) run first, in the same
/// transaction, which is rolled back: nothing the statement would write is written.
pub async fn explain(
    db: &DatabaseConnection,
    stmt: &Statement,
    mode: PlanMode,
    settings: &[&str],
) -> Plan {
    let backend = db.get_database_backend();
    let tx = db.begin().await.expect("begin");
    for s in settings {
        tx.execute_unprepared(s).await.expect(s);
    }
    let plan = match backend {
        DbBackend::Postgres => {
            let values = stmt.values.as_ref().map(|v| v.0.as_slice()).unwrap_or(&[]);
            let (types, args): (Vec<&str>, Vec<String>) =
                values.iter().map(|v| (pg_type(v), pg_literal(v))).unzip();
            let list = |items: Vec<String>| {
                if items.is_empty() {
                    String::new()
                } else {
                    format!("({})", items.join(", "))
                }
            };
            let name = "revshare_plan";
            let prepare = format!(
                "PREPARE {name}{} AS {}",
                list(types.into_iter().map(str::to_owned).collect()),
                stmt.sql
            );
            tx.execute_unprepared(&prepare)
                .await
                .unwrap_or_else(|e| panic!("{e}: {}", stmt.sql));
            let cache = match mode {
                PlanMode::Custom => "force_custom_plan",
                PlanMode::Generic => "force_generic_plan",
            };
            tx.execute_unprepared(&format!("SET LOCAL plan_cache_mode = {cache}"))
                .await
                .expect("plan_cache_mode");
            let row = tx
                .query_one_raw(Statement::from_string(
                    backend,
                    format!("EXPLAIN (FORMAT JSON) EXECUTE {name}{}", list(args)),
                ))
                .await
                .unwrap_or_else(|e| panic!("{e}: {}", stmt.sql))
                .expect("a plan");
            // Prepared statements outlive transactions.
            tx.execute_unprepared(&format!("DEALLOCATE {name}"))
                .await
                .expect("deallocate");
            let json: serde_json::Value = row.try_get_by_index(0).expect("a JSON plan");
            let mut plan = Plan {
                text: String::new(),
                nodes: Vec::new(),
            };
            walk(&json[0]["Plan"], 0, false, &mut plan);
            plan
        }
        _ => {
            let rows = tx
                .query_all_raw(Statement::from_sql_and_values(
                    backend,
                    format!("EXPLAIN QUERY PLAN {}", stmt.sql),
                    stmt.values.clone().map(|v| v.0).unwrap_or_default(),
                ))
                .await
                .unwrap_or_else(|e| panic!("{e}: {}", stmt.sql));
            let lines: Vec<(i64, String)> = rows
                .iter()
                .map(|r| {
                    (
                        r.try_get::<i64>("", "parent").expect("parent"),
                        r.try_get::<String>("", "detail").expect("detail"),
                    )
                })
                .collect();
            // A node whose parent is not the statement itself sits in a subquery (or under a
            // compound part): the row ids of its ancestors are not needed, only that.
            Plan {
                nodes: lines.iter().map(|(p, l)| sqlite_node(l, *p != 0)).collect(),
                text: lines
                    .iter()
                    .map(|(_, l)| l.as_str())
                    .collect::<Vec<_>>()
                    .join("\n"),
            }
        }
    };
    tx.rollback().await.expect("rollback");
    plan
}

/// The type sqlx binds a value as (`sea-query-sqlx`'s PostgreSQL arguments).
fn pg_type(v: &Value) -> &'static str {
    match v {
        Value::Bool(_) => "boolean",
        Value::TinyInt(_) | Value::SmallInt(_) | Value::TinyUnsigned(_) => "smallint",
        Value::Int(_) | Value::SmallUnsigned(_) => "integer",
        Value::BigInt(_) | Value::Unsigned(_) | Value::BigUnsigned(_) => "bigint",
        Value::String(_) | Value::Char(_) => "text",
        Value::Bytes(_) => "bytea",
        Value::Uuid(_) => "uuid",
        other => panic!("no plan test support for a bound {other:?}"),
    }
}

/// A value as a SQL literal, for `EXECUTE`'s arguments.
fn pg_literal(v: &Value) -> String {
    fn quote(s: &str) -> String {
        format!("'{}'", s.replace('\'', "''"))
    }
    let text = match v {
        Value::Bool(b) => b.map(|b| b.to_string()),
        Value::TinyInt(i) => i.map(|i| i.to_string()),
        Value::SmallInt(i) => i.map(|i| i.to_string()),
        Value::Int(i) => i.map(|i| i.to_string()),
        Value::BigInt(i) => i.map(|i| i.to_string()),
        Value::TinyUnsigned(i) => i.map(|i| i.to_string()),
        Value::SmallUnsigned(i) => i.map(|i| i.to_string()),
        Value::Unsigned(i) => i.map(|i| i.to_string()),
        Value::BigUnsigned(i) => i.map(|i| i.to_string()),
        Value::String(s) => s.as_deref().map(quote),
        Value::Char(c) => c.map(|c| quote(&c.to_string())),
        Value::Uuid(u) => u.map(|u| quote(&u.to_string())),
        Value::Bytes(b) => b.as_ref().map(|b| {
            let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
            format!("'\\x{hex}'")
        }),
        other => panic!("no plan test support for a bound {other:?}"),
    };
    text.unwrap_or_else(|| "NULL".to_owned())
}

/// Flattens a PostgreSQL JSON plan node and its children; `inner` when a `Limit` is above it.
fn walk(node: &serde_json::Value, depth: usize, inner: bool, plan: &mut Plan) {
    let field = |k: &str| node[k].as_str().map(str::to_owned);
    let kind = field("Node Type").unwrap_or_default();
    let relation = field("Relation Name");
    let index = field("Index Name");
    let mut line = format!("{}{kind}", "  ".repeat(depth));
    if let Some(i) = &index {
        line.push_str(&format!(" using {i}"));
    }
    if let Some(r) = &relation {
        line.push_str(&format!(" on {r}"));
    }
    for k in ["Index Cond", "Recheck Cond", "Filter"] {
        if let Some(c) = node[k].as_str() {
            line.push_str(&format!("  [{k}: {c}]"));
        }
    }
    plan.text.push_str(&line);
    plan.text.push('\n');
    let limit = kind == "Limit";
    plan.nodes.push(PlanNode {
        index_only: kind == "Index Only Scan",
        sort: kind == "Sort" || kind == "Incremental Sort",
        kind,
        relation,
        index,
        inner,
    });
    if let Some(children) = node["Plans"].as_array() {
        for c in children {
            walk(c, depth + 1, inner || limit, plan);
        }
    }
}

/// `SEARCH t USING INDEX ix (…)`, `SCAN t USING COVERING INDEX ix`, `SCAN t`,
/// `USE TEMP B-TREE FOR ORDER BY`…
fn sqlite_node(line: &str, inner: bool) -> PlanNode {
    let mut words = line.split_whitespace();
    let kind = words.next().unwrap_or_default().to_owned();
    let relation = matches!(kind.as_str(), "SCAN" | "SEARCH")
        .then(|| words.next().map(str::to_owned))
        .flatten();
    let index = line
        .split_once("INDEX ")
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .map(str::to_owned)
        .or_else(|| {
            line.contains("PRIMARY KEY")
                .then(|| "PRIMARY KEY".to_owned())
        });
    PlanNode {
        kind,
        relation,
        index,
        index_only: line.contains("COVERING INDEX"),
        sort: line.contains("TEMP B-TREE"),
        inner,
    }
}
