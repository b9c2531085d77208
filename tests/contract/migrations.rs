use revshare_infra::{migrate_down, migrate_up, migration_status};
use revshare_tests::contract;
use revshare_tests::fixtures::tenant;

contract!(up_down_up_leaves_a_working_schema, |ctx| {
    let (applied, pending) = migration_status(&ctx.db).await.unwrap();
    assert!(!applied.is_empty() && pending.is_empty());
    migrate_down(&ctx.db).await.expect("down");
    let (applied, pending) = migration_status(&ctx.db).await.unwrap();
    assert!(applied.is_empty() && !pending.is_empty());
    migrate_up(&ctx.db).await.expect("up again");
    let t = tenant();
    let p = ctx.active_partner(t, "P-1", None, 0).await;
    assert_eq!(
        ctx.engine.partner(t, p.id).await.unwrap().partner_number,
        "P-1"
    );
});

/// Index names present on the ledger's two listed tables.
async fn list_indexes(ctx: &revshare_tests::TestContext) -> Vec<String> {
    use sea_orm::{ConnectionTrait, Statement};
    let sql = match ctx.backend {
        revshare_tests::Backend::Postgres => {
            "SELECT indexname FROM pg_indexes WHERE tablename IN ('commission_events', 'payouts') \
             ORDER BY 1"
        }
        revshare_tests::Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'index' \
             AND tbl_name IN ('commission_events', 'payouts') ORDER BY 1"
        }
    };
    ctx.db
        .query_all_raw(Statement::from_string(
            ctx.db.get_database_backend(),
            sql.to_owned(),
        ))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).unwrap())
        .collect()
}

contract!(list_indexes_migration_swaps_indexes_both_ways, |ctx| {
    use revshare_migration::{Migrator, MigratorTrait};
    let new = [
        "ix_events_partner_date_id",
        "ix_events_partner_status_date_id",
        "ix_payouts_partner_status_created_id",
        "ix_payouts_tenant_created_id",
    ];
    let old = [
        "ix_events_partner_date",
        "ix_events_partner_status_date",
        "ix_payouts_partner_status",
        "ix_payouts_tenant_created",
    ];
    let has = |names: &[String], n: &str| names.iter().any(|x| x == n);
    let up = list_indexes(ctx).await;
    assert!(new.iter().all(|n| has(&up, n)), "{up:?}");
    assert!(!old.iter().any(|n| has(&up, n)), "{up:?}");
    // Roll back the migrations after this one, then this one.
    let all = Migrator::migrations();
    let at = all
        .iter()
        .position(|m| m.name() == "m20261124_000004_list_indexes")
        .expect("registered");
    let later = u32::try_from(all.len() - at - 1).unwrap();
    if later > 0 {
        Migrator::down(&ctx.db, Some(later)).await.expect("down");
    }
    let after = list_indexes(ctx).await;
    Migrator::down(&ctx.db, Some(1)).await.expect("down");
    let down = list_indexes(ctx).await;
    assert!(old.iter().all(|n| has(&down, n)), "{down:?}");
    assert!(!new.iter().any(|n| has(&down, n)), "{down:?}");
    // Same number of indexes either way: nothing more to maintain on ingestion.
    assert_eq!(after.len(), down.len());
    Migrator::up(&ctx.db, None).await.expect("up again");
    assert_eq!(list_indexes(ctx).await, up);
});

/// Rolls back every applied migration after `name`, then `name` itself when `including`.
async fn roll_back_to(ctx: &revshare_tests::TestContext, name: &str, including: bool) {
    use revshare_migration::{Migrator, MigratorTrait};
    let (applied, _) = migration_status(&ctx.db).await.unwrap();
    let at = Migrator::migrations()
        .iter()
        .position(|m| m.name() == name)
        .expect("registered");
    let keep = at + usize::from(!including);
    let steps = u32::try_from(applied.len().saturating_sub(keep)).unwrap();
    if steps > 0 {
        Migrator::down(&ctx.db, Some(steps)).await.expect("down");
    }
}

