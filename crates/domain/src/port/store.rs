//! Repository ports. Infra implements them on SeaORM; tests mock them with mockall.
//!
//! [`Ledger`] answers reads and opens transactions; a [`LedgerTx`] holds every write of one
//! use case, so a use case either happens completely or not at all. Every method is scoped to
//! a tenant: no query ever crosses tenants.

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::attribution::PartnerAccount;
use crate::audit::AuditRecord;
use crate::commission::{CommissionEvent, EventStatus};
use crate::error::StoreError;
use crate::ingestion::{PaymentRecord, RefundRecord};
use crate::metrics::{CurrencyMetrics, SeriesPoint};
use crate::partner::{Partner, PartnerUser};
use crate::payout::{Payout, PayoutStatus};
use crate::query::{CommissionFilter, Page, PageRequest, PayoutFilter, SeekPage, SeekRequest};
use crate::reconciliation::ReconciliationFacts;
use crate::terms::CommissionRule;
use crate::value::{
    Currency, CustomerId, EventId, PartnerAccountId, PartnerId, PaymentId, PayoutId, Period,
    RefundId, RuleId, TenantId,
};

/// Sums of a payment's earlier refunds, in minor units of the payment's currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RefundTotals {
    /// Σ accepted refund amounts.
    pub refunded_minor: i64,
    /// Σ refund adjustments and clawbacks of its commission, as a positive number.
    pub adjusted_minor: i64,
}

/// A partner's paid volume in one currency and calendar month: what tiered terms look up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VolumeKey {
    /// The partner.
    pub partner: PartnerId,
    /// The currency.
    pub currency: Currency,
    /// The calendar month.
    pub month: Period,
}

/// What one rule produced in one currency and calendar month: what monthly caps look up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UsageKey {
    /// The rule.
    pub rule: RuleId,
    /// The currency.
    pub currency: Currency,
    /// The calendar month.
    pub month: Period,
}

/// A change of status applied to a set of events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    /// The new status.
    pub to: EventStatus,
    /// When.
    pub at: OffsetDateTime,
    /// Rejection reason.
    pub reason: Option<String>,
}

/// One payout's share of a claim: the events of its partner and currency are taken for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PayoutClaim {
    /// The partner whose events are claimed.
    pub partner: PartnerId,
    /// Their currency.
    pub currency: Currency,
    /// The payout that takes them.
    pub payout: PayoutId,
}

/// What a claim took for a payout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ClaimSummary {
    /// Events claimed.
    pub count: u64,
    /// Σ their amounts, minor units.
    pub total_minor: i64,
}

