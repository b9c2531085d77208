//! `Engine::create_payout` and `Engine::move_payout` (SPEC §1 payout, §3 "Payout batch", §3a).

use revshare_domain::DomainError;
use revshare_domain::payout::{Payout, PayoutStatus};
use revshare_domain::port::{ClaimSummary, MockLedgerTx, PayoutClaim};
use revshare_domain::state::StateMachine;
use revshare_domain::usecase::{
    MAX_PAYOUTS_PER_TX, PayoutBatchOutcome, PayoutMove, PayoutRefusal, PayoutRequest,
};
use revshare_domain::value::{Currency, Money, PartnerId, PayoutId};
use time::OffsetDateTime;
use time::macros::datetime;

use crate::common::*;

const PERIOD_START: OffsetDateTime = datetime!(2025-05-01 00:00 UTC);
const PERIOD_END: OffsetDateTime = datetime!(2025-05-31 23:59:59 UTC);

fn request() -> PayoutRequest {
    PayoutRequest {
        partner_id: partner_id(),
        currency: Currency::USD,
        period_start: Some(PERIOD_START),
        period_end: PERIOD_END,
        payment_method: " bank_transfer ".into(),
    }
}

/// A batch transaction: the partner (minimum 50.00 USD) is locked, the payout inserted, and
/// the claim answers `claim`. Writes are recorded in `w`.
fn batch_tx(claim: ClaimSummary, w: &Written) -> MockLedgerTx {
    let mut tx = MockLedgerTx::new();
    tx.expect_lock_partners()
        .times(1)
        .withf(|t, ids| *t == tenant() && ids == [partner_id()])
        .returning(|_, _| {
            let mut p = active_partner(None);
            p.minimum_payouts.insert(Currency::USD, usd("50.00"));
            Ok(vec![p])
        });
    let payouts = w.payouts.clone();
    tx.expect_insert_payouts().times(1).returning(move |ps| {
        payouts.lock().unwrap().extend(ps.iter().cloned());
        Ok(())
    });
    let generated_payout = PayoutId::from_uuid(generated(0));
    tx.expect_claim_events()
        .times(1)
        .withf(move |t, start, end, claims| {
            *t == tenant()
                && *start == Some(PERIOD_START)
                && *end == PERIOD_END
                && claims
                    == [PayoutClaim {
                        partner: partner_id(),
                        currency: Currency::USD,
                        payout: generated_payout,
                    }]
        })
        .returning(move |_, _, _, _| Ok(vec![claim]));
    // A batch of one is never partly refused: a refusal rolls back instead.
    tx.expect_discard_payouts().never();
    let payouts = w.payouts.clone();
    tx.expect_set_payout_totals()
        .times(0..=1)
        .withf(|t, _| *t == tenant())
        .returning(move |_, ps| {
            payouts.lock().unwrap().extend(ps.iter().cloned());
            Ok(ps.len() as u64)
        });
    w.on_insert_audits(&mut tx);
    w.on_commit(&mut tx);
    tx
}

async fn batch(claim: ClaimSummary) -> (PayoutBatchOutcome, Written) {
    let w = Written::default();
    let tx = batch_tx(claim, &w);
    let outcome = engine(vec![tx])
        .create_payout(tenant(), &actor(), request())
        .await
        .unwrap();
    (outcome, w)
}

