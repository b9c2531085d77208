//! The hot queries read through indexes on a ledger of realistic size, in the custom plan
//! and in the generic plan PostgreSQL may switch a prepared statement to after five runs.
//!
//! The statements are not copies: they are recorded from the real adapters (`SeaLedger` and
//! its transactions) on a connection with a metric callback, then `PREPARE`d with the
//! parameter types sqlx binds and explained (see `revshare_tests::plans`). A change of the
//! statements the code sends changes what is checked here; a change of their number fails.
//!
//! The ledger: 1,000 partners in two tenants, 20,000 customers (22,000 attributions),
//! 200,000 commission events over 438 days of which 50,000 are one partner's, 14,000 payouts,
//! 244,000 payments, the daily totals the triggers keep, vacuumed and analysed as autovacuum
//! leaves a steady table. Loaded with set-based `INSERT … SELECT … generate_series` (about
//! 15 s; the trigger-kept totals and the foreign keys are most of it).

use revshare_domain::commission::EventStatus;
use revshare_domain::payout::{Payout, PayoutStatus};
use revshare_domain::port::{Ledger, PayoutClaim, UsageKey, VolumeKey};
use revshare_domain::query::{CommissionFilter, Cursor, PageRequest, PayoutFilter, SeekRequest};
use revshare_domain::terms::TierRate;
use revshare_domain::value::{
    Currency, CustomerId, Money, PartnerId, PaymentId, PayoutId, Period, TenantId,
};
use revshare_infra::SeaLedger;
use revshare_tests::fixtures::{rate, rule, share, tenant, usd};
use revshare_tests::plans::{Plan, PlanMode, Recorder, explain};
use revshare_tests::{Backend, START, TestContext, dec};
use sea_orm::{ConnectionTrait, Statement, TransactionTrait};
use time::Duration;

/// Tables that must never be read whole by a hot query.
const HOT: [&str; 6] = [
    "commission_events",
    "payments",
    "partner_accounts",
    "partner_daily_totals",
    "partner_month_volumes",
    "rule_month_usages",
];

const T1: &str = "01900000-0000-7000-8000-000000000001";
const T2: &str = "01900000-0000-7000-8000-000000000002";
const DAY: i64 = 86_400_000_000;
/// Days of history.
const SPAN_DAYS: i64 = 438;
const EVENTS: i64 = 200_000;

fn micros(t: time::OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000).expect("micros")
}

