//! Conversions between stored rows and domain types. Rows are trusted only as far as the
//! domain's constructors accept them: a row they refuse is reported as corrupt, never guessed.

use std::collections::{BTreeMap, BTreeSet};

use revshare_domain::StoreError;
use revshare_domain::attribution::PartnerAccount;
use revshare_domain::audit::{AuditEntry, AuditRecord};
use revshare_domain::commission::{CommissionEvent, EventStatus, EventType};
use revshare_domain::ingestion::{
    InvoicePayment, PaymentOutcome, PaymentRecord, RefundOutcome, RefundRecord,
};
use revshare_domain::partner::{Partner, PartnerStatus, PartnerTier, PartnerUser, PartnerUserRole};
use revshare_domain::payout::{Payout, PayoutStatus};
use revshare_domain::terms::{CommissionModel, CommissionRule, ModelKind, TermsSource, TierRate};
use revshare_domain::value::{
    Currency, CustomerId, EventId, InvoiceId, Money, PartnerAccountId, PartnerId, PaymentId,
    PayoutId, ProductId, Rate, RefundId, RuleId, TenantId,
};
use sea_orm::ActiveValue::Set;
use time::OffsetDateTime;

use crate::entity::{
    audit_log, commission_event, commission_rule, partner, partner_account, partner_user, payment,
    payout, refund,
};

/// A row that the domain refuses.
pub(crate) fn corrupt(what: &str, detail: impl std::fmt::Display) -> StoreError {
    StoreError::Internal(format!("corrupt {what} row: {detail}"))
}

/// Instants are stored as microseconds since the epoch, UTC.
pub(crate) fn micros(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000).unwrap_or(i64::MAX)
}

pub(crate) fn instant(us: i64) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(us) * 1_000)
        .map_err(|e| corrupt("instant", e))
}

fn opt_instant(us: Option<i64>) -> Result<Option<OffsetDateTime>, StoreError> {
    us.map(instant).transpose()
}

pub(crate) fn currency(code: &str) -> Result<Currency, StoreError> {
    Currency::parse(code).map_err(|e| corrupt("currency", e))
}

pub(crate) fn money(minor: i64, c: Currency) -> Result<Money, StoreError> {
    Money::from_minor(minor, c).map_err(|e| corrupt("amount", e))
}

fn rate(micros: i64) -> Result<Rate, StoreError> {
    Rate::from_micros(micros).map_err(|e| corrupt("rate", e))
}

fn parse<T, E: std::fmt::Display>(what: &str, r: Result<T, E>) -> Result<T, StoreError> {
    r.map_err(|e| corrupt(what, e))
}

fn json<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| corrupt(what, e))
}

fn to_json<T: serde::Serialize>(v: &T) -> String {
    // Serialising plain maps, lists and strings cannot fail.
    serde_json::to_string(v).unwrap_or_default()
}

/// The stored columns of a commission model.
pub(crate) struct ModelColumns {
    pub kind: String,
    pub rate_micros: Option<i64>,
    pub fee_minor: Option<i64>,
    pub fee_currency: Option<String>,
    pub tiers: Option<String>,
}

pub(crate) fn model_columns(m: &CommissionModel) -> ModelColumns {
    let (rate_micros, tiers) = match m {
        CommissionModel::RevenueShare { rate } | CommissionModel::Hybrid { rate, .. } => {
            (Some(rate.micros()), None)
        }
        CommissionModel::FlatFee { .. } => (None, None),
        CommissionModel::Tiered { tiers } => (None, Some(to_json(tiers))),
    };
    let fee = m.fee();
    ModelColumns {
        kind: m.kind().name().to_owned(),
        rate_micros,
        fee_minor: fee.map(|f| f.minor()),
        fee_currency: fee.map(|f| f.currency().code().to_owned()),
        tiers,
    }
}

