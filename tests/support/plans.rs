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
        self.nodes
            .iter()
            .any(|n| n.kind == "Sort" || n.kind == "Incremental Sort")
            || self.text.contains("TEMP B-TREE")
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
            walk(&json[0]["Plan"], 0, &mut plan);
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
            let lines: Vec<String> = rows
                .iter()
                .map(|r| r.try_get::<String>("", "detail").expect("detail"))
                .collect();
            Plan {
                nodes: lines.iter().map(|l| sqlite_node(l)).collect(),
                text: lines.join("\n"),
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

/// Flattens a PostgreSQL JSON plan node and its children.
fn walk(node: &serde_json::Value, depth: usize, plan: &mut Plan) {
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
    plan.nodes.push(PlanNode {
        kind,
        relation,
        index,
    });
    if let Some(children) = node["Plans"].as_array() {
        for c in children {
            walk(c, depth + 1, plan);
        }
    }
}

/// `SEARCH t USING INDEX ix (…)`, `SCAN t USING COVERING INDEX ix`, `SCAN t`,
/// `USE TEMP B-TREE FOR ORDER BY`…
fn sqlite_node(line: &str) -> PlanNode {
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
    }
}