/// Loads the ledger. Ids are `md5(…)::uuid` of a name, so rows can refer to each other
/// without lookups; partner n ≤ 800 is in T1, the rest in T2; partner 1 holds every fourth
/// event. Event dates grow with insertion order, as ingestion writes them.
async fn load(ctx: &TestContext) {
    let start = micros(START);
    let span = SPAN_DAYS * DAY;
    let base = start - span;
    let step = span / EVENTS;
    let tiers = serde_json::to_string(&[
        TierRate {
            min_volume: dec("0"),
            rate: rate("0.05"),
        },
        TierRate {
            min_volume: dec("10000"),
            rate: rate("0.10"),
        },
    ])
    .expect("tiers");
    let tenant_of =
        |n: &str| format!("CASE WHEN {n} <= 800 THEN '{T1}'::uuid ELSE '{T2}'::uuid END");
    let mut sql = vec![
        format!(
            "INSERT INTO partners (id, tenant_id, partner_number, name, status, tier, \
               default_model, default_rate_micros, default_tiers, hold_days, minimum_payouts, \
               contact_email, lock_seq, created_at, updated_at) \
             SELECT md5('partner-' || n)::uuid, {t}, 'P-' || lpad(n::text, 5, '0'), \
               'Partner ' || n, CASE WHEN n % 50 = 0 THEN 'suspended' ELSE 'active' END, 'gold', \
               CASE WHEN n % 10 = 5 THEN 'tiered' ELSE 'revenue_share' END, \
               CASE WHEN n % 10 = 5 THEN NULL ELSE 100000 END, \
               CASE WHEN n % 10 = 5 THEN '{tiers}' END, \
               CASE WHEN n % 3 = 0 THEN 30 ELSE 0 END, '{{}}', 'p' || n || '@partners.test', \
               0, {base}, {base} \
             FROM generate_series(1, 1000) AS n",
            t = tenant_of("n")
        ),
        // Partner 1 has customers 1–2,000; T1's others share 2,001–16,000; T2's 16,001–20,000.
        "CREATE TEMP TABLE plan_customers ON COMMIT DROP AS \
         SELECT k, CASE WHEN k <= 16000 THEN 1 ELSE 2 END AS t, \
           CASE WHEN k <= 2000 THEN 1 WHEN k <= 16000 THEN 2 + k % 799 ELSE 801 + k % 200 END AS p, \
           CASE WHEN k <= 16000 THEN 2 + (k + 1) % 799 ELSE 801 + (k + 1) % 200 END AS before \
         FROM generate_series(1, 20000) AS k"
            .to_owned(),
        format!(
            "INSERT INTO customers (tenant_id, customer_id, lock_seq) \
             SELECT CASE t WHEN 1 THEN '{T1}'::uuid ELSE '{T2}'::uuid END, 'cust-' || k, 0 \
             FROM plan_customers"
        ),
        // Every customer attributed since the start; every tenth ended one before that.
        format!(
            "INSERT INTO partner_accounts (id, tenant_id, partner_id, customer_id, start_at, \
               end_at, custom_rate_micros, created_at) \
             SELECT md5('account-' || k)::uuid, CASE t WHEN 1 THEN '{T1}'::uuid ELSE '{T2}'::uuid END, \
               md5('partner-' || p)::uuid, 'cust-' || k, {base}, NULL, \
               CASE WHEN k % 7 = 0 THEN 120000 END, {base} \
             FROM plan_customers \
             UNION ALL \
             SELECT md5('old-account-' || k)::uuid, CASE t WHEN 1 THEN '{T1}'::uuid ELSE '{T2}'::uuid END, \
               md5('partner-' || before)::uuid, 'cust-' || k, {old}, {base}, NULL, {old} \
             FROM plan_customers WHERE k % 10 = 0",
            old = base - span
        ),
        // A rule for every odd partner: every fourth capped, every ninth inactive.
        format!(
            "INSERT INTO commission_rules (id, tenant_id, partner_id, name, model, rate_micros, \
               product_ids, customer_ids, effective_from, priority, cap_minor, cap_currency, \
               active, created_at, updated_at) \
             SELECT md5('rule-' || n)::uuid, {t}, md5('partner-' || n)::uuid, 'Rule ' || n, \
               'revenue_share', 150000, '[]', '[]', {old}, 0, \
               CASE WHEN n % 4 = 1 THEN 500000 END, CASE WHEN n % 4 = 1 THEN 'USD' END, \
               n % 9 <> 0, {base}, {base} \
             FROM generate_series(1, 1000, 2) AS n",
            t = tenant_of("n"),
            old = base - span
        ),
        // Completed payouts for 13 thirty-day periods of every partner, and one pending.
        format!(
            "INSERT INTO payouts (id, tenant_id, partner_id, currency, total_minor, \
               commission_count, status, period_end, payment_method, payment_reference, \
               created_by, created_at, updated_at, completed_at) \
             SELECT md5('payout-' || n || '-' || m)::uuid, {t}, md5('partner-' || n)::uuid, \
               'USD', 10000, 10, 'completed', {base} + (m + 1) * 30 * {DAY}, 'bank_transfer', \
               'ref-' || n || '-' || m, 'operator', {base} + ((m + 1) * 30 + 1) * {DAY}, \
               {base} + ((m + 1) * 30 + 3) * {DAY}, {base} + ((m + 1) * 30 + 3) * {DAY} \
             FROM generate_series(1, 1000) AS n, generate_series(0, 12) AS m \
             UNION ALL \
             SELECT md5('payout-' || n || '-pending')::uuid, {t}, md5('partner-' || n)::uuid, \
               'USD', 5000, 5, 'pending', {start} - 2 * {DAY}, 'bank_transfer', NULL, \
               'operator', {start} - {DAY}, {start} - {DAY}, NULL \
             FROM generate_series(1, 1000) AS n",
            t = tenant_of("n")
        ),
    ];
    // Events: paid when older than 75 days (into the payout of their partner and period),
    // approved and unclaimed when younger (and one in 25 older ones), pending (held) in the
    // last 30 days, one in 19 rejected; one in 10 in EUR; one in 33 a refund adjustment.
    // Four statements of 50,000 rows, as the insert trigger sees large batches.
    for chunk in 0..4 {
        let (lo, hi) = (chunk * EVENTS / 4 + 1, (chunk + 1) * EVENTS / 4);
        sql.push(format!(
            "INSERT INTO commission_events (id, tenant_id, partner_id, event_type, status, \
               amount_minor, currency, event_date, payment_id, refund_id, invoice_id, \
               invoice_number, customer_id, base_minor, rate_micros, rule_id, terms_source, \
               hold_until, payout_id, approved_at, paid_at, rejected_at, rejection_reason, \
               created_by, created_at) \
             SELECT gen_random_uuid(), {t}, md5('partner-' || p)::uuid, \
               CASE WHEN refund THEN 'refund_adjustment' ELSE 'invoice_payment' END, status, \
               CASE WHEN refund THEN -(50 + i % 500) ELSE 100 + i % 5000 END, \
               CASE WHEN i % 10 = 3 THEN 'EUR' ELSE 'USD' END, at, \
               'pay-' || i, CASE WHEN refund THEN 'ref-' || i END, 'inv-' || i, 'INV-' || i, \
               CASE WHEN p <= 800 THEN 'cust-' || (1 + i % 16000) ELSE 'cust-' || (16001 + i % 4000) END, \
               CASE WHEN NOT refund THEN (100 + i % 5000) * 10 END, \
               CASE WHEN NOT refund THEN 100000 END, \
               CASE WHEN p % 2 = 1 AND NOT refund THEN md5('rule-' || p)::uuid END, \
               CASE WHEN refund THEN 'refund' WHEN p % 2 = 1 THEN 'rule' ELSE 'partner_default' END, \
               CASE WHEN status = 'pending' THEN at + 30 * {DAY} END, \
               CASE WHEN status = 'paid' \
                 THEN md5('payout-' || p || '-' || ((at - {base}) / (30 * {DAY})))::uuid END, \
               CASE WHEN status IN ('approved', 'paid') THEN at END, \
               CASE WHEN status = 'paid' THEN at + 40 * {DAY} END, \
               CASE WHEN status = 'rejected' THEN at END, \
               CASE WHEN status = 'rejected' THEN 'duplicate' END, \
               'billing', at \
             FROM (SELECT i, p, at, refund, \
                     CASE WHEN i % 19 = 0 THEN 'rejected' \
                          WHEN {start} - at < 30 * {DAY} THEN 'pending' \
                          WHEN {start} - at < 75 * {DAY} OR i % 25 = 1 THEN 'approved' \
                          ELSE 'paid' END AS status \
                   FROM (SELECT i, CASE WHEN i % 4 = 1 THEN 1 ELSE 2 + i % 999 END AS p, \
                           {base} + i * {step} - (i % 997) * 1000 AS at, i % 33 = 7 AS refund \
                         FROM generate_series({lo}::bigint, {hi}) AS i) AS g) AS e",
            t = tenant_of("p")
        ));
    }
    sql.push(format!(
        "INSERT INTO payments (tenant_id, payment_id, invoice_id, invoice_number, customer_id, \
           amount_minor, currency, paid_at, product_ids, outcome, partner_id, event_id, \
           recorded_at) \
         SELECT tenant_id, payment_id, invoice_id, invoice_number, customer_id, base_minor, \
           currency, event_date, '[]', 'created', partner_id, id, created_at \
         FROM commission_events WHERE event_type = 'invoice_payment' \
         UNION ALL \
         SELECT CASE WHEN k % 5 = 0 THEN '{T2}'::uuid ELSE '{T1}'::uuid END, 'upay-' || k, \
           'uinv-' || k, NULL, 'anon-' || (k % 5000), 1000 + k % 9000, 'USD', \
           {base} + k * {ustep}, '[]', 'unattributed', NULL, NULL, {base} + k * {ustep} \
         FROM generate_series(1::bigint, 50000) AS k",
        ustep = span / 50_000
    ));
    let tx = ctx.db.begin().await.expect("begin");
    for s in sql {
        tx.execute_unprepared(&s)
            .await
            .unwrap_or_else(|e| panic!("{e}:\n{s}"));
    }
    tx.commit().await.expect("commit");
    // Outside a transaction: sets the visibility map and the statistics, as autovacuum keeps
    // them on a steady ledger.
    ctx.db
        .execute_unprepared(
            "VACUUM (ANALYZE) partners, customers, partner_accounts, commission_rules, payouts, \
             commission_events, payments, partner_daily_totals, partner_month_volumes, \
             rule_month_usages",
        )
        .await
        .expect("vacuum");
}

