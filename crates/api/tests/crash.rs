//! Crash safety of the real `revshare` binary.
//!
//! - `sigkill_sqlite` / `sigkill_postgres`: the server runs under load (two billing clients
//!   sending payment batches, an operator running payouts and completing them) and is killed
//!   with SIGKILL at a seeded pseudo-random moment, then restarted on the same database, several
//!   times. After every restart: every acknowledged payment is stored exactly once, no payout is
//!   half-made (its total and count equal its commissions, its status matches theirs, and the
//!   reconciliation report is clean), and re-delivering the unacknowledged batches is safe
//!   (what was stored answers `duplicate: true`, the rest is created, and afterwards there is
//!   exactly one commission per distinct payment).
//! - `postgres_outage`: a private PostgreSQL cluster (never the shared server) is stopped under
//!   load; requests must answer 503 `application/problem+json` (never 500, never hang),
//!   `/readyz` 503 and `/healthz` 200; when the cluster is back the same server process serves
//!   again within 20 seconds.
//!
//! PostgreSQL: `sigkill_postgres` needs `TEST_DATABASE_URL` (an admin URL; a fresh database is
//! created and dropped); `postgres_outage` needs root and `initdb`/`pg_ctl` under
//! `/usr/lib/postgresql/*/bin` (it runs them as the `postgres` user). Missing, they skip loudly,
//! unless `REVSHARE_REQUIRE_POSTGRES=1`, which turns a skip into a failure.
//!
//! `REVSHARE_CRASH_SEED` chooses the seed of the kill moments and batch sizes (printed).
//! The tests of this file run one at a time: they time kills and outages, and share two cores.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::OpenOptions;
use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use revshare_infra::{DbConfig, connect};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_revshare");
const JWT_SECRET: &str = "crash-test-jwt-secret-0123456789abcdef-0123456789";
const PASSWORD: &str = "crash-test-bootstrap-password";
const OPERATOR: &str = "admin@revshare.local";
/// Cut-off of every payout run: after every payment date used here.
const PERIOD_END: &str = "2030-12-31T23:59:59Z";
/// Customers attributed to the test partner.
const CUSTOMERS: u64 = 8;
/// Kill cycles per backend.
const CYCLES: usize = 7;
/// The client's bound on any one request: longer counts as a hang.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
const PROBLEM_JSON: &str = "application/problem+json";

// ---------------------------------------------------------------------------------------------
// Plumbing: one test at a time, a runtime, a seeded generator, temp dirs, ports.

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn require_postgres() -> bool {
    std::env::var("REVSHARE_REQUIRE_POSTGRES").as_deref() == Ok("1")
}

/// Skips loudly, or fails when PostgreSQL is required.
fn skip(test: &str, why: &str) {
    if require_postgres() {
        panic!("REVSHARE_REQUIRE_POSTGRES=1 but {test} cannot run: {why}");
    }
    // Straight to stderr, past the test harness's capture: a skip must be seen.
    writeln!(std::io::stderr(), "!!! SKIPPED {test}: {why} !!!").ok();
}

/// SplitMix64: small, seedable, and stable across versions of everything.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[lo, hi)`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo)
    }
}

fn seed() -> u64 {
    match std::env::var("REVSHARE_CRASH_SEED") {
        Ok(s) if !s.trim().is_empty() => s
            .trim()
            .parse()
            .expect("REVSHARE_CRASH_SEED must be an unsigned integer"),
        _ => 20_261_124,
    }
}

/// A directory removed on drop.
#[derive(Debug)]
struct TempDir(PathBuf);

impl TempDir {
    fn new(prefix: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!("{prefix}-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&path).expect("create a temp dir");
        TempDir(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.0).ok();
    }
}

fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    l.local_addr().expect("local addr").port()
}

/// The last lines of a log, for failure messages.
fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

// ---------------------------------------------------------------------------------------------
// The server process.

/// A running `revshare`; killed (SIGKILL) on drop, so none survives a panic.
#[derive(Debug)]
struct Server {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Server {
    fn spawn(db_url: &str, dir: &Path) -> Server {
        let port = free_port();
        let log = dir.join("server.log");
        let mut out = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .expect("open the server log");
        writeln!(out, "=== starting revshare on port {port} ===").ok();
        let err = out.try_clone().expect("clone the log handle");
        let mut cmd = Command::new(BIN);
        cmd.current_dir(dir)
            .env("DATABASE_URL", db_url)
            .env("REVSHARE_BIND", format!("127.0.0.1:{port}"))
            .env("REVSHARE_JWT_SECRET", JWT_SECRET)
            .env("REVSHARE_BOOTSTRAP_PASSWORD", PASSWORD)
            .env("REVSHARE_AUTO_APPROVE_SECONDS", "1")
            .env("REVSHARE_WORKERS", "2")
            .env("RUST_LOG", "warn");
        for var in [
            "REVSHARE_JWT_SECRET_FILE",
            "REVSHARE_JWT_PUBLIC_KEY",
            "REVSHARE_JWT_PRIVATE_KEY",
            "REVSHARE_JWT_ISSUER",
            "REVSHARE_JWT_AUDIENCE",
            "REVSHARE_TOKEN_TTL",
            "REVSHARE_LOG_FORMAT",
            "REVSHARE_DB_MAX_CONNECTIONS",
        ] {
            cmd.env_remove(var);
        }
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            .spawn()
            .expect("spawn the revshare binary");
        Server { child, port, log }
    }

