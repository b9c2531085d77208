//! Use cases: each public method of [`Engine`] is one operation of revshare, atomic, scoped to a
//! tenant, and deterministic given its ports.

mod adjustment;
mod approval;
mod attribution;
mod partner_users;
mod partners;
mod payout_batch;
mod payout_status;
mod reconcile;
mod record_payment;
mod record_refund;
mod reporting;
mod rules;

use std::sync::Arc;

use crate::port::{Clock, IdSource, Ledger};

pub use adjustment::ManualAdjustment;
pub use approval::MAX_BULK_IDS;
pub use attribution::NewAccount;
pub use partner_users::NewPartnerUser;
pub use partners::{NewPartner, PartnerUpdate};
pub use payout_batch::{
    MAX_PAYOUTS_PER_TX, PayoutBatchOutcome, PayoutRefusal, PayoutRequest, PayoutRunReport,
};
pub use payout_status::PayoutMove;
pub use record_payment::{Evaluation, MAX_INGEST_BATCH};
pub use rules::RuleDraft;

/// Who performs an operation, as recorded on what it writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor(pub String);

impl Actor {
    /// The actor's subject.
    pub fn subject(&self) -> &str {
        &self.0
    }
}

/// The revshare engine: every use case, over injected ports.
#[derive(Clone)]
pub struct Engine {
    ledger: Arc<dyn Ledger>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdSource>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").finish_non_exhaustive()
    }
}

impl Engine {
    /// Builds the engine over a ledger, a clock and an id source.
    pub fn new(ledger: Arc<dyn Ledger>, clock: Arc<dyn Clock>, ids: Arc<dyn IdSource>) -> Self {
        Engine { ledger, clock, ids }
    }

    /// The ledger, for callers that need a read the engine does not wrap.
    pub fn ledger(&self) -> &Arc<dyn Ledger> {
        &self.ledger
    }

    /// The engine's clock.
    pub fn now(&self) -> time::OffsetDateTime {
        self.clock.now()
    }
}

impl Engine {
    /// An audit record of an action by `actor`, stamped now.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn audit(
        &self,
        tenant: crate::value::TenantId,
        actor: &Actor,
        action: &'static str,
        target_type: &'static str,
        target_id: String,
        before: Option<crate::audit::Snapshot>,
        after: Option<crate::audit::Snapshot>,
    ) -> crate::audit::AuditRecord {
        crate::audit::AuditRecord {
            id: self.ids.new_id(),
            tenant_id: tenant,
            actor: actor.subject().to_owned(),
            action,
            target_type,
            target_id,
            before,
            after,
            at: self.clock.now(),
        }
    }
}

/// Attempts of a use case the database keeps aborting for contention before giving up.
const MAX_CONTENTION_ATTEMPTS: usize = 5;

/// Runs a transactional use case again when the database aborted it to break a deadlock or
/// a serialization conflict (rare, under concurrent writers of one partner's totals): nothing
/// of the aborted attempt was written, and the next one sees the winner's writes.
pub(crate) async fn retrying<T, F, Fut>(mut attempt: F) -> Result<T, crate::error::DomainError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, crate::error::DomainError>>,
{
    let mut n = 1;
    loop {
        match attempt().await {
            Err(crate::error::DomainError::Store(crate::error::StoreError::Contention(_)))
                if n < MAX_CONTENTION_ATTEMPTS =>
            {
                n += 1;
            }
            other => return other,
        }
    }
}

/// Checks free text: trimmed, 1..=max characters, no control characters.
pub(crate) fn required_text(
    field: &str,
    text: &str,
    max: usize,
) -> Result<String, crate::error::ValidationError> {
    let t = text.trim();
    if t.is_empty() || t.chars().count() > max {
        return Err(crate::error::ValidationError::new(
            field,
            format!("must be 1 to {max} characters"),
        ));
    }
    if t.chars().any(|c| c.is_control() && c != '\n') {
        return Err(crate::error::ValidationError::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(t.to_owned())
}

/// Like [`required_text`], for optional fields; empty text means absent.
pub(crate) fn optional_text(
    field: &str,
    text: Option<&str>,
    max: usize,
) -> Result<Option<String>, crate::error::ValidationError> {
    match text.map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => required_text(field, t, max).map(Some),
    }
}