fn model_from(c: ModelColumns) -> Result<CommissionModel, StoreError> {
    let fee = || -> Result<Money, StoreError> {
        let cur = currency(c.fee_currency.as_deref().unwrap_or(""))?;
        money(
            c.fee_minor.ok_or_else(|| corrupt("model", "fee missing"))?,
            cur,
        )
    };
    let r = || {
        rate(
            c.rate_micros
                .ok_or_else(|| corrupt("model", "rate missing"))?,
        )
    };
    Ok(match parse("model", ModelKind::parse(&c.kind))? {
        ModelKind::RevenueShare => CommissionModel::RevenueShare { rate: r()? },
        ModelKind::FlatFee => CommissionModel::FlatFee { fee: fee()? },
        ModelKind::Hybrid => CommissionModel::Hybrid {
            fee: fee()?,
            rate: r()?,
        },
        ModelKind::Tiered => {
            let tiers: Vec<TierRate> = json("tiers", c.tiers.as_deref().unwrap_or("[]"))?;
            parse("tiers", CommissionModel::tiered(tiers))?
        }
    })
}

pub(crate) fn partner_from(m: partner::Model) -> Result<Partner, StoreError> {
    let default_terms = match m.default_model {
        None => None,
        Some(kind) => Some(model_from(ModelColumns {
            kind,
            rate_micros: m.default_rate_micros,
            fee_minor: m.default_fee_minor,
            fee_currency: m.default_fee_currency,
            tiers: m.default_tiers,
        })?),
    };
    let minimums: BTreeMap<String, i64> = json("minimum_payouts", &m.minimum_payouts)?;
    let mut minimum_payouts = BTreeMap::new();
    for (code, minor) in minimums {
        let c = currency(&code)?;
        minimum_payouts.insert(c, money(minor, c)?);
    }
    Ok(Partner {
        id: PartnerId::from_uuid(m.id),
        tenant_id: TenantId::from_uuid(m.tenant_id),
        partner_number: m.partner_number,
        name: m.name,
        status: parse("partner", PartnerStatus::parse(&m.status))?,
        tier: parse("partner", PartnerTier::parse(&m.tier))?,
        default_terms,
        hold_days: parse("partner", u32::try_from(m.hold_days))?,
        minimum_payouts,
        contact_email: m.contact_email,
        tax_id: m.tax_id,
        created_at: instant(m.created_at)?,
        updated_at: instant(m.updated_at)?,
    })
}

pub(crate) fn partner_row(p: &Partner) -> partner::ActiveModel {
    let cols = p.default_terms.as_ref().map(model_columns);
    let minimums: BTreeMap<&str, i64> = p
        .minimum_payouts
        .iter()
        .map(|(c, m)| (c.code(), m.minor()))
        .collect();
    partner::ActiveModel {
        id: Set(p.id.uuid()),
        tenant_id: Set(p.tenant_id.uuid()),
        partner_number: Set(p.partner_number.clone()),
        name: Set(p.name.clone()),
        status: Set(p.status.name().to_owned()),
        tier: Set(p.tier.name().to_owned()),
        default_model: Set(cols.as_ref().map(|c| c.kind.clone())),
        default_rate_micros: Set(cols.as_ref().and_then(|c| c.rate_micros)),
        default_fee_minor: Set(cols.as_ref().and_then(|c| c.fee_minor)),
        default_fee_currency: Set(cols.as_ref().and_then(|c| c.fee_currency.clone())),
        default_tiers: Set(cols.as_ref().and_then(|c| c.tiers.clone())),
        hold_days: Set(i32::try_from(p.hold_days).unwrap_or(i32::MAX)),
        minimum_payouts: Set(to_json(&minimums)),
        contact_email: Set(p.contact_email.clone()),
        tax_id: Set(p.tax_id.clone()),
        lock_seq: sea_orm::ActiveValue::NotSet,
        created_at: Set(micros(p.created_at)),
        updated_at: Set(micros(p.updated_at)),
    }
}