/// A refused batch: the reason and net, and nothing was committed (the claim rolls back).
fn assert_refused(outcome: &PayoutBatchOutcome, w: &Written, why: PayoutRefusal, net: &str) {
    match outcome {
        PayoutBatchOutcome::Refused {
            partner_id: p,
            currency,
            reason,
            net: n,
        } => {
            assert_eq!(*p, partner_id());
            assert_eq!(*currency, Currency::USD);
            assert_eq!(*reason, why);
            assert_eq!(*n, usd(net));
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(w.audits().is_empty(), "a refused batch is not audited");
    assert!(!w.committed(), "a refused batch must not commit");
    // Only the provisional insert happened; the payout was never updated with a total.
    assert_eq!(w.payouts().len(), 1);
}

#[tokio::test]
async fn nothing_to_pay() {
    let (outcome, w) = batch(ClaimSummary {
        count: 0,
        total_minor: 0,
    })
    .await;
    assert_refused(&outcome, &w, PayoutRefusal::NothingToPay, "0.00");
}

#[tokio::test]
async fn net_not_positive() {
    // Clawbacks exceed commissions: 2 events netting to -5.00.
    let (outcome, w) = batch(ClaimSummary {
        count: 2,
        total_minor: -500,
    })
    .await;
    assert_refused(&outcome, &w, PayoutRefusal::NetNotPositive, "-5.00");
    // Exactly zero is not positive either.
    let (outcome, w) = batch(ClaimSummary {
        count: 2,
        total_minor: 0,
    })
    .await;
    assert_refused(&outcome, &w, PayoutRefusal::NetNotPositive, "0.00");
}

#[tokio::test]
async fn below_the_partner_minimum() {
    // Minimum 50.00; 49.99 is below.
    let (outcome, w) = batch(ClaimSummary {
        count: 3,
        total_minor: 4_999,
    })
    .await;
    assert_refused(&outcome, &w, PayoutRefusal::BelowMinimum, "49.99");
    // 50.00 is enough (≥ the minimum).
    let (outcome, w) = batch(ClaimSummary {
        count: 3,
        total_minor: 5_000,
    })
    .await;
    assert!(matches!(outcome, PayoutBatchOutcome::Created(ref p) if p.total == usd("50.00")));
    w.assert_audited("payout.create");
    assert!(w.committed());
}

#[tokio::test]
async fn created_payout_totals_exactly_what_was_claimed() {
    let (outcome, w) = batch(ClaimSummary {
        count: 3,
        total_minor: 12_345,
    })
    .await;
    let PayoutBatchOutcome::Created(p) = outcome else {
        panic!("expected a payout, got {outcome:?}");
    };
    assert_eq!(p.id, PayoutId::from_uuid(generated(0)));
    assert_eq!(p.total, usd("123.45"));
    assert_eq!(p.commission_count, 3);
    assert_eq!(p.status, PayoutStatus::Pending);
    assert_eq!(p.partner_id, partner_id());
    assert_eq!(p.period_start, Some(PERIOD_START));
    assert_eq!(p.period_end, PERIOD_END);
    assert_eq!(p.payment_method, "bank_transfer");
    assert_eq!(p.created_by, actor().subject());
    assert_eq!(p.created_at, NOW);
    // Inserted first with a zero total, then updated with the claim's total, then committed.
    let written = w.payouts();
    assert_eq!(written.len(), 2);
    assert_eq!(written[0].total, usd("0.00"));
    assert_eq!(written[1], p);
    w.assert_audited("payout.create");
    assert!(w.committed());
}

#[tokio::test]
async fn malformed_batch_requests_open_no_transaction() {
    let mut r = request();
    r.period_start = Some(PERIOD_END + time::Duration::seconds(1));
    let err = engine_without_tx()
        .create_payout(tenant(), &actor(), r)
        .await
        .unwrap_err();
    assert!(matches!(err, DomainError::Validation(_)), "{err:?}");
    let mut r = request();
    r.payment_method = "  ".into();
    let err = engine_without_tx()
        .create_payout(tenant(), &actor(), r)
        .await
        .unwrap_err();
    assert!(matches!(err, DomainError::Validation(ref v) if v.fields[0].field == "payment_method"));
}

#[tokio::test]
async fn batch_for_an_unknown_partner_is_not_found() {
    let mut tx = MockLedgerTx::new();
    tx.expect_lock_partners().returning(|_, _| Ok(Vec::new()));
    tx.expect_insert_payouts().never();
    tx.expect_claim_events().never();
    tx.expect_insert_audits().never();
    tx.expect_commit().never();
    let err = engine(vec![tx])
        .create_payout(tenant(), &actor(), request())
        .await
        .unwrap_err();
    assert!(
        matches!(err, DomainError::NotFound { entity: "partner" }),
        "{err:?}"
    );
}

// ---- payout runs ----

/// Partner `n` of a run (distinct ids, in id order), minimum `min` USD if any.
fn run_partner(n: u128, min: Option<&str>) -> revshare_domain::partner::Partner {
    let mut p = active_partner(None);
    p.id = PartnerId::from_uuid(uuid::Uuid::from_u128(0x2000 + n));
    if let Some(m) = min {
        p.minimum_payouts.insert(Currency::USD, usd(m));
    }
    p
}

/// The transaction that finds the payable pairs; a read, never committed.
fn payable_tx(pairs: Vec<(PartnerId, Currency)>) -> MockLedgerTx {
    let mut tx = MockLedgerTx::new();
    tx.expect_payable_partners()
        .times(1)
        .withf(|t, start, end| *t == tenant() && start.is_none() && *end == PERIOD_END)
        .returning(move |_, _, _| Ok(pairs.clone()));
    tx.expect_commit().never();
    tx
}

/// What a chunk transaction was asked to do, beyond `Written`.
#[derive(Debug, Default)]
struct ChunkCalls {
    locked: Vec<PartnerId>,
    claims: Vec<PayoutClaim>,
    discarded: Vec<PayoutId>,
    totals_set: Vec<Payout>,
}

/// A chunk transaction over `partners`; the claim answers `answer(claim)` for each claim.
fn chunk_tx(
    partners: Vec<revshare_domain::partner::Partner>,
    answer: fn(&PayoutClaim) -> ClaimSummary,
    w: &Written,
    calls: &std::sync::Arc<std::sync::Mutex<ChunkCalls>>,
) -> MockLedgerTx {
    let mut tx = MockLedgerTx::new();
    let c = calls.clone();
    tx.expect_lock_partners()
        .times(1)
        .withf(|t, _| *t == tenant())
        .returning(move |_, ids| {
            c.lock().unwrap().locked.extend_from_slice(ids);
            Ok(partners
                .iter()
                .filter(|p| ids.contains(&p.id))
                .cloned()
                .collect())
        });
    let payouts = w.payouts.clone();
    tx.expect_insert_payouts().times(1).returning(move |ps| {
        payouts.lock().unwrap().extend(ps.iter().cloned());
        Ok(())
    });
    let c = calls.clone();
    tx.expect_claim_events()
        .times(1)
        .withf(|t, start, end, _| *t == tenant() && start.is_none() && *end == PERIOD_END)
        .returning(move |_, _, _, claims| {
            c.lock().unwrap().claims.extend_from_slice(claims);
            Ok(claims.iter().map(answer).collect())
        });
    let c = calls.clone();
    tx.expect_discard_payouts()
        .times(0..=1)
        .withf(|t, _| *t == tenant())
        .returning(move |_, ids| {
            c.lock().unwrap().discarded.extend_from_slice(ids);
            Ok(ids.len() as u64)
        });
    let c = calls.clone();
    tx.expect_set_payout_totals()
        .times(0..=1)
        .withf(|t, _| *t == tenant())
        .returning(move |_, ps| {
            c.lock().unwrap().totals_set.extend_from_slice(ps);
            Ok(ps.len() as u64)
        });
    w.on_insert_audits(&mut tx);
    w.on_commit(&mut tx);
    tx
}

#[tokio::test]
async fn a_run_decides_each_pair_as_a_batch_would_and_undoes_only_the_refused() {
    // Partner 1 is paid in USD; partner 2's USD is below its minimum of 50.00 and it has
    // nothing left in EUR; partner 3's clawbacks exceed its commissions.
    let (p1, p2, p3) = (
        run_partner(1, None),
        run_partner(2, Some("50.00")),
        run_partner(3, None),
    );
    let pairs = vec![
        (p1.id, Currency::USD),
        (p2.id, Currency::EUR),
        (p2.id, Currency::USD),
        (p3.id, Currency::USD),
    ];
    fn answer(c: &PayoutClaim) -> ClaimSummary {
        let (count, total_minor) = match (c.partner.uuid().as_u128() - 0x2000, c.currency) {
            (1, _) => (3, 12_345),
            (2, Currency::USD) => (2, 4_999),
            (3, _) => (2, -100),
            _ => (0, 0),
        };
        ClaimSummary { count, total_minor }
    }
    let w = Written::default();
    let calls = std::sync::Arc::default();
    let chunk = chunk_tx(vec![p1.clone(), p2.clone(), p3.clone()], answer, &w, &calls);
    let report = engine(vec![payable_tx(pairs.clone()), chunk])
        .run_payouts(tenant(), &actor(), None, PERIOD_END, " bank_transfer ")
        .await
        .unwrap();
    let calls = calls.lock().unwrap();
    assert_eq!(calls.locked, vec![p1.id, p2.id, p3.id]);
    // One provisional payout per pair, in order, ids handed out first.
    let inserted = w.payouts();
    assert_eq!(inserted.len(), 4);
    for (i, (p, (partner, currency))) in inserted.iter().zip(&pairs).enumerate() {
        assert_eq!(p.id, PayoutId::from_uuid(generated(i as u128)));
        assert_eq!((p.partner_id, p.total.currency()), (*partner, *currency));
        assert!(p.total.is_zero() && p.commission_count == 0);
        assert_eq!(p.payment_method, "bank_transfer");
    }
    let claimed: Vec<PayoutId> = calls.claims.iter().map(|c| c.payout).collect();
    assert_eq!(claimed, inserted.iter().map(|p| p.id).collect::<Vec<_>>());
    // The created payout totals its claim; the refused ones are undone in one call.
    assert_eq!(report.created.len(), 1);
    let made = &report.created[0];
    assert_eq!(made.id, inserted[0].id);
    assert_eq!(made.total, usd("123.45"));
    assert_eq!(made.commission_count, 3);
    assert_eq!(calls.totals_set, vec![made.clone()]);
    assert_eq!(
        calls.discarded,
        vec![inserted[1].id, inserted[2].id, inserted[3].id]
    );
    let refusals: Vec<(PartnerId, Currency, PayoutRefusal, Money)> = report
        .refused
        .iter()
        .map(|o| match o {
            PayoutBatchOutcome::Refused {
                partner_id,
                currency,
                reason,
                net,
            } => (*partner_id, *currency, *reason, *net),
            other => panic!("a created payout among the refusals: {other:?}"),
        })
        .collect();
    assert_eq!(
        refusals,
        vec![
            (
                p2.id,
                Currency::EUR,
                PayoutRefusal::NothingToPay,
                Money::zero(Currency::EUR)
            ),
            (
                p2.id,
                Currency::USD,
                PayoutRefusal::BelowMinimum,
                usd("49.99")
            ),
            (
                p3.id,
                Currency::USD,
                PayoutRefusal::NetNotPositive,
                usd("-1.00")
            ),
        ]
    );
    // One audit entry, of the created payout, with its snapshot.
    let audits = w.audits();
    assert_eq!(audits.len(), 1);
    assert_eq!(audits[0].action, "payout.create");
    assert_eq!(audits[0].target_id, made.id.to_string());
    assert_eq!(
        audits[0].after,
        Some(revshare_domain::audit::Snapshot::Payout(Box::new(
            made.clone()
        )))
    );
    assert!(w.committed());
}

#[tokio::test]
async fn a_run_chunk_of_refusals_only_commits_nothing() {
    let p = run_partner(1, Some("50.00"));
    let pairs = vec![(p.id, Currency::EUR), (p.id, Currency::USD)];
    fn answer(c: &PayoutClaim) -> ClaimSummary {
        match c.currency {
            Currency::USD => ClaimSummary {
                count: 1,
                total_minor: 100,
            },
            _ => ClaimSummary::default(),
        }
    }
    let w = Written::default();
    let calls = std::sync::Arc::default();
    let chunk = chunk_tx(vec![p], answer, &w, &calls);
    let report = engine(vec![payable_tx(pairs), chunk])
        .run_payouts(tenant(), &actor(), None, PERIOD_END, "bank_transfer")
        .await
        .unwrap();
    assert!(report.created.is_empty());
    assert_eq!(report.refused.len(), 2);
    let calls = calls.lock().unwrap();
    assert!(calls.discarded.is_empty() && calls.totals_set.is_empty());
    assert!(w.audits().is_empty());
    assert!(
        !w.committed(),
        "the claim is rolled back, not undone and committed"
    );
}

#[tokio::test]
async fn a_run_makes_at_most_max_payouts_per_transaction() {
    let partners: Vec<_> = (0..=MAX_PAYOUTS_PER_TX as u128)
        .map(|n| run_partner(n, None))
        .collect();
    let pairs: Vec<(PartnerId, Currency)> =
        partners.iter().map(|p| (p.id, Currency::USD)).collect();
    fn answer(_: &PayoutClaim) -> ClaimSummary {
        ClaimSummary {
            count: 1,
            total_minor: 1_000,
        }
    }
    let (w1, w2) = (Written::default(), Written::default());
    let (c1, c2) = (std::sync::Arc::default(), std::sync::Arc::default());
    let first = chunk_tx(partners.clone(), answer, &w1, &c1);
    let second = chunk_tx(partners.clone(), answer, &w2, &c2);
    let report = engine(vec![payable_tx(pairs.clone()), first, second])
        .run_payouts(tenant(), &actor(), None, PERIOD_END, "bank_transfer")
        .await
        .unwrap();
    let ids = |c: &std::sync::Arc<std::sync::Mutex<ChunkCalls>>| c.lock().unwrap().locked.clone();
    assert_eq!(ids(&c1).len(), MAX_PAYOUTS_PER_TX);
    assert_eq!(ids(&c2), vec![pairs[MAX_PAYOUTS_PER_TX].0]);
    assert_eq!(w1.payouts().len(), MAX_PAYOUTS_PER_TX);
    assert_eq!(w1.audits().len(), MAX_PAYOUTS_PER_TX);
    assert_eq!(w2.payouts().len(), 1);
    assert!(w1.committed() && w2.committed());
    // Every pair paid, in the order of the pairs.
    let made: Vec<PartnerId> = report.created.iter().map(|p| p.partner_id).collect();
    assert_eq!(made, pairs.iter().map(|&(p, _)| p).collect::<Vec<_>>());
    assert!(report.refused.is_empty());
}

#[tokio::test]
async fn malformed_runs_open_no_transaction() {
    let err = engine_without_tx()
        .run_payouts(
            tenant(),
            &actor(),
            Some(PERIOD_END),
            PERIOD_START,
            "bank_transfer",
        )
        .await
        .unwrap_err();
    assert!(matches!(err, DomainError::Validation(ref v) if v.fields[0].field == "period_start"));
    let err = engine_without_tx()
        .run_payouts(tenant(), &actor(), None, PERIOD_END, " ")
        .await
        .unwrap_err();
    assert!(matches!(err, DomainError::Validation(ref v) if v.fields[0].field == "payment_method"));
}

// ---- moving a payout ----

/// A payout of 3 events, 123.45 USD, in `status`.
fn stored(status: PayoutStatus) -> Payout {
    payout(1, status, usd("123.45"), 3)
}

fn every_move() -> Vec<PayoutMove> {
    vec![
        PayoutMove::Ready,
        PayoutMove::Processing,
        PayoutMove::Complete {
            payment_reference: "WIRE-123".into(),
        },
        PayoutMove::Fail {
            reason: "account closed".into(),
        },
        PayoutMove::Cancel {
            reason: "on request".into(),
        },
    ]
}

/// The audit action of a move to `to`.
fn action_of(to: PayoutStatus) -> &'static str {
    match to {
        PayoutStatus::Ready => "payout.ready",
        PayoutStatus::Processing => "payout.processing",
        PayoutStatus::Completed => "payout.complete",
        PayoutStatus::Failed => "payout.fail",
        PayoutStatus::Cancelled => "payout.cancel",
        PayoutStatus::Pending => unreachable!("no move leads back to pending"),
    }
}

/// What a move did to the store.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Effects {
    updated: usize,
    marked_paid: usize,
    released: usize,
}

