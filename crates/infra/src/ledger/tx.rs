//! `LedgerTx` on a SeaORM transaction. Row locks are taken with an `UPDATE … SET lock_seq =
//! lock_seq + 1`, portable to both backends: a row lock until commit on PostgreSQL, the
//! write lock on SQLite.

use async_trait::async_trait;
use revshare_domain::StoreError;
use revshare_domain::attribution::PartnerAccount;
use revshare_domain::audit::AuditRecord;
use revshare_domain::commission::{CommissionEvent, EventStatus, EventType};
use revshare_domain::ingestion::{PaymentRecord, RefundRecord};
use revshare_domain::partner::{Partner, PartnerUser};
use revshare_domain::payout::{Payout, PayoutStatus};
use revshare_domain::port::{ClaimSummary, LedgerTx, PayoutClaim, RefundTotals, StatusChange};
use revshare_domain::port::{UsageKey, VolumeKey};
use revshare_domain::terms::CommissionRule;
use revshare_domain::value::{
    Currency, CustomerId, EventId, PartnerAccountId, PartnerId, PaymentId, PayoutId, Period,
    RefundId, RuleId, TenantId,
};
use sea_orm::sea_query::{
    Alias, CommonTableExpression, Expr, ExprTrait, IntoIden, Query, SelectStatement, TableRef,
    UnionType, ValueTuple, Values, WithClause, WithQuery,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Statement,
};
use time::OffsetDateTime;

use crate::convert::{
    account_from, account_row, currency, event_row, micros, partner_row, payment_from, payment_row,
    payout_row, refund_from, refund_row, rule_from, rule_row,
};
use crate::entity::{
    commission_event as ev, commission_rule, customer, partner, partner_account, payment, payout,
    refund,
};
use crate::error::OrStore;
use crate::ledger::month_totals::{MonthTotal, month_key};
use crate::ledger::{bulk_insert, read};

pub(crate) struct SeaLedgerTx {
    tx: DatabaseTransaction,
}

impl SeaLedgerTx {
    pub(crate) fn new(tx: DatabaseTransaction) -> Self {
        SeaLedgerTx { tx }
    }

    /// Inserts one row (no `RETURNING`: ids are chosen by the domain).
    async fn insert<A>(&self, row: A) -> Result<(), StoreError>
    where
        A: ActiveModelTrait + Send,
        <A::Entity as EntityTrait>::Model: sea_orm::IntoActiveModel<A>,
    {
        <A::Entity as EntityTrait>::insert(row)
            .exec_without_returning(&self.tx)
            .await
            .or_store()?;
        Ok(())
    }

    /// Runs one-row `SELECT k, sum` statements joined by `UNION ALL` (a chunk at a time) and
    /// answers the sums in the order of `selects`.
    async fn sums_in_order(&self, selects: Vec<SelectStatement>) -> Result<Vec<i64>, StoreError> {
        let mut sums = vec![0; selects.len()];
        let mut numbered = selects.into_iter().enumerate().peekable();
        while numbered.peek().is_some() {
            let mut union: Option<SelectStatement> = None;
            for (k, mut q) in numbered.by_ref().take(UNION_CHUNK) {
                let k =
                    i64::try_from(k).map_err(|_| StoreError::Internal("too many sums".into()))?;
                q.expr_as(Expr::val(k).cast_as("BIGINT"), "k");
                match union.as_mut() {
                    None => union = Some(q),
                    Some(u) => {
                        u.union(UnionType::All, q);
                    }
                }
            }
            let Some(union) = union else { break };
            let rows = self.tx.query_all(&union).await.or_store()?;
            for row in rows {
                let k: i64 = row.try_get("", "k").or_store()?;
                let total: Option<i64> = row.try_get("", "total").or_store()?;
                let slot = usize::try_from(k)
                    .ok()
                    .and_then(|k| sums.get_mut(k))
                    .ok_or_else(|| StoreError::Internal(format!("unexpected sum key {k}")))?;
                *slot = total.unwrap_or(0);
            }
        }
        Ok(sums)
    }

