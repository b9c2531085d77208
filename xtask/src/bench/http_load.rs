//! Our own HTTP load generator (tokio + reqwest): sequential latency samples on one
//! connection, and a closed-loop load of N connections, each sending its next request as soon
//! as the previous answer is read.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde::Serialize;

use super::stats::Latencies;

/// A client keeping at most `connections` idle connections, no proxy, no Nagle.
pub fn client(connections: usize) -> anyhow::Result<reqwest::Client> {
    reqwest::Client::builder()
        .no_proxy()
        .tcp_nodelay(true)
        .pool_max_idle_per_host(connections.max(1))
        .timeout(Duration::from_secs(120))
        .build()
        .context("building the HTTP client")
}

/// One GET, its body read in full; fails on a status other than 2xx.
pub async fn get(
    client: &reqwest::Client,
    url: &str,
    token: Option<&str>,
) -> anyhow::Result<(reqwest::header::HeaderMap, String)> {
    let mut req = client.get(url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await?;
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.text().await?;
    if !status.is_success() {
        bail!("GET {url} answered {status}: {body}");
    }
    Ok((headers, body))
}

/// Latencies of sequential requests of `make`: up to `max` of them, or as many as fit in
/// `budget` (at least `min`).
pub async fn sequential<F, Fut>(
    max: usize,
    min: usize,
    budget: Duration,
    mut make: F,
) -> anyhow::Result<Latencies>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let mut out = Latencies::with_capacity(max);
    let t0 = Instant::now();
    while out.len() < max && (out.len() < min || t0.elapsed() < budget) {
        let t = Instant::now();
        make().await?;
        out.push(t.elapsed());
    }
    Ok(out)
}

/// p50 and p99 (ms) of sequential GETs of an endpoint and of its floor, sampled alike.
#[derive(Debug, Clone, Copy)]
pub struct BesideFloor {
    pub p50: f64,
    pub p99: f64,
    pub floor_p50: f64,
    pub floor_p99: f64,
}

/// Sequential `GET url` latencies, then sequential runs of `floor`, with the profile's sampling.
pub async fn get_beside_floor<F, Fut>(
    profile: &super::profile::Profile,
    client: &reqwest::Client,
    url: &str,
    token: &str,
    floor: F,
) -> anyhow::Result<BesideFloor>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let (max, min, budget) = (
        profile.latency_samples,
        super::profile::MIN_LATENCY_SAMPLES,
        profile.latency_budget,
    );
    let mut http = sequential(max, min, budget, || async move {
        get(client, url, Some(token)).await.map(|_| ())
    })
    .await?;
    let mut raw = sequential(max, min, budget, floor).await?;
    Ok(BesideFloor {
        p50: http.percentile_ms(0.50),
        p99: http.percentile_ms(0.99),
        floor_p50: raw.percentile_ms(0.50),
        floor_p99: raw.percentile_ms(0.99),
    })
}

/// What a load measured.
#[derive(Debug, Clone, Serialize)]
pub struct LoadResult {
    /// Answers per second over the measured window.
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Answers counted (after the warm-up).
    pub requests: u64,
    /// Answers other than 2xx, and transport failures.
    pub errors: u64,
    /// Length of the measured window, in seconds.
    pub window_s: f64,
}

/// `connections` connections GET `urls` (connection `i` the URL `i % urls.len()`) in a closed
/// loop for `warmup`, then for `duration`.
/// Counted are the answers that arrive inside the measured window (as `wrk` does); the
/// requests still in flight at its end are awaited and dropped. When an endpoint is so slow
/// that fewer than two answers per connection arrived by then, the window stretches until
/// they have (at most ten times `duration`): a window shorter than one answer measures
/// nothing.
pub async fn load(
    urls: &[String],
    token: Option<&str>,
    connections: usize,
    warmup: Duration,
    duration: Duration,
) -> anyhow::Result<LoadResult> {
    anyhow::ensure!(!urls.is_empty(), "a load needs a URL");
    let urls: Vec<Arc<str>> = urls.iter().map(|u| Arc::from(u.as_str())).collect();
    let token: Option<Arc<str>> = token.map(Arc::from);
    let t0 = Instant::now();
    let start = t0 + warmup;
    let end = start + duration;
    let cap = start + duration * 10;
    let enough = 2 * connections.max(1) as u64;
    let counted = Arc::new(AtomicU64::new(0));
    // Microseconds after `t0` at which the window closed; 0 while it is open.
    let stop = Arc::new(AtomicU64::new(0));
    let micros = move |t: Instant| (t - t0).as_micros().max(1) as u64;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..connections.max(1) {
        let client = client(1)?;
        let (url, token) = (urls[i % urls.len()].clone(), token.clone());
        let (counted, stop) = (counted.clone(), stop.clone());
        tasks.spawn(async move {
            let mut lat = Latencies::with_capacity(4_096);
            let mut errors = 0_u64;
            while stop.load(Ordering::Acquire) == 0 {
                let t = Instant::now();
                let mut req = client.get(&*url);
                if let Some(tok) = &token {
                    req = req.bearer_auth(tok);
                }
                let ok = match req.send().await {
                    Ok(res) => {
                        let success = res.status().is_success();
                        res.bytes().await.is_ok() && success
                    }
                    Err(_) => false,
                };
                let done = Instant::now();
                let closed = stop.load(Ordering::Acquire);
                if done >= start && (closed == 0 || micros(done) <= closed) {
                    lat.push(done - t);
                    counted.fetch_add(1, Ordering::Relaxed);
                    if !ok {
                        errors += 1;
                    }
                } else if !ok {
                    // A failing warm-up would only hide in the figures: slow down.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                if done >= end && (counted.load(Ordering::Relaxed) >= enough || done >= cap) {
                    let _ =
                        stop.compare_exchange(0, micros(done), Ordering::AcqRel, Ordering::Acquire);
                }
            }
            (lat, errors)
        });
    }
    let mut all = Latencies::with_capacity(65_536);
    let mut errors = 0;
    while let Some(joined) = tasks.join_next().await {
        let (lat, e) = joined.context("a load connection panicked")?;
        all.extend(lat);
        errors += e;
    }
    let window = Duration::from_micros(stop.load(Ordering::Acquire)).saturating_sub(warmup);
    let requests = all.len() as u64;
    Ok(LoadResult {
        rps: requests.saturating_sub(errors) as f64 / window.as_secs_f64().max(1e-6),
        p50_ms: all.percentile_ms(0.50),
        p99_ms: all.percentile_ms(0.99),
        requests,
        errors,
        window_s: window.as_secs_f64(),
    })
}
