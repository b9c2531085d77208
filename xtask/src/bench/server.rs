//! The real `revshare` server: built, started on a free port against the bench database,
//! asked for tokens, and stopped.

use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use revshare_api::auth::TokenKeys;
use revshare_domain::access::{Principal, Role};
use revshare_domain::value::{PartnerId, TenantId};

/// The workspace's root folder.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Cargo's target folder.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
}

/// `cargo build [--release] -p revshare-api --bin revshare` (and the harness too, when asked).
pub fn build(release: bool, with_harness: bool) -> anyhow::Result<()> {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()));
    cmd.current_dir(workspace_root()).args([
        "build",
        "--quiet",
        "-p",
        "revshare-api",
        "--bin",
        "revshare",
    ]);
    if with_harness {
        cmd.args(["-p", "revshare-xtask", "--bin", "revshare-xtask"]);
    }
    if release {
        cmd.arg("--release");
    }
    let what = if release { "release" } else { "debug" };
    eprintln!(
        "building the server ({what}){} …",
        if with_harness { " and the harness" } else { "" }
    );
    let t0 = Instant::now();
    let status = cmd.status().context("running cargo build")?;
    if !status.success() {
        bail!("cargo build failed ({status})");
    }
    eprintln!("built in {:.1?}", t0.elapsed());
    Ok(())
}

/// The built binary of `name` in a profile.
pub fn binary(name: &str, release: bool) -> PathBuf {
    target_dir()
        .join(if release { "release" } else { "debug" })
        .join(name)
}

/// A running server; killed when dropped.
#[derive(Debug)]
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// Its process id (for its memory).
    pub pid: u32,
    keys: TokenKeys,
    /// Where its output goes.
    pub log: PathBuf,
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn secret() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

impl Server {
    /// Starts `bin` on a free port against `database_url` and waits until `/readyz` answers.
    /// Request logs are off (`RUST_LOG=warn`) and the automatic approval runs hourly, so
    /// neither weighs on the figures.
    pub async fn start(bin: &Path, database_url: &str, dir: &Path) -> anyhow::Result<Server> {
        if !bin.exists() {
            bail!("{} is missing: build it first", bin.display());
        }
        std::fs::create_dir_all(dir)?;
        let port = free_port()?;
        let secret = secret();
        let log = dir.join("server.log");
        let out = File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        let child = Command::new(bin)
            .current_dir(dir)
            .env("DATABASE_URL", database_url)
            .env("REVSHARE_BIND", format!("127.0.0.1:{port}"))
            .env("REVSHARE_JWT_SECRET", &secret)
            .env(
                "REVSHARE_BOOTSTRAP_PASSWORD",
                secret.get(..24).unwrap_or(&secret),
            )
            .env("REVSHARE_AUTO_APPROVE_SECONDS", "3600")
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let pid = child.id();
        let mut server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            pid,
            keys: TokenKeys::hs256(secret.as_bytes(), 86_400)?,
            log,
        };
        server.wait_ready().await?;
        Ok(server)
    }

    async fn wait_ready(&mut self) -> anyhow::Result<()> {
        let client = super::http_load::client(1)?;
        let url = format!("{}/readyz", self.base);
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_secs(120) {
            if let Some(status) = self.child.try_wait()? {
                bail!("the server exited ({status}); see {}", self.log.display());
            }
            if let Ok(res) = client.get(&url).send().await
                && res.status().is_success()
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!(
            "the server did not become ready; see {}",
            self.log.display()
        )
    }

    /// A bearer token for `role` in `tenant`.
    pub fn token(
        &self,
        tenant: TenantId,
        role: Role,
        partner_id: Option<PartnerId>,
    ) -> anyhow::Result<String> {
        let principal = Principal {
            subject: format!("bench-{}", role.name()),
            tenant,
            role,
            partner_id,
            partner_role: None,
        };
        self.keys
            .issue(&principal, time::OffsetDateTime::now_utc(), None)
            .map_err(|e| anyhow::anyhow!("minting a token: {e}"))
    }

    /// Stops the server.
    pub fn stop(mut self) {
        self.kill();
    }

    fn kill(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}
