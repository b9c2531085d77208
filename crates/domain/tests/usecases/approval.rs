//! `Engine::approve` and `Engine::reject` (SPEC §3 "Approving and rejecting", §3a).

use std::sync::{Arc, Mutex};

use revshare_domain::DomainError;
use revshare_domain::commission::{CommissionEvent, EventStatus, EventType};
use revshare_domain::port::{MockLedgerTx, StatusChange};
use revshare_domain::usecase::MAX_BULK_IDS;
use revshare_domain::value::EventId;

use crate::common::*;

type Store = Arc<Mutex<Vec<CommissionEvent>>>;
/// Every `change_event_status` call: ids, allowed `from` statuses, the change.
type Changes = Arc<Mutex<Vec<(Vec<EventId>, Vec<EventStatus>, StatusChange)>>>;

/// `events_by_ids` reads the in-memory events of the tenant.
fn expect_reads(tx: &mut MockLedgerTx, store: &Store) {
    let s = store.clone();
    tx.expect_events_by_ids().returning(move |t, ids| {
        assert_eq!(t, tenant(), "events read outside the tenant");
        Ok(s.lock()
            .unwrap()
            .iter()
            .filter(|e| ids.contains(&e.id))
            .cloned()
            .collect())
    });
}

/// A transaction over an in-memory set of events: `events_by_ids` reads it,
/// `change_event_status` moves the rows it may move (status in `from`, no payout) and counts
/// them, as the port documents. Every change is recorded in `changes`.
fn ledger_tx(
    store: &Store,
    adjustments: Vec<CommissionEvent>,
    changes: &Changes,
    w: &Written,
) -> MockLedgerTx {
    let mut tx = MockLedgerTx::new();
    expect_reads(&mut tx, store);
    tx.expect_adjustments_of()
        .returning(move |_, _| Ok(adjustments.clone()));
    let s = store.clone();
    let log = changes.clone();
    tx.expect_change_event_status()
        .returning(move |t, ids, from, change| {
            assert_eq!(t, tenant());
            log.lock()
                .unwrap()
                .push((ids.to_vec(), from.to_vec(), change.clone()));
            let mut n = 0;
            for e in s.lock().unwrap().iter_mut() {
                if ids.contains(&e.id) && from.contains(&e.status) && e.payout_id.is_none() {
                    e.status = change.to;
                    n += 1;
                }
            }
            Ok(n)
        });
    w.on_insert_audit(&mut tx);
    w.on_commit(&mut tx);
    tx
}

fn world(events: Vec<CommissionEvent>) -> (Store, Changes, Written) {
    (
        Arc::new(Mutex::new(events)),
        Arc::default(),
        Written::default(),
    )
}

fn pending(n: u128) -> CommissionEvent {
    event(n, EventStatus::Pending, usd("10.00"))
}

#[tokio::test]
async fn approve_moves_pending_events_and_commits() {
    let (store, changes, w) = world(vec![pending(1), pending(2)]);
    let tx = ledger_tx(&store, Vec::new(), &changes, &w);
    let updated = engine(vec![tx])
        .approve(tenant(), &actor(), &[event_id(2), event_id(1), event_id(2)])
        .await
        .unwrap();
    assert_eq!(updated.len(), 2);
    assert!(updated.iter().all(|e| e.status == EventStatus::Approved));
    let changes = changes.lock().unwrap();
    assert_eq!(changes.len(), 1);
    let (ids, from, change) = &changes[0];
    // Duplicate ids are folded; only pending rows may move.
    assert_eq!(ids, &vec![event_id(1), event_id(2)]);
    assert_eq!(from, &vec![EventStatus::Pending]);
    assert_eq!(change.to, EventStatus::Approved);
    assert_eq!(change.at, NOW);
    assert_eq!(change.reason, None);
    w.assert_audited("commission.approve");
    assert!(w.committed());
}

#[tokio::test]
async fn bulk_approve_is_all_or_nothing() {
    for odd_one in [
        EventStatus::Approved,
        EventStatus::Paid,
        EventStatus::Rejected,
    ] {
        let (store, changes, w) = world(vec![
            pending(1),
            event(2, odd_one, usd("10.00")),
            pending(3),
        ]);
        let mut tx = MockLedgerTx::new();
        expect_reads(&mut tx, &store);
        tx.expect_change_event_status().never();
        tx.expect_insert_audit().never();
        tx.expect_commit().never();
        let err = engine(vec![tx])
            .approve(tenant(), &actor(), &[event_id(1), event_id(2), event_id(3)])
            .await
            .unwrap_err();
        match err {
            DomainError::InvalidTransition { entity, from, to } => {
                assert_eq!(entity, "commission");
                assert_eq!(from, odd_one.name());
                assert_eq!(to, "approved");
            }
            other => panic!("expected InvalidTransition, got {other:?}"),
        }
        // Nothing changed: the two pending events are still pending.
        let s = store.lock().unwrap();
        assert_eq!(s[0].status, EventStatus::Pending);
        assert_eq!(s[2].status, EventStatus::Pending);
        assert!(changes.lock().unwrap().is_empty());
        assert!(!w.committed());
    }
}

#[tokio::test]
async fn approve_of_an_unknown_id_is_not_found() {
    let (store, changes, w) = world(vec![pending(1)]);
    let tx = ledger_tx(&store, Vec::new(), &changes, &w);
    let err = engine(vec![tx])
        .approve(tenant(), &actor(), &[event_id(1), event_id(404)])
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            DomainError::NotFound {
                entity: "commission"
            }
        ),
        "{err:?}"
    );
    assert!(changes.lock().unwrap().is_empty());
    assert!(w.audits().is_empty());
    assert!(!w.committed());
}