/// The writes (and the reads they depend on) of one use case, in one transaction.
/// Dropping it without [`LedgerTx::commit`] rolls everything back.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait LedgerTx: Send {
    /// Makes every write of the transaction durable.
    async fn commit(self: Box<Self>) -> Result<(), StoreError>;

    /// Appends an audit entry; written with the action it records, or not at all.
    async fn insert_audit(&mut self, record: &AuditRecord) -> Result<(), StoreError>;
    /// Appends audit entries, in as few statements as the database allows.
    async fn insert_audits(&mut self, records: &[AuditRecord]) -> Result<(), StoreError>;
    /// Inserts a partner user with their password hash; `Conflict` when the e-mail is taken.
    async fn insert_partner_user(
        &mut self,
        user: &PartnerUser,
        password_hash: &str,
    ) -> Result<(), StoreError>;

    // Partners, attributions and rules.
    /// Inserts a partner; `Conflict` when the partner number is taken in the tenant.
    async fn insert_partner(&mut self, partner: &Partner) -> Result<(), StoreError>;
    /// Replaces a partner's mutable fields.
    async fn update_partner(&mut self, partner: &Partner) -> Result<(), StoreError>;
    /// Reads a partner and locks it until commit; serialises ingestion, caps and tier volume
    /// per partner.
    async fn lock_partner(
        &mut self,
        tenant: TenantId,
        id: PartnerId,
    ) -> Result<Option<Partner>, StoreError>;
    /// Locks a customer's attributions until commit (creating the lock row if needed).
    async fn lock_customer(
        &mut self,
        tenant: TenantId,
        customer: &CustomerId,
    ) -> Result<(), StoreError>;
    /// Every attribution of a customer.
    async fn accounts_of_customer(
        &mut self,
        tenant: TenantId,
        customer: &CustomerId,
    ) -> Result<Vec<PartnerAccount>, StoreError>;
    /// Inserts an attribution.
    async fn insert_account(&mut self, account: &PartnerAccount) -> Result<(), StoreError>;
    /// An attribution.
    async fn account(
        &mut self,
        tenant: TenantId,
        id: PartnerAccountId,
    ) -> Result<Option<PartnerAccount>, StoreError>;
    /// Sets the end of an attribution.
    async fn end_account(
        &mut self,
        tenant: TenantId,
        id: PartnerAccountId,
        end: OffsetDateTime,
    ) -> Result<bool, StoreError>;
    /// Inserts a rule.
    async fn insert_rule(&mut self, rule: &CommissionRule) -> Result<(), StoreError>;
    /// Replaces a rule's mutable fields.
    async fn update_rule(&mut self, rule: &CommissionRule) -> Result<(), StoreError>;
    /// A rule.
    async fn rule(
        &mut self,
        tenant: TenantId,
        id: RuleId,
    ) -> Result<Option<CommissionRule>, StoreError>;

    // Ingestion. Batch reads and writes: one statement per batch, whatever its size.
    /// The remembered payments among `ids`; unknown ids are simply absent.
    async fn find_payments(
        &mut self,
        tenant: TenantId,
        ids: &[PaymentId],
    ) -> Result<Vec<PaymentRecord>, StoreError>;
    /// The remembered payment, locked until commit: refunds of one payment are serialised, so
    /// together they can never exceed it.
    async fn lock_payment(
        &mut self,
        tenant: TenantId,
        id: &PaymentId,
    ) -> Result<Option<PaymentRecord>, StoreError>;
    /// Remembers payments; `Conflict` when one was remembered concurrently.
    async fn insert_payments(&mut self, records: &[PaymentRecord]) -> Result<(), StoreError>;
    /// The remembered refund, if any.
    async fn find_refund(
        &mut self,
        tenant: TenantId,
        id: &RefundId,
    ) -> Result<Option<RefundRecord>, StoreError>;
    /// Remembers a refund; `Conflict` on a concurrent replay.
    async fn insert_refund(&mut self, record: &RefundRecord) -> Result<(), StoreError>;
    /// Sums of the payment's earlier refunds.
    async fn refund_totals(
        &mut self,
        tenant: TenantId,
        payment: &PaymentId,
    ) -> Result<RefundTotals, StoreError>;
    /// Every attribution of the given customers.
    async fn accounts_of_customers(
        &mut self,
        tenant: TenantId,
        customers: &[CustomerId],
    ) -> Result<Vec<PartnerAccount>, StoreError>;
    /// Reads partners and locks them until commit, in id order so that two batches never
    /// wait on each other in a cycle; unknown ids are absent.
    async fn lock_partners(
        &mut self,
        tenant: TenantId,
        ids: &[PartnerId],
    ) -> Result<Vec<Partner>, StoreError>;
    /// The active rules of the given partners, by partner then priority (highest first) then
    /// age (oldest first).
    async fn active_rules_of_partners(
        &mut self,
        tenant: TenantId,
        partners: &[PartnerId],
    ) -> Result<Vec<CommissionRule>, StoreError>;
    /// For each key, in order: Σ base amounts of the partner's `invoice_payment` events in the
    /// currency and month, minor units.
    async fn payment_volumes(
        &mut self,
        tenant: TenantId,
        keys: &[VolumeKey],
    ) -> Result<Vec<i64>, StoreError>;
    /// For each key, in order: Σ `invoice_payment` amounts the rule produced in the currency
    /// and month, minor units.
    async fn rule_usages(
        &mut self,
        tenant: TenantId,
        keys: &[UsageKey],
    ) -> Result<Vec<i64>, StoreError>;

    // Events.
    /// Appends an event.
    async fn insert_event(&mut self, event: &CommissionEvent) -> Result<(), StoreError>;
    /// Appends events, in as few statements as the database allows.
    async fn insert_events(&mut self, events: &[CommissionEvent]) -> Result<(), StoreError>;
    /// Events by id, within the tenant; missing ids are simply absent.
    async fn events_by_ids(
        &mut self,
        tenant: TenantId,
        ids: &[EventId],
    ) -> Result<Vec<CommissionEvent>, StoreError>;
    /// Refund adjustments and clawbacks of the given commissions.
    async fn adjustments_of(
        &mut self,
        tenant: TenantId,
        originals: &[EventId],
    ) -> Result<Vec<CommissionEvent>, StoreError>;
    /// The `invoice_payment` event of a payment.
    async fn payment_event(
        &mut self,
        tenant: TenantId,
        payment: &PaymentId,
    ) -> Result<Option<CommissionEvent>, StoreError>;
    /// Moves events whose status is in `from` and that no payout holds; returns rows changed.
    async fn change_event_status(
        &mut self,
        tenant: TenantId,
        ids: &[EventId],
        from: &[EventStatus],
        change: &StatusChange,
    ) -> Result<u64, StoreError>;

    // Payouts.
    /// Inserts payouts, in as few statements as the database allows.
    async fn insert_payouts(&mut self, payouts: &[Payout]) -> Result<(), StoreError>;
    /// For each claim, every approved, unclaimed event of its partner and currency dated in
    /// `[start, end]` (inclusive) is taken for its payout, atomically, in a number of
    /// statements that grows neither with the events nor with the claims (up to a few
    /// hundred); answers what each claim took, in the order of `claims`. An event is never
    /// taken twice, even by concurrent claims.
    async fn claim_events(
        &mut self,
        tenant: TenantId,
        start: Option<OffsetDateTime>,
        end: OffsetDateTime,
        claims: &[PayoutClaim],
    ) -> Result<Vec<ClaimSummary>, StoreError>;
    /// Writes the total and commission count of `pending` payouts (the rest of each payout
    /// is as inserted); returns rows changed.
    async fn set_payout_totals(
        &mut self,
        tenant: TenantId,
        payouts: &[Payout],
    ) -> Result<u64, StoreError>;
    /// Undoes `pending` payouts made in this transaction: releases their events and deletes
    /// them; returns payouts deleted.
    async fn discard_payouts(
        &mut self,
        tenant: TenantId,
        payouts: &[PayoutId],
    ) -> Result<u64, StoreError>;
    /// Reads a payout and locks it until commit.
    async fn lock_payout(
        &mut self,
        tenant: TenantId,
        id: PayoutId,
    ) -> Result<Option<Payout>, StoreError>;
    /// Writes a payout's status fields if its status is still `from`; false when it moved.
    async fn update_payout(
        &mut self,
        payout: &Payout,
        from: PayoutStatus,
    ) -> Result<bool, StoreError>;
    /// Releases a payout's events for a later payout; returns rows changed.
    async fn release_events(
        &mut self,
        tenant: TenantId,
        payout: PayoutId,
    ) -> Result<u64, StoreError>;
    /// Marks a payout's events paid; returns rows changed.
    async fn mark_events_paid(
        &mut self,
        tenant: TenantId,
        payout: PayoutId,
        at: OffsetDateTime,
    ) -> Result<u64, StoreError>;
    /// Partners and currencies with approved, unclaimed events dated in `[start, end]`.
    async fn payable_partners(
        &mut self,
        tenant: TenantId,
        start: Option<OffsetDateTime>,
        end: OffsetDateTime,
    ) -> Result<Vec<(PartnerId, Currency)>, StoreError>;
}

