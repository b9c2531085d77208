//! Fixtures shared by the integration tests: a fixed clock, deterministic ids, builders of
//! domain values, and a recorder of what a mocked transaction was asked to write.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use revshare_domain::attribution::PartnerAccount;
use revshare_domain::audit::AuditRecord;
use revshare_domain::commission::{CommissionEvent, EventStatus, EventType};
use revshare_domain::ingestion::{InvoicePayment, PaymentRecord, RefundRecord};
use revshare_domain::partner::{Partner, PartnerStatus, PartnerTier};
use revshare_domain::payout::{Payout, PayoutStatus};
use revshare_domain::port::{LedgerTx, MockClock, MockIdSource, MockLedger, MockLedgerTx};
use revshare_domain::terms::{CommissionModel, CommissionRule, TermsSource};
use revshare_domain::value::{
    Currency, CustomerId, EventId, InvoiceId, Money, PartnerAccountId, PartnerId, PaymentId,
    PayoutId, Rate, RuleId, TenantId,
};
use revshare_domain::{Actor, Engine};
use time::OffsetDateTime;
use time::macros::datetime;
use uuid::Uuid;

/// The instant every mocked clock answers.
pub const NOW: OffsetDateTime = datetime!(2025-06-15 12:00 UTC);
/// When the test payments were paid (five days before `NOW`).
pub const PAID_AT: OffsetDateTime = datetime!(2025-06-10 09:00 UTC);
/// Start of the default attribution.
pub const ACCOUNT_START: OffsetDateTime = datetime!(2025-01-01 00:00 UTC);
/// First uuid the mocked id source hands out; then +1, +2, …
pub const FIRST_ID: u128 = 0xA000;

pub fn tenant() -> TenantId {
    TenantId::from_uuid(Uuid::from_u128(0x1))
}

pub fn partner_id() -> PartnerId {
    PartnerId::from_uuid(Uuid::from_u128(0x2))
}

pub fn account_id() -> PartnerAccountId {
    PartnerAccountId::from_uuid(Uuid::from_u128(0x3))
}

pub fn rule_id(n: u128) -> RuleId {
    RuleId::from_uuid(Uuid::from_u128(0x100 + n))
}

pub fn event_id(n: u128) -> EventId {
    EventId::from_uuid(Uuid::from_u128(0xE00 + n))
}

pub fn payout_id(n: u128) -> PayoutId {
    PayoutId::from_uuid(Uuid::from_u128(0xF00 + n))
}

/// The n-th id (0-based) the mocked id source hands out.
pub fn generated(n: u128) -> Uuid {
    Uuid::from_u128(FIRST_ID + n)
}

pub fn actor() -> Actor {
    Actor("ops@example.com".into())
}

pub fn usd(s: &str) -> Money {
    Money::parse(s, Currency::USD).unwrap()
}

pub fn eur(s: &str) -> Money {
    Money::parse(s, Currency::EUR).unwrap()
}

pub fn rate(s: &str) -> Rate {
    Rate::parse(s).unwrap()
}

pub fn customer() -> CustomerId {
    CustomerId::parse("cust_1").unwrap()
}

pub fn revenue_share(r: &str) -> CommissionModel {
    CommissionModel::RevenueShare { rate: rate(r) }
}

pub fn partner(
    status: PartnerStatus,
    default_terms: Option<CommissionModel>,
    hold_days: u32,
) -> Partner {
    Partner {
        id: partner_id(),
        tenant_id: tenant(),
        partner_number: "P-0001".into(),
        name: "Acme Resellers".into(),
        status,
        tier: PartnerTier::Gold,
        default_terms,
        hold_days,
        minimum_payouts: BTreeMap::new(),
        contact_email: None,
        tax_id: None,
        created_at: datetime!(2024-12-01 00:00 UTC),
        updated_at: datetime!(2024-12-01 00:00 UTC),
    }
}

pub fn active_partner(default_terms: Option<CommissionModel>) -> Partner {
    partner(PartnerStatus::Active, default_terms, 0)
}

