//! The reconciliation report of SPEC §2.

use crate::error::DomainError;
use crate::reconciliation::ReconciliationReport;
use crate::usecase::Engine;
use crate::value::TenantId;

impl Engine {
    /// Checks conservation for one tenant, or every tenant with `None`.
    pub async fn reconcile(
        &self,
        tenant: Option<TenantId>,
    ) -> Result<ReconciliationReport, DomainError> {
        let facts = self.ledger.reconciliation_facts(tenant).await?;
        Ok(ReconciliationReport::from_facts(
            tenant,
            self.clock.now(),
            facts,
        ))
    }
}
