//! `cargo xtask bench`: the performance figures of revshare, each beside its floor measured
//! in the same run (the same rows or query through the driver directly; `/healthz` under the
//! same load for HTTP), written to `docs/benchmarks.md` and as JSON.
//!
//! One invocation: fresh databases; the dataset loaded through the use cases; then ingestion
//! (use case), the payout run, and — against the real `revshare` binary on a free port —
//! ingestion over HTTP, metrics, commission lists, a 64-connection load and the server's
//! memory. Every figure is measured `--runs` times and reported as min / median / max.
//!
//! With `--build release` (the default) a debug harness builds the release server and
//! harness, then hands over to the release harness, so every figure is of optimised code.

mod dataset;
mod db;
mod environment;
mod http_load;
mod ingestion;
mod lists;
mod memory;
mod metrics;
mod payouts;
mod profile;
mod report;
mod server;
mod stats;

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, ensure};
use clap::{Args, ValueEnum};
use revshare_domain::access::Role;
use revshare_infra::DatabaseConnection;

use dataset::{Dataset, Loaded, MONTH};
use db::DbKind;
use http_load::LoadResult;
use profile::{LOAD_CONNECTIONS, Profile, ProfileName};
use report::{Figure, Report, Target};
use server::Server;

/// Set in the environment of the release harness a debug harness hands over to.
const HANDED_OVER: &str = "REVSHARE_BENCH_HANDED_OVER";

/// Options of `bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// `sqlite` (a file under `target/bench/`) or `postgres` (database
    /// `revshare_bench_<profile>`, created through the admin URL `--database-url`, default
    /// postgres://postgres@127.0.0.1:5432/postgres).
    #[arg(long, value_enum)]
    db: DbKind,
    /// `small` (minutes) or `large` (10 million events).
    #[arg(long, value_enum, default_value = "small")]
    profile: ProfileName,
    /// Runs of every figure (min / median / max over them).
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// The markdown file; only this database and profile's section is replaced.
    #[arg(long)]
    out: Option<PathBuf>,
    /// The raw figures (default `docs/benchmarks/<db>-<profile>.json`).
    #[arg(long)]
    json: Option<PathBuf>,
    /// Seed of the dataset.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Build of the server and of the harness. `debug` figures are labelled as such.
    #[arg(long, value_enum, default_value = "release")]
    build: Build,
    /// Ingestion batches in flight (default: 2 on PostgreSQL, 1 on SQLite).
    #[arg(long)]
    concurrency: Option<usize>,
    /// Lanes loading the dataset (default: 4 on PostgreSQL, 1 on SQLite).
    #[arg(long)]
    load_lanes: Option<usize>,
}

/// `--build`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Build {
    Release,
    Debug,
}

/// What every measurement needs.
pub struct Bench {
    pub profile: Profile,
    pub data: Dataset,
    pub loaded: Loaded,
    /// The bench database, with the server's settings.
    pub db: DatabaseConnection,
    /// Ingestion batches in flight.
    pub concurrency: usize,
    pub runs: usize,
}

impl std::fmt::Debug for Bench {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bench")
            .field("profile", &self.profile.name)
            .field("runs", &self.runs)
            .finish_non_exhaustive()
    }
}

fn step(t0: Instant, what: &str) {
    println!("[{:>6.1}s] {what}", t0.elapsed().as_secs_f64());
}

