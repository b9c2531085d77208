use revshare_domain::DomainError;
use revshare_domain::commission::EventStatus;
use revshare_domain::value::EventId;
use revshare_tests::contract;
use revshare_tests::fixtures::*;

contract!(bulk_approval_is_all_or_nothing, |ctx| {
    let t = tenant();
    let p = ctx.active_partner(t, "P-1", Some(share("0.10")), 30).await;
    ctx.attribute(t, p.id, "c", "2026-01-01T00:00:00Z", None)
        .await;
    let a = ctx
        .pay(t, "a", "c", usd("100.00"), "2026-03-10T00:00:00Z")
        .await
        .commission_id
        .unwrap();
    let b = ctx
        .pay(t, "b", "c", usd("100.00"), "2026-03-11T00:00:00Z")
        .await
        .commission_id
        .unwrap();
    // Reject b first; approving [a, b] must then change nothing.
    ctx.engine
        .reject(t, &operator(), &[b], "duplicate invoice")
        .await
        .unwrap();
    let r = ctx.engine.approve(t, &operator(), &[a, b]).await;
    assert!(
        matches!(r, Err(DomainError::InvalidTransition { .. })),
        "{r:?}"
    );
    assert_eq!(
        ctx.engine.commission(t, None, a).await.unwrap().status,
        EventStatus::Pending
    );
    // An id of another tenant is not found, and nothing changes.
    let other = ctx.engine.approve(tenant(), &operator(), &[a]).await;
    assert!(matches!(other, Err(DomainError::NotFound { .. })));
    let unknown = ctx
        .engine
        .approve(
            t,
            &operator(),
            &[a, EventId::from_uuid(uuid::Uuid::now_v7())],
        )
        .await;
    assert!(matches!(unknown, Err(DomainError::NotFound { .. })));
    assert_eq!(
        ctx.engine.commission(t, None, a).await.unwrap().status,
        EventStatus::Pending
    );
    // Too many ids, or none.
    let many: Vec<EventId> = (0..501)
        .map(|_| EventId::from_uuid(uuid::Uuid::now_v7()))
        .collect();
    assert!(matches!(
        ctx.engine.approve(t, &operator(), &many).await,
        Err(DomainError::Validation(_))
    ));
    assert!(matches!(
        ctx.engine.approve(t, &operator(), &[]).await,
        Err(DomainError::Validation(_))
    ));
    let done = ctx.engine.approve(t, &operator(), &[a]).await.unwrap();
    assert_eq!(done[0].status, EventStatus::Approved);
    let rejected = ctx.engine.commission(t, None, b).await.unwrap();
    assert_eq!(
        rejected.rejection_reason.as_deref(),
        Some("duplicate invoice")
    );
});

contract!(
    rejection_needs_a_reason_and_takes_open_refund_adjustments_along,
    |ctx| {
        let t = tenant();
        let p = ctx.active_partner(t, "P-1", Some(share("0.10")), 0).await;
        ctx.attribute(t, p.id, "c", "2026-01-01T00:00:00Z", None)
            .await;
        let a = ctx
            .pay(t, "a", "c", usd("100.00"), "2026-03-10T00:00:00Z")
            .await
            .commission_id
            .unwrap();
        let adj = ctx
            .refund(t, "r", "a", "50.00", "2026-03-11T00:00:00Z")
            .await
            .commission_id
            .unwrap();
        assert!(matches!(
            ctx.engine.reject(t, &operator(), &[a], "  ").await,
            Err(DomainError::Validation(_))
        ));
        ctx.engine
            .reject(t, &operator(), &[a], "fraudulent customer")
            .await
            .unwrap();
        assert_eq!(
            ctx.engine.commission(t, None, adj).await.unwrap().status,
            EventStatus::Rejected
        );
        // Rejected is final.
        assert!(ctx.engine.approve(t, &operator(), &[a]).await.is_err());
        assert_eq!(
            ctx.scalar("SELECT COUNT(*) FROM commission_events WHERE status = 'rejected'")
                .await,
            2
        );
    }
);