/// A transaction holding `payout`; `marked` is what `mark_events_paid` answers.
fn move_tx(
    payout: Payout,
    marked: u64,
    w: &Written,
    effects: &std::sync::Arc<std::sync::Mutex<Effects>>,
) -> MockLedgerTx {
    let mut tx = MockLedgerTx::new();
    let from = payout.status;
    tx.expect_lock_payout()
        .times(1)
        .withf(|t, id| *t == tenant() && *id == payout_id(1))
        .returning(move |_, _| Ok(Some(payout.clone())));
    let (e, payouts) = (effects.clone(), w.payouts.clone());
    tx.expect_update_payout()
        .withf(move |_, f| *f == from)
        .returning(move |p, _| {
            e.lock().unwrap().updated += 1;
            payouts.lock().unwrap().push(p.clone());
            Ok(true)
        });
    let e = effects.clone();
    tx.expect_mark_events_paid()
        .withf(|t, id, at| *t == tenant() && *id == payout_id(1) && *at == NOW)
        .returning(move |_, _, _| {
            e.lock().unwrap().marked_paid += 1;
            Ok(marked)
        });
    let e = effects.clone();
    tx.expect_release_events()
        .withf(|t, id| *t == tenant() && *id == payout_id(1))
        .returning(move |_, _| {
            e.lock().unwrap().released += 1;
            Ok(3)
        });
    w.on_insert_audit(&mut tx);
    w.on_commit(&mut tx);
    tx
}