/// What a statement's plans must do: read their hot table through one of `through` (empty:
/// any index, as long as no hot table is read whole; checked on PostgreSQL, and on SQLite too
/// when `everywhere`) and, for a list, yield the rows in list order from the index, without
/// a sort.
#[derive(Debug, Clone, Copy)]
struct Want {
    through: &'static [&'static str],
    in_order: bool,
    everywhere: bool,
    /// May read a hot table whole (the statement's answer depends on most of its rows).
    whole: bool,
    /// Through each of `through` rather than one of them (a `UNION` of parts); `a|b` names
    /// alternatives for one part.
    each: bool,
    /// A deep page: skips its offset through one of `through` alone (PostgreSQL), in list
    /// order, and then reads the page's rows by primary key (both backends), which it may
    /// sort.
    skips: bool,
}

/// Any index.
const ANY: Want = Want {
    through: &[],
    in_order: false,
    everywhere: false,
    whole: false,
    each: false,
    skips: false,
};

/// The size of a whole tenant's list: it counts the tenant's events, which are most of the
/// table here, so PostgreSQL rightly scans the table (an index-only scan of a narrow index
/// was its choice while `ix_events_rule_date` existed, which a count is no reason to keep).
/// O(events of the tenant) either way; `docs/benchmarks.md` says so.
const COUNTS_TENANT: Want = Want { whole: true, ..ANY };

