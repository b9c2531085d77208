//! Creating and changing commission rules.

use std::collections::BTreeSet;

use time::OffsetDateTime;

use crate::audit::Snapshot;
use crate::error::{DomainError, Validator};
use crate::terms::{CommissionModel, CommissionRule, MAX_DURATION_MONTHS, MAX_SCOPE_IDS};
use crate::usecase::{Actor, Engine, required_text};
use crate::value::{CustomerId, Money, PartnerId, ProductId, RuleId, TenantId};

/// The fields of a rule an operator sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleDraft {
    /// The partner paid.
    pub partner_id: PartnerId,
    /// Name.
    pub name: String,
    /// Model.
    pub model: CommissionModel,
    /// Product scope.
    pub product_ids: BTreeSet<ProductId>,
    /// Customer scope.
    pub customer_ids: BTreeSet<CustomerId>,
    /// Window start.
    pub effective_from: OffsetDateTime,
    /// Window end (exclusive).
    pub effective_to: Option<OffsetDateTime>,
    /// Priority (−1,000,000 to 1,000,000).
    pub priority: i32,
    /// Duration limit in months (1–1,200).
    pub max_duration_months: Option<u32>,
    /// Monthly cap (> 0).
    pub monthly_cap: Option<Money>,
    /// Whether the rule may be chosen.
    pub active: bool,
}

fn check(d: &RuleDraft) -> Result<(), crate::error::ValidationError> {
    let mut v = Validator::new();
    v.check(required_text("name", &d.name, 200));
    v.check(crate::value::check_instant(
        "effective_from",
        d.effective_from,
    ));
    if let Some(to) = d.effective_to {
        v.check(crate::value::check_instant("effective_to", to));
    }
    v.ensure(
        d.product_ids.len() <= MAX_SCOPE_IDS,
        "product_ids",
        "at most 1000 product ids",
    );
    v.ensure(
        d.customer_ids.len() <= MAX_SCOPE_IDS,
        "customer_ids",
        "at most 1000 customer ids",
    );
    v.ensure(
        d.effective_to.is_none_or(|to| to > d.effective_from),
        "effective_to",
        "must be after effective_from",
    );
    v.ensure(
        (-1_000_000..=1_000_000).contains(&d.priority),
        "priority",
        "must be between -1000000 and 1000000",
    );
    v.ensure(
        d.max_duration_months
            .is_none_or(|m| (1..=MAX_DURATION_MONTHS).contains(&m)),
        "max_duration_months",
        "must be between 1 and 1200",
    );
    v.ensure(
        d.monthly_cap.is_none_or(|c| c.is_positive()),
        "monthly_cap",
        "must be greater than zero",
    );
    v.ensure(
        d.model.fee().is_none_or(|f| f.is_positive()),
        "fee",
        "must be greater than zero",
    );
    v.finish()
}

impl Engine {
    /// Creates a rule.
    pub async fn create_rule(
        &self,
        tenant: TenantId,
        actor: &Actor,
        draft: RuleDraft,
    ) -> Result<CommissionRule, DomainError> {
        check(&draft)?;
        let now = self.clock.now();
        let rule = CommissionRule {
            id: RuleId::from_uuid(self.ids.new_id()),
            tenant_id: tenant,
            partner_id: draft.partner_id,
            name: draft.name.trim().to_owned(),
            model: draft.model,
            product_ids: draft.product_ids,
            customer_ids: draft.customer_ids,
            effective_from: draft.effective_from,
            effective_to: draft.effective_to,
            priority: draft.priority,
            max_duration_months: draft.max_duration_months,
            monthly_cap: draft.monthly_cap,
            active: draft.active,
            created_at: now,
            updated_at: now,
        };
        let mut tx = self.ledger.begin().await?;
        tx.lock_partner(tenant, rule.partner_id)
            .await?
            .ok_or(DomainError::not_found("partner"))?;
        tx.insert_rule(&rule).await?;
        let record = self.audit(
            tenant,
            actor,
            "rule.create",
            "rule",
            rule.id.to_string(),
            None,
            Some(Snapshot::Rule(Box::new(rule.clone()))),
        );
        tx.insert_audit(&record).await?;
        tx.commit().await?;
        Ok(rule)
    }

    /// Replaces a rule's fields. Events keep the terms they were computed with; a rule never
    /// moves to another partner.
    pub async fn update_rule(
        &self,
        tenant: TenantId,
        actor: &Actor,
        id: RuleId,
        draft: RuleDraft,
    ) -> Result<CommissionRule, DomainError> {
        check(&draft)?;
        let mut tx = self.ledger.begin().await?;
        let old = tx
            .rule(tenant, id)
            .await?
            .ok_or(DomainError::not_found("rule"))?;
        if old.partner_id != draft.partner_id {
            return Err(DomainError::Conflict(
                "a rule cannot move to another partner".into(),
            ));
        }
        // Serialises with ingestion, which reads the partner's rules under this lock.
        tx.lock_partner(tenant, old.partner_id).await?;
        let before = old.clone();
        let rule = CommissionRule {
            name: draft.name.trim().to_owned(),
            model: draft.model,
            product_ids: draft.product_ids,
            customer_ids: draft.customer_ids,
            effective_from: draft.effective_from,
            effective_to: draft.effective_to,
            priority: draft.priority,
            max_duration_months: draft.max_duration_months,
            monthly_cap: draft.monthly_cap,
            active: draft.active,
            updated_at: self.clock.now(),
            ..old
        };
        tx.update_rule(&rule).await?;
        let record = self.audit(
            tenant,
            actor,
            "rule.update",
            "rule",
            rule.id.to_string(),
            Some(Snapshot::Rule(Box::new(before))),
            Some(Snapshot::Rule(Box::new(rule.clone()))),
        );
        tx.insert_audit(&record).await?;
        tx.commit().await?;
        Ok(rule)
    }
}
