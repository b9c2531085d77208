//! Partner users: the people who log into a partner's portal.

use crate::access::normalize_email;
use crate::audit::Snapshot;
use crate::error::{DomainError, StoreError};
use crate::partner::{PartnerStatus, PartnerUser, PartnerUserRole};
use crate::usecase::{Actor, Engine, required_text};
use crate::value::{PartnerId, PartnerUserId, TenantId};

/// What is needed to add a partner user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPartnerUser {
    /// Login e-mail, unique per tenant (case-insensitive).
    pub email: String,
    /// Display name.
    pub name: String,
    /// Portal role.
    pub role: PartnerUserRole,
}

impl Engine {
    /// Adds a user to a partner. The password hash is computed by the caller (the domain holds
    /// no cryptography) and never leaves the store again except for login checks.
    pub async fn add_partner_user(
        &self,
        tenant: TenantId,
        actor: &Actor,
        partner_id: PartnerId,
        input: NewPartnerUser,
        password_hash: &str,
    ) -> Result<PartnerUser, DomainError> {
        let email = normalize_email(&input.email)?;
        let name = required_text("name", &input.name, 200)?;
        let mut tx = self.ledger.begin().await?;
        let partner = tx
            .lock_partner(tenant, partner_id)
            .await?
            .ok_or(DomainError::not_found("partner"))?;
        if partner.status == PartnerStatus::Archived {
            return Err(DomainError::Conflict(
                "an archived partner cannot get new users".into(),
            ));
        }
        let user = PartnerUser {
            id: PartnerUserId::from_uuid(self.ids.new_id()),
            tenant_id: tenant,
            partner_id,
            email,
            name,
            role: input.role,
            created_at: self.clock.now(),
        };
        tx.insert_partner_user(&user, password_hash)
            .await
            .map_err(|e| match e {
                StoreError::Conflict(_) => {
                    DomainError::Conflict(format!("{} already has an account", user.email))
                }
                other => other.into(),
            })?;
        let record = self.audit(
            tenant,
            actor,
            "partner_user.create",
            "partner_user",
            user.id.to_string(),
            None,
            Some(Snapshot::PartnerUser(Box::new(user.clone()))),
        );
        tx.insert_audit(&record).await?;
        tx.commit().await?;
        Ok(user)
    }
}
