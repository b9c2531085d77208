use revshare_domain::DomainError;
use revshare_domain::access::{Role, StaffUser, Tenant};
use revshare_domain::partner::{PartnerStatus, PartnerUserRole};
use revshare_domain::port::{Directory, IdempotencyStore, Reservation};
use revshare_domain::query::PageRequest;
use revshare_domain::usecase::NewPartnerUser;
use revshare_domain::value::TenantId;
use revshare_tests::fixtures::*;
use revshare_tests::{START, contract};

contract!(
    tenants_staff_and_partner_users_log_in_within_their_tenant,
    |ctx| {
        let t = Tenant {
            id: tenant(),
            slug: "acme".into(),
            name: "Acme".into(),
            created_at: START,
        };
        ctx.directory.insert_tenant(&t).await.unwrap();
        assert!(
            ctx.directory
                .insert_tenant(&Tenant {
                    id: tenant(),
                    ..t.clone()
                })
                .await
                .is_err(),
            "slug is unique"
        );
        assert_eq!(
            ctx.directory
                .tenant_by_slug("acme")
                .await
                .unwrap()
                .unwrap()
                .id,
            t.id
        );
        let staff = StaffUser {
            id: uuid::Uuid::now_v7(),
            tenant_id: t.id,
            email: "ops@acme.test".into(),
            name: "Ops".into(),
            role: Role::Operator,
            created_at: START,
        };
        ctx.directory
            .insert_staff(&staff, "$argon2id$fake")
            .await
            .unwrap();
        assert_eq!(ctx.directory.staff_count().await.unwrap(), 1);
        let c = ctx
            .directory
            .credential(t.id, "ops@acme.test")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(c.principal.role, Role::Operator);
        assert!(
            ctx.directory
                .credential(tenant(), "ops@acme.test")
                .await
                .unwrap()
                .is_none(),
            "other tenant"
        );

        let p = ctx.active_partner(t.id, "P-1", None, 0).await;
        let input = NewPartnerUser {
            email: "Ann@Partner.test".into(),
            name: "Ann".into(),
            role: PartnerUserRole::Owner,
        };
        let ann = ctx
            .engine
            .add_partner_user(t.id, &operator(), p.id, input.clone(), "$argon2id$ann")
            .await
            .unwrap();
        assert_eq!(ann.email, "ann@partner.test");
        let dup = ctx
            .engine
            .add_partner_user(t.id, &operator(), p.id, input, "$argon2id$x")
            .await;
        assert!(matches!(dup, Err(DomainError::Conflict(_))), "{dup:?}");
        let c = ctx
            .directory
            .credential(t.id, "ann@partner.test")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(c.principal.role, Role::Partner);
        assert_eq!(c.principal.partner_id, Some(p.id));
        assert_eq!(c.password_hash, "$argon2id$ann");
        assert_eq!(
            ctx.directory.partner_users(t.id, p.id).await.unwrap().len(),
            1
        );
        // Users of an archived partner cannot log in.
        ctx.engine
            .move_partner(t.id, &operator(), p.id, PartnerStatus::Terminated)
            .await
            .unwrap();
        ctx.engine
            .move_partner(t.id, &operator(), p.id, PartnerStatus::Archived)
            .await
            .unwrap();
        assert!(
            ctx.directory
                .credential(t.id, "ann@partner.test")
                .await
                .unwrap()
                .is_none()
        );
        ctx.directory.ping().await.unwrap();
    }
);

contract!(
    every_operator_action_is_audited_with_before_and_after,
    |ctx| {
        let t = tenant();
        let p = ctx.active_partner(t, "P-1", Some(share("0.10")), 0).await;
        ctx.attribute(t, p.id, "c", "2026-01-01T00:00:00Z", None)
            .await;
        ctx.engine
            .move_partner(t, &operator(), p.id, PartnerStatus::Suspended)
            .await
            .unwrap();
        let log = ctx
            .directory
            .audit_log(t, PageRequest::default())
            .await
            .unwrap();
        let actions: Vec<&str> = log.items.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(
            actions,
            vec![
                "partner.status",
                "account.create",
                "partner.status",
                "partner.create"
            ]
        );
        let last = &log.items[0];
        assert_eq!(last.actor, "operator@test");
        assert!(
            last.before
                .as_deref()
                .unwrap()
                .contains("\"status\":\"active\"")
        );
        assert!(
            last.after
                .as_deref()
                .unwrap()
                .contains("\"status\":\"suspended\"")
        );
        // Nothing of another tenant.
        assert_eq!(
            ctx.directory
                .audit_log(
                    TenantId::from_uuid(uuid::Uuid::now_v7()),
                    PageRequest::default()
                )
                .await
                .unwrap()
                .total,
            0
        );
        // A refused action writes no entry.
        assert!(
            ctx.engine
                .move_partner(t, &operator(), p.id, PartnerStatus::Pending)
                .await
                .is_err()
        );
        assert_eq!(
            ctx.directory
                .audit_log(t, PageRequest::default())
                .await
                .unwrap()
                .total,
            4
        );
    }
);

contract!(idempotency_keys_reserve_once, |ctx| {
    let t = tenant();
    let r = ctx
        .idempotency
        .reserve(t, "op", "k1", "hash-a", START)
        .await
        .unwrap();
    assert_eq!(r, Reservation::Reserved);
    let again = ctx
        .idempotency
        .reserve(t, "op", "k1", "hash-a", START)
        .await
        .unwrap();
    assert_eq!(
        again,
        Reservation::InProgress {
            request_hash: "hash-a".into()
        }
    );
    ctx.idempotency
        .complete(t, "op", "k1", 201, "{\"ok\":true}")
        .await
        .unwrap();
    let done = ctx
        .idempotency
        .reserve(t, "op", "k1", "hash-b", START)
        .await
        .unwrap();
    assert_eq!(
        done,
        Reservation::Completed {
            request_hash: "hash-a".into(),
            status: 201,
            body: "{\"ok\":true}".into()
        }
    );
    // Keys are per principal and tenant.
    assert_eq!(
        ctx.idempotency
            .reserve(t, "other", "k1", "h", START)
            .await
            .unwrap(),
        Reservation::Reserved
    );
    assert_eq!(
        ctx.idempotency
            .reserve(tenant(), "op", "k1", "h", START)
            .await
            .unwrap(),
        Reservation::Reserved
    );
    // A released key runs again.
    ctx.idempotency
        .reserve(t, "op", "k2", "h", START)
        .await
        .unwrap();
    ctx.idempotency.release(t, "op", "k2").await.unwrap();
    assert_eq!(
        ctx.idempotency
            .reserve(t, "op", "k2", "h", START)
            .await
            .unwrap(),
        Reservation::Reserved
    );
});