    /// The kept monthly totals of `keys` (a partner or a rule, a currency, a UTC month), in
    /// key order; 0 where nothing was recorded. Point reads of the totals' primary key.
    ///
    /// PostgreSQL: one statement whose keys are one JSON parameter (a `UNION ALL` of 500
    /// sub-selects costs ~9 ms to plan, inside the batch's partner locks), each key a
    /// correlated sub-select — a primary-key lookup whatever the planner thinks of the list's
    /// length (a join was hashed over every total of the tenant). SQLite: the `UNION ALL` of
    /// [`Self::sums_in_order`], whose planning is cheap.
    async fn month_totals(
        &self,
        tenant: TenantId,
        total: MonthTotal,
        keys: impl Iterator<Item = (uuid::Uuid, Currency, Period)>,
    ) -> Result<Vec<i64>, StoreError> {
        let keys = keys
            .map(|(k, c, month)| Ok((k, c, month_key(month)?)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        let (table, key, value) = (total.table(), total.key(), total.value());
        if self.tx.get_database_backend() != DbBackend::Postgres {
            let sums = keys.iter().map(|&(k, c, month)| {
                Query::select()
                    .expr_as(
                        Expr::col(Alias::new(value)).sum().cast_as("BIGINT"),
                        "total",
                    )
                    .from(Alias::new(table))
                    .and_where(Expr::col(Alias::new("tenant_id")).eq(tenant.uuid()))
                    .and_where(Expr::col(Alias::new(key)).eq(k))
                    .and_where(Expr::col(Alias::new("currency")).eq(c.code()))
                    .and_where(Expr::col(Alias::new("month")).eq(month))
                    .to_owned()
            });
            return self.sums_in_order(sums.collect()).await;
        }
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let count = keys.len();
        let document: Vec<serde_json::Value> = keys
            .iter()
            .enumerate()
            .map(|(i, (k, c, month))| {
                serde_json::json!({
                    "i": i,
                    "key": k.to_string(),
                    "currency": c.code(),
                    "month": month,
                })
            })
            .collect();
        let document = serde_json::to_string(&document)
            .map_err(|e| StoreError::Internal(format!("encoding total keys: {e}")))?;
        let sql = format!(
            "SELECT k.i AS k, (SELECT t.\"{value}\" FROM \"{table}\" t \
               WHERE t.\"tenant_id\" = $1 AND t.\"{key}\" = k.key \
                 AND t.\"currency\" = k.currency AND t.\"month\" = k.month) AS total \
             FROM json_to_recordset($2::json) \
                  AS k(i BIGINT, key UUID, currency TEXT, month BIGINT) \
            ORDER BY k.i"
        );
        let rows = self
            .tx
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                sql,
                [tenant.uuid().into(), document.into()],
            ))
            .await
            .or_store()?;
        if rows.len() != count {
            return Err(StoreError::Internal(format!(
                "{} totals for {count} keys",
                rows.len()
            )));
        }
        rows.iter()
            .map(|row| {
                let total: Option<i64> = row.try_get("", "total").or_store()?;
                Ok(total.unwrap_or(0))
            })
            .collect()
    }

    async fn sum_events(&self, q: sea_orm::Select<ev::Entity>) -> Result<(i64, i64), StoreError> {
        let row: Option<(Option<i64>, i64)> = q
            .select_only()
            .column_as(
                Expr::col(ev::Column::AmountMinor).sum().cast_as("BIGINT"),
                "total",
            )
            .column_as(Expr::col(ev::Column::Id).count().cast_as("BIGINT"), "n")
            .into_tuple()
            .one(&self.tx)
            .await
            .or_store()?;
        Ok(row.map_or((0, 0), |(t, n)| (t.unwrap_or(0), n)))
    }
}

/// `SELECT event_id FROM payments WHERE` the payment: its commission, if it earned one, by the
/// primary keys of `payments` and then of `commission_events` (which keeps no index on the
/// payment id: every event would enter it, and every payout claim again).
fn event_of_payment(tenant: TenantId, p: &PaymentId) -> SelectStatement {
    Query::select()
        .column(payment::Column::EventId)
        .from(payment::Entity)
        .and_where(payment::Column::TenantId.eq(tenant.uuid()))
        .and_where(payment::Column::PaymentId.eq(p.as_str()))
        .to_owned()
}

/// Ids per `IN (…)` list.
const IN_LIST_CHUNK: usize = 1_000;
/// Sub-selects per `UNION ALL` statement.
const UNION_CHUNK: usize = 500;
/// Claims per claiming `UPDATE` (four bind parameters each, far below SQLite's 32,766): a
/// payout run's chunk (`MAX_PAYOUTS_PER_TX`, 500) in one statement.
const CLAIM_CHUNK: usize = 1_000;

/// `status = 'approved' AND payout_id IS NULL`, the predicate of the partial index
/// `ix_events_unclaimed`, with the status written inline rather than bound: a planner can use
/// a partial index only when the statement itself implies its predicate. With a bound status,
/// the generic plan PostgreSQL may cache for a prepared statement after five runs cannot use
/// the index, and reads every approved event of the partner (or of the tenant) instead.
fn unclaimed() -> sea_orm::sea_query::Condition {
    sea_orm::sea_query::Condition::all()
        .add(
            Expr::col((ev::Entity, ev::Column::Status))
                .eq(Expr::Constant(EventStatus::Approved.name().into())),
        )
        .add(ev::Column::PayoutId.is_null())
}