/// Reads of the ledger, and the way to open a [`LedgerTx`].
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait Ledger: Send + Sync {
    /// Opens a transaction.
    async fn begin(&self) -> Result<Box<dyn LedgerTx>, StoreError>;

    /// A partner.
    async fn partner(&self, tenant: TenantId, id: PartnerId)
    -> Result<Option<Partner>, StoreError>;
    /// A page of partners, by partner number.
    async fn list_partners(
        &self,
        tenant: TenantId,
        page: PageRequest,
    ) -> Result<Page<Partner>, StoreError>;
    /// Attributions of a partner.
    async fn accounts_of_partner(
        &self,
        tenant: TenantId,
        partner: PartnerId,
    ) -> Result<Vec<PartnerAccount>, StoreError>;
    /// Rules of a partner, active or not.
    async fn rules_of_partner(
        &self,
        tenant: TenantId,
        partner: PartnerId,
    ) -> Result<Vec<CommissionRule>, StoreError>;
    /// A commission event.
    async fn commission(
        &self,
        tenant: TenantId,
        id: EventId,
    ) -> Result<Option<CommissionEvent>, StoreError>;
    /// A page of commission events, newest first.
    async fn list_commissions(
        &self,
        tenant: TenantId,
        filter: &CommissionFilter,
        page: PageRequest,
    ) -> Result<Page<CommissionEvent>, StoreError>;
    /// Commission events after a position, newest first (ties by id, descending); nothing is
    /// counted.
    async fn seek_commissions(
        &self,
        tenant: TenantId,
        filter: &CommissionFilter,
        page: SeekRequest,
    ) -> Result<SeekPage<CommissionEvent>, StoreError>;
    /// A payout.
    async fn payout(&self, tenant: TenantId, id: PayoutId) -> Result<Option<Payout>, StoreError>;
    /// A page of payouts, newest first.
    async fn list_payouts(
        &self,
        tenant: TenantId,
        filter: &PayoutFilter,
        page: PageRequest,
    ) -> Result<Page<Payout>, StoreError>;
    /// Payouts after a position, newest first (ties by id, descending); nothing is counted.
    async fn seek_payouts(
        &self,
        tenant: TenantId,
        filter: &PayoutFilter,
        page: SeekRequest,
    ) -> Result<SeekPage<Payout>, StoreError>;
    /// Per-currency metrics of a partner: period figures over `period`, balances as of now.
    async fn metrics(
        &self,
        tenant: TenantId,
        partner: PartnerId,
        period: Period,
    ) -> Result<Vec<CurrencyMetrics>, StoreError>;
    /// Daily buckets of commissions and completed payouts in a period.
    async fn daily_series(
        &self,
        tenant: TenantId,
        partner: PartnerId,
        period: Period,
    ) -> Result<Vec<SeriesPoint>, StoreError>;
    /// Approves every pending event whose hold ended at or before `now`, in one tenant or (for
    /// the server's periodic job) in every tenant; returns how many.
    async fn approve_due(
        &self,
        tenant: Option<TenantId>,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError>;
    /// The facts a reconciliation judges, for one tenant or all.
    async fn reconciliation_facts(
        &self,
        tenant: Option<TenantId>,
    ) -> Result<ReconciliationFacts, StoreError>;
}
