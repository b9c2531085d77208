//! A commission names only a payout that exists, on both backends: a foreign key on SQLite,
//! checks once per statement on PostgreSQL (migration `m20261125_000008_payout_references`).
//! Written under the engine, as a hand-run statement would be: the schema itself refuses.

use std::time::Duration;

use revshare_domain::payout::Payout;
use revshare_domain::usecase::PayoutMove;
use revshare_domain::value::{EventId, TenantId};
use revshare_infra::entity::{commission_event as ev, payout};
use revshare_tests::fixtures::*;
use revshare_tests::{TestContext, contract};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};

use crate::payouts::{created, req};

/// A partner with one approved commission and a payout that claimed it.
async fn claimed(ctx: &TestContext) -> (TenantId, EventId, Payout) {
    let t = tenant();
    let p = ctx.active_partner(t, "P-1", Some(share("0.10")), 0).await;
    ctx.attribute(t, p.id, "c", "2026-01-01T00:00:00Z", None)
        .await;
    let paid = ctx
        .pay(t, "a", "c", usd("100.00"), "2026-03-01T00:00:00Z")
        .await;
    let event = paid.commission_id.expect("a commission");
    let payout = created(
        ctx.engine
            .create_payout(t, &operator(), req(p.id, None, "2026-03-31T00:00:00Z"))
            .await
            .unwrap(),
    );
    (t, event, payout)
}

/// Cancels `claim`, releasing its commissions: nothing names it any more.
async fn cancel(ctx: &TestContext, t: TenantId, claim: &Payout) {
    ctx.engine
        .move_payout(
            t,
            &operator(),
            claim.id,
            PayoutMove::Cancel {
                reason: "test".into(),
            },
        )
        .await
        .unwrap();
}

/// The payout `event` names, read under the engine.
async fn named(ctx: &TestContext, event: EventId) -> Option<uuid::Uuid> {
    ev::Entity::find_by_id(event.uuid())
        .one(&ctx.db)
        .await
        .unwrap()
        .expect("the event")
        .payout_id
}

async fn payout_exists(ctx: &TestContext, id: uuid::Uuid) -> bool {
    payout::Entity::find_by_id(id)
        .one(&ctx.db)
        .await
        .unwrap()
        .is_some()
}

contract!(a_commission_names_only_a_payout_that_exists, |ctx| {
    let (t, event, claim) = claimed(ctx).await;
    let id = claim.id.uuid();
    let nowhere = uuid::Uuid::now_v7();

    let repoint = ev::Entity::update_many()
        .col_expr(ev::Column::PayoutId, Expr::value(nowhere))
        .filter(ev::Column::Id.eq(event.uuid()))
        .exec(&ctx.db)
        .await;
    assert!(repoint.is_err(), "pointing at no payout: {repoint:?}");

    let delete = payout::Entity::delete_many()
        .filter(payout::Column::Id.eq(id))
        .exec(&ctx.db)
        .await;
    assert!(delete.is_err(), "deleting a named payout: {delete:?}");

    let rename = payout::Entity::update_many()
        .col_expr(payout::Column::Id, Expr::value(nowhere))
        .filter(payout::Column::Id.eq(id))
        .exec(&ctx.db)
        .await;
    assert!(rename.is_err(), "changing a named payout's id: {rename:?}");

    assert_eq!(named(ctx, event).await, Some(id), "nothing changed");
    assert!(payout_exists(ctx, id).await);
    assert!(ctx.engine.reconcile(Some(t)).await.unwrap().is_clean());

    // Once released (the payout cancelled), nothing names it: deleting it is allowed.
    cancel(ctx, t, &claim).await;
    assert_eq!(named(ctx, event).await, None);
    let deleted = payout::Entity::delete_many()
        .filter(payout::Column::Id.eq(id))
        .exec(&ctx.db)
        .await
        .unwrap();
    assert_eq!(deleted.rows_affected, 1);
});

contract!(
    a_payout_deleted_while_a_commission_is_pointed_at_it_stays,
    |ctx| {
        let (t, event, claim) = claimed(ctx).await;
        let id = claim.id.uuid();
        cancel(ctx, t, &claim).await;
        // A transaction points the commission at the (unnamed) payout and has not committed
        // when another deletes that payout: the delete waits for it, then finds the
        // reference and fails.
        let tx = ctx.db.begin().await.unwrap();
        ev::Entity::update_many()
            .col_expr(ev::Column::PayoutId, Expr::value(id))
            .filter(ev::Column::Id.eq(event.uuid()))
            .exec(&tx)
            .await
            .unwrap();
        let delete = tokio::spawn({
            let db = ctx.db.clone();
            async move {
                payout::Entity::delete_many()
                    .filter(payout::Column::Id.eq(id))
                    .exec(&db)
                    .await
            }
        });
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!delete.is_finished(), "the delete waits for the reference");
        tx.commit().await.unwrap();
        let delete = delete.await.unwrap();
        assert!(delete.is_err(), "the delete saw the reference: {delete:?}");
        assert!(payout_exists(ctx, id).await);
        assert_eq!(named(ctx, event).await, Some(id));
    }
);