/// `WITH v (tenant_id, partner_id, currency, payout_id) AS (VALUES …) UPDATE commission_events
/// SET payout_id = v.payout_id FROM v WHERE` the event is the tenant's, of the row's partner
/// and currency, [`unclaimed`] and dated in range: every claim of `claims` in one statement.
/// The `payout_id IS NULL` guard makes a concurrent claim skip every row this one took
/// (PostgreSQL re-checks the whole join for a row after waiting for its row lock; SQLite has a
/// single writer).
///
/// The shape is chosen for the planners. PostgreSQL reads `ix_events_unclaimed` for each row
/// of the list (or, in a generic plan, the tenant's unclaimed events once, hash-joined to the
/// list). SQLite, which has no statistics, must drive the join from the list into
/// `ix_events_unclaimed` too, or it reads the tenant's events by date and scans the list for
/// each: it does with the list as a CTE and the tenant in each row (`e.tenant_id =
/// v.tenant_id`); a bare `FROM (VALUES …)` or a tenant given only as a constant does not.
fn claim_statement(
    tenant: TenantId,
    start: Option<OffsetDateTime>,
    end: OffsetDateTime,
    claims: &[PayoutClaim],
) -> WithQuery {
    let v = Alias::new("v");
    let in_v = |name: &'static str| (v.clone(), Alias::new(name));
    let rows = claims
        .iter()
        .map(|c| {
            Values(vec![
                tenant.uuid().into(),
                c.partner.uuid().into(),
                c.currency.code().into(),
                c.payout.uuid().into(),
            ])
        })
        .collect();
    let list = CommonTableExpression::new()
        .table_name(v.clone())
        .columns(["tenant_id", "partner_id", "currency", "payout_id"].map(Alias::new))
        .values(rows)
        .to_owned();
    let event = |c: ev::Column| Expr::col((ev::Entity, c));
    let mut update = Query::update();
    update
        .table(ev::Entity)
        .value(ev::Column::PayoutId, Expr::col(in_v("payout_id")))
        .from(v.clone())
        .and_where(event(ev::Column::TenantId).eq(tenant.uuid()))
        .and_where(event(ev::Column::TenantId).equals(in_v("tenant_id")))
        .and_where(event(ev::Column::PartnerId).equals(in_v("partner_id")))
        .and_where(event(ev::Column::Currency).equals(in_v("currency")))
        .cond_where(unclaimed())
        .and_where(event(ev::Column::EventDate).lte(micros(end)));
    if let Some(s) = start {
        update.and_where(event(ev::Column::EventDate).gte(micros(s)));
    }
    update.with(WithClause::new().cte(list).to_owned())
}

fn sum_of(row: Option<Option<i64>>) -> i64 {
    row.flatten().unwrap_or(0)
}