async fn run_move(
    status: PayoutStatus,
    mv: PayoutMove,
    marked: u64,
) -> (Result<Payout, DomainError>, Written, Effects) {
    let w = Written::default();
    let effects = std::sync::Arc::default();
    let tx = move_tx(stored(status), marked, &w, &effects);
    let result = engine(vec![tx])
        .move_payout(tenant(), &actor(), payout_id(1), mv)
        .await;
    let e = *effects.lock().unwrap();
    (result, w, e)
}

#[tokio::test]
async fn every_move_outside_the_spec_is_refused_and_changes_nothing() {
    // SPEC §1: pending → ready → processing → completed; processing → failed;
    // pending/ready → cancelled. Nothing else.
    let allowed = [
        (PayoutStatus::Pending, PayoutStatus::Ready),
        (PayoutStatus::Ready, PayoutStatus::Processing),
        (PayoutStatus::Processing, PayoutStatus::Completed),
        (PayoutStatus::Processing, PayoutStatus::Failed),
        (PayoutStatus::Pending, PayoutStatus::Cancelled),
        (PayoutStatus::Ready, PayoutStatus::Cancelled),
    ];
    let mut accepted = 0;
    for &from in PayoutStatus::ALL {
        for mv in every_move() {
            let to = mv.target();
            let (result, w, effects) = run_move(from, mv.clone(), 3).await;
            if allowed.contains(&(from, to)) {
                accepted += 1;
                let p = result.unwrap_or_else(|e| panic!("{from} → {to} refused: {e}"));
                assert_eq!(p.status, to);
                assert_eq!(p.updated_at, NOW);
                assert_eq!(effects.updated, 1, "{from} → {to}");
                w.assert_audited(action_of(to));
                assert!(w.committed(), "{from} → {to}");
            } else {
                match result {
                    Err(DomainError::InvalidTransition {
                        entity,
                        from: f,
                        to: t,
                    }) => {
                        assert_eq!(entity, "payout");
                        assert_eq!(f, from.as_str());
                        assert_eq!(t, to.as_str());
                    }
                    other => panic!("{from} → {to} should be refused, got {other:?}"),
                }
                assert_eq!(
                    effects,
                    Effects::default(),
                    "{from} → {to} changed the store"
                );
                assert!(w.audits().is_empty(), "{from} → {to} audited");
                assert!(!w.committed(), "{from} → {to} committed");
            }
        }
    }
    assert_eq!(accepted, allowed.len());
}

