//! First run: an empty database gets a `default` tenant and one operator, whose password is
//! printed once (or taken from `REVSHARE_BOOTSTRAP_PASSWORD`).

use revshare_domain::StoreError;
use revshare_domain::access::{Role, StaffUser, Tenant};
use revshare_domain::port::Directory;
use time::OffsetDateTime;

use crate::auth::password::hash_password;

/// The tenant a first run creates.
pub const DEFAULT_TENANT: &str = "default";
/// The operator a first run creates.
pub const BOOTSTRAP_EMAIL: &str = "admin@revshare.local";

/// Credentials created by a first run.
#[derive(Debug)]
pub struct Bootstrapped {
    /// Tenant slug.
    pub tenant: String,
    /// Operator e-mail.
    pub email: String,
    /// Operator password, shown once.
    pub password: String,
}

/// Why bootstrapping failed.
#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Hashing failed.
    #[error("password hashing failed: {0}")]
    Hash(String),
}

/// Creates the default tenant and operator when no staff account exists; `None` otherwise.
pub async fn bootstrap(
    directory: &dyn Directory,
    password: Option<String>,
    now: OffsetDateTime,
) -> Result<Option<Bootstrapped>, BootstrapError> {
    if directory.staff_count().await? > 0 {
        return Ok(None);
    }
    let tenant = match directory.tenant_by_slug(DEFAULT_TENANT).await? {
        Some(t) => t,
        None => {
            let t = Tenant {
                id: revshare_domain::value::TenantId::from_uuid(uuid::Uuid::now_v7()),
                slug: DEFAULT_TENANT.into(),
                name: "Default tenant".into(),
                created_at: now,
            };
            directory.insert_tenant(&t).await?;
            t
        }
    };
    let password = password.unwrap_or_else(|| {
        let mut bytes = [0u8; 15];
        rand::fill(&mut bytes);
        hex::encode(bytes)
    });
    let hash = hash_password(&password).map_err(BootstrapError::Hash)?;
    let user = StaffUser {
        id: uuid::Uuid::now_v7(),
        tenant_id: tenant.id,
        email: BOOTSTRAP_EMAIL.into(),
        name: "Administrator".into(),
        role: Role::Operator,
        created_at: now,
    };
    directory.insert_staff(&user, &hash).await?;
    Ok(Some(Bootstrapped {
        tenant: tenant.slug,
        email: user.email,
        password,
    }))
}