#[async_trait]
impl LedgerTx for SeaLedgerTx {
    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        self.tx.commit().await.or_store()
    }

    async fn insert_audit(&mut self, r: &AuditRecord) -> Result<(), StoreError> {
        self.insert(crate::convert::audit_row(r)).await
    }

    async fn insert_audits(&mut self, records: &[AuditRecord]) -> Result<(), StoreError> {
        bulk_insert::insert_rows(&self.tx, records.iter().map(crate::convert::audit_row)).await
    }

    async fn insert_partner_user(
        &mut self,
        u: &PartnerUser,
        password_hash: &str,
    ) -> Result<(), StoreError> {
        self.insert(crate::convert::partner_user_row(u, password_hash))
            .await
    }

    async fn insert_partner(&mut self, p: &Partner) -> Result<(), StoreError> {
        self.insert(partner_row(p)).await
    }

    async fn update_partner(&mut self, p: &Partner) -> Result<(), StoreError> {
        let mut row = partner_row(p);
        row.id = sea_orm::ActiveValue::Unchanged(p.id.uuid());
        row.tenant_id = sea_orm::ActiveValue::Unchanged(p.tenant_id.uuid());
        row.created_at = sea_orm::ActiveValue::NotSet;
        row.update(&self.tx).await.or_store()?;
        Ok(())
    }

    async fn lock_partner(
        &mut self,
        tenant: TenantId,
        id: PartnerId,
    ) -> Result<Option<Partner>, StoreError> {
        let locked = partner::Entity::update_many()
            .col_expr(
                partner::Column::LockSeq,
                Expr::col(partner::Column::LockSeq).add(1),
            )
            .filter(partner::Column::Id.eq(id.uuid()))
            .filter(partner::Column::TenantId.eq(tenant.uuid()))
            .exec(&self.tx)
            .await
            .or_store()?;
        if locked.rows_affected == 0 {
            return Ok(None);
        }
        read::partner(&self.tx, tenant, id).await
    }

    async fn lock_customer(&mut self, tenant: TenantId, c: &CustomerId) -> Result<(), StoreError> {
        let row = customer::ActiveModel {
            tenant_id: sea_orm::ActiveValue::Set(tenant.uuid()),
            customer_id: sea_orm::ActiveValue::Set(c.to_string()),
            lock_seq: sea_orm::ActiveValue::Set(0),
        };
        customer::Entity::insert(row)
            .on_conflict_do_nothing_on([customer::Column::TenantId, customer::Column::CustomerId])
            .exec_without_returning(&self.tx)
            .await
            .or_store()?;
        customer::Entity::update_many()
            .col_expr(
                customer::Column::LockSeq,
                Expr::col(customer::Column::LockSeq).add(1),
            )
            .filter(customer::Column::TenantId.eq(tenant.uuid()))
            .filter(customer::Column::CustomerId.eq(c.as_str()))
            .exec(&self.tx)
            .await
            .or_store()?;
        Ok(())
    }

    async fn accounts_of_customer(
        &mut self,
        tenant: TenantId,
        c: &CustomerId,
    ) -> Result<Vec<PartnerAccount>, StoreError> {
        partner_account::Entity::find()
            .filter(partner_account::Column::TenantId.eq(tenant.uuid()))
            .filter(partner_account::Column::CustomerId.eq(c.as_str()))
            .order_by_asc(partner_account::Column::StartAt)
            .all(&self.tx)
            .await
            .or_store()?
            .into_iter()
            .map(account_from)
            .collect()
    }

    async fn insert_account(&mut self, a: &PartnerAccount) -> Result<(), StoreError> {
        self.insert(account_row(a)).await
    }

    async fn account(
        &mut self,
        tenant: TenantId,
        id: PartnerAccountId,
    ) -> Result<Option<PartnerAccount>, StoreError> {
        partner_account::Entity::find_by_id(id.uuid())
            .filter(partner_account::Column::TenantId.eq(tenant.uuid()))
            .one(&self.tx)
            .await
            .or_store()?
            .map(account_from)
            .transpose()
    }

    async fn end_account(
        &mut self,
        tenant: TenantId,
        id: PartnerAccountId,
        end: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let r = partner_account::Entity::update_many()
            .col_expr(partner_account::Column::EndAt, Expr::val(micros(end)))
            .filter(partner_account::Column::Id.eq(id.uuid()))
            .filter(partner_account::Column::TenantId.eq(tenant.uuid()))
            .exec(&self.tx)
            .await
            .or_store()?;
        Ok(r.rows_affected == 1)
    }

    async fn insert_rule(&mut self, r: &CommissionRule) -> Result<(), StoreError> {
        self.insert(rule_row(r)).await
    }

    async fn update_rule(&mut self, r: &CommissionRule) -> Result<(), StoreError> {
        let mut row = rule_row(r);
        row.id = sea_orm::ActiveValue::Unchanged(r.id.uuid());
        row.tenant_id = sea_orm::ActiveValue::Unchanged(r.tenant_id.uuid());
        row.created_at = sea_orm::ActiveValue::NotSet;
        row.update(&self.tx).await.or_store()?;
        Ok(())
    }

    async fn rule(
        &mut self,
        tenant: TenantId,
        id: RuleId,
    ) -> Result<Option<CommissionRule>, StoreError> {
        commission_rule::Entity::find_by_id(id.uuid())
            .filter(commission_rule::Column::TenantId.eq(tenant.uuid()))
            .one(&self.tx)
            .await
            .or_store()?
            .map(rule_from)
            .transpose()
    }

    async fn find_payments(
        &mut self,
        tenant: TenantId,
        ids: &[PaymentId],
    ) -> Result<Vec<PaymentRecord>, StoreError> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(IN_LIST_CHUNK) {
            let rows = payment::Entity::find()
                .filter(payment::Column::TenantId.eq(tenant.uuid()))
                .filter(payment::Column::PaymentId.is_in(chunk.iter().map(|i| i.as_str())))
                .all(&self.tx)
                .await
                .or_store()?;
            for r in rows {
                out.push(payment_from(r)?);
            }
        }
        Ok(out)
    }

    async fn lock_payment(
        &mut self,
        tenant: TenantId,
        id: &PaymentId,
    ) -> Result<Option<PaymentRecord>, StoreError> {
        // A no-op update takes the row lock (PostgreSQL) or the write lock (SQLite).
        let locked = payment::Entity::update_many()
            .col_expr(
                payment::Column::RecordedAt,
                Expr::col(payment::Column::RecordedAt),
            )
            .filter(payment::Column::TenantId.eq(tenant.uuid()))
            .filter(payment::Column::PaymentId.eq(id.as_str()))
            .exec(&self.tx)
            .await
            .or_store()?;
        if locked.rows_affected == 0 {
            return Ok(None);
        }
        Ok(self
            .find_payments(tenant, std::slice::from_ref(id))
            .await?
            .pop())
    }

    async fn insert_payments(&mut self, records: &[PaymentRecord]) -> Result<(), StoreError> {
        bulk_insert::insert_rows(&self.tx, records.iter().map(payment_row)).await
    }

    async fn find_refund(
        &mut self,
        tenant: TenantId,
        id: &RefundId,
    ) -> Result<Option<RefundRecord>, StoreError> {
        refund::Entity::find_by_id((tenant.uuid(), id.to_string()))
            .one(&self.tx)
            .await
            .or_store()?
            .map(refund_from)
            .transpose()
    }

    async fn insert_refund(&mut self, r: &RefundRecord) -> Result<(), StoreError> {
        self.insert(refund_row(r)).await
    }

    async fn refund_totals(
        &mut self,
        tenant: TenantId,
        p: &PaymentId,
    ) -> Result<RefundTotals, StoreError> {
        let refunded: Option<Option<i64>> = refund::Entity::find()
            .select_only()
            .column_as(
                Expr::col(refund::Column::AmountMinor)
                    .sum()
                    .cast_as("BIGINT"),
                "total",
            )
            .filter(refund::Column::TenantId.eq(tenant.uuid()))
            .filter(refund::Column::PaymentId.eq(p.as_str()))
            .into_tuple()
            .one(&self.tx)
            .await
            .or_store()?;
        // The adjustments point at the payment's commission (`original_event_id`), which the
        // sub-select finds among the tenant's payments; no `tenant_id` here, or SQLite, with
        // no statistics, reads the tenant's events by it instead of the adjustments.
        let (adjusted, _) = self
            .sum_events(
                ev::Entity::find()
                    .filter(ev::Column::OriginalEventId.is_not_null())
                    .filter(ev::Column::OriginalEventId.in_subquery(event_of_payment(tenant, p)))
                    .filter(ev::Column::EventType.is_in([
                        EventType::RefundAdjustment.name(),
                        EventType::Clawback.name(),
                    ]))
                    .filter(ev::Column::Status.ne(EventStatus::Rejected.name())),
            )
            .await?;
        Ok(RefundTotals {
            refunded_minor: sum_of(refunded),
            adjusted_minor: -adjusted,
        })
    }

    async fn accounts_of_customers(
        &mut self,
        tenant: TenantId,
        customers: &[CustomerId],
    ) -> Result<Vec<PartnerAccount>, StoreError> {
        let mut out = Vec::new();
        for chunk in customers.chunks(IN_LIST_CHUNK) {
            let rows = partner_account::Entity::find()
                .filter(partner_account::Column::TenantId.eq(tenant.uuid()))
                .filter(partner_account::Column::CustomerId.is_in(chunk.iter().map(|c| c.as_str())))
                .all(&self.tx)
                .await
                .or_store()?;
            for r in rows {
                out.push(account_from(r)?);
            }
        }
        Ok(out)
    }

    async fn lock_partners(
        &mut self,
        tenant: TenantId,
        ids: &[PartnerId],
    ) -> Result<Vec<Partner>, StoreError> {
        let mut sorted = ids.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        let postgres = self.tx.get_database_backend() == DbBackend::Postgres;
        let mut out = Vec::with_capacity(sorted.len());
        // Chunks in id order keep the global lock order across chunks too.
        for chunk in sorted.chunks(IN_LIST_CHUNK) {
            let uuids = chunk.iter().map(|i| i.uuid());
            let mut q = partner::Entity::find()
                .filter(partner::Column::TenantId.eq(tenant.uuid()))
                .filter(partner::Column::Id.is_in(uuids.clone()))
                .order_by_asc(partner::Column::Id);
            if postgres {
                // Row locks taken in id order, as the rows are read.
                q = q.lock_exclusive();
            } else {
                // SQLite has no row locks: the first write takes the database's write lock
                // now, not at the first insert, so the reads below cannot go stale.
                partner::Entity::update_many()
                    .col_expr(
                        partner::Column::LockSeq,
                        Expr::col(partner::Column::LockSeq).add(1),
                    )
                    .filter(partner::Column::TenantId.eq(tenant.uuid()))
                    .filter(partner::Column::Id.is_in(uuids))
                    .exec(&self.tx)
                    .await
                    .or_store()?;
            }
            for r in q.all(&self.tx).await.or_store()? {
                out.push(crate::convert::partner_from(r)?);
            }
        }
        Ok(out)
    }

    async fn active_rules_of_partners(
        &mut self,
        tenant: TenantId,
        partners: &[PartnerId],
    ) -> Result<Vec<CommissionRule>, StoreError> {
        let mut out = Vec::new();
        for chunk in partners.chunks(IN_LIST_CHUNK) {
            let rows = commission_rule::Entity::find()
                .filter(commission_rule::Column::TenantId.eq(tenant.uuid()))
                .filter(commission_rule::Column::PartnerId.is_in(chunk.iter().map(|p| p.uuid())))
                .filter(commission_rule::Column::Active.eq(true))
                .order_by_asc(commission_rule::Column::PartnerId)
                .order_by_desc(commission_rule::Column::Priority)
                .order_by_asc(commission_rule::Column::CreatedAt)
                .all(&self.tx)
                .await
                .or_store()?;
            for r in rows {
                out.push(rule_from(r)?);
            }
        }
        Ok(out)
    }

    async fn payment_volumes(
        &mut self,
        tenant: TenantId,
        keys: &[VolumeKey],
    ) -> Result<Vec<i64>, StoreError> {
        let keys = keys.iter().map(|k| (k.partner.uuid(), k.currency, k.month));
        self.month_totals(tenant, MonthTotal::Volume, keys).await
    }

    async fn rule_usages(
        &mut self,
        tenant: TenantId,
        keys: &[UsageKey],
    ) -> Result<Vec<i64>, StoreError> {
        let keys = keys.iter().map(|k| (k.rule.uuid(), k.currency, k.month));
        self.month_totals(tenant, MonthTotal::Usage, keys).await
    }

    async fn insert_event(&mut self, e: &CommissionEvent) -> Result<(), StoreError> {
        self.insert(event_row(e)).await
    }

    async fn insert_events(&mut self, events: &[CommissionEvent]) -> Result<(), StoreError> {
        bulk_insert::insert_rows(&self.tx, events.iter().map(event_row)).await
    }

    async fn events_by_ids(
        &mut self,
        tenant: TenantId,
        ids: &[EventId],
    ) -> Result<Vec<CommissionEvent>, StoreError> {
        read::events_by_ids(&self.tx, tenant, ids).await
    }

    async fn adjustments_of(
        &mut self,
        tenant: TenantId,
        originals: &[EventId],
    ) -> Result<Vec<CommissionEvent>, StoreError> {
        if originals.is_empty() {
            return Ok(Vec::new());
        }
        super::event_rows::events(
            &self.tx,
            ev::Entity::find()
                .filter(ev::Column::TenantId.eq(tenant.uuid()))
                .filter(ev::Column::OriginalEventId.is_in(originals.iter().map(|i| i.uuid()))),
        )
        .await
    }

    async fn payment_event(
        &mut self,
        tenant: TenantId,
        p: &PaymentId,
    ) -> Result<Option<CommissionEvent>, StoreError> {
        // By the id the tenant's payment names; no `tenant_id` filter, or SQLite, with no
        // statistics, reads the tenant's events by it. The tenant is checked on the row.
        let event = super::event_rows::event(
            &self.tx,
            ev::Entity::find()
                .filter(ev::Column::Id.in_subquery(event_of_payment(tenant, p)))
                .filter(ev::Column::EventType.eq(EventType::InvoicePayment.name())),
        )
        .await?;
        if event.as_ref().is_some_and(|e| e.tenant_id != tenant) {
            return Err(StoreError::Internal(format!(
                "payment {p} of tenant {tenant} names another tenant's commission"
            )));
        }
        Ok(event)
    }

    async fn change_event_status(
        &mut self,
        tenant: TenantId,
        ids: &[EventId],
        from: &[EventStatus],
        change: &StatusChange,
    ) -> Result<u64, StoreError> {
        if ids.is_empty() {
            return Ok(0);
        }
        let at = micros(change.at);
        let mut q =
            ev::Entity::update_many().col_expr(ev::Column::Status, Expr::val(change.to.name()));
        q = match change.to {
            EventStatus::Approved => q.col_expr(ev::Column::ApprovedAt, Expr::val(at)),
            EventStatus::Rejected => q.col_expr(ev::Column::RejectedAt, Expr::val(at)).col_expr(
                ev::Column::RejectionReason,
                Expr::val(change.reason.clone()),
            ),
            EventStatus::Paid => q.col_expr(ev::Column::PaidAt, Expr::val(at)),
            EventStatus::Pending => q,
        };
        let r = q
            .filter(ev::Column::TenantId.eq(tenant.uuid()))
            .filter(ev::Column::Id.is_in(ids.iter().map(|i| i.uuid())))
            .filter(ev::Column::Status.is_in(from.iter().map(|s| s.name())))
            .filter(ev::Column::PayoutId.is_null())
            .exec(&self.tx)
            .await
            .or_store()?;
        Ok(r.rows_affected)
    }

    async fn insert_payouts(&mut self, payouts: &[Payout]) -> Result<(), StoreError> {
        bulk_insert::insert_rows(&self.tx, payouts.iter().map(payout_row)).await
    }

    async fn claim_events(
        &mut self,
        tenant: TenantId,
        start: Option<OffsetDateTime>,
        end: OffsetDateTime,
        claims: &[PayoutClaim],
    ) -> Result<Vec<ClaimSummary>, StoreError> {
        let mut out = Vec::with_capacity(claims.len());
        for chunk in claims.chunks(CLAIM_CHUNK) {
            self.tx
                .execute(&claim_statement(tenant, start, end, chunk))
                .await
                .or_store()?;
            // What each payout took, summed from the rows it holds now: through the tenant's
            // pending payouts (by id) to their events, by `ix_events_of_payout` on both backends.
            // Not `tenant_id = ? AND payout_id IN (…)` on the events: SQLite, without
            // statistics, reads every event of the tenant for that; and the pending status
            // keeps PostgreSQL's estimate of the payouts small enough to probe the index per
            // payout rather than read the events whole.
            let sums = Query::select()
                .column((payout::Entity, payout::Column::Id))
                .expr_as(
                    Expr::col((ev::Entity, ev::Column::AmountMinor))
                        .sum()
                        .cast_as("BIGINT"),
                    "total",
                )
                .expr_as(
                    Expr::col((ev::Entity, ev::Column::Id))
                        .count()
                        .cast_as("BIGINT"),
                    "n",
                )
                .from(payout::Entity)
                .inner_join(
                    ev::Entity,
                    Expr::col((ev::Entity, ev::Column::PayoutId))
                        .equals((payout::Entity, payout::Column::Id)),
                )
                .and_where(payout::Column::TenantId.eq(tenant.uuid()))
                .and_where(payout::Column::Id.is_in(chunk.iter().map(|c| c.payout.uuid())))
                .and_where(payout::Column::Status.eq(PayoutStatus::Pending.name()))
                .group_by_col((payout::Entity, payout::Column::Id))
                .to_owned();
            let mut taken = std::collections::HashMap::with_capacity(chunk.len());
            for row in self.tx.query_all(&sums).await.or_store()? {
                let id: uuid::Uuid = row.try_get("", "id").or_store()?;
                let total: Option<i64> = row.try_get("", "total").or_store()?;
                let n: i64 = row.try_get("", "n").or_store()?;
                taken.insert(id, (total.unwrap_or(0), n));
            }
            for c in chunk {
                let (total, n) = taken.get(&c.payout.uuid()).copied().unwrap_or((0, 0));
                out.push(ClaimSummary {
                    count: u64::try_from(n).unwrap_or(0),
                    total_minor: total,
                });
            }
        }
        Ok(out)
    }

    async fn set_payout_totals(
        &mut self,
        tenant: TenantId,
        payouts: &[Payout],
    ) -> Result<u64, StoreError> {
        let mut changed = 0;
        for chunk in payouts.chunks(IN_LIST_CHUNK) {
            // One UPDATE for the chunk, joined to the new totals as a VALUES list (`column1`
            // … `column3` on both backends), by the payouts' primary key.
            let v = Alias::new("v");
            let total_col = |n: &str| Expr::col((v.clone(), Alias::new(n)));
            let rows = chunk.iter().map(|p| {
                ValueTuple::Three(
                    p.id.uuid().into(),
                    p.total.minor().into(),
                    i64::from(p.commission_count).into(),
                )
            });
            let q = Query::update()
                .table(payout::Entity)
                .value(payout::Column::TotalMinor, total_col("column2"))
                .value(payout::Column::CommissionCount, total_col("column3"))
                .from(TableRef::ValuesList(rows.collect(), v.clone().into_iden()))
                .and_where(Expr::col((payout::Entity, payout::Column::TenantId)).eq(tenant.uuid()))
                .and_where(Expr::col((payout::Entity, payout::Column::Id)).eq(total_col("column1")))
                .and_where(
                    Expr::col((payout::Entity, payout::Column::Status))
                        .eq(PayoutStatus::Pending.name()),
                )
                .to_owned();
            changed += self.tx.execute(&q).await.or_store()?.rows_affected();
        }
        Ok(changed)
    }

    async fn discard_payouts(
        &mut self,
        tenant: TenantId,
        ids: &[PayoutId],
    ) -> Result<u64, StoreError> {
        let mut deleted = 0;
        for chunk in ids.chunks(IN_LIST_CHUNK) {
            let uuids = chunk.iter().map(|i| i.uuid());
            // The events of the tenant's pending payouts among `ids`, found through the
            // payouts (by id) and `ix_events_of_payout`; a pending payout holds only approved
            // events (and a paid event cannot lose its payout: a CHECK forbids it).
            let release = Query::update()
                .table(ev::Entity)
                .value(ev::Column::PayoutId, Expr::val(Option::<uuid::Uuid>::None))
                .from(payout::Entity)
                .and_where(
                    Expr::col((ev::Entity, ev::Column::PayoutId))
                        .equals((payout::Entity, payout::Column::Id)),
                )
                .and_where(payout::Column::TenantId.eq(tenant.uuid()))
                .and_where(payout::Column::Id.is_in(uuids.clone()))
                .and_where(payout::Column::Status.eq(PayoutStatus::Pending.name()))
                .to_owned();
            self.tx.execute(&release).await.or_store()?;
            deleted += payout::Entity::delete_many()
                .filter(payout::Column::TenantId.eq(tenant.uuid()))
                .filter(payout::Column::Id.is_in(uuids))
                .filter(payout::Column::Status.eq(PayoutStatus::Pending.name()))
                .exec(&self.tx)
                .await
                .or_store()?
                .rows_affected;
        }
        Ok(deleted)
    }

    async fn lock_payout(
        &mut self,
        tenant: TenantId,
        id: PayoutId,
    ) -> Result<Option<Payout>, StoreError> {
        // Touching `updated_at` takes the row lock; the real value is written by `update_payout`.
        let r = payout::Entity::update_many()
            .col_expr(
                payout::Column::UpdatedAt,
                Expr::col(payout::Column::UpdatedAt),
            )
            .filter(payout::Column::Id.eq(id.uuid()))
            .filter(payout::Column::TenantId.eq(tenant.uuid()))
            .exec(&self.tx)
            .await
            .or_store()?;
        if r.rows_affected == 0 {
            return Ok(None);
        }
        read::payout(&self.tx, tenant, id).await
    }

    async fn update_payout(&mut self, p: &Payout, from: PayoutStatus) -> Result<bool, StoreError> {
        let r = payout::Entity::update_many()
            .col_expr(payout::Column::Status, Expr::val(p.status.name()))
            .col_expr(payout::Column::TotalMinor, Expr::val(p.total.minor()))
            .col_expr(
                payout::Column::CommissionCount,
                Expr::val(i64::from(p.commission_count)),
            )
            .col_expr(
                payout::Column::PaymentReference,
                Expr::val(p.payment_reference.clone()),
            )
            .col_expr(
                payout::Column::FailureReason,
                Expr::val(p.failure_reason.clone()),
            )
            .col_expr(payout::Column::UpdatedAt, Expr::val(micros(p.updated_at)))
            .col_expr(
                payout::Column::CompletedAt,
                Expr::val(p.completed_at.map(micros)),
            )
            .filter(payout::Column::Id.eq(p.id.uuid()))
            .filter(payout::Column::TenantId.eq(p.tenant_id.uuid()))
            .filter(payout::Column::Status.eq(from.name()))
            .exec(&self.tx)
            .await
            .or_store()?;
        Ok(r.rows_affected == 1)
    }

    async fn release_events(&mut self, tenant: TenantId, id: PayoutId) -> Result<u64, StoreError> {
        let r = ev::Entity::update_many()
            .col_expr(ev::Column::PayoutId, Expr::val(Option::<uuid::Uuid>::None))
            .filter(ev::Column::TenantId.eq(tenant.uuid()))
            .filter(ev::Column::PayoutId.eq(id.uuid()))
            .filter(ev::Column::Status.eq(EventStatus::Approved.name()))
            .exec(&self.tx)
            .await
            .or_store()?;
        Ok(r.rows_affected)
    }

    async fn mark_events_paid(
        &mut self,
        tenant: TenantId,
        id: PayoutId,
        at: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        let r = ev::Entity::update_many()
            .col_expr(ev::Column::Status, Expr::val(EventStatus::Paid.name()))
            .col_expr(ev::Column::PaidAt, Expr::val(micros(at)))
            .filter(ev::Column::TenantId.eq(tenant.uuid()))
            .filter(ev::Column::PayoutId.eq(id.uuid()))
            .filter(ev::Column::Status.eq(EventStatus::Approved.name()))
            .exec(&self.tx)
            .await
            .or_store()?;
        Ok(r.rows_affected)
    }

    async fn payable_partners(
        &mut self,
        tenant: TenantId,
        start: Option<OffsetDateTime>,
        end: OffsetDateTime,
    ) -> Result<Vec<(PartnerId, Currency)>, StoreError> {
        let mut q = ev::Entity::find()
            .select_only()
            .column(ev::Column::PartnerId)
            .column(ev::Column::Currency)
            .distinct()
            .filter(ev::Column::TenantId.eq(tenant.uuid()))
            .filter(unclaimed())
            .filter(ev::Column::EventDate.lte(micros(end)));
        if let Some(s) = start {
            q = q.filter(ev::Column::EventDate.gte(micros(s)));
        }
        let rows: Vec<(uuid::Uuid, String)> = q
            .order_by_asc(ev::Column::PartnerId)
            .order_by_asc(ev::Column::Currency)
            .into_tuple()
            .all(&self.tx)
            .await
            .or_store()?;
        rows.into_iter()
            .map(|(p, c)| Ok((PartnerId::from_uuid(p), currency(&c)?)))
            .collect()
    }
}
