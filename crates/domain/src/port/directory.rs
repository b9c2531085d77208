//! Access data: tenants, staff accounts, credentials for login, partner users and the audit
//! log, as read by the HTTP layer.

use async_trait::async_trait;

use crate::access::{Credential, StaffUser, Tenant};
use crate::audit::AuditEntry;
use crate::error::StoreError;
use crate::partner::PartnerUser;
use crate::query::{Page, PageRequest};
use crate::value::{PartnerId, TenantId};

/// Tenants, people and the audit log.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait Directory: Send + Sync {
    /// A tenant by its login slug.
    async fn tenant_by_slug(&self, slug: &str) -> Result<Option<Tenant>, StoreError>;
    /// A tenant by id.
    async fn tenant(&self, id: TenantId) -> Result<Option<Tenant>, StoreError>;
    /// Creates a tenant; `Conflict` when the slug is taken.
    async fn insert_tenant(&self, tenant: &Tenant) -> Result<(), StoreError>;
    /// Number of staff accounts in every tenant (zero on a fresh install).
    async fn staff_count(&self) -> Result<u64, StoreError>;
    /// Creates a staff account; `Conflict` when the e-mail is taken in the tenant.
    async fn insert_staff(&self, user: &StaffUser, password_hash: &str) -> Result<(), StoreError>;
    /// What a login for `email` (lower-case) in a tenant checks: staff first, then partner
    /// users. Users of archived partners cannot log in.
    async fn credential(
        &self,
        tenant: TenantId,
        email: &str,
    ) -> Result<Option<Credential>, StoreError>;
    /// A partner's users.
    async fn partner_users(
        &self,
        tenant: TenantId,
        partner: PartnerId,
    ) -> Result<Vec<PartnerUser>, StoreError>;
    /// A page of the tenant's audit log, newest first.
    async fn audit_log(
        &self,
        tenant: TenantId,
        page: PageRequest,
    ) -> Result<Page<AuditEntry>, StoreError>;
    /// True when the database answers.
    async fn ping(&self) -> Result<(), StoreError>;
}