pub fn account(custom_rate: Option<Rate>) -> PartnerAccount {
    PartnerAccount {
        id: account_id(),
        tenant_id: tenant(),
        partner_id: partner_id(),
        customer_id: customer(),
        start: ACCOUNT_START,
        end: None,
        custom_rate,
        created_at: ACCOUNT_START,
    }
}

/// An active, unscoped, open-ended rule of the test partner.
pub fn rule(
    n: u128,
    priority: i32,
    model: CommissionModel,
    created_at: OffsetDateTime,
) -> CommissionRule {
    CommissionRule {
        id: rule_id(n),
        tenant_id: tenant(),
        partner_id: partner_id(),
        name: format!("rule {n}"),
        model,
        product_ids: BTreeSet::new(),
        customer_ids: BTreeSet::new(),
        effective_from: datetime!(2025-01-01 00:00 UTC),
        effective_to: None,
        priority,
        max_duration_months: None,
        monthly_cap: None,
        active: true,
        created_at,
        updated_at: created_at,
    }
}

pub fn payment(id: &str, amount: Money) -> InvoicePayment {
    InvoicePayment {
        payment_id: PaymentId::parse(id).unwrap(),
        invoice_id: InvoiceId::parse("inv_1").unwrap(),
        invoice_number: Some("INV-0001".into()),
        customer_id: customer(),
        amount,
        paid_at: PAID_AT,
        product_ids: Vec::new(),
    }
}

/// An `invoice_payment` event of the test partner.
pub fn event(n: u128, status: EventStatus, amount: Money) -> CommissionEvent {
    CommissionEvent {
        id: event_id(n),
        tenant_id: tenant(),
        partner_id: partner_id(),
        event_type: EventType::InvoicePayment,
        status,
        amount,
        event_date: PAID_AT,
        payment_id: Some(PaymentId::parse("pay_1").unwrap()),
        refund_id: None,
        invoice_id: Some(InvoiceId::parse("inv_1").unwrap()),
        invoice_number: Some("INV-0001".into()),
        customer_id: Some(customer()),
        base_amount: None,
        rate: Some(rate("0.1")),
        fee: None,
        rule_id: None,
        terms_source: TermsSource::PartnerDefault,
        original_event_id: None,
        hold_until: None,
        payout_id: None,
        approved_at: (status != EventStatus::Pending).then_some(PAID_AT),
        paid_at: (status == EventStatus::Paid).then_some(PAID_AT),
        rejected_at: None,
        rejection_reason: None,
        note: None,
        created_by: "billing".into(),
        created_at: PAID_AT,
    }
}

pub fn payout(n: u128, status: PayoutStatus, total: Money, count: u32) -> Payout {
    Payout {
        id: payout_id(n),
        tenant_id: tenant(),
        partner_id: partner_id(),
        total,
        commission_count: count,
        status,
        period_start: None,
        period_end: datetime!(2025-06-01 00:00 UTC),
        payment_method: "bank_transfer".into(),
        payment_reference: None,
        failure_reason: None,
        created_by: "ops@example.com".into(),
        created_at: datetime!(2025-06-02 00:00 UTC),
        updated_at: datetime!(2025-06-02 00:00 UTC),
        completed_at: None,
    }
}

/// A clock stuck at [`NOW`].
pub fn clock() -> MockClock {
    let mut c = MockClock::new();
    c.expect_now().return_const(NOW);
    c
}

/// Ids `FIRST_ID`, `FIRST_ID + 1`, … in call order.
pub fn ids() -> MockIdSource {
    let next = AtomicU64::new(0);
    let mut s = MockIdSource::new();
    s.expect_new_id()
        .returning(move || generated(u128::from(next.fetch_add(1, Ordering::SeqCst))));
    s
}

/// An engine whose ledger opens exactly the given transactions, in order.
pub fn engine(txs: Vec<MockLedgerTx>) -> Engine {
    let n = txs.len();
    let queue = Mutex::new(VecDeque::from(txs));
    let mut ledger = MockLedger::new();
    ledger.expect_begin().times(n).returning(move || {
        let tx = queue
            .lock()
            .unwrap()
            .pop_front()
            .expect("no more transactions");
        Ok(Box::new(tx) as Box<dyn LedgerTx>)
    });
    Engine::new(Arc::new(ledger), Arc::new(clock()), Arc::new(ids()))
}