#[tokio::test]
async fn completing_requires_a_payment_reference() {
    for reference in ["", "   "] {
        let mv = PayoutMove::Complete {
            payment_reference: reference.into(),
        };
        let (result, w, effects) = run_move(PayoutStatus::Processing, mv, 3).await;
        assert!(
            matches!(result, Err(DomainError::Validation(ref v)) if v.fields[0].field == "payment_reference"),
            "{result:?}"
        );
        assert_eq!(effects, Effects::default());
        assert!(w.audits().is_empty());
        assert!(!w.committed());
    }
}

#[tokio::test]
async fn completing_marks_the_events_paid() {
    let mv = PayoutMove::Complete {
        payment_reference: " WIRE-123 ".into(),
    };
    let (result, w, effects) = run_move(PayoutStatus::Processing, mv, 3).await;
    let p = result.unwrap();
    assert_eq!(p.status, PayoutStatus::Completed);
    assert_eq!(p.payment_reference.as_deref(), Some("WIRE-123"));
    assert_eq!(p.completed_at, Some(NOW));
    assert_eq!(p.total, usd("123.45"), "a move never re-prices a payout");
    assert_eq!(
        effects,
        Effects {
            updated: 1,
            marked_paid: 1,
            released: 0
        }
    );
    assert_eq!(w.payouts()[0], p);
    w.assert_audited("payout.complete");
    assert!(w.committed());
}

