//! `cargo xtask token`: mints a bearer token for a service principal (the billing system) or
//! any other role, signed with the server's HS256 secret.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;
use revshare_api::auth::TokenKeys;
use revshare_domain::access::{Principal, Role};
use revshare_domain::partner::PartnerUserRole;
use revshare_domain::port::Directory;
use revshare_domain::value::{PartnerId, TenantId};
use revshare_infra::{DatabaseConnection, SeaDirectory};

/// Longest lifetime a minted token may have.
const MAX_TTL_DAYS: i64 = 366;

#[derive(Debug, Args)]
pub struct TokenArgs {
    /// Tenant: its login slug (`default`) or its UUID.
    #[arg(long)]
    tenant: String,
    /// `billing` (default), `operator`, `auditor` or `partner`.
    #[arg(long, default_value = "billing")]
    role: String,
    /// Who the token speaks for (recorded as the actor of what it writes).
    #[arg(long, default_value = "billing-system")]
    subject: String,
    /// For `--role partner`: the partner.
    #[arg(long)]
    partner_id: Option<String>,
    /// Lifetime in days (1–366).
    #[arg(long, default_value_t = 30)]
    ttl_days: i64,
    /// The server's HS256 secret; without it, `--jwt-secret-file` is read.
    #[arg(long, env = "REVSHARE_JWT_SECRET", hide_env_values = true)]
    jwt_secret: Option<String>,
    /// The file the server keeps its secret in.
    #[arg(
        long,
        env = "REVSHARE_JWT_SECRET_FILE",
        default_value = "data/jwt-secret"
    )]
    jwt_secret_file: PathBuf,
}

pub async fn run(db: &DatabaseConnection, args: TokenArgs) -> anyhow::Result<()> {
    if !(1..=MAX_TTL_DAYS).contains(&args.ttl_days) {
        bail!("--ttl-days must be between 1 and {MAX_TTL_DAYS}");
    }
    let role = Role::parse(&args.role).map_err(|e| anyhow::anyhow!("{e}"))?;
    let tenant = match uuid::Uuid::parse_str(&args.tenant) {
        Ok(id) => TenantId::from_uuid(id),
        Err(_) => {
            SeaDirectory::new(db.clone())
                .tenant_by_slug(&args.tenant)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?
                .with_context(|| {
                    format!(
                        "no tenant {:?}; start the server once (it creates `default`) or seed",
                        args.tenant
                    )
                })?
                .id
        }
    };
    let partner_id = match (&args.partner_id, role) {
        (Some(p), Role::Partner) => Some(PartnerId::parse(p).map_err(|e| anyhow::anyhow!("{e}"))?),
        (None, Role::Partner) => bail!("--role partner needs --partner-id"),
        (Some(_), _) => bail!("--partner-id is only for --role partner"),
        (None, _) => None,
    };
    let secret = match &args.jwt_secret {
        Some(s) => s.as_bytes().to_vec(),
        None => revshare_api::auth::secret::load_or_create(&args.jwt_secret_file)
            .with_context(|| format!("reading {}", args.jwt_secret_file.display()))?,
    };
    let keys = TokenKeys::hs256(&secret, args.ttl_days * 86_400)?;
    let principal = Principal {
        subject: args.subject,
        tenant,
        role,
        partner_id,
        partner_role: partner_id.map(|_| PartnerUserRole::Finance),
    };
    let token = keys
        .issue(&principal, time::OffsetDateTime::now_utc(), None)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("{token}");
    eprintln!(
        "role {} for tenant {tenant}, valid {} days",
        role.name(),
        args.ttl_days
    );
    Ok(())
}