contract!(plan_indexes_migration_adds_one_index_both_ways, |ctx| {
    use revshare_migration::{Migrator, MigratorTrait};
    let name = "ix_events_tenant_date_id";
    let up = list_indexes(ctx).await;
    assert!(up.iter().any(|n| n == name), "{up:?}");
    roll_back_to(ctx, "m20261124_000005_plan_indexes", false).await;
    let after = list_indexes(ctx).await;
    roll_back_to(ctx, "m20261124_000005_plan_indexes", true).await;
    let down = list_indexes(ctx).await;
    assert!(!down.iter().any(|n| n == name), "{down:?}");
    assert_eq!(
        after.len(),
        down.len() + 1,
        "exactly one index more to maintain"
    );
    Migrator::up(&ctx.db, None).await.expect("up again");
    assert_eq!(list_indexes(ctx).await, up);
});

/// Σ of the monthly totals, per table, as the database sums them.
async fn month_totals(ctx: &revshare_tests::TestContext) -> [i64; 2] {
    [
        ctx.scalar(
            "SELECT CAST(COALESCE(SUM(base_minor), 0) AS BIGINT) FROM partner_month_volumes",
        )
        .await,
        ctx.scalar("SELECT CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) FROM rule_month_usages")
            .await,
    ]
}

contract!(
    month_totals_migration_backfills_and_replaces_two_indexes_both_ways,
    |ctx| {
        use revshare_migration::{Migrator, MigratorTrait};
        use revshare_tests::fixtures::{rule, share, usd};
        let replaced = [
            "ix_events_partner_type_currency_date",
            "ix_events_rule_date",
        ];
        let has = |names: &[String], n: &str| names.iter().any(|x| x == n);
        let t = tenant();
        let p = ctx.active_partner(t, "P-1", None, 0).await;
        ctx.rule(t, rule(p.id, "ten percent", share("0.10"))).await;
        ctx.attribute(t, p.id, "c", "2026-01-01T00:00:00Z", None)
            .await;
        ctx.pay(t, "a", "c", usd("100.00"), "2026-02-28T23:59:59.999999Z")
            .await;
        ctx.pay(t, "b", "c", usd("250.00"), "2026-03-01T00:00:00Z")
            .await;
        let up = list_indexes(ctx).await;
        assert!(!replaced.iter().any(|n| has(&up, n)), "{up:?}");
        assert_eq!(month_totals(ctx).await, [35_000, 3_500]);
        roll_back_to(ctx, "m20261124_000006_month_totals", false).await;
        let after = list_indexes(ctx).await;
        roll_back_to(ctx, "m20261124_000006_month_totals", true).await;
        let down = list_indexes(ctx).await;
        assert!(replaced.iter().all(|n| has(&down, n)), "{down:?}");
        assert_eq!(
            after.len() + 2,
            down.len(),
            "two indexes fewer to maintain: {after:?} {down:?}"
        );
        // Written while the totals did not exist: the migration's backfill counts them.
        ctx.pay(t, "d", "c", usd("10.00"), "2026-03-02T00:00:00Z")
            .await;
        Migrator::up(&ctx.db, None).await.expect("up again");
        assert_eq!(list_indexes(ctx).await, up);
        assert_eq!(month_totals(ctx).await, [36_000, 3_600]);
        let months = ctx
            .scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM partner_month_volumes")
            .await;
        assert_eq!(months, 2, "February and March");
    }
);

contract!(
    partial_indexes_migration_narrows_four_indexes_and_drops_one_both_ways,
    |ctx| {
        use revshare_migration::{Migrator, MigratorTrait};
        let old = [
            "ix_events_payout",
            "ix_events_original",
            "ux_events_refund",
            "ix_events_hold",
            "ix_events_payment",
        ];
        let new = [
            "ix_events_of_payout",
            "ix_events_of_original",
            "ux_events_of_refund",
            "ix_events_held_until",
        ];
        let has = |names: &[String], n: &str| names.iter().any(|x| x == n);
        let up = list_indexes(ctx).await;
        assert!(
            new.iter().all(|n| has(&up, n)) && !old.iter().any(|n| has(&up, n)),
            "{up:?}"
        );
        roll_back_to(ctx, "m20261124_000007_partial_indexes", true).await;
        let down = list_indexes(ctx).await;
        assert!(
            old.iter().all(|n| has(&down, n)) && !new.iter().any(|n| has(&down, n)),
            "{down:?}"
        );
        assert_eq!(
            up.len() + 1,
            down.len(),
            "four indexes narrowed, one dropped"
        );
        Migrator::up(&ctx.db, None).await.expect("up again");
        assert_eq!(list_indexes(ctx).await, up);
    }
);
