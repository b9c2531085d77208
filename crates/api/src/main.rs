//! `revshare`: the server. Configuration comes from flags and the environment; secrets are
//! never logged.

use std::net::TcpListener;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, ValueEnum};
use revshare_api::auth::TokenKeys;
use revshare_api::{bootstrap, jobs, server};
use revshare_infra::{DEFAULT_DATABASE_URL, DbConfig, backend_name, connect, migrate_up};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

/// revshare: partner revenue-share engine.
#[derive(Parser)]
#[command(version, about)]
struct Config {
    /// Database URL: `sqlite://…` (embedded default) or `postgres://…`.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    database_url: String,
    /// Address to listen on.
    #[arg(long, env = "REVSHARE_BIND", default_value = "127.0.0.1:8080")]
    bind: String,
    /// HS256 secret (≥ 32 bytes). Without it, `--jwt-secret-file` is used (created if missing).
    #[arg(long, env = "REVSHARE_JWT_SECRET", hide_env_values = true)]
    jwt_secret: Option<String>,
    /// File holding the HS256 secret.
    #[arg(
        long,
        env = "REVSHARE_JWT_SECRET_FILE",
        default_value = "data/jwt-secret"
    )]
    jwt_secret_file: PathBuf,
    /// RS256 public key (PEM) to verify tokens with, instead of HS256.
    #[arg(long, env = "REVSHARE_JWT_PUBLIC_KEY")]
    jwt_public_key: Option<PathBuf>,
    /// RS256 private key (PEM) to issue login tokens with.
    #[arg(long, env = "REVSHARE_JWT_PRIVATE_KEY")]
    jwt_private_key: Option<PathBuf>,
    /// Required `iss` claim.
    #[arg(long, env = "REVSHARE_JWT_ISSUER")]
    jwt_issuer: Option<String>,
    /// Required `aud` claim.
    #[arg(long, env = "REVSHARE_JWT_AUDIENCE")]
    jwt_audience: Option<String>,
    /// Lifetime of login tokens, in seconds.
    #[arg(long, env = "REVSHARE_TOKEN_TTL", default_value_t = 3600)]
    token_ttl: i64,
    /// Log format.
    #[arg(long, env = "REVSHARE_LOG_FORMAT", value_enum, default_value = "text")]
    log_format: LogFormat,
    /// Seconds between automatic approvals of held commissions.
    #[arg(long, env = "REVSHARE_AUTO_APPROVE_SECONDS", default_value_t = 60)]
    auto_approve_seconds: u64,
    /// PostgreSQL pool size.
    #[arg(long, env = "REVSHARE_DB_MAX_CONNECTIONS", default_value_t = 16)]
    db_max_connections: u32,
    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "REVSHARE_WORKERS")]
    workers: Option<usize>,
}

fn init_logs(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
}

fn token_keys(c: &Config) -> anyhow::Result<TokenKeys> {
    let keys = if let Some(public) = &c.jwt_public_key {
        let public =
            std::fs::read(public).with_context(|| format!("reading {}", public.display()))?;
        let private = c
            .jwt_private_key
            .as_ref()
            .map(std::fs::read)
            .transpose()
            .context("reading the private key")?;
        TokenKeys::rs256(&public, private.as_deref(), c.token_ttl)?
    } else if let Some(secret) = &c.jwt_secret {
        TokenKeys::hs256(secret.as_bytes(), c.token_ttl)?
    } else {
        let secret = revshare_api::auth::secret::load_or_create(&c.jwt_secret_file)
            .with_context(|| format!("reading or creating {}", c.jwt_secret_file.display()))?;
        TokenKeys::hs256(&secret, c.token_ttl)?
    };
    Ok(keys
        .with_issuer(c.jwt_issuer.clone())
        .with_audience(c.jwt_audience.clone()))
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    init_logs(config.log_format);
    let tokens = token_keys(&config)?;
    let mut db_config = DbConfig::new(config.database_url.clone());
    db_config.max_connections = config.db_max_connections;
    let db = connect(&db_config)
        .await
        .context("connecting to the database")?;
    migrate_up(&db).await.context("applying migrations")?;
    tracing::info!(
        backend = backend_name(&db),
        "database ready, migrations applied"
    );

    let state = server::state(db, tokens).context("starting the shared reads' thread")?;
    let now = state.engine.now();
    let first = bootstrap::bootstrap(
        state.directory.as_ref(),
        std::env::var("REVSHARE_BOOTSTRAP_PASSWORD").ok(),
        now,
    )
    .await
    .context("creating the first operator")?;

    let listener =
        TcpListener::bind(&config.bind).with_context(|| format!("binding {}", config.bind))?;
    let addr = listener.local_addr()?;
    println!("revshare listening on http://{addr}");
    println!("  API docs:   http://{addr}/docs/");
    println!("  OpenAPI:    http://{addr}/api-docs/openapi.json");
    if let Some(b) = &first {
        println!(
            "First run: created tenant '{}' and operator '{}'.",
            b.tenant, b.email
        );
        println!("  Password (shown once): {}", b.password);
        println!(
            "  Log in:  curl -s -X POST http://{addr}/api/v1/auth/login -H 'content-type: application/json' -d '{{\"tenant\":\"{}\",\"email\":\"{}\",\"password\":\"…\"}}'",
            b.tenant, b.email
        );
    } else {
        println!("Log in with POST /api/v1/auth/login (tenant, email, password).");
    }

    let _approvals = jobs::spawn_auto_approval(
        state.engine.clone(),
        Duration::from_secs(config.auto_approve_seconds.max(1)),
    );
    let workers = config
        .workers
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    server::serve(state, listener, workers)?.await?;
    tracing::info!("stopped");
    Ok(())
}