    /// Starts the server and waits until `/readyz` answers 200 (a port taken meanwhile is
    /// retried on another).
    async fn launch(db_url: &str, dir: &Path, http: &reqwest::Client) -> Server {
        for attempt in 0..3 {
            let mut s = Server::spawn(db_url, dir);
            match s.wait_ready(http, Duration::from_secs(30)).await {
                Ok(()) => return s,
                Err(e) if attempt < 2 && e.contains("binding") => continue,
                Err(e) => panic!("{e}"),
            }
        }
        unreachable!("launch retries end in a return or a panic")
    }

    async fn wait_ready(&mut self, http: &reqwest::Client, within: Duration) -> Result<(), String> {
        let deadline = Instant::now() + within;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!(
                    "revshare exited ({status}) before it was ready:\n{}",
                    tail(&self.log, 40)
                ));
            }
            if let Ok(r) = http.get(format!("{}/readyz", self.root())).send().await
                && r.status() == 200
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "revshare not ready within {within:?}:\n{}",
                    tail(&self.log, 40)
                ));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn root(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn api(&self, http: &reqwest::Client, token: &str) -> Api {
        Api {
            http: http.clone(),
            base: format!("{}/api/v1", self.root()),
            token: token.to_owned(),
        }
    }

    /// SIGKILL (what `Child::kill` sends on unix), and reap.
    fn kill(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
        if std::thread::panicking() {
            eprintln!(
                "--- revshare log ({}), last lines ---\n{}",
                self.log.display(),
                tail(&self.log, 60)
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP.

fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .build()
        .expect("a reqwest client")
}

#[derive(Debug, Clone)]
struct Api {
    http: reqwest::Client,
    base: String,
    token: String,
}

/// An answer, read whole.
#[derive(Debug)]
struct Reply {
    status: u16,
    content_type: String,
    total: Option<usize>,
    retry_after: Option<String>,
    body: Value,
    text: String,
}

async fn read(r: reqwest::Response) -> Result<Reply, reqwest::Error> {
    let status = r.status().as_u16();
    let header = |name: &str| {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let content_type = header("content-type").unwrap_or_default();
    let total = header("x-total-count").and_then(|v| v.parse().ok());
    let retry_after = header("retry-after");
    let text = r.text().await?;
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Ok(Reply {
        status,
        content_type,
        total,
        retry_after,
        body,
        text,
    })
}

impl Api {
    async fn get(&self, path: &str) -> Result<Reply, reqwest::Error> {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await?;
        read(r).await
    }

    async fn post(&self, path: &str, body: &Value) -> Result<Reply, reqwest::Error> {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await?;
        read(r).await
    }
}

/// The answer, which must have status `want`.
fn must(r: Result<Reply, reqwest::Error>, want: u16, what: &str) -> Reply {
    match r {
        Ok(r) if r.status == want => r,
        Ok(r) => panic!(
            "{what}: expected {want}, got {} {}: {}",
            r.status, r.content_type, r.text
        ),
        Err(e) => panic!("{what}: request failed: {e}"),
    }
}

async fn login(http: &reqwest::Client, server: &Server) -> String {
    let r = http
        .post(format!("{}/api/v1/auth/login", server.root()))
        .json(&json!({"tenant": "default", "email": OPERATOR, "password": PASSWORD}))
        .send()
        .await;
    let r = must(
        match r {
            Ok(r) => read(r).await,
            Err(e) => Err(e),
        },
        200,
        "operator login",
    );
    r.body["access_token"]
        .as_str()
        .expect("an access token")
        .to_owned()
}

/// An active partner with a 10 % default revenue share and `CUSTOMERS` attributed customers.
async fn setup_partner(api: &Api, number: &str) -> String {
    let p = must(
        api.post(
            "/partners",
            &json!({
                "partner_number": number,
                "name": "Crash Test Resellers",
                "default_terms": {"model": "revenue_share", "rate": "0.10"},
            }),
        )
        .await,
        201,
        "create the partner",
    );
    let id = p.body["id"].as_str().expect("a partner id").to_owned();
    must(
        api.post(
            &format!("/partners/{id}/status"),
            &json!({"status": "active"}),
        )
        .await,
        200,
        "activate the partner",
    );
    for c in 0..CUSTOMERS {
        must(
            api.post(
                &format!("/partners/{id}/accounts"),
                &json!({"customer_id": format!("cust_{c}"), "start_date": "2025-01-01"}),
            )
            .await,
            201,
            "attribute a customer",
        );
    }
    id
}

fn payment(id: &str, rng: &mut Rng) -> Value {
    let cents = rng.range(100, 100_000);
    json!({
        "payment_id": id,
        "invoice_id": format!("inv_{id}"),
        "customer_id": format!("cust_{}", rng.range(0, CUSTOMERS)),
        "amount": format!("{}.{:02}", cents / 100, cents % 100),
        "currency": "USD",
        "paid_at": format!("2026-{:02}-{:02}T10:00:00Z", rng.range(1, 10), rng.range(1, 29)),
    })
}

/// A decimal string with at most 2 decimals, in cents.
fn cents(text: &str) -> i64 {
    let (neg, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    assert!(frac.len() <= 2, "{text:?} has more than 2 decimals");
    let frac = format!("{frac:0<2}");
    let v = int.parse::<i64>().expect("integer part") * 100
        + frac.parse::<i64>().expect("fraction part");
    if neg { -v } else { v }
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

/// Every row of a list endpoint (`path` already has a query string), page by page.
async fn list_all(api: &Api, path: &str) -> Vec<Value> {
    let mut out = Vec::new();
    loop {
        let r = must(
            api.get(&format!("{path}&limit=500&offset={}", out.len()))
                .await,
            200,
            path,
        );
        let total = r.total.expect("X-Total-Count");
        let items = r.body.as_array().cloned().unwrap_or_default();
        let got = items.len();
        out.extend(items);
        if got == 0 || out.len() >= total {
            assert_eq!(out.len(), total, "{path}: rows read vs X-Total-Count");
            return out;
        }
    }
}

async fn assert_reconciled(api: &Api, what: &str) {
    let r = must(api.get("/reconciliation").await, 200, "reconciliation");
    assert_eq!(
        r.body["clean"],
        json!(true),
        "{what}: the reconciliation report is not clean: {}",
        r.text
    );
}

// ---------------------------------------------------------------------------------------------
// SIGKILL cycles.

/// What the clients sent and what the server acknowledged, across restarts.
#[derive(Debug, Default)]
struct Book {
    /// Every payment ever sent, by id.
    sent: BTreeMap<String, Value>,
    /// Payments whose batch answered 200.
    acked: HashSet<String>,
    /// Ids of every acknowledged batch.
    acked_batches: Vec<Vec<String>>,
    /// Batches that got no 200 (the server died under them).
    unacked: Vec<Vec<Value>>,
    /// Anything a live server answered that it should not have.
    anomalies: Vec<String>,
}

type Shared = Arc<Mutex<Book>>;

/// A billing client: batches of 100–300 fresh payments until the server dies or `stop`.
async fn billing_client(
    api: Api,
    book: Shared,
    stop: Arc<AtomicBool>,
    mut rng: Rng,
    tag: String,
) -> usize {
    let mut n = 0;
    while !stop.load(Ordering::SeqCst) {
        let size = usize::try_from(rng.range(100, 301)).expect("small");
        let payments: Vec<Value> = (0..size)
            .map(|i| payment(&format!("{tag}-b{n}-{i}"), &mut rng))
            .collect();
        n += 1;
        {
            let mut b = lock(&book);
            for p in &payments {
                b.sent.insert(s(&p["payment_id"]).to_owned(), p.clone());
            }
        }
        match api
            .post("/ingest/payments/batch", &json!({ "payments": payments }))
            .await
        {
            Ok(r) if r.status == 200 => {
                let results = r.body["results"].as_array().cloned().unwrap_or_default();
                let mut b = lock(&book);
                if results.len() != payments.len() {
                    b.anomalies.push(format!(
                        "{tag}: a batch of {} answered {} results",
                        payments.len(),
                        results.len()
                    ));
                }
                for (p, o) in payments.iter().zip(&results) {
                    if o["id"] != p["payment_id"]
                        || o["outcome"] != "created"
                        || o["duplicate"] != json!(false)
                    {
                        b.anomalies
                            .push(format!("{tag}: fresh payment {p} answered {o}"));
                    }
                }
                let ids: Vec<String> = payments
                    .iter()
                    .map(|p| s(&p["payment_id"]).to_owned())
                    .collect();
                b.acked.extend(ids.iter().cloned());
                b.acked_batches.push(ids);
            }
            Ok(r) => {
                let mut b = lock(&book);
                b.anomalies
                    .push(format!("{tag}: a batch answered {} {}", r.status, r.text));
                b.unacked.push(payments);
            }
            Err(_) => {
                lock(&book).unacked.push(payments);
                break;
            }
        }
    }
    n
}

/// The operator: payout runs, and every unfinished payout one step closer to completed.
async fn payout_operator(api: Api, book: Shared, stop: Arc<AtomicBool>) -> (usize, usize) {
    let (mut runs, mut moves) = (0, 0);
    'work: while !stop.load(Ordering::SeqCst) {
        match api
            .post("/payouts/run", &json!({ "period_end": PERIOD_END }))
            .await
        {
            Ok(r) if r.status == 200 => runs += 1,
            Ok(r) => lock(&book)
                .anomalies
                .push(format!("payout run answered {} {}", r.status, r.text)),
            Err(_) => break,
        }
        for (from, to) in [
            ("processing", "completed"),
            ("ready", "processing"),
            ("pending", "ready"),
        ] {
            let listed = match api.get(&format!("/payouts?status={from}&limit=500")).await {
                Ok(r) if r.status == 200 => r,
                Ok(r) => {
                    lock(&book)
                        .anomalies
                        .push(format!("payout list answered {} {}", r.status, r.text));
                    continue;
                }
                Err(_) => break 'work,
            };
            for p in listed.body.as_array().cloned().unwrap_or_default() {
                let id = s(&p["id"]).to_owned();
                let body = if to == "completed" {
                    json!({"status": to, "payment_reference": format!("REF-{id}")})
                } else {
                    json!({ "status": to })
                };
                match api.post(&format!("/payouts/{id}/status"), &body).await {
                    Ok(r) if r.status == 200 => moves += 1,
                    Ok(r) => lock(&book).anomalies.push(format!(
                        "payout {id} {from} → {to} answered {} {}",
                        r.status, r.text
                    )),
                    Err(_) => break 'work,
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    (runs, moves)
}

/// The books after a restart: every acknowledged payment stored exactly once and as sent,
/// nothing stored that was never sent, every payout whole. Answers the stored payment ids.
async fn check_books(api: &Api, partner: &str, book: &Shared, what: &str) -> HashSet<String> {
    let commissions = list_all(api, &format!("/commissions?partner_id={partner}")).await;
    let payouts = list_all(api, &format!("/payouts?partner_id={partner}")).await;
    assert_reconciled(api, what).await;
    let b = lock(book);

    let mut per_payment: HashMap<String, usize> = HashMap::new();
    let mut per_payout: HashMap<String, Vec<&Value>> = HashMap::new();
    for c in &commissions {
        assert_eq!(
            s(&c["event_type"]),
            "invoice_payment",
            "{what}: unexpected commission {c}"
        );
        let pid = s(&c["payment_id"]).to_owned();
        let Some(sent) = b.sent.get(&pid) else {
            panic!("{what}: a commission for a payment never sent: {c}");
        };
        assert_eq!(
            cents(s(&c["base_amount"])),
            cents(s(&sent["amount"])),
            "{what}: commission {c} does not match payment {sent}"
        );
        *per_payment.entry(pid).or_default() += 1;
        match c.get("payout_id").and_then(Value::as_str) {
            Some(payout) => per_payout.entry(payout.to_owned()).or_default().push(c),
            None => assert_eq!(
                s(&c["status"]),
                "approved",
                "{what}: an unclaimed commission that is not approved: {c}"
            ),
        }
    }
    let doubled: Vec<_> = per_payment.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        doubled.is_empty(),
        "{what}: payments with more than one commission: {doubled:?}"
    );
    let stored: HashSet<String> = per_payment.into_keys().collect();
    let mut lost: Vec<&String> = b.acked.difference(&stored).collect();
    lost.sort();
    assert!(
        lost.is_empty(),
        "{what}: {} acknowledged payments are not stored, e.g. {:?}",
        lost.len(),
        &lost[..lost.len().min(5)]
    );

    for p in &payouts {
        let id = s(&p["id"]);
        let mine = per_payout.remove(id).unwrap_or_default();
        let sum: i64 = mine.iter().map(|c| cents(s(&c["amount"]))).sum();
        assert_eq!(
            (mine.len() as u64, sum),
            (
                p["commission_count"].as_u64().expect("commission_count"),
                cents(s(&p["total_amount"]))
            ),
            "{what}: payout {p} is half-made: its commissions count {} and sum {sum} cents",
            mine.len()
        );
        let want = match s(&p["status"]) {
            "completed" => "paid",
            "pending" | "ready" | "processing" => "approved",
            other => panic!("{what}: payout {id} is {other}, which nothing here asked for"),
        };
        for c in mine {
            assert_eq!(
                s(&c["status"]),
                want,
                "{what}: in payout {p}, commission {c}"
            );
        }
    }
    assert!(
        per_payout.is_empty(),
        "{what}: commissions claimed by payouts that do not exist: {:?}",
        per_payout.keys().collect::<Vec<_>>()
    );
    stored
}

/// Re-delivers the unacknowledged batches (what was stored must answer `duplicate: true`, the
/// rest be created) and replays one acknowledged batch (all duplicates); then there must be
/// exactly one commission per distinct payment. Answers (batches, payments already stored).
async fn redeliver(
    api: &Api,
    partner: &str,
    book: &Shared,
    stored: &HashSet<String>,
    rng: &mut Rng,
    what: &str,
) -> (usize, usize) {
    let batches = std::mem::take(&mut lock(book).unacked);
    let mut already = 0;
    for batch in &batches {
        let r = must(
            api.post("/ingest/payments/batch", &json!({ "payments": batch }))
                .await,
            200,
            &format!("{what}: re-delivering a batch"),
        );
        let results = r.body["results"].as_array().cloned().unwrap_or_default();
        assert_eq!(
            results.len(),
            batch.len(),
            "{what}: results of a re-delivery"
        );
        let mut b = lock(book);
        for (p, o) in batch.iter().zip(&results) {
            let id = s(&p["payment_id"]);
            let was = stored.contains(id);
            already += usize::from(was);
            assert_eq!(o["id"], p["payment_id"], "{what}: re-delivery order");
            assert_eq!(
                (s(&o["outcome"]), o["duplicate"].as_bool()),
                ("created", Some(was)),
                "{what}: re-delivered payment {id} (stored before: {was}) answered {o}"
            );
            b.acked.insert(id.to_owned());
        }
    }
    let replay: Option<Vec<Value>> = {
        let b = lock(book);
        (!b.acked_batches.is_empty()).then(|| {
            let i = usize::try_from(rng.range(0, b.acked_batches.len() as u64)).expect("small");
            b.acked_batches[i]
                .iter()
                .map(|id| b.sent[id].clone())
                .collect()
        })
    };
    if let Some(batch) = replay {
        let r = must(
            api.post("/ingest/payments/batch", &json!({ "payments": batch }))
                .await,
            200,
            &format!("{what}: replaying an acknowledged batch"),
        );
        for o in r.body["results"].as_array().cloned().unwrap_or_default() {
            assert_eq!(
                o["duplicate"],
                json!(true),
                "{what}: a replayed acknowledged payment answered {o}"
            );
        }
    }
    let total = must(
        api.get(&format!("/commissions?partner_id={partner}&limit=1"))
            .await,
        200,
        "count the commissions",
    )
    .total
    .expect("X-Total-Count");
    let sent = lock(book).sent.len();
    assert_eq!(
        total, sent,
        "{what}: after re-delivery, commissions vs distinct payments sent"
    );
    assert_reconciled(api, what).await;
    (batches.len(), already)
}

async fn kill_cycles(label: &str, db_url: &str, dir: &Path) {
    let seed = seed();
    eprintln!("[{label}] seed {seed} (set REVSHARE_CRASH_SEED to replay)");
    let mut rng = Rng(seed ^ label.bytes().fold(0, |h, b| h * 31 + u64::from(b)));
    let began = Instant::now();
    let http = http_client();
    let mut server = Server::launch(db_url, dir, &http).await;
    let token = login(&http, &server).await;
    let partner = setup_partner(&server.api(&http, &token), "P-CRASH").await;
    let book: Shared = Arc::default();

    for cycle in 0..CYCLES {
        let what = format!("[{label}] cycle {cycle}");
        let api = server.api(&http, &token);
        let stop = Arc::new(AtomicBool::new(false));
        let acked_before = lock(&book).acked_batches.len();
        let clients: Vec<_> = (0..2)
            .map(|k| {
                tokio::spawn(billing_client(
                    api.clone(),
                    book.clone(),
                    stop.clone(),
                    Rng(rng.next()),
                    format!("c{cycle}k{k}"),
                ))
            })
            .collect();
        let operator = tokio::spawn(payout_operator(api, book.clone(), stop.clone()));

        // Half the kills come early, 50–400 ms into the cycle (inside the first batches); the
        // other half 0–400 ms after the cycle's first acknowledged batch (a batch of 100–300
        // payments can take over a second on a debug build with SQLite's fsync per commit), so
        // acknowledgements just before a kill are checked too.
        let cycle_start = Instant::now();
        let when = if rng.next().is_multiple_of(2) {
            let delay = rng.range(50, 400);
            tokio::time::sleep(Duration::from_millis(delay)).await;
            format!("{delay} ms into the cycle")
        } else {
            let delay = rng.range(0, 400);
            while lock(&book).acked_batches.len() == acked_before {
                assert!(
                    cycle_start.elapsed() < Duration::from_secs(20),
                    "{what}: no batch acknowledged within 20 s"
                );
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            let acked_at = cycle_start.elapsed();
            tokio::time::sleep(Duration::from_millis(delay)).await;
            format!(
                "{} ms into the cycle, {delay} ms after the first acknowledgement",
                (acked_at + Duration::from_millis(delay)).as_millis()
            )
        };
        server.kill();
        stop.store(true, Ordering::SeqCst);
        let mut batches = 0;
        for c in clients {
            batches += tokio::time::timeout(Duration::from_secs(15), c)
                .await
                .expect("a billing client stops once the server is dead")
                .expect("billing client");
        }
        let (runs, moves) = tokio::time::timeout(Duration::from_secs(15), operator)
            .await
            .expect("the operator stops once the server is dead")
            .expect("operator");

        server = Server::launch(db_url, dir, &http).await;
        let api = server.api(&http, &token);
        let anomalies = std::mem::take(&mut lock(&book).anomalies);
        assert!(
            anomalies.is_empty(),
            "{what}: the live server answered wrongly: {anomalies:#?}"
        );
        let stored = check_books(&api, &partner, &book, &what).await;
        let (unacked, already) = redeliver(&api, &partner, &book, &stored, &mut rng, &what).await;
        let (acked, sent) = {
            let b = lock(&book);
            (b.acked.len(), b.sent.len())
        };
        eprintln!(
            "{what}: SIGKILL {when}; {batches} batches sent, {} acknowledged, {unacked} \
             not ({already} of their payments were stored); {runs} payout runs, {moves} payout \
             moves; books whole, {acked}/{sent} payments stored",
            lock(&book).acked_batches.len() - acked_before
        );
    }
    let payouts = list_all(
        &server.api(&http, &token),
        &format!("/payouts?partner_id={partner}"),
    )
    .await;
    let acked_batches = lock(&book).acked_batches.len();
    eprintln!(
        "[{label}] {CYCLES} kill cycles in {:.1} s; {acked_batches} batches acknowledged before \
         a kill; {} payouts made",
        began.elapsed().as_secs_f64(),
        payouts.len()
    );
    assert!(
        acked_batches > 0,
        "[{label}] no batch was acknowledged before a kill: the check of acknowledged payments \
         proved nothing (try another REVSHARE_CRASH_SEED)"
    );
    // Secrets never reach the logs: not the signing key, not a bearer token.
    let logged = std::fs::read_to_string(&server.log).unwrap_or_default();
    assert!(!logged.is_empty(), "[{label}] the server wrote no log");
    assert!(
        !logged.contains(JWT_SECRET),
        "[{label}] the JWT secret appears in the server log"
    );
    assert!(
        !logged.contains(&token),
        "[{label}] a bearer token appears in the server log"
    );
}

#[test]
fn sigkill_sqlite() {
    let _one = serial();
    let dir = TempDir::new("revshare-crash-sqlite");
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("revshare.db").display()
    );
    runtime().block_on(kill_cycles("sqlite", &url, dir.path()));
}

/// A fresh database on the shared PostgreSQL server, dropped (`WITH (FORCE)`) on drop.
#[derive(Debug)]
struct PgDatabase {
    admin: String,
    name: String,
    url: String,
}

impl PgDatabase {
    async fn create(admin: &str) -> PgDatabase {
        let name = format!("revshare_crash_{}", uuid::Uuid::now_v7().simple());
        let db = connect(&DbConfig::new(admin))
            .await
            .expect("connect to TEST_DATABASE_URL");
        db.execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create the test database");
        db.close().await.ok();
        let base = admin.rsplit_once('/').map_or(admin, |(b, _)| b);
        PgDatabase {
            admin: admin.to_owned(),
            url: format!("{base}/{name}"),
            name,
        }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        // A thread of its own: drop may run inside (or after) the test's runtime.
        let done = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                let db = connect(&DbConfig::new(admin)).await.ok()?;
                db.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await
                    .ok()?;
                db.close().await.ok()
            })
        })
        .join();
        if !matches!(done, Ok(Some(()))) {
            eprintln!("warning: could not drop the test database {}", self.name);
        }
    }
}

#[test]
fn sigkill_postgres() {
    let _one = serial();
    let admin = match std::env::var("TEST_DATABASE_URL") {
        Ok(u) if !u.is_empty() => u,
        _ => return skip("sigkill_postgres", "TEST_DATABASE_URL is not set"),
    };
    let rt = runtime();
    let db = rt.block_on(PgDatabase::create(&admin));
    let dir = TempDir::new("revshare-crash-pg");
    rt.block_on(kill_cycles("postgres", &db.url, dir.path()));
}

// ---------------------------------------------------------------------------------------------
// Database outage, on a private PostgreSQL cluster.

/// A throwaway PostgreSQL cluster run by the `postgres` OS user; stopped and removed on drop.
#[derive(Debug)]
struct PgCluster {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
}

/// The newest `/usr/lib/postgresql/<version>/bin` holding `initdb` and `pg_ctl`.
fn pg_bin() -> Option<PathBuf> {
    std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let version: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            (bin.join("initdb").is_file() && bin.join("pg_ctl").is_file()).then_some((version, bin))
        })
        .max()
        .map(|(_, bin)| bin)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn as_postgres(program: &Path, args: &[&str]) -> Output {
    Command::new("runuser")
        .args(["-u", "postgres", "--"])
        .arg(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run runuser")
}

fn ok_or_panic(o: &Output, what: &str, log: Option<&Path>) {
    assert!(
        o.status.success(),
        "{what} failed ({}):\n{}\n{}\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
        log.map(|l| tail(l, 30)).unwrap_or_default()
    );
}

impl PgCluster {
    /// Why the cluster cannot be made here, if it cannot.
    fn unavailable() -> Option<String> {
        if !is_root() {
            return Some("not root (initdb and pg_ctl run as the postgres user)".into());
        }
        if pg_bin().is_none() {
            return Some("no initdb/pg_ctl under /usr/lib/postgresql/*/bin".into());
        }
        if !Path::new("/usr/sbin/runuser").exists() && !Path::new("/sbin/runuser").exists() {
            return Some("runuser is not installed".into());
        }
        if Command::new("id")
            .arg("postgres")
            .output()
            .map_or(true, |o| !o.status.success())
        {
            return Some("there is no postgres OS user".into());
        }
        None
    }

    fn create() -> PgCluster {
        let bin = pg_bin().expect("initdb");
        // Under /tmp: the postgres user must reach it (TMPDIR may be private), and the socket
        // path must stay short.
        let dir = PathBuf::from(format!(
            "/tmp/revshare-pg-{}",
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        ));
        std::fs::create_dir_all(&dir).expect("create the cluster dir");
        let cluster = PgCluster {
            bin,
            dir,
            port: free_port(),
        };
        let chown = Command::new("chown")
            .arg("postgres:postgres")
            .arg(&cluster.dir)
            .output()
            .expect("run chown");
        ok_or_panic(&chown, "chown of the cluster dir", None);
        let data = cluster.data();
        let init = as_postgres(
            &cluster.bin.join("initdb"),
            &[
                "-D",
                &data,
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        );
        ok_or_panic(&init, "initdb", None);
        cluster
    }

    fn data(&self) -> String {
        self.dir.join("data").display().to_string()
    }

    fn log(&self) -> PathBuf {
        self.dir.join("postgres.log")
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn start(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.display()
        );
        let o = as_postgres(
            &self.bin.join("pg_ctl"),
            &[
                "-D",
                &self.data(),
                "-l",
                &self.log().display().to_string(),
                "-w",
                "-t",
                "60",
                "-o",
                &options,
                "start",
            ],
        );
        ok_or_panic(&o, "pg_ctl start", Some(&self.log()));
    }

    fn stop_immediate(&self) -> Output {
        as_postgres(
            &self.bin.join("pg_ctl"),
            &["-D", &self.data(), "-m", "immediate", "-w", "stop"],
        )
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "--- private PostgreSQL log, last lines ---\n{}",
                tail(&self.log(), 30)
            );
        }
        self.stop_immediate();
        std::fs::remove_dir_all(&self.dir).ok();
    }
}

/// One request of the load, as the client saw it.
#[derive(Debug)]
struct Sample {
    kind: &'static str,
    start: Instant,
    end: Instant,
    /// Status and content type, or why there was no answer.
    answer: Result<(u16, String), String>,
    text: String,
}

/// Payments sent during the outage test, and whether each was acknowledged.
type Sent = Arc<Mutex<BTreeMap<String, (Value, bool)>>>;

async fn metrics_load(api: Api, partner: String, stop: Arc<AtomicBool>) -> Vec<Sample> {
    let mut out = Vec::new();
    while !stop.load(Ordering::SeqCst) {
        let start = Instant::now();
        let r = api
            .get(&format!("/partners/revenue/metrics?partner_id={partner}"))
            .await;
        out.push(sample("metrics", start, r));
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    out
}

async fn ingest_load(
    api: Api,
    sent: Sent,
    stop: Arc<AtomicBool>,
    mut rng: Rng,
    tag: String,
) -> Vec<Sample> {
    let mut out = Vec::new();
    let mut n = 0;
    while !stop.load(Ordering::SeqCst) {
        let payments: Vec<Value> = (0..5)
            .map(|i| payment(&format!("{tag}-{n}-{i}"), &mut rng))
            .collect();
        n += 1;
        let start = Instant::now();
        let r = api
            .post("/ingest/payments/batch", &json!({ "payments": payments }))
            .await;
        let acked = matches!(&r, Ok(r) if r.status == 200);
        {
            let mut m = lock(&sent);
            for p in payments {
                m.insert(s(&p["payment_id"]).to_owned(), (p, acked));
            }
        }
        out.push(sample("ingest", start, r));
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    out
}

fn sample(kind: &'static str, start: Instant, r: Result<Reply, reqwest::Error>) -> Sample {
    let end = Instant::now();
    match r {
        Ok(r) => Sample {
            kind,
            start,
            end,
            answer: Ok((r.status, r.content_type)),
            text: r.text.chars().take(300).collect(),
        },
        Err(e) => Sample {
            kind,
            start,
            end,
            answer: Err(format!("{e:?}")),
            text: String::new(),
        },
    }
}

async fn outage(cluster: &PgCluster) {
    let began = Instant::now();
    let dir = TempDir::new("revshare-outage");
    let http = http_client();
    let server = Server::launch(&cluster.url(), dir.path(), &http).await;
    let token = login(&http, &server).await;
    let api = server.api(&http, &token);
    let partner = setup_partner(&api, "P-OUTAGE").await;

    let stop = Arc::new(AtomicBool::new(false));
    let sent: Sent = Arc::default();
    let mut load = Vec::new();
    for _ in 0..3 {
        load.push(tokio::spawn(metrics_load(
            api.clone(),
            partner.clone(),
            stop.clone(),
        )));
    }
    for k in 0..2 {
        load.push(tokio::spawn(ingest_load(
            api.clone(),
            sent.clone(),
            stop.clone(),
            Rng(0x07a6_e000 ^ k),
            format!("out-k{k}"),
        )));
    }
    tokio::time::sleep(Duration::from_millis(1_500)).await;

    let stopping = Instant::now();
    let o = cluster.stop_immediate();
    ok_or_panic(&o, "pg_ctl stop -m immediate", Some(&cluster.log()));
    let stopped = Instant::now();
    eprintln!(
        "[outage] private cluster stopped (immediate) in {:?}",
        stopped - stopping
    );

    // While the database is down.
    let t = Instant::now();
    let health = http
        .get(format!("{}/healthz", server.root()))
        .send()
        .await
        .expect("/healthz answers during the outage");
    assert_eq!(health.status(), 200, "/healthz during the outage");
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "/healthz took {:?} during the outage",
        t.elapsed()
    );
    // Both need the database: each waits out the pool's acquire timeout, so ask together.
    let t = Instant::now();
    let timed = |req: reqwest::RequestBuilder| async move {
        let r = read(req.send().await?).await?;
        Ok::<_, reqwest::Error>((r, t.elapsed()))
    };
    let (ready, login_reply) = tokio::join!(
        timed(http.get(format!("{}/readyz", server.root()))),
        timed(
            http.post(format!("{}/api/v1/auth/login", server.root()))
                .json(&json!({"tenant": "default", "email": OPERATOR, "password": PASSWORD}))
        ),
    );
    for (what, r) in [("/readyz", ready), ("login", login_reply)] {
        let (r, took) = r.unwrap_or_else(|e| panic!("{what} during the outage: no answer: {e}"));
        eprintln!("[outage] {what} answered {} in {took:?}", r.status);
        assert_eq!(
            (r.status, r.content_type.as_str(), r.retry_after.is_some()),
            (503, PROBLEM_JSON, true),
            "{what} during the outage (status, content type, Retry-After): {}",
            r.text
        );
    }

    let outage_for = Duration::from_secs(7);
    tokio::time::sleep(outage_for.saturating_sub(stopped.elapsed())).await;
    stop.store(true, Ordering::SeqCst);
    let mut samples = Vec::new();
    for l in load {
        samples.extend(
            tokio::time::timeout(Duration::from_secs(20), l)
                .await
                .expect("the load stops")
                .expect("load task"),
        );
    }

    // What the clients saw.
    let mut wrong = Vec::new();
    let mut during: HashMap<&str, usize> = HashMap::new();
    let mut slowest = Duration::ZERO;
    for x in &samples {
        slowest = slowest.max(x.end - x.start);
        let ok = match &x.answer {
            Err(e) => {
                wrong.push(format!(
                    "{} sent {:?} after the stop: no answer ({e})",
                    x.kind,
                    x.start.saturating_duration_since(stopping)
                ));
                continue;
            }
            Ok((status, ct)) => {
                let unavailable = *status == 503 && ct == PROBLEM_JSON;
                if x.start >= stopped {
                    *during.entry(x.kind).or_default() += 1;
                    unavailable
                } else if x.end <= stopping {
                    matches!(status, 200 | 201)
                } else {
                    matches!(status, 200 | 201) || unavailable
                }
            }
        };
        if !ok {
            wrong.push(format!(
                "{} started {:+.3} s from the stop, took {:?}: {:?} {}",
                x.kind,
                if x.start >= stopping {
                    (x.start - stopping).as_secs_f64()
                } else {
                    -(stopping - x.start).as_secs_f64()
                },
                x.end - x.start,
                x.answer,
                x.text
            ));
        }
    }
    eprintln!(
        "[outage] {} requests under load, {:?} during the outage, slowest {slowest:?}",
        samples.len(),
        during
    );
    assert!(
        wrong.is_empty(),
        "answers that are not 200 before or 503 problem+json during the outage:\n{}",
        wrong.join("\n")
    );
    for kind in ["metrics", "ingest"] {
        assert!(
            during.get(kind).copied().unwrap_or(0) > 0,
            "no {kind} request was made during the outage"
        );
    }

    // The database comes back: the same process serves again.
    cluster.start();
    let back = Instant::now();
    loop {
        let r = http.get(format!("{}/readyz", server.root())).send().await;
        if matches!(&r, Ok(r) if r.status() == 200) {
            break;
        }
        assert!(
            back.elapsed() < Duration::from_secs(20),
            "/readyz still not 200 {:?} after the database came back: {:?}",
            back.elapsed(),
            r.map(|r| r.status())
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!(
        "[outage] /readyz 200 again {:?} after the cluster came back",
        back.elapsed()
    );
    for i in 0..10 {
        must(
            api.get(&format!("/partners/revenue/metrics?partner_id={partner}"))
                .await,
            200,
            &format!("metrics #{i} after the outage"),
        );
    }
    let mut rng = Rng(7);
    let fresh: Vec<Value> = (0..5)
        .map(|i| payment(&format!("after-{i}"), &mut rng))
        .collect();
    must(
        api.post("/ingest/payments/batch", &json!({ "payments": fresh }))
            .await,
        200,
        "ingest after the outage",
    );
    {
        let mut m = lock(&sent);
        for p in fresh {
            m.insert(s(&p["payment_id"]).to_owned(), (p, true));
        }
    }

    // Nothing acknowledged was lost; what was refused is safe to send again.
    let pending: Vec<Value> = lock(&sent)
        .values()
        .filter(|(_, acked)| !acked)
        .map(|(p, _)| p.clone())
        .collect();
    for chunk in pending.chunks(500) {
        must(
            api.post("/ingest/payments/batch", &json!({ "payments": chunk }))
                .await,
            200,
            "re-deliver the payments refused during the outage",
        );
    }
    let commissions = list_all(&api, &format!("/commissions?partner_id={partner}")).await;
    let stored: HashSet<&str> = commissions.iter().map(|c| s(&c["payment_id"])).collect();
    let sent: HashSet<String> = lock(&sent).keys().cloned().collect();
    assert_eq!(
        (commissions.len(), stored.len()),
        (sent.len(), sent.len()),
        "one commission per distinct payment after the outage"
    );
    assert!(
        sent.iter().all(|id| stored.contains(id.as_str())),
        "a payment is missing after the outage"
    );
    assert_reconciled(&api, "after the outage").await;
    eprintln!(
        "[outage] done in {:.1} s; {} payments re-delivered after the outage",
        began.elapsed().as_secs_f64(),
        pending.len()
    );
}

#[test]
fn postgres_outage() {
    let _one = serial();
    if let Some(why) = PgCluster::unavailable() {
        return skip("postgres_outage (private PostgreSQL cluster)", &why);
    }
    let cluster = PgCluster::create();
    cluster.start();
    runtime().block_on(outage(&cluster));
}