/// Through one of these indexes.
const fn via(through: &'static [&'static str]) -> Want {
    Want { through, ..ANY }
}

/// Through one of these indexes on SQLite too, where another index or join order would cost
/// more than a constant factor (a scan of the list for every event, every event of the
/// tenant for a few payouts).
const fn via_everywhere(through: &'static [&'static str]) -> Want {
    Want {
        through,
        everywhere: true,
        ..ANY
    }
}

/// Through each of these indexes (`a|b`: one of a and b), for a statement of several parts.
const fn via_each(through: &'static [&'static str]) -> Want {
    Want {
        through,
        each: true,
        ..ANY
    }
}

/// Through one of these indexes, in list order.
const fn listed(through: &'static [&'static str]) -> Want {
    Want {
        through,
        in_order: true,
        ..ANY
    }
}

/// A deep page by offset, skipped through one of these indexes alone, in list order.
const fn skipped(through: &'static [&'static str]) -> Want {
    Want {
        through,
        skips: true,
        ..ANY
    }
}

/// One call of an adapter: the statements it sent (writes without a plan worth checking
/// left out) and what each one's plans must do.
struct Case {
    label: String,
    statements: Vec<Statement>,
    wants: Vec<Want>,
}

/// The recorded statements since the last take, except plain `INSERT … VALUES`.
fn reads(rec: &Recorder) -> Vec<Statement> {
    rec.take()
        .into_iter()
        .filter(|s| !s.sql.trim_start().to_uppercase().starts_with("INSERT"))
        .collect()
}

