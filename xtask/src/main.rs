//! `cargo xtask`: developer tasks for revshare — migrate, seed and reconcile a database, mint
//! service tokens, and benchmark.
//!
//! Every task talks to `--database-url` (or `DATABASE_URL`), defaulting to the embedded SQLite
//! file of `revshare_infra::DEFAULT_DATABASE_URL`.

mod bench;
mod deterministic;
mod migrate;
mod reconcile;
mod seed;
mod token;

use anyhow::Context;
use clap::{Parser, Subcommand};
use revshare_infra::{DatabaseConnection, DbConfig, backend_name, connect};

#[derive(Debug, Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    about = "Developer tasks for revshare",
    version
)]
struct Cli {
    /// Database to work on: `postgres://…` or `sqlite://…`.
    #[arg(
        long,
        env = "DATABASE_URL",
        hide_env_values = true, // a URL may hold a password
        default_value = revshare_infra::DEFAULT_DATABASE_URL,
        global = true
    )]
    database_url: String,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Apply, roll back or inspect the schema migrations.
    Migrate {
        #[command(subcommand)]
        action: migrate::Action,
    },
    /// Fill the database with a deterministic, realistic ledger (migrates first).
    Seed(seed::SeedArgs),
    /// Check ledger conservation; exits with status 1 on any breach.
    Reconcile(reconcile::ReconcileArgs),
    /// Mint a bearer token for a service principal (the billing system) or another role.
    Token(token::TokenArgs),
    /// Measure throughput, latency and memory against raw-SQL floors; write
    /// docs/benchmarks.md and JSON. `--database-url` is the PostgreSQL admin URL here.
    Bench(bench::BenchArgs),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let command = match cli.command {
        // The bench makes its own databases.
        Command::Bench(args) => return bench::run(args, &cli.database_url).await,
        other => other,
    };
    let db = open(&cli.database_url).await?;
    match command {
        Command::Bench(_) => unreachable!("handled above"),
        Command::Migrate { action } => migrate::run(&db, action).await,
        Command::Seed(args) => seed::run(db, args).await,
        Command::Reconcile(args) => reconcile::run(db, args).await,
        Command::Token(args) => token::run(&db, args).await,
    }
}

/// Connects, and says where to on stderr (without the password).
async fn open(url: &str) -> anyhow::Result<DatabaseConnection> {
    let db = connect(&DbConfig::new(url))
        .await
        .with_context(|| format!("cannot connect to {}", redact(url)))?;
    eprintln!("database: {} ({})", redact(url), backend_name(&db));
    Ok(db)
}

/// The URL with any password replaced by `***`.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgres://app:s3cret@db:5432/x"),
            "postgres://app:***@db:5432/x"
        );
        assert_eq!(
            redact("postgres://postgres@127.0.0.1/x"),
            "postgres://postgres@127.0.0.1/x"
        );
        assert_eq!(
            redact("sqlite://data/revshare.db?mode=rwc"),
            "sqlite://data/revshare.db?mode=rwc"
        );
    }
}