/// Runs the bench.
pub async fn run(args: BenchArgs, database_url: &str) -> anyhow::Result<()> {
    ensure!((1..=20).contains(&args.runs), "--runs must be 1 to 20");
    let release = args.build == Build::Release;
    let handed_over = std::env::var_os(HANDED_OVER).is_some();
    if release && cfg!(debug_assertions) && !handed_over {
        // Build both binaries in release, then let the release harness do the work.
        server::build(true, true)?;
        let harness = server::binary("revshare-xtask", true);
        let status = std::process::Command::new(&harness)
            .args(std::env::args_os().skip(1))
            .env(HANDED_OVER, "1")
            .status()
            .with_context(|| format!("running {}", harness.display()))?;
        std::process::exit(status.code().unwrap_or(1));
    }
    if !handed_over {
        server::build(release, false)?;
    }

    let t0 = Instant::now();
    let kind = args.db;
    let profile = Profile::of(args.profile);
    let key = format!("{}-{}", kind.name(), profile.name);
    let root = server::workspace_root();
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| root.join("docs/benchmarks.md"));
    let json = args
        .json
        .clone()
        .unwrap_or_else(|| root.join(format!("docs/benchmarks/{key}.json")));
    let admin = if database_url.starts_with("postgres") {
        database_url
    } else {
        db::DEFAULT_ADMIN_URL
    };
    let bench_dir = server::target_dir().join("bench");
    let concurrency = args.concurrency.unwrap_or(match kind {
        DbKind::Postgres => 2,
        DbKind::Sqlite => 1,
    });
    let lanes = args.load_lanes.unwrap_or(match kind {
        DbKind::Postgres => 4,
        DbKind::Sqlite => 1,
    });
    ensure!(
        (1..=64).contains(&concurrency) && (1..=64).contains(&lanes),
        "--concurrency and --load-lanes must be 1 to 64"
    );

    step(t0, &format!("{key}: fresh databases"));
    let url = db::prepare(kind, profile.name, admin, &bench_dir).await?;
    let data = Dataset::plan(args.seed, &profile);

    step(
        t0,
        &format!(
            "loading {} + {} events through the use cases ({lanes} lane(s))",
            data.main.events(),
            data.payouts.events()
        ),
    );
    let loader = db::loader(&url, lanes as u32 + 1).await?;
    let (loaded, load) = dataset::load(&loader, &data, lanes).await?;
    db::settle(&loader).await?;
    loader.close().await.ok();
    let load_rate = load.events as f64 / load.ingest.as_secs_f64();
    step(
        t0,
        &format!(
            "loaded in {:.1?} ({load_rate:.0} events/s, commits not waiting for the disk)",
            load.setup + load.ingest
        ),
    );

    let bench = Bench {
        db: db::measured(&url).await?,
        profile,
        data,
        loaded,
        concurrency,
        runs: args.runs,
    };
    let database = db::version(&bench.db).await?;

    step(t0, "ingestion through the use case");
    let mut dom = Vec::new();
    for run in 0..bench.runs {
        let r = ingestion::domain_run(&bench, run).await?;
        println!(
            "  run {}: {:.0} events/s (raw floor {:.0}/s) {:?}",
            run + 1,
            r.rate,
            r.floor_rate,
            r.outcomes
        );
        dom.push(r);
    }

    step(t0, "payout run");
    let payout_figures = payouts::measure(&bench).await?;

    step(t0, "starting the server");
    let srv = Server::start(
        &server::binary("revshare", release),
        &url,
        &bench_dir.join(&key),
    )
    .await?;
    let idle = memory::rss(srv.pid)?;

    step(t0, "ingestion through HTTP");
    let mut http = Vec::new();
    for run in 0..bench.runs {
        let r = ingestion::http_run(&bench, &srv, run).await?;
        println!(
            "  run {}: {:.0} events/s (raw floor {:.0}/s) {:?}",
            run + 1,
            r.rate,
            r.floor_rate,
            r.outcomes
        );
        http.push(r);
    }

    step(t0, "metrics");
    let metric_figures = metrics::measure(&bench, &srv).await?;
    step(t0, "commission lists");
    let list_figures = lists::measure(&bench, &srv).await?;
    step(t0, "HTTP load");
    let (load_figures, after, load_notes) = http_figures(&bench, &srv).await?;
    let peak = memory::rss(srv.pid)?;
    srv.stop();

    // The report, in the order.
    let p = &bench.profile;
    let mut figures = vec![
        Figure::new(
            "ingestion",
            "use case, batches of 1,000",
            "events/s",
            dom.iter().map(|r| r.rate).collect(),
        )
        .floor(
            "raw multi-row INSERT",
            dom.iter().map(|r| r.floor_rate).collect(),
        )
        .target(Target::AtLeast(10_000.0))
        .target(Target::RatioAtLeast(0.5)),
        Figure::new(
            "ingestion",
            "HTTP POST /ingest/payments/batch, 1,000 per batch",
            "events/s",
            http.iter().map(|r| r.rate).collect(),
        )
        .floor(
            "raw multi-row INSERT",
            http.iter().map(|r| r.floor_rate).collect(),
        )
        .target(Target::AtLeast(10_000.0))
        .target(Target::RatioAtLeast(0.5)),
        Figure::new(
            "ingestion",
            "dataset load (use case, durability off)",
            "events/s",
            vec![load_rate],
        )
        .note("loading only: commits do not wait for the disk; one run; no target"),
    ];
    figures.extend(metric_figures);
    figures.extend(list_figures);
    figures.extend(payout_figures);
    figures.extend(load_figures);
    figures.push(Figure::new(
        "memory (server RSS)",
        "idle",
        "MB",
        vec![idle.now_mb],
    ));
    figures.push(
        Figure::new(
            "memory (server RSS)",
            "at the end of each load",
            "MB",
            after,
        )
        .target(Target::AtMost(100.0)),
    );
    figures.push(
        Figure::new(
            "memory (server RSS)",
            "peak (VmHWM)",
            "MB",
            vec![peak.peak_mb],
        )
        .target(Target::AtMost(100.0)),
    );

    let ordinary = p.ordinary_events(2);
    let mut notes = vec![
        "Ingestion calls `Engine::record_payments` through `ingest_batch` \
         (`xtask/src/bench/ingestion.rs`): one transaction per batch of 1,000 payments."
            .to_owned(),
    ];
    if bench.runs < 3 {
        notes.push(format!(
            "Only {} run(s): min / median / max say little.",
            bench.runs
        ));
    }
    if !release || cfg!(debug_assertions) {
        notes.push("**Debug build**: these figures are not comparable with release ones.".into());
    }
    notes.extend(load_notes);
    let report = Report {
        key: key.clone(),
        db: kind.name().to_owned(),
        profile: p.clone(),
        runs: bench.runs,
        environment: environment::Environment::gather(release, database),
        dataset: vec![
            format!(
                "Main tenant: {} partners with {} customers each ({} for the big partner), \
                 {} commission events dated over the 365 days before {}: the big partner {}, \
                 the reference partner {}, the others about {ordinary} each. Loaded through \
                 the use cases in {:.0} s.",
                p.partners,
                p.customers_per_partner,
                p.big_customers,
                report::num(p.events as f64),
                dataset::NOW.date(),
                report::num(p.big_events as f64),
                report::num(p.reference_events as f64),
                (load.setup + load.ingest).as_secs_f64(),
            ),
            format!(
                "Payout tenant: {} partners × {} approved commissions.",
                p.payout_partners, p.payout_events_per_partner
            ),
            format!(
                "Ingestion runs: {} new payments each (about 1 % replays, 2 % unattributed), \
                 {} batch(es) of 1,000 in flight; the floor writes copies of the rows they \
                 produced into the same tables, then deletes them.",
                report::num(p.ingest_sample as f64),
                bench.concurrency
            ),
            format!(
                "Latency figures: sequential requests on one connection, up to {} per run or \
                 {:.1} s; metrics for {} and for the year to {}.",
                p.latency_samples,
                p.latency_budget.as_secs_f64(),
                MONTH.0.date().format(time::macros::format_description!(
                    "[month repr:long] [year]"
                ))?,
                MONTH.1.date(),
            ),
            format!(
                "HTTP load: {LOAD_CONNECTIONS} connections from this harness, {:.1} s warm-up, \
                 {:.0} s per figure; the server runs with its defaults (one worker per core, \
                 {}) and `RUST_LOG=warn`.",
                p.warmup.as_secs_f64(),
                p.load_duration.as_secs_f64(),
                match kind {
                    DbKind::Postgres => "16 database connections",
                    DbKind::Sqlite => "one SQLite connection",
                }
            ),
        ],
        figures,
        notes,
        wall_seconds: t0.elapsed().as_secs_f64(),
    };
    report::write(&report, &out, &json)?;
    println!("\n{}", report::markdown(&report));
    step(
        t0,
        &format!("written to {} and {}", out.display(), json.display()),
    );
    Ok(())
}