/// Partner n of the load.
async fn partner(ctx: &TestContext, n: u32) -> PartnerId {
    let s = ctx
        .strings(&format!(
            "SELECT id::text FROM partners WHERE partner_number = 'P-{n:05}'"
        ))
        .await;
    PartnerId::from_uuid(uuid::Uuid::parse_str(s.first().expect("a row")).expect("a uuid"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hot_queries_read_through_indexes_on_postgres_in_custom_and_generic_plans() {
    let Some(ctx) = TestContext::new(Backend::Postgres, "plans").await else {
        return;
    };
    let loading = std::time::Instant::now();
    load(&ctx).await;
    eprintln!("plans: ledger loaded in {:?}", loading.elapsed());
    assert_eq!(
        ctx.scalar("SELECT COUNT(*) FROM commission_events").await,
        EVENTS
    );
    assert_eq!(
        ctx.scalar("SELECT CAST(SUM(event_count) AS BIGINT) FROM partner_daily_totals")
            .await,
        EVENTS,
        "the triggers kept the daily totals"
    );
    let cast = Cast {
        t1: TenantId::from_uuid(uuid::Uuid::parse_str(T1).unwrap()),
        t2: TenantId::from_uuid(uuid::Uuid::parse_str(T2).unwrap()),
        big: partner(&ctx, 1).await,
        small: partner(&ctx, 42).await,
        other_tenant: partner(&ctx, 900).await,
        claimed_at_least: 1_000,
        deep: 2_000,
    };
    let cases = record(&ctx, &cast).await;
    check(&ctx, &cases, &PlanMode::ALL).await;
    ctx.finish().await;
}

/// SQLite has no generic plans and, without `ANALYZE`, no statistics: on a small ledger its
/// planner shows whether each statement's shape can be served by the index at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hot_queries_read_through_indexes_on_sqlite() {
    let ctx = TestContext::new(Backend::Sqlite, "plans")
        .await
        .expect("sqlite");
    let (t1, t2) = (tenant(), tenant());
    let big = ctx.active_partner(t1, "P-1", Some(share("0.10")), 0).await;
    let small = ctx.active_partner(t1, "P-2", Some(share("0.10")), 30).await;
    let other = ctx.active_partner(t2, "P-1", Some(share("0.10")), 0).await;
    let mut capped = rule(big.id, "capped", share("0.15"));
    capped.monthly_cap = Some(usd("500.00"));
    ctx.rule(t1, capped).await;
    for (t, p, c) in [
        (t1, &big, "cust-1"),
        (t1, &small, "cust-2"),
        (t2, &other, "cust-1"),
    ] {
        ctx.attribute(t, p.id, c, "2025-01-01T00:00:00Z", None)
            .await;
    }
    for (i, day) in ["2026-01-10", "2026-01-20", "2026-02-20", "2026-03-14"]
        .iter()
        .enumerate()
    {
        for (t, c) in [(t1, "cust-1"), (t1, "cust-2"), (t2, "cust-1")] {
            ctx.pay(
                t,
                &format!("pay-{i}-{c}"),
                c,
                usd("100.00"),
                &format!("{day}T10:00:00Z"),
            )
            .await;
        }
    }
    let cast = Cast {
        t1,
        t2,
        big: big.id,
        small: small.id,
        other_tenant: other.id,
        claimed_at_least: 1,
        deep: 1,
    };
    let cases = record(&ctx, &cast).await;
    check(&ctx, &cases, &[PlanMode::Custom]).await;
    ctx.finish().await;
}

/// Who the hot queries are about.
#[derive(Debug, Clone, Copy)]
struct Cast {
    t1: TenantId,
    t2: TenantId,
    /// The partner with the most events, in `t1`.
    big: PartnerId,
    /// Another partner of `t1`.
    small: PartnerId,
    /// A partner of `t2`.
    other_tenant: PartnerId,
    /// Approved events of `big` in USD dated 40 days before `START` or earlier.
    claimed_at_least: u64,
    /// An offset inside the big partner's list, and inside the tenant's.
    deep: u64,
}

/// Runs every hot query through the real adapters and records what they send.
async fn record(ctx: &TestContext, cast: &Cast) -> Vec<Case> {
    let Cast {
        t1,
        t2,
        big,
        small,
        other_tenant,
        claimed_at_least,
        deep,
    } = *cast;

    let rec = Recorder::default();
    let ledger = SeaLedger::new(rec.connection(&ctx.db));
    let mut cases = Vec::new();
    let mut case = |label: &str, wants: &[Want]| {
        cases.push(Case {
            label: label.to_owned(),
            statements: reads(&rec),
            wants: wants.to_vec(),
        });
    };

    // Metrics (one statement) and the daily series: whole days from the totals, partial edge
    // days from the events (a day of one partner at most: by partner and date, with or without the status
    // in the index), completed payouts by date. 22:00 to 12:00 makes both edges.
    let period = Period::new(START - Duration::days(90) - Duration::hours(14), START).unwrap();
    let totals = via(&["partner_daily_totals_pkey"]);
    let edge = via(&[
        "ix_events_partner_status_date_id",
        "ix_events_partner_date_id",
    ]);
    let paid_out = via(&["ix_payouts_partner_completed"]);
    // Metrics are one statement of those parts.
    let metrics = via_each(&[
        "partner_daily_totals_pkey",
        "ix_events_partner_status_date_id|ix_events_partner_date_id",
        "ix_payouts_partner_completed",
    ]);
    for (label, t, p) in [
        ("metrics, the largest partner", t1, big),
        ("metrics, a small partner", t1, small),
        ("metrics, a partner of the other tenant", t2, other_tenant),
    ] {
        ledger.metrics(t, p, period).await.unwrap();
        case(label, &[metrics]);
    }
    ledger.daily_series(t1, big, period).await.unwrap();
    case("daily series", &[totals, edge, edge, paid_out]);

    // The portal's lists of a partner, by offset (with a count, or the per-day counts that
    // place a deep page on its day) and by cursor: read in list order from an index.
    let by_date = listed(&["ix_events_partner_date_id"]);
    let by_status = listed(&["ix_events_partner_status_date_id"]);
    let mine = CommissionFilter {
        partner_id: Some(big),
        ..Default::default()
    };
    let approved = CommissionFilter {
        status: Some(EventStatus::Approved),
        ..mine.clone()
    };
    let deep = PageRequest {
        limit: 50,
        offset: deep,
    };
    ledger.list_commissions(t1, &mine, deep).await.unwrap();
    case("commissions of a partner, by offset", &[ANY, by_date]);
    ledger.list_commissions(t1, &approved, deep).await.unwrap();
    case(
        "commissions of a partner and status, by offset",
        &[ANY, by_status],
    );
    ledger
        .list_commissions(t1, &mine, PageRequest::default())
        .await
        .unwrap();
    // One statement: the page, in list order, and its count from the daily totals.
    let counted_page = Want {
        through: &["ix_events_partner_date_id", "partner_daily_totals_pkey"],
        in_order: true,
        each: true,
        ..ANY
    };
    case("commissions of a partner, page 1", &[counted_page]);
    let at = Cursor::new(START - Duration::days(100), uuid::Uuid::max());
    let seek = SeekRequest {
        limit: 50,
        after: Some(at),
    };
    ledger.seek_commissions(t1, &mine, seek).await.unwrap();
    case("commissions of a partner, by cursor", &[by_date]);
    ledger.seek_commissions(t1, &approved, seek).await.unwrap();
    case(
        "commissions of a partner and status, by cursor",
        &[by_status],
    );
    // The staff's list of a whole tenant (`GET /commissions` without a partner); it sorted
    // the tenant's whole ledger for every page until `ix_events_tenant_date_id`.
    let by_tenant = listed(&["ix_events_tenant_date_id"]);
    let everything = CommissionFilter::default();
    ledger
        .list_commissions(t1, &everything, deep)
        .await
        .unwrap();
    case(
        "commissions of a tenant, by offset",
        &[COUNTS_TENANT, skipped(&["ix_events_tenant_date_id"])],
    );
    ledger
        .seek_commissions(t1, &everything, seek)
        .await
        .unwrap();
    case("commissions of a tenant, by cursor", &[by_tenant]);
    // The operator's approvals page: a tenant's pending (held) events.
    let pending = CommissionFilter {
        status: Some(EventStatus::Pending),
        ..Default::default()
    };
    let approvals = PageRequest {
        limit: 200,
        offset: 0,
    };
    ledger
        .list_commissions(t1, &pending, approvals)
        .await
        .unwrap();
    case("pending commissions of a tenant", &[ANY, ANY]);
    // Automatic approval, of every tenant (the server's job) and of one; at an instant no hold
    // has ended by, so nothing changes.
    let hold = via(&["ix_events_held_until"]);
    let before_any_hold = START - Duration::days(SPAN_DAYS);
    for tenant in [None, Some(t1)] {
        assert_eq!(
            ledger.approve_due(tenant, before_any_hold).await.unwrap(),
            0
        );
        case(&format!("approval of ended holds in {tenant:?}"), &[hold]);
    }
    // A refund: the payment's commission through `payments.event_id`, then what earlier
    // refunds took, through the adjustments' `original_event_id`.
    {
        let mut tx = ledger.begin().await.unwrap();
        let paid = revshare_domain::value::PaymentId::parse("pay-8").unwrap();
        tx.payment_event(t1, &paid).await.unwrap();
        case(
            "a payment's commission, for a refund",
            &[via_everywhere(&[
                "commission_events_pkey|sqlite_autoindex_commission_events_1",
            ])],
        );
        tx.refund_totals(t1, &paid).await.unwrap();
        case(
            "what earlier refunds of a payment took",
            &[ANY, via_everywhere(&["ix_events_of_original"])],
        );
        drop(tx);
    }

    let all_payouts = PayoutFilter::default();
    let page = PageRequest {
        limit: 50,
        offset: 500,
    };
    let tenant_payouts = listed(&["ix_payouts_tenant_created_id"]);
    ledger.list_payouts(t1, &all_payouts, page).await.unwrap();
    case("payouts of a tenant, by offset", &[ANY, tenant_payouts]);
    ledger.seek_payouts(t1, &all_payouts, seek).await.unwrap();
    case("payouts of a tenant, by cursor", &[tenant_payouts]);
    let completed = PayoutFilter {
        partner_id: Some(big),
        status: Some(PayoutStatus::Completed),
        currency: None,
    };
    let partner_payouts = listed(&["ix_payouts_partner_status_created_id"]);
    ledger
        .list_payouts(t1, &completed, PageRequest::default())
        .await
        .unwrap();
    case(
        "payouts of a partner and status, by offset",
        &[ANY, partner_payouts],
    );
    ledger.seek_payouts(t1, &completed, seek).await.unwrap();
    case(
        "payouts of a partner and status, by cursor",
        &[partner_payouts],
    );

    // Ingestion: what `BatchFacts::load` reads, in its order, for one payment (a webhook) and
    // for a batch of 100. Partners and rules are small tables, read as the planner likes. Not
    // a batch of 1,000 (the seed's): its customers are 5% of these 20,000, and PostgreSQL then
    // rightly reads the 300 pages of `partner_accounts` whole (3 ms; 7 ms through an index);
    // on a larger customer base the same statement goes through the index again.
    let month = Period::month_of(START - Duration::days(20));
    for size in [1, 100] {
        let mut tx = ledger.begin().await.unwrap();
        let payments: Vec<PaymentId> = (0..size)
            .map(|i| PaymentId::parse(&format!("pay-{}", 150_000 + i * 7)).unwrap())
            .collect();
        tx.find_payments(t1, &payments).await.unwrap();
        case(
            &format!("{size} payment(s) already recorded"),
            &[via(&["payments_pkey"])],
        );
        let customers: Vec<CustomerId> = (0..size)
            .map(|i| CustomerId::parse(&format!("cust-{}", 1 + i * 131)).unwrap())
            .collect();
        let accounts = tx.accounts_of_customers(t1, &customers).await.unwrap();
        case(
            &format!("attributions of {size} customer(s)"),
            &[via(&[
                "ix_partner_accounts_customer",
                "ux_partner_accounts_open",
            ])],
        );
        let mut partners: Vec<PartnerId> = accounts.iter().map(|a| a.partner_id).collect();
        partners.sort_unstable();
        partners.dedup();
        assert!(!partners.is_empty());
        tx.lock_partners(t1, &partners).await.unwrap();
        // SQLite takes its write lock with an UPDATE first (it has no row locks).
        let locking: &[Want] = match ctx.backend {
            Backend::Postgres => &[ANY],
            Backend::Sqlite => &[ANY, ANY],
        };
        case(&format!("{} partner(s) locked", partners.len()), locking);
        let rules = tx.active_rules_of_partners(t1, &partners).await.unwrap();
        case(
            &format!("active rules of {} partner(s)", partners.len()),
            &[ANY],
        );
        let volumes: Vec<VolumeKey> = partners
            .iter()
            .flat_map(|&p| {
                [Currency::USD, Currency::EUR].map(|currency| VolumeKey {
                    partner: p,
                    currency,
                    month,
                })
            })
            .collect();
        tx.payment_volumes(t1, &volumes).await.unwrap();
        // The month of one partner, by type and currency or by date alone.
        case(
            &format!("{} tier volume(s)", volumes.len()),
            &[via(&["partner_month_volumes_pkey"])],
        );
        let usages: Vec<UsageKey> = rules
            .iter()
            .map(|r| UsageKey {
                rule: r.id,
                currency: Currency::USD,
                month,
            })
            .collect();
        if !usages.is_empty() {
            tx.rule_usages(t1, &usages).await.unwrap();
            case(
                &format!("{} cap usage(s)", usages.len()),
                &[via(&["rule_month_usages_pkey"])],
            );
        }
        // Rolled back.
        drop(tx);
    }

    // Payouts: the partners with unclaimed approved events; one partner's claim (a batch);
    // a run's chunk of payouts claimed, the refused ones undone, the totals of the rest set.
    let end = START - Duration::days(40);
    let unclaimed = via(&["ix_events_unclaimed"]);
    let claiming = via_everywhere(&["ix_events_unclaimed"]);
    let claimed = via_everywhere(&["ix_events_of_payout"]);
    let new_payout = |partner: PartnerId, currency: Currency| Payout {
        id: PayoutId::from_uuid(uuid::Uuid::now_v7()),
        tenant_id: t1,
        partner_id: partner,
        total: Money::zero(currency),
        commission_count: 0,
        status: PayoutStatus::Pending,
        period_start: None,
        period_end: end,
        payment_method: "bank_transfer".into(),
        payment_reference: None,
        failure_reason: None,
        created_by: "operator".into(),
        created_at: START,
        updated_at: START,
        completed_at: None,
    };
    let claim_of = |p: &Payout| PayoutClaim {
        partner: p.partner_id,
        currency: p.total.currency(),
        payout: p.id,
    };
    {
        let mut tx = ledger.begin().await.unwrap();
        tx.payable_partners(t1, None, end).await.unwrap();
        case("partners with unclaimed approved events", &[unclaimed]);
        let payout = new_payout(big, Currency::USD);
        tx.insert_payouts(std::slice::from_ref(&payout))
            .await
            .unwrap();
        let claim = tx
            .claim_events(t1, None, end, &[claim_of(&payout)])
            .await
            .unwrap();
        assert!(claim[0].count >= claimed_at_least, "{claim:?}");
        case(
            "a partner's unclaimed approved events claimed",
            &[claiming, claimed],
        );
        let payout = new_payout(big, Currency::EUR);
        tx.insert_payouts(std::slice::from_ref(&payout))
            .await
            .unwrap();
        tx.claim_events(
            t1,
            Some(end - Duration::days(60)),
            end,
            &[claim_of(&payout)],
        )
        .await
        .unwrap();
        case(
            "a partner's unclaimed approved events of a period claimed",
            &[claiming, claimed],
        );
        drop(tx);
    }
    {
        // Up to 250 partners in two currencies: a run's chunk of 500 payouts.
        let listed = ledger
            .list_partners(
                t1,
                PageRequest {
                    limit: 250,
                    offset: 0,
                },
            )
            .await
            .unwrap();
        rec.take();
        let mut tx = ledger.begin().await.unwrap();
        let payouts: Vec<Payout> = listed
            .items
            .iter()
            .flat_map(|p| [Currency::USD, Currency::EUR].map(|c| new_payout(p.id, c)))
            .collect();
        tx.insert_payouts(&payouts).await.unwrap();
        let claims: Vec<PayoutClaim> = payouts.iter().map(claim_of).collect();
        let taken = tx.claim_events(t1, None, end, &claims).await.unwrap();
        assert_eq!(taken.len(), payouts.len());
        assert!(taken.iter().any(|c| c.count > 0), "{taken:?}");
        case(
            &format!("a run's {} payouts claimed", payouts.len()),
            &[claiming, claimed],
        );
        let (kept, refused) = payouts.split_at(payouts.len() / 2);
        tx.set_payout_totals(t1, kept).await.unwrap();
        case(&format!("totals of {} payouts set", kept.len()), &[ANY]);
        let ids: Vec<PayoutId> = refused.iter().map(|p| p.id).collect();
        assert_eq!(
            tx.discard_payouts(t1, &ids).await.unwrap(),
            ids.len() as u64
        );
        case(
            &format!("{} refused payouts undone", ids.len()),
            &[claimed, ANY],
        );
        drop(tx);
    }
    cases
}

/// Explains every recorded statement in each of `modes`; fails listing every statement that
/// reads a hot table whole or, on PostgreSQL, misses its index. SQLite without statistics
/// picks among the indexes that match by its own rules of thumb, so there only whole-table
/// scans fail. `REVSHARE_PLANS_REPORT=1` prints every plan.
async fn check(ctx: &TestContext, cases: &[Case], modes: &[PlanMode]) {
    let mut failures = Vec::new();
    let mut report = String::new();
    for c in cases {
        assert_eq!(
            c.statements.len(),
            c.wants.len(),
            "{}: the adapter now sends other statements:\n{:#?}",
            c.label,
            c.statements.iter().map(|s| &s.sql).collect::<Vec<_>>()
        );
        let mut plans = Vec::new();
        for stmt in &c.statements {
            let mut of_stmt = Vec::new();
            for &mode in modes {
                of_stmt.push(explain(&ctx.db, stmt, mode, &[]).await);
            }
            plans.push(of_stmt);
        }
        // Statements sent together (a list's count beside its page) reach the database in
        // either order: the wants are met by the statements in the order that meets most of
        // them, the recorded order first.
        let judged = |order: &[usize]| {
            let mut out = Vec::new();
            for (&i, want) in order.iter().zip(&c.wants) {
                for (m, plan) in plans[i].iter().enumerate() {
                    out.push((i, m, problems(ctx.backend, plan, want)));
                }
            }
            out
        };
        let failing = |j: &Vec<(usize, usize, Vec<String>)>| {
            j.iter().filter(|(_, _, p)| !p.is_empty()).count()
        };
        let best = orders(c.statements.len())
            .iter()
            .map(|order| judged(order))
            .min_by_key(failing)
            .expect("one order at least");
        for (i, m, problems) in best {
            let (stmt, plan, mode) = (&c.statements[i], &plans[i][m], modes[m]);
            let verdict = if problems.is_empty() { "ok" } else { "FAILED" };
            let line = format!(
                "{verdict}: {} ({mode:?}) {}\n{}\n{}",
                c.label,
                problems.join(", "),
                abbreviated(&stmt.sql),
                plan.text
            );
            if !problems.is_empty() {
                failures.push(line.clone());
            }
            report.push_str(&line);
            report.push('\n');
        }
    }
    if std::env::var("REVSHARE_PLANS_REPORT").is_ok() {
        eprintln!("{report}");
    }
    assert!(
        failures.is_empty(),
        "{:?}:\n{}",
        ctx.backend,
        failures.join("\n")
    );
}

/// Every order of `0..n`, the identity first.
fn orders(n: usize) -> Vec<Vec<usize>> {
    if n == 0 {
        return vec![Vec::new()];
    }
    let mut out = Vec::new();
    for rest in orders(n - 1) {
        for at in (0..n).rev() {
            let mut order = rest.clone();
            order.insert(at, n - 1);
            out.push(order);
        }
    }
    out
}

/// What `plan` does that `want` forbids.
fn problems(backend: Backend, plan: &Plan, want: &Want) -> Vec<String> {
    let mut problems = Vec::new();
    let scans: Vec<&str> = plan
        .full_scans()
        .into_iter()
        .filter(|t| HOT.contains(t))
        .collect();
    if !scans.is_empty() && !want.whole {
        problems.push(format!("reads {scans:?} whole"));
    }
    let uses = |i: &&str| i.split('|').any(|a| plan.uses_index(a));
    let through = if want.each {
        want.through.iter().all(uses)
    } else {
        want.through.iter().any(uses)
    };
    if (backend == Backend::Postgres || want.everywhere) && !want.through.is_empty() && !through {
        let joint = if want.each { " and " } else { " or " };
        problems.push(format!("not through {}", want.through.join(joint)));
    }
    if want.in_order && plan.sorts() {
        problems.push("sorts".to_owned());
    }
    if want.skips && plan.sorts_inner() {
        problems.push("sorts the rows it skips".to_owned());
    }
    // …and reads the page's rows by primary key, not by walking the list again.
    let primary = |i: &str| {
        i == "commission_events_pkey"
            || i == "PRIMARY KEY"
            || i.starts_with("sqlite_autoindex_commission_events_")
    };
    if want.skips && !plan.outer_reads_by("commission_events", primary) {
        problems.push("reads the page's rows other than by primary key".to_owned());
    }
    if want.skips
        && backend == Backend::Postgres
        && !want.through.iter().any(|i| plan.covered_by(i))
    {
        problems.push(format!(
            "does not skip through {} alone",
            want.through.join(" or ")
        ));
    }
    problems
}

/// The statement, with long `IN (…)` lists and unions cut, for messages.
fn abbreviated(sql: &str) -> String {
    const MAX: usize = 600;
    if sql.len() <= MAX {
        sql.to_owned()
    } else {
        let cut = (0..=MAX)
            .rev()
            .find(|&i| sql.is_char_boundary(i))
            .unwrap_or(0);
        format!("{}… ({} characters)", &sql[..cut], sql.len())
    }
}