pub(crate) fn account_from(m: partner_account::Model) -> Result<PartnerAccount, StoreError> {
    Ok(PartnerAccount {
        id: PartnerAccountId::from_uuid(m.id),
        tenant_id: TenantId::from_uuid(m.tenant_id),
        partner_id: PartnerId::from_uuid(m.partner_id),
        customer_id: parse("account", CustomerId::parse(&m.customer_id))?,
        start: instant(m.start_at)?,
        end: opt_instant(m.end_at)?,
        custom_rate: m.custom_rate_micros.map(rate).transpose()?,
        created_at: instant(m.created_at)?,
    })
}

pub(crate) fn account_row(a: &PartnerAccount) -> partner_account::ActiveModel {
    partner_account::ActiveModel {
        id: Set(a.id.uuid()),
        tenant_id: Set(a.tenant_id.uuid()),
        partner_id: Set(a.partner_id.uuid()),
        customer_id: Set(a.customer_id.to_string()),
        start_at: Set(micros(a.start)),
        end_at: Set(a.end.map(micros)),
        custom_rate_micros: Set(a.custom_rate.map(|r| r.micros())),
        created_at: Set(micros(a.created_at)),
    }
}

pub(crate) fn rule_from(m: commission_rule::Model) -> Result<CommissionRule, StoreError> {
    let model = model_from(ModelColumns {
        kind: m.model,
        rate_micros: m.rate_micros,
        fee_minor: m.fee_minor,
        fee_currency: m.fee_currency,
        tiers: m.tiers,
    })?;
    let products: Vec<String> = json("product_ids", &m.product_ids)?;
    let customers: Vec<String> = json("customer_ids", &m.customer_ids)?;
    let monthly_cap = match (m.cap_minor, m.cap_currency) {
        (Some(minor), Some(code)) => Some(money(minor, currency(&code)?)?),
        _ => None,
    };
    Ok(CommissionRule {
        id: RuleId::from_uuid(m.id),
        tenant_id: TenantId::from_uuid(m.tenant_id),
        partner_id: PartnerId::from_uuid(m.partner_id),
        name: m.name,
        model,
        product_ids: products
            .iter()
            .map(|p| parse("rule", ProductId::parse(p)))
            .collect::<Result<BTreeSet<_>, _>>()?,
        customer_ids: customers
            .iter()
            .map(|c| parse("rule", CustomerId::parse(c)))
            .collect::<Result<BTreeSet<_>, _>>()?,
        effective_from: instant(m.effective_from)?,
        effective_to: opt_instant(m.effective_to)?,
        priority: m.priority,
        max_duration_months: m
            .max_duration_months
            .map(|v| parse("rule", u32::try_from(v)))
            .transpose()?,
        monthly_cap,
        active: m.active,
        created_at: instant(m.created_at)?,
        updated_at: instant(m.updated_at)?,
    })
}

pub(crate) fn rule_row(r: &CommissionRule) -> commission_rule::ActiveModel {
    let c = model_columns(&r.model);
    let products: Vec<&str> = r.product_ids.iter().map(ProductId::as_str).collect();
    let customers: Vec<&str> = r.customer_ids.iter().map(CustomerId::as_str).collect();
    commission_rule::ActiveModel {
        id: Set(r.id.uuid()),
        tenant_id: Set(r.tenant_id.uuid()),
        partner_id: Set(r.partner_id.uuid()),
        name: Set(r.name.clone()),
        model: Set(c.kind),
        rate_micros: Set(c.rate_micros),
        fee_minor: Set(c.fee_minor),
        fee_currency: Set(c.fee_currency),
        tiers: Set(c.tiers),
        product_ids: Set(to_json(&products)),
        customer_ids: Set(to_json(&customers)),
        effective_from: Set(micros(r.effective_from)),
        effective_to: Set(r.effective_to.map(micros)),
        priority: Set(r.priority),
        max_duration_months: Set(r
            .max_duration_months
            .map(|m| i32::try_from(m).unwrap_or(i32::MAX))),
        cap_minor: Set(r.monthly_cap.map(|m| m.minor())),
        cap_currency: Set(r.monthly_cap.map(|m| m.currency().code().to_owned())),
        active: Set(r.active),
        created_at: Set(micros(r.created_at)),
        updated_at: Set(micros(r.updated_at)),
    }
}