/// The readiness probe under load: one `SELECT 1` round trip and nothing else, so its ratio to
/// `/healthz` bounds the ratio of every answer that reads the database.
const READYZ: &str = "GET /readyz (one SELECT 1, no target)";

/// Metrics of as many different partners as there are connections: no two requests in flight
/// share a read, so this is what a load of many partners' dashboards costs.
const DISTINCT: &str = "metrics, month, 64 different partners (nothing shared, no target)";

/// The 64-connection loads: `/healthz` (the floor), `/readyz` (a reference), metrics of one
/// partner and of many, the first and a deep commission page; then the server's memory after
/// each run's loads.
async fn http_figures(
    bench: &Bench,
    srv: &Server,
) -> anyhow::Result<(Vec<Figure>, Vec<f64>, Vec<String>)> {
    let p = &bench.profile;
    let token = srv.token(bench.data.main.id, Role::Operator, None)?;
    let big = bench.loaded.big();
    let many: Vec<String> = bench
        .loaded
        .main
        .iter()
        .take(LOAD_CONNECTIONS)
        .map(|&partner| metrics::metrics_url(&srv.base, partner, MONTH))
        .collect::<anyhow::Result<_>>()?;
    let label = metrics::events_label(p.big_events);
    let targets: [(String, Vec<String>, Option<&str>); 6] = [
        (
            "GET /healthz".into(),
            vec![format!("{}/healthz", srv.base)],
            None,
        ),
        // Not a target: the ceiling of any answer that needs the database, one `SELECT 1`.
        (READYZ.into(), vec![format!("{}/readyz", srv.base)], None),
        (
            format!("metrics, month, {label}-event partner"),
            vec![metrics::metrics_url(&srv.base, big, MONTH)?],
            Some(&token),
        ),
        (DISTINCT.into(), many, Some(&token)),
        (
            format!("commission list page 1, {label}-event partner"),
            vec![lists::list_url(&srv.base, big, 0)],
            Some(&token),
        ),
        (
            format!(
                "commission list offset {}",
                report::num(p.deep_offset as f64)
            ),
            vec![lists::list_url(&srv.base, big, p.deep_offset)],
            Some(&token),
        ),
    ];
    let mut results: Vec<Vec<LoadResult>> = vec![Vec::new(); targets.len()];
    let mut after = Vec::new();
    for run in 0..bench.runs {
        for (i, (name, urls, token)) in targets.iter().enumerate() {
            let r =
                http_load::load(urls, *token, LOAD_CONNECTIONS, p.warmup, p.load_duration).await?;
            println!(
                "  run {} {name}: {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, {} answers in {:.1} s, \
                 {} errors",
                run + 1,
                r.rps,
                r.p50_ms,
                r.p99_ms,
                r.requests,
                r.window_s,
                r.errors
            );
            results[i].push(r);
        }
        after.push(memory::rss(srv.pid)?.now_mb);
    }
    let col =
        |i: usize, f: fn(&LoadResult) -> f64| -> Vec<f64> { results[i].iter().map(f).collect() };
    let group = "HTTP, 64 connections";
    let mut figures = vec![
        Figure::new(
            group,
            "GET /healthz, throughput",
            "req/s",
            col(0, |r| r.rps),
        ),
        Figure::new(group, "GET /healthz, p50", "ms", col(0, |r| r.p50_ms)),
        Figure::new(group, "GET /healthz, p99", "ms", col(0, |r| r.p99_ms)),
    ];
    for (i, (name, _, _)) in targets.iter().enumerate().skip(1) {
        let throughput = Figure::new(
            group,
            format!("{name}, throughput"),
            "req/s",
            col(i, |r| r.rps),
        )
        .floor("/healthz", col(0, |r| r.rps));
        figures.push(if name == READYZ || name == DISTINCT {
            throughput
        } else {
            throughput.target(Target::RatioAtLeast(0.3))
        });
        figures.push(
            Figure::new(group, format!("{name}, p50"), "ms", col(i, |r| r.p50_ms))
                .floor("/healthz", col(0, |r| r.p50_ms)),
        );
        figures.push(
            Figure::new(group, format!("{name}, p99"), "ms", col(i, |r| r.p99_ms))
                .floor("/healthz", col(0, |r| r.p99_ms)),
        );
    }
    let mut notes = Vec::new();
    for (i, (name, _, _)) in targets.iter().enumerate() {
        let errors: u64 = results[i].iter().map(|r| r.errors).sum();
        if errors > 0 {
            notes.push(format!("{name}: {errors} failed request(s) under load."));
        }
        let longest = results[i].iter().map(|r| r.window_s).fold(0.0, f64::max);
        if longest > p.load_duration.as_secs_f64() * 1.5 {
            notes.push(format!(
                "{name}: answers were so slow that the window stretched to {longest:.1} s \
                 (until two answers per connection had arrived)."
            ));
        }
    }
    Ok((figures, after, notes))
}
