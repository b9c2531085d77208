//! Partners, their status machine, tiers, and the people who log in for them.

use std::collections::BTreeMap;

use time::OffsetDateTime;

use crate::state::{StateMachine, status_enum};
use crate::terms::CommissionModel;
use crate::value::{Currency, Money, PartnerId, PartnerUserId, TenantId};

status_enum!(
    /// Lifecycle of a partner: `pending → active`, `active ⇄ suspended`,
    /// `active/suspended → terminated`, `pending/terminated → archived`.
    PartnerStatus, "status" {
        /// Signed up, not yet earning.
        Pending => "pending",
        /// Earning commissions.
        Active => "active",
        /// Temporarily not earning.
        Suspended => "suspended",
        /// The relationship ended; earned money is still paid.
        Terminated => "terminated",
        /// Soft-deleted.
        Archived => "archived",
    }
);

impl StateMachine for PartnerStatus {
    const ENTITY: &'static str = "partner";
    const MOVES: &'static [(Self, Self)] = &[
        (PartnerStatus::Pending, PartnerStatus::Active),
        (PartnerStatus::Active, PartnerStatus::Suspended),
        (PartnerStatus::Suspended, PartnerStatus::Active),
        (PartnerStatus::Active, PartnerStatus::Terminated),
        (PartnerStatus::Suspended, PartnerStatus::Terminated),
        (PartnerStatus::Pending, PartnerStatus::Archived),
        (PartnerStatus::Terminated, PartnerStatus::Archived),
    ];

    fn as_str(&self) -> &'static str {
        self.name()
    }
}

status_enum!(
    /// Commercial tier of a partner.
    PartnerTier, "tier" {
        /// Entry tier.
        Bronze => "bronze",
        /// Second tier.
        Silver => "silver",
        /// Third tier.
        Gold => "gold",
        /// Top tier.
        Platinum => "platinum",
        /// A direct (non-tiered) relationship.
        Direct => "direct",
    }
);

status_enum!(
    /// What a partner user may do in the portal.
    PartnerUserRole, "role" {
        /// Owns the partner account; manages the team.
        Owner => "owner",
        /// Manages the team.
        Admin => "admin",
        /// Reads money.
        Finance => "finance",
        /// Reads customers and commissions.
        AccountManager => "account_manager",
    }
);

/// A company that earns commissions.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Partner {
    /// Identity.
    pub id: PartnerId,
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// Number unique within the tenant (`P-0001`).
    pub partner_number: String,
    /// Company name.
    pub name: String,
    /// Lifecycle status.
    pub status: PartnerStatus,
    /// Commercial tier.
    pub tier: PartnerTier,
    /// Terms applied when neither a custom rate nor a rule applies.
    pub default_terms: Option<CommissionModel>,
    /// Days a new commission is held before it is approved automatically.
    pub hold_days: u32,
    /// Smallest payout per currency; absent currencies have a minimum of zero.
    pub minimum_payouts: BTreeMap<Currency, Money>,
    /// Contact e-mail.
    pub contact_email: Option<String>,
    /// Tax identifier.
    pub tax_id: Option<String>,
    /// Creation instant.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Last change.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl Partner {
    /// The minimum payout of a currency (zero unless configured).
    pub fn minimum_payout(&self, currency: Currency) -> Money {
        self.minimum_payouts
            .get(&currency)
            .copied()
            .unwrap_or_else(|| Money::zero(currency))
    }
}

/// A person who logs into the partner portal for one partner.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PartnerUser {
    /// Identity.
    pub id: PartnerUserId,
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// The partner they act for.
    pub partner_id: PartnerId,
    /// Login e-mail, unique per tenant.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Portal role.
    pub role: PartnerUserRole,
    /// Creation instant.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_listed_moves_are_allowed() {
        use PartnerStatus::*;
        let allowed = [
            (Pending, Active),
            (Active, Suspended),
            (Suspended, Active),
            (Active, Terminated),
            (Suspended, Terminated),
            (Pending, Archived),
            (Terminated, Archived),
        ];
        for &from in PartnerStatus::ALL {
            for &to in PartnerStatus::ALL {
                assert_eq!(
                    from.move_to(to).is_ok(),
                    allowed.contains(&(from, to)),
                    "{from} → {to}"
                );
            }
        }
    }
}