pub(crate) fn event_from(m: commission_event::Model) -> Result<CommissionEvent, StoreError> {
    let cur = currency(&m.currency)?;
    Ok(CommissionEvent {
        id: EventId::from_uuid(m.id),
        tenant_id: TenantId::from_uuid(m.tenant_id),
        partner_id: PartnerId::from_uuid(m.partner_id),
        event_type: parse("event", EventType::parse(&m.event_type))?,
        status: parse("event", EventStatus::parse(&m.status))?,
        amount: money(m.amount_minor, cur)?,
        event_date: instant(m.event_date)?,
        payment_id: m
            .payment_id
            .as_deref()
            .map(|p| parse("event", PaymentId::parse(p)))
            .transpose()?,
        refund_id: m
            .refund_id
            .as_deref()
            .map(|p| parse("event", RefundId::parse(p)))
            .transpose()?,
        invoice_id: m
            .invoice_id
            .as_deref()
            .map(|p| parse("event", InvoiceId::parse(p)))
            .transpose()?,
        invoice_number: m.invoice_number,
        customer_id: m
            .customer_id
            .as_deref()
            .map(|p| parse("event", CustomerId::parse(p)))
            .transpose()?,
        base_amount: m.base_minor.map(|v| money(v, cur)).transpose()?,
        rate: m.rate_micros.map(rate).transpose()?,
        fee: m.fee_minor.map(|v| money(v, cur)).transpose()?,
        rule_id: m.rule_id.map(RuleId::from_uuid),
        terms_source: TermsSource::parse(&m.terms_source)
            .ok_or_else(|| corrupt("event", "terms_source"))?,
        original_event_id: m.original_event_id.map(EventId::from_uuid),
        hold_until: opt_instant(m.hold_until)?,
        payout_id: m.payout_id.map(PayoutId::from_uuid),
        approved_at: opt_instant(m.approved_at)?,
        paid_at: opt_instant(m.paid_at)?,
        rejected_at: opt_instant(m.rejected_at)?,
        rejection_reason: m.rejection_reason,
        note: m.note,
        created_by: m.created_by,
        created_at: instant(m.created_at)?,
    })
}

pub(crate) fn event_row(e: &CommissionEvent) -> commission_event::ActiveModel {
    commission_event::ActiveModel {
        id: Set(e.id.uuid()),
        tenant_id: Set(e.tenant_id.uuid()),
        partner_id: Set(e.partner_id.uuid()),
        event_type: Set(e.event_type.name().to_owned()),
        status: Set(e.status.name().to_owned()),
        amount_minor: Set(e.amount.minor()),
        currency: Set(e.amount.currency().code().to_owned()),
        event_date: Set(micros(e.event_date)),
        payment_id: Set(e.payment_id.as_ref().map(ToString::to_string)),
        refund_id: Set(e.refund_id.as_ref().map(ToString::to_string)),
        invoice_id: Set(e.invoice_id.as_ref().map(ToString::to_string)),
        invoice_number: Set(e.invoice_number.clone()),
        customer_id: Set(e.customer_id.as_ref().map(ToString::to_string)),
        base_minor: Set(e.base_amount.map(|m| m.minor())),
        rate_micros: Set(e.rate.map(|r| r.micros())),
        fee_minor: Set(e.fee.map(|m| m.minor())),
        rule_id: Set(e.rule_id.map(|r| r.uuid())),
        terms_source: Set(e.terms_source.name().to_owned()),
        original_event_id: Set(e.original_event_id.map(|r| r.uuid())),
        hold_until: Set(e.hold_until.map(micros)),
        payout_id: Set(e.payout_id.map(|r| r.uuid())),
        approved_at: Set(e.approved_at.map(micros)),
        paid_at: Set(e.paid_at.map(micros)),
        rejected_at: Set(e.rejected_at.map(micros)),
        rejection_reason: Set(e.rejection_reason.clone()),
        note: Set(e.note.clone()),
        created_by: Set(e.created_by.clone()),
        created_at: Set(micros(e.created_at)),
    }
}