#[tokio::test]
async fn completing_is_refused_when_the_events_do_not_match_the_payout() {
    // The payout counts 3 events but only 2 could be marked paid.
    let mv = PayoutMove::Complete {
        payment_reference: "WIRE-123".into(),
    };
    let (result, w, _) = run_move(PayoutStatus::Processing, mv, 2).await;
    assert!(
        matches!(result, Err(DomainError::Conflict(_))),
        "{result:?}"
    );
    assert!(w.audits().is_empty());
    assert!(!w.committed());
}

#[tokio::test]
async fn failing_and_cancelling_release_the_events() {
    let cases = [
        (
            PayoutStatus::Processing,
            PayoutMove::Fail {
                reason: "account closed".into(),
            },
        ),
        (
            PayoutStatus::Pending,
            PayoutMove::Cancel {
                reason: "on request".into(),
            },
        ),
        (
            PayoutStatus::Ready,
            PayoutMove::Cancel {
                reason: "on request".into(),
            },
        ),
    ];
    for (from, mv) in cases {
        let to = mv.target();
        let (result, w, effects) = run_move(from, mv, 3).await;
        let p = result.unwrap();
        assert_eq!(p.status, to);
        assert!(p.failure_reason.is_some());
        assert_eq!(p.completed_at, None);
        assert_eq!(
            effects,
            Effects {
                updated: 1,
                marked_paid: 0,
                released: 1
            },
            "{from} → {to}"
        );
        w.assert_audited(action_of(to));
        assert!(w.committed());
    }
}

#[tokio::test]
async fn failing_and_cancelling_require_a_reason() {
    for (from, mv) in [
        (
            PayoutStatus::Processing,
            PayoutMove::Fail { reason: " ".into() },
        ),
        (
            PayoutStatus::Ready,
            PayoutMove::Cancel {
                reason: String::new(),
            },
        ),
    ] {
        let (result, w, effects) = run_move(from, mv, 3).await;
        assert!(
            matches!(result, Err(DomainError::Validation(ref v)) if v.fields[0].field == "reason"),
            "{result:?}"
        );
        assert_eq!(effects, Effects::default());
        assert!(w.audits().is_empty());
        assert!(!w.committed());
    }
}

#[tokio::test]
async fn moving_an_unknown_payout_is_not_found() {
    let mut tx = MockLedgerTx::new();
    tx.expect_lock_payout().returning(|_, _| Ok(None));
    tx.expect_update_payout().never();
    tx.expect_insert_audit().never();
    tx.expect_commit().never();
    let err = engine(vec![tx])
        .move_payout(tenant(), &actor(), payout_id(1), PayoutMove::Ready)
        .await
        .unwrap_err();
    assert!(
        matches!(err, DomainError::NotFound { entity: "payout" }),
        "{err:?}"
    );
}