#[tokio::test]
async fn approve_is_refused_when_rows_moved_meanwhile() {
    // The store moves only one of the two rows (the other was claimed concurrently).
    let store: Store = Arc::new(Mutex::new(vec![pending(1), pending(2)]));
    let mut tx = MockLedgerTx::new();
    expect_reads(&mut tx, &store);
    tx.expect_change_event_status()
        .times(1)
        .returning(|_, _, _, _| Ok(1));
    tx.expect_insert_audit().never();
    tx.expect_commit().never();
    let err = engine(vec![tx])
        .approve(tenant(), &actor(), &[event_id(1), event_id(2)])
        .await
        .unwrap_err();
    assert!(matches!(err, DomainError::Conflict(_)), "{err:?}");
}

#[tokio::test]
async fn bulk_size_is_one_to_five_hundred_ids() {
    let too_many: Vec<EventId> = (0..=MAX_BULK_IDS as u128).map(event_id).collect();
    assert_eq!(too_many.len(), 501);
    for ids in [too_many.clone(), Vec::new()] {
        let err = engine_without_tx()
            .approve(tenant(), &actor(), &ids)
            .await
            .unwrap_err();
        assert!(matches!(err, DomainError::Validation(ref v) if v.fields[0].field == "ids"));
        let err = engine_without_tx()
            .reject(tenant(), &actor(), &ids, "duplicate")
            .await
            .unwrap_err();
        assert!(matches!(err, DomainError::Validation(ref v) if v.fields[0].field == "ids"));
    }

    // Exactly 500 is accepted.
    let ids = &too_many[..MAX_BULK_IDS];
    let (store, changes, w) = world(
        ids.iter()
            .enumerate()
            .map(|(i, _)| pending(i as u128))
            .collect(),
    );
    let tx = ledger_tx(&store, Vec::new(), &changes, &w);
    let updated = engine(vec![tx])
        .approve(tenant(), &actor(), ids)
        .await
        .unwrap();
    assert_eq!(updated.len(), 500);
    w.assert_audited("commission.approve");
    assert!(w.committed());
}

#[tokio::test]
async fn reject_needs_a_reason() {
    for reason in ["", "   ", "\t"] {
        let err = engine_without_tx()
            .reject(tenant(), &actor(), &[event_id(1)], reason)
            .await
            .unwrap_err();
        assert!(
            matches!(err, DomainError::Validation(ref v) if v.fields[0].field == "reason"),
            "{reason:?}: {err:?}"
        );
    }
}

#[tokio::test]
async fn reject_refuses_events_held_by_a_payout() {
    let mut held = event(1, EventStatus::Approved, usd("10.00"));
    held.payout_id = Some(payout_id(1));
    let store: Store = Arc::new(Mutex::new(vec![pending(2), held]));
    let mut tx = MockLedgerTx::new();
    expect_reads(&mut tx, &store);
    tx.expect_adjustments_of().returning(|_, _| Ok(Vec::new()));
    tx.expect_change_event_status().never();
    tx.expect_insert_audit().never();
    tx.expect_commit().never();
    let err = engine(vec![tx])
        .reject(
            tenant(),
            &actor(),
            &[event_id(2), event_id(1)],
            "duplicate invoice",
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, DomainError::Conflict(ref m) if m.contains("payout")),
        "{err:?}"
    );
    assert_eq!(store.lock().unwrap()[0].status, EventStatus::Pending);
}

#[tokio::test]
async fn reject_refuses_paid_events() {
    let (store, changes, w) = world(vec![event(1, EventStatus::Paid, usd("10.00"))]);
    let tx = ledger_tx(&store, Vec::new(), &changes, &w);
    let err = engine(vec![tx])
        .reject(tenant(), &actor(), &[event_id(1)], "too late")
        .await
        .unwrap_err();
    assert!(
        matches!(err, DomainError::InvalidTransition { ref from, .. } if from == "paid"),
        "{err:?}"
    );
    assert!(changes.lock().unwrap().is_empty());
    assert!(w.audits().is_empty());
    assert!(!w.committed());
}

#[tokio::test]
async fn reject_takes_open_refund_adjustments_with_it() {
    let original = event(1, EventStatus::Approved, usd("10.00"));
    let mut adjustment = event(2, EventStatus::Approved, usd("-3.33"));
    adjustment.event_type = EventType::RefundAdjustment;
    adjustment.original_event_id = Some(original.id);
    let (store, changes, w) = world(vec![original, adjustment.clone()]);
    let tx = ledger_tx(&store, vec![adjustment], &changes, &w);
    let updated = engine(vec![tx])
        .reject(tenant(), &actor(), &[event_id(1)], "  duplicate invoice  ")
        .await
        .unwrap();
    assert_eq!(updated.len(), 1);
    assert_eq!(updated[0].status, EventStatus::Rejected);
    let changes = changes.lock().unwrap();
    assert_eq!(changes.len(), 1);
    let (ids, from, change) = &changes[0];
    assert_eq!(ids, &vec![event_id(1), event_id(2)]);
    assert_eq!(from, &vec![EventStatus::Pending, EventStatus::Approved]);
    assert_eq!(change.to, EventStatus::Rejected);
    assert_eq!(change.reason.as_deref(), Some("duplicate invoice"));
    assert_eq!(store.lock().unwrap()[1].status, EventStatus::Rejected);
    w.assert_audited("commission.reject");
    assert!(w.committed());
}