pub(crate) fn payout_from(m: payout::Model) -> Result<Payout, StoreError> {
    let cur = currency(&m.currency)?;
    Ok(Payout {
        id: PayoutId::from_uuid(m.id),
        tenant_id: TenantId::from_uuid(m.tenant_id),
        partner_id: PartnerId::from_uuid(m.partner_id),
        total: money(m.total_minor, cur)?,
        commission_count: parse("payout", u32::try_from(m.commission_count))?,
        status: parse("payout", PayoutStatus::parse(&m.status))?,
        period_start: opt_instant(m.period_start)?,
        period_end: instant(m.period_end)?,
        payment_method: m.payment_method,
        payment_reference: m.payment_reference,
        failure_reason: m.failure_reason,
        created_by: m.created_by,
        created_at: instant(m.created_at)?,
        updated_at: instant(m.updated_at)?,
        completed_at: opt_instant(m.completed_at)?,
    })
}

pub(crate) fn payout_row(p: &Payout) -> payout::ActiveModel {
    payout::ActiveModel {
        id: Set(p.id.uuid()),
        tenant_id: Set(p.tenant_id.uuid()),
        partner_id: Set(p.partner_id.uuid()),
        currency: Set(p.total.currency().code().to_owned()),
        total_minor: Set(p.total.minor()),
        commission_count: Set(i64::from(p.commission_count)),
        status: Set(p.status.name().to_owned()),
        period_start: Set(p.period_start.map(micros)),
        period_end: Set(micros(p.period_end)),
        payment_method: Set(p.payment_method.clone()),
        payment_reference: Set(p.payment_reference.clone()),
        failure_reason: Set(p.failure_reason.clone()),
        created_by: Set(p.created_by.clone()),
        created_at: Set(micros(p.created_at)),
        updated_at: Set(micros(p.updated_at)),
        completed_at: Set(p.completed_at.map(micros)),
    }
}

pub(crate) fn payment_from(m: payment::Model) -> Result<PaymentRecord, StoreError> {
    let cur = currency(&m.currency)?;
    let products: Vec<String> = json("product_ids", &m.product_ids)?;
    Ok(PaymentRecord {
        tenant_id: TenantId::from_uuid(m.tenant_id),
        payment: InvoicePayment {
            payment_id: parse("payment", PaymentId::parse(&m.payment_id))?,
            invoice_id: parse("payment", InvoiceId::parse(&m.invoice_id))?,
            invoice_number: m.invoice_number,
            customer_id: parse("payment", CustomerId::parse(&m.customer_id))?,
            amount: money(m.amount_minor, cur)?,
            paid_at: instant(m.paid_at)?,
            product_ids: products
                .iter()
                .map(|p| parse("payment", ProductId::parse(p)))
                .collect::<Result<_, _>>()?,
        },
        outcome: parse("payment", PaymentOutcome::parse(&m.outcome))?,
        partner_id: m.partner_id.map(PartnerId::from_uuid),
        event_id: m.event_id.map(EventId::from_uuid),
        recorded_at: instant(m.recorded_at)?,
    })
}

