//! Creating, changing and moving partners.

use std::collections::BTreeMap;

use crate::audit::Snapshot;
use crate::error::{DomainError, ValidationError, Validator};
use crate::partner::{Partner, PartnerStatus, PartnerTier};
use crate::state::StateMachine;
use crate::terms::CommissionModel;
use crate::usecase::{Actor, Engine, optional_text, required_text};
use crate::value::{Currency, Money, PartnerId, TenantId};

/// Longest hold period, in days.
pub const MAX_HOLD_DAYS: u32 = 365;

/// What an operator provides to create a partner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPartner {
    /// Unique per tenant: 1–32 of `A–Z a–z 0–9 - _`.
    pub partner_number: String,
    /// Company name.
    pub name: String,
    /// Tier.
    pub tier: PartnerTier,
    /// Default terms.
    pub default_terms: Option<CommissionModel>,
    /// Hold period in days (0–365).
    pub hold_days: u32,
    /// Minimum payout per currency.
    pub minimum_payouts: BTreeMap<Currency, Money>,
    /// Contact e-mail.
    pub contact_email: Option<String>,
    /// Tax id.
    pub tax_id: Option<String>,
}

/// Changes to a partner's mutable fields; `None` keeps a field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartnerUpdate {
    /// New name.
    pub name: Option<String>,
    /// New tier.
    pub tier: Option<PartnerTier>,
    /// New default terms (`Some(None)` removes them).
    pub default_terms: Option<Option<CommissionModel>>,
    /// New hold period.
    pub hold_days: Option<u32>,
    /// New minimums (replaces all).
    pub minimum_payouts: Option<BTreeMap<Currency, Money>>,
    /// New contact e-mail (`Some(None)` removes it).
    pub contact_email: Option<Option<String>>,
    /// New tax id (`Some(None)` removes it).
    pub tax_id: Option<Option<String>>,
}

fn check_partner(p: &Partner) -> Result<(), ValidationError> {
    let mut v = Validator::new();
    let n = &p.partner_number;
    v.ensure(
        !n.is_empty()
            && n.len() <= 32
            && n.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
        "partner_number",
        "must be 1 to 32 of A-Z, a-z, 0-9, '-' and '_'",
    );
    v.check(required_text("name", &p.name, 200));
    v.ensure(
        p.hold_days <= MAX_HOLD_DAYS,
        "hold_days",
        "must be between 0 and 365",
    );
    v.ensure(
        p.minimum_payouts
            .iter()
            .all(|(c, m)| m.currency() == *c && !m.amount().is_sign_negative()),
        "minimum_payouts",
        "each minimum must be ≥ 0 and in its own currency",
    );
    if let Some(e) = &p.contact_email {
        v.ensure(
            e.len() <= 254
                && e.split_once('@')
                    .is_some_and(|(a, b)| !a.is_empty() && b.contains('.')),
            "contact_email",
            "must be an e-mail address",
        );
    }
    v.check(optional_text("tax_id", p.tax_id.as_deref(), 64));
    v.finish()
}

impl Engine {
    /// Creates a partner in status `pending`.
    pub async fn create_partner(
        &self,
        tenant: TenantId,
        actor: &Actor,
        input: NewPartner,
    ) -> Result<Partner, DomainError> {
        let now = self.clock.now();
        let partner = Partner {
            id: PartnerId::from_uuid(self.ids.new_id()),
            tenant_id: tenant,
            partner_number: input.partner_number.trim().to_owned(),
            name: input.name.trim().to_owned(),
            status: PartnerStatus::Pending,
            tier: input.tier,
            default_terms: input.default_terms,
            hold_days: input.hold_days,
            minimum_payouts: input.minimum_payouts,
            contact_email: input
                .contact_email
                .map(|e| e.trim().to_owned())
                .filter(|e| !e.is_empty()),
            tax_id: input
                .tax_id
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty()),
            created_at: now,
            updated_at: now,
        };
        check_partner(&partner)?;
        let mut tx = self.ledger.begin().await?;
        tx.insert_partner(&partner).await.map_err(|e| match e {
            crate::error::StoreError::Conflict(_) => DomainError::Conflict(format!(
                "partner number {} is already taken",
                partner.partner_number
            )),
            other => other.into(),
        })?;
        let record = self.audit(
            tenant,
            actor,
            "partner.create",
            "partner",
            partner.id.to_string(),
            None,
            Some(Snapshot::Partner(Box::new(partner.clone()))),
        );
        tx.insert_audit(&record).await?;
        tx.commit().await?;
        Ok(partner)
    }

    /// Changes a partner's mutable fields.
    pub async fn update_partner(
        &self,
        tenant: TenantId,
        actor: &Actor,
        id: PartnerId,
        update: PartnerUpdate,
    ) -> Result<Partner, DomainError> {
        let mut tx = self.ledger.begin().await?;
        let mut p = tx
            .lock_partner(tenant, id)
            .await?
            .ok_or(DomainError::not_found("partner"))?;
        if let Some(name) = update.name {
            p.name = name.trim().to_owned();
        }
        if let Some(tier) = update.tier {
            p.tier = tier;
        }
        if let Some(terms) = update.default_terms {
            p.default_terms = terms;
        }
        if let Some(days) = update.hold_days {
            p.hold_days = days;
        }
        if let Some(m) = update.minimum_payouts {
            p.minimum_payouts = m;
        }
        if let Some(e) = update.contact_email {
            p.contact_email = e.map(|e| e.trim().to_owned()).filter(|e| !e.is_empty());
        }
        if let Some(t) = update.tax_id {
            p.tax_id = t.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
        }
        let before = Snapshot::Partner(Box::new(p.clone()));
        p.updated_at = self.clock.now();
        check_partner(&p)?;
        tx.update_partner(&p).await?;
        let record = self.audit(
            tenant,
            actor,
            "partner.update",
            "partner",
            p.id.to_string(),
            Some(before),
            Some(Snapshot::Partner(Box::new(p.clone()))),
        );
        tx.insert_audit(&record).await?;
        tx.commit().await?;
        Ok(p)
    }

    /// Moves a partner's status; moves not listed in SPEC §1 are refused.
    /// Archiving is the soft delete.
    pub async fn move_partner(
        &self,
        tenant: TenantId,
        actor: &Actor,
        id: PartnerId,
        to: PartnerStatus,
    ) -> Result<Partner, DomainError> {
        let mut tx = self.ledger.begin().await?;
        let mut p = tx
            .lock_partner(tenant, id)
            .await?
            .ok_or(DomainError::not_found("partner"))?;
        let before = Snapshot::Partner(Box::new(p.clone()));
        p.status = p.status.move_to(to)?;
        p.updated_at = self.clock.now();
        tx.update_partner(&p).await?;
        let action = if to == PartnerStatus::Archived {
            "partner.archive"
        } else {
            "partner.status"
        };
        let record = self.audit(
            tenant,
            actor,
            action,
            "partner",
            p.id.to_string(),
            Some(before),
            Some(Snapshot::Partner(Box::new(p.clone()))),
        );
        tx.insert_audit(&record).await?;
        tx.commit().await?;
        Ok(p)
    }

    /// A partner of the tenant.
    pub async fn partner(&self, tenant: TenantId, id: PartnerId) -> Result<Partner, DomainError> {
        self.ledger
            .partner(tenant, id)
            .await?
            .ok_or(DomainError::not_found("partner"))
    }
}
