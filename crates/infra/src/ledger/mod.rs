//! The SeaORM ledger: [`SeaLedger`] implements the domain's `Ledger` port (reads, and opening
//! transactions); `tx` holds the `LedgerTx` implementation; `read` the queries both share;
//! `event_rows` decodes commission rows;
//! `reports` the aggregates behind metrics, series and reconciliation.

mod bulk_insert;
mod event_rows;
mod month_totals;
mod read;
mod reports;
mod tx;

use async_trait::async_trait;
use revshare_domain::StoreError;
use revshare_domain::attribution::PartnerAccount;
use revshare_domain::commission::CommissionEvent;
use revshare_domain::metrics::{CurrencyMetrics, SeriesPoint};
use revshare_domain::partner::Partner;
use revshare_domain::payout::Payout;
use revshare_domain::port::{Ledger, LedgerTx};
use revshare_domain::query::{
    CommissionFilter, Page, PageRequest, PayoutFilter, SeekPage, SeekRequest,
};
use revshare_domain::reconciliation::ReconciliationFacts;
use revshare_domain::terms::CommissionRule;
use revshare_domain::value::{EventId, PartnerId, PayoutId, Period, TenantId};
use sea_orm::{DatabaseConnection, TransactionTrait};
use time::OffsetDateTime;

use crate::error::OrStore;

/// The ledger on a SeaORM connection pool (PostgreSQL or SQLite).
#[derive(Debug, Clone)]
pub struct SeaLedger {
    db: DatabaseConnection,
}

impl SeaLedger {
    /// Wraps a pool; the schema must be migrated.
    pub fn new(db: DatabaseConnection) -> Self {
        SeaLedger { db }
    }

    /// The pool.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }
}

#[async_trait]
impl Ledger for SeaLedger {
    async fn begin(&self) -> Result<Box<dyn LedgerTx>, StoreError> {
        let tx = self.db.begin().await.or_store()?;
        Ok(Box::new(tx::SeaLedgerTx::new(tx)))
    }

    async fn partner(
        &self,
        tenant: TenantId,
        id: PartnerId,
    ) -> Result<Option<Partner>, StoreError> {
        read::partner(&self.db, tenant, id).await
    }

    async fn list_partners(
        &self,
        tenant: TenantId,
        page: PageRequest,
    ) -> Result<Page<Partner>, StoreError> {
        read::list_partners(&self.db, tenant, page).await
    }

    async fn accounts_of_partner(
        &self,
        tenant: TenantId,
        partner: PartnerId,
    ) -> Result<Vec<PartnerAccount>, StoreError> {
        read::accounts_of_partner(&self.db, tenant, partner).await
    }

    async fn rules_of_partner(
        &self,
        tenant: TenantId,
        partner: PartnerId,
    ) -> Result<Vec<CommissionRule>, StoreError> {
        read::rules_of_partner(&self.db, tenant, partner, false).await
    }

    async fn commission(
        &self,
        tenant: TenantId,
        id: EventId,
    ) -> Result<Option<CommissionEvent>, StoreError> {
        Ok(read::events_by_ids(&self.db, tenant, &[id]).await?.pop())
    }

    async fn list_commissions(
        &self,
        tenant: TenantId,
        filter: &CommissionFilter,
        page: PageRequest,
    ) -> Result<Page<CommissionEvent>, StoreError> {
        read::list_commissions(&self.db, tenant, filter, page).await
    }

    async fn seek_commissions(
        &self,
        tenant: TenantId,
        filter: &CommissionFilter,
        page: SeekRequest,
    ) -> Result<SeekPage<CommissionEvent>, StoreError> {
        read::seek_commissions(&self.db, tenant, filter, page).await
    }

    async fn payout(&self, tenant: TenantId, id: PayoutId) -> Result<Option<Payout>, StoreError> {
        read::payout(&self.db, tenant, id).await
    }

    async fn list_payouts(
        &self,
        tenant: TenantId,
        filter: &PayoutFilter,
        page: PageRequest,
    ) -> Result<Page<Payout>, StoreError> {
        read::list_payouts(&self.db, tenant, filter, page).await
    }

    async fn seek_payouts(
        &self,
        tenant: TenantId,
        filter: &PayoutFilter,
        page: SeekRequest,
    ) -> Result<SeekPage<Payout>, StoreError> {
        read::seek_payouts(&self.db, tenant, filter, page).await
    }

    async fn metrics(
        &self,
        tenant: TenantId,
        partner: PartnerId,
        period: Period,
    ) -> Result<Vec<CurrencyMetrics>, StoreError> {
        reports::metrics(&self.db, tenant, partner, period).await
    }

    async fn daily_series(
        &self,
        tenant: TenantId,
        partner: PartnerId,
        period: Period,
    ) -> Result<Vec<SeriesPoint>, StoreError> {
        reports::daily_series(&self.db, tenant, partner, period).await
    }

    async fn approve_due(
        &self,
        tenant: Option<TenantId>,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        reports::approve_due(&self.db, tenant, now).await
    }

    async fn reconciliation_facts(
        &self,
        tenant: Option<TenantId>,
    ) -> Result<ReconciliationFacts, StoreError> {
        reports::reconciliation_facts(&self.db, tenant).await
    }
}