pub(crate) fn payment_row(r: &PaymentRecord) -> payment::ActiveModel {
    let p = &r.payment;
    let products: Vec<&str> = p.product_ids.iter().map(ProductId::as_str).collect();
    payment::ActiveModel {
        tenant_id: Set(r.tenant_id.uuid()),
        payment_id: Set(p.payment_id.to_string()),
        invoice_id: Set(p.invoice_id.to_string()),
        invoice_number: Set(p.invoice_number.clone()),
        customer_id: Set(p.customer_id.to_string()),
        amount_minor: Set(p.amount.minor()),
        currency: Set(p.amount.currency().code().to_owned()),
        paid_at: Set(micros(p.paid_at)),
        product_ids: Set(to_json(&products)),
        outcome: Set(r.outcome.name().to_owned()),
        partner_id: Set(r.partner_id.map(|x| x.uuid())),
        event_id: Set(r.event_id.map(|x| x.uuid())),
        recorded_at: Set(micros(r.recorded_at)),
    }
}

pub(crate) fn refund_from(m: refund::Model) -> Result<RefundRecord, StoreError> {
    let cur = currency(&m.currency)?;
    Ok(RefundRecord {
        tenant_id: TenantId::from_uuid(m.tenant_id),
        refund_id: parse("refund", RefundId::parse(&m.refund_id))?,
        payment_id: parse("refund", PaymentId::parse(&m.payment_id))?,
        amount: money(m.amount_minor, cur)?,
        refunded_at: instant(m.refunded_at)?,
        outcome: parse("refund", RefundOutcome::parse(&m.outcome))?,
        event_id: m.event_id.map(EventId::from_uuid),
        recorded_at: instant(m.recorded_at)?,
    })
}

pub(crate) fn refund_row(r: &RefundRecord) -> refund::ActiveModel {
    refund::ActiveModel {
        tenant_id: Set(r.tenant_id.uuid()),
        refund_id: Set(r.refund_id.to_string()),
        payment_id: Set(r.payment_id.to_string()),
        amount_minor: Set(r.amount.minor()),
        currency: Set(r.amount.currency().code().to_owned()),
        refunded_at: Set(micros(r.refunded_at)),
        outcome: Set(r.outcome.name().to_owned()),
        event_id: Set(r.event_id.map(|x| x.uuid())),
        recorded_at: Set(micros(r.recorded_at)),
    }
}

pub(crate) fn audit_row(r: &AuditRecord) -> audit_log::ActiveModel {
    audit_log::ActiveModel {
        id: Set(r.id),
        tenant_id: Set(r.tenant_id.uuid()),
        actor: Set(r.actor.clone()),
        action: Set(r.action.to_owned()),
        target_type: Set(r.target_type.to_owned()),
        target_id: Set(r.target_id.chars().take(128).collect()),
        before: Set(r.before.as_ref().map(to_json)),
        after: Set(r.after.as_ref().map(to_json)),
        at: Set(micros(r.at)),
    }
}

pub(crate) fn audit_from(m: audit_log::Model) -> Result<AuditEntry, StoreError> {
    Ok(AuditEntry {
        id: m.id,
        actor: m.actor,
        action: m.action,
        target_type: m.target_type,
        target_id: m.target_id,
        before: m.before,
        after: m.after,
        at: instant(m.at)?,
    })
}

pub(crate) fn partner_user_row(u: &PartnerUser, password_hash: &str) -> partner_user::ActiveModel {
    partner_user::ActiveModel {
        id: Set(u.id.uuid()),
        tenant_id: Set(u.tenant_id.uuid()),
        partner_id: Set(u.partner_id.uuid()),
        email: Set(u.email.clone()),
        name: Set(u.name.clone()),
        role: Set(u.role.name().to_owned()),
        password_hash: Set(Some(password_hash.to_owned())),
        created_at: Set(micros(u.created_at)),
    }
}

pub(crate) fn partner_user_from(m: partner_user::Model) -> Result<PartnerUser, StoreError> {
    Ok(PartnerUser {
        id: revshare_domain::value::PartnerUserId::from_uuid(m.id),
        tenant_id: TenantId::from_uuid(m.tenant_id),
        partner_id: PartnerId::from_uuid(m.partner_id),
        email: m.email,
        name: m.name,
        role: parse("partner user", PartnerUserRole::parse(&m.role))?,
        created_at: instant(m.created_at)?,
    })
}
