//! Who may do what: tenants, operator accounts, roles, and the authenticated principal every
//! use case is called for.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::{DomainError, ValidationError};
use crate::partner::PartnerUserRole;
use crate::state::status_enum;
use crate::value::{PartnerId, TenantId};

status_enum!(
    /// The role of an authenticated principal.
    Role, "role" {
        /// Runs the tenant: partners, rules, approvals, payouts.
        Operator => "operator",
        /// Reads everything an operator can, changes nothing.
        Auditor => "auditor",
        /// The billing system: ingests payments and refunds, nothing else.
        Billing => "billing",
        /// A partner user: their own partner's portal only.
        Partner => "partner",
    }
);

/// An authenticated caller, as proven by a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    /// Who (user id, e-mail or service name).
    pub subject: String,
    /// Their tenant; nothing outside it is ever visible.
    pub tenant: TenantId,
    /// What they may do.
    pub role: Role,
    /// For partner users: their partner.
    pub partner_id: Option<PartnerId>,
    /// For partner users: their portal role.
    pub partner_role: Option<PartnerUserRole>,
}

/// A refusal: the caller may not do this (HTTP 403).
pub fn forbidden(what: &str) -> DomainError {
    DomainError::Forbidden(what.to_owned())
}

impl Principal {
    /// Operators only.
    pub fn require_operator(&self) -> Result<(), DomainError> {
        if self.role == Role::Operator {
            Ok(())
        } else {
            Err(forbidden("only operators may do this"))
        }
    }

    /// Operators and auditors.
    pub fn require_staff(&self) -> Result<(), DomainError> {
        if matches!(self.role, Role::Operator | Role::Auditor) {
            Ok(())
        } else {
            Err(forbidden("only operators and auditors may read this"))
        }
    }

    /// The billing system (and operators, who may replay a delivery by hand).
    pub fn require_ingestion(&self) -> Result<(), DomainError> {
        if matches!(self.role, Role::Billing | Role::Operator) {
            Ok(())
        } else {
            Err(forbidden(
                "only the billing system may ingest payments and refunds",
            ))
        }
    }

    /// The partner whose portal data the caller reads: a partner user's own partner (any
    /// `requested` other than it answers "not found", revealing nothing), or for operators and
    /// auditors the partner they name.
    pub fn portal_partner(&self, requested: Option<PartnerId>) -> Result<PartnerId, DomainError> {
        match self.role {
            Role::Partner => {
                let own = self
                    .partner_id
                    .ok_or_else(|| forbidden("a partner token must name its partner"))?;
                match requested {
                    Some(r) if r != own => Err(DomainError::not_found("partner")),
                    _ => Ok(own),
                }
            }
            Role::Operator | Role::Auditor => requested.ok_or_else(|| {
                ValidationError::new("partner_id", "operators and auditors must name a partner")
                    .into()
            }),
            Role::Billing => Err(forbidden("the billing system has no portal")),
        }
    }

    /// Team management of a partner: operators, or that partner's owners and admins.
    pub fn require_team_admin(&self, partner: PartnerId) -> Result<(), DomainError> {
        match self.role {
            Role::Operator => Ok(()),
            Role::Partner if self.partner_id == Some(partner) => match self.partner_role {
                Some(PartnerUserRole::Owner | PartnerUserRole::Admin) => Ok(()),
                _ => Err(forbidden("only owners and admins manage the team")),
            },
            Role::Partner => Err(DomainError::not_found("partner")),
            _ => Err(forbidden(
                "only operators and partner admins manage partner users",
            )),
        }
    }
}

/// An operator organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tenant {
    /// Identity.
    pub id: TenantId,
    /// Short name used at login (`acme`).
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Creation instant.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// A person of a tenant's staff (operator or auditor).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StaffUser {
    /// Identity.
    pub id: Uuid,
    /// Tenant.
    pub tenant_id: TenantId,
    /// Login e-mail, unique per tenant.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Operator or auditor.
    pub role: Role,
    /// Creation instant.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// What a login checks a password against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    /// The principal the login would become.
    pub principal: Principal,
    /// The argon2id PHC string.
    pub password_hash: String,
}

/// Checks a tenant slug: 1–64 of `a–z 0–9 -`.
pub fn check_slug(slug: &str) -> Result<(), ValidationError> {
    let ok = !slug.is_empty()
        && slug.len() <= 64
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(ValidationError::new(
            "tenant",
            "must be 1 to 64 of a-z, 0-9 and '-'",
        ))
    }
}

/// Checks an e-mail address loosely (one `@`, a dot in the domain, ≤ 254 bytes) and
/// lower-cases it, so logins are case-insensitive.
pub fn normalize_email(email: &str) -> Result<String, ValidationError> {
    let e = email.trim().to_lowercase();
    let ok = e.len() <= 254
        && e.split_once('@')
            .is_some_and(|(a, b)| !a.is_empty() && b.contains('.') && !b.contains('@'))
        && !e.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(e)
    } else {
        Err(ValidationError::new("email", "must be an e-mail address"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn partner(role: PartnerUserRole) -> Principal {
        Principal {
            subject: "u".into(),
            tenant: TenantId::from_uuid(Uuid::nil()),
            role: Role::Partner,
            partner_id: Some(PartnerId::from_uuid(Uuid::from_u128(1))),
            partner_role: Some(role),
        }
    }

    #[test]
    fn partners_see_only_their_partner() {
        let p = partner(PartnerUserRole::Finance);
        let own = PartnerId::from_uuid(Uuid::from_u128(1));
        let other = PartnerId::from_uuid(Uuid::from_u128(2));
        assert_eq!(p.portal_partner(None).unwrap(), own);
        assert_eq!(p.portal_partner(Some(own)).unwrap(), own);
        assert!(matches!(
            p.portal_partner(Some(other)),
            Err(DomainError::NotFound { .. })
        ));
        assert!(p.require_operator().is_err());
        assert!(p.require_team_admin(own).is_err());
        assert!(
            partner(PartnerUserRole::Admin)
                .require_team_admin(own)
                .is_ok()
        );
        assert!(matches!(
            partner(PartnerUserRole::Owner).require_team_admin(other),
            Err(DomainError::NotFound { .. })
        ));
    }

    #[test]
    fn emails_are_normalised() {
        assert_eq!(
            normalize_email(" Ann@Example.COM ").unwrap(),
            "ann@example.com"
        );
        for bad in ["", "ann", "ann@", "@x.com", "a b@x.com", "a@b"] {
            assert!(normalize_email(bad).is_err(), "{bad:?}");
        }
    }
}