/// An engine that must not open any transaction (input refused up front).
pub fn engine_without_tx() -> Engine {
    engine(Vec::new())
}

/// What a mocked transaction was asked to write.
#[derive(Debug, Clone, Default)]
pub struct Written {
    pub events: Arc<Mutex<Vec<CommissionEvent>>>,
    pub payments: Arc<Mutex<Vec<PaymentRecord>>>,
    pub refunds: Arc<Mutex<Vec<RefundRecord>>>,
    pub payouts: Arc<Mutex<Vec<Payout>>>,
    pub audits: Arc<Mutex<Vec<AuditRecord>>>,
    pub committed: Arc<AtomicBool>,
}

impl Written {
    pub fn events(&self) -> Vec<CommissionEvent> {
        self.events.lock().unwrap().clone()
    }

    pub fn payments(&self) -> Vec<PaymentRecord> {
        self.payments.lock().unwrap().clone()
    }

    pub fn refunds(&self) -> Vec<RefundRecord> {
        self.refunds.lock().unwrap().clone()
    }

    pub fn payouts(&self) -> Vec<Payout> {
        self.payouts.lock().unwrap().clone()
    }

    pub fn audits(&self) -> Vec<AuditRecord> {
        self.audits.lock().unwrap().clone()
    }

    pub fn committed(&self) -> bool {
        self.committed.load(Ordering::SeqCst)
    }

    /// `insert_event` appends to `events` (at most `max` times).
    pub fn on_insert_event(&self, tx: &mut MockLedgerTx, max: usize) {
        let events = self.events.clone();
        tx.expect_insert_event().times(0..=max).returning(move |e| {
            events.lock().unwrap().push(e.clone());
            Ok(())
        });
    }

    /// `insert_events` may be called at most once (a batch writes its events in one call);
    /// every event is recorded.
    pub fn on_insert_events(&self, tx: &mut MockLedgerTx) {
        let events = self.events.clone();
        tx.expect_insert_events().times(0..=1).returning(move |es| {
            events.lock().unwrap().extend(es.iter().cloned());
            Ok(())
        });
    }

    /// `events_by_ids` answers from what was inserted plus `known`.
    pub fn on_events_by_ids(&self, tx: &mut MockLedgerTx, known: Vec<CommissionEvent>) {
        let events = self.events.clone();
        tx.expect_events_by_ids().returning(move |t, ids| {
            assert_eq!(t, tenant(), "events read outside the tenant");
            let inserted = events.lock().unwrap().clone();
            Ok(known
                .iter()
                .chain(inserted.iter())
                .filter(|e| ids.contains(&e.id))
                .cloned()
                .collect())
        });
    }

    /// `insert_audit` may be called at most once and is recorded.
    pub fn on_insert_audit(&self, tx: &mut MockLedgerTx) {
        let audits = self.audits.clone();
        tx.expect_insert_audit().times(0..=1).returning(move |a| {
            audits.lock().unwrap().push(a.clone());
            Ok(())
        });
    }

    /// `insert_audits` may be called at most once (a transaction writes its entries in one
    /// call); every entry is recorded.
    pub fn on_insert_audits(&self, tx: &mut MockLedgerTx) {
        let audits = self.audits.clone();
        tx.expect_insert_audits().times(0..=1).returning(move |rs| {
            audits.lock().unwrap().extend(rs.iter().cloned());
            Ok(())
        });
    }

    /// Exactly one audit entry was written, for `action` by the test actor at `NOW`.
    pub fn assert_audited(&self, action: &str) {
        let audits = self.audits();
        assert_eq!(audits.len(), 1, "one audit entry");
        assert_eq!(audits[0].action, action);
        assert_eq!(audits[0].actor, actor().subject());
        assert_eq!(audits[0].tenant_id, tenant());
        assert_eq!(audits[0].at, NOW);
    }

    /// `commit` may be called at most once and is recorded.
    pub fn on_commit(&self, tx: &mut MockLedgerTx) {
        let committed = self.committed.clone();
        tx.expect_commit().times(0..=1).returning(move || {
            committed.store(true, Ordering::SeqCst);
            Ok(())
        });
    }
}
