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
