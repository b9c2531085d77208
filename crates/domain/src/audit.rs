//! The audit log: every operator action, with who, what, when, and the state before and after.
//! Entries are written in the same transaction as the action, and are never edited.

use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::attribution::PartnerAccount;
use crate::commission::CommissionEvent;
use crate::partner::{Partner, PartnerUser};
use crate::payout::Payout;
use crate::terms::CommissionRule;
use crate::value::TenantId;

/// The state of what an action touched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", content = "state", rename_all = "snake_case")]
pub enum Snapshot {
    /// A partner.
    Partner(Box<Partner>),
    /// A partner user (never their password).
    PartnerUser(Box<PartnerUser>),
    /// An attribution.
    Account(Box<PartnerAccount>),
    /// A rule.
    Rule(Box<CommissionRule>),
    /// Commission events.
    Commissions(Vec<CommissionEvent>),
    /// A payout.
    Payout(Box<Payout>),
    /// A free-form summary (for actions over many objects, such as payout runs).
    Summary(String),
}

/// One audit entry to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// Identity.
    pub id: Uuid,
    /// Tenant.
    pub tenant_id: TenantId,
    /// Who acted.
    pub actor: String,
    /// What they did (`partner.create`, `payout.complete`, …).
    pub action: &'static str,
    /// The kind of object.
    pub target_type: &'static str,
    /// The object's id.
    pub target_id: String,
    /// State before, if it existed.
    pub before: Option<Snapshot>,
    /// State after, if it still exists.
    pub after: Option<Snapshot>,
    /// When.
    pub at: OffsetDateTime,
}

/// One audit entry as read back; states are the JSON the writer stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    /// Identity.
    pub id: Uuid,
    /// Who acted.
    pub actor: String,
    /// What they did.
    pub action: String,
    /// The kind of object.
    pub target_type: String,
    /// The object's id.
    pub target_id: String,
    /// State before, as JSON text.
    pub before: Option<String>,
    /// State after, as JSON text.
    pub after: Option<String>,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}
