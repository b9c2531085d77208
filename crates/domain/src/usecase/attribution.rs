//! Attributing customers to partners, and ending attributions.

use time::OffsetDateTime;

use crate::attribution::PartnerAccount;
use crate::audit::Snapshot;
use crate::error::{DomainError, ValidationError};
use crate::partner::PartnerStatus;
use crate::usecase::{Actor, Engine};
use crate::value::{CustomerId, PartnerAccountId, PartnerId, Rate, TenantId};

/// What an operator provides to attribute a customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccount {
    /// The partner credited.
    pub partner_id: PartnerId,
    /// The customer.
    pub customer_id: CustomerId,
    /// First instant in force.
    pub start: OffsetDateTime,
    /// First instant no longer in force.
    pub end: Option<OffsetDateTime>,
    /// Custom revenue-share rate.
    pub custom_rate: Option<Rate>,
}

impl Engine {
    /// Attributes a customer to a partner; refuses a window overlapping another attribution of
    /// the same customer (to any partner).
    pub async fn attribute_customer(
        &self,
        tenant: TenantId,
        actor: &Actor,
        input: NewAccount,
    ) -> Result<PartnerAccount, DomainError> {
        crate::value::check_instant("start_date", input.start)?;
        if let Some(end) = input.end {
            crate::value::check_instant("end_date", end)?;
        }
        if input.end.is_some_and(|e| e <= input.start) {
            return Err(ValidationError::new("end_date", "must be after start_date").into());
        }
        let mut tx = self.ledger.begin().await?;
        let partner = tx
            .lock_partner(tenant, input.partner_id)
            .await?
            .ok_or(DomainError::not_found("partner"))?;
        if partner.status == PartnerStatus::Archived {
            return Err(DomainError::Conflict(
                "an archived partner cannot be attributed customers".into(),
            ));
        }
        tx.lock_customer(tenant, &input.customer_id).await?;
        let existing = tx.accounts_of_customer(tenant, &input.customer_id).await?;
        if let Some(o) = existing.iter().find(|a| a.overlaps(input.start, input.end)) {
            return Err(DomainError::Conflict(format!(
                "customer {} is already attributed over an overlapping window (account {})",
                input.customer_id, o.id
            )));
        }
        let account = PartnerAccount {
            id: PartnerAccountId::from_uuid(self.ids.new_id()),
            tenant_id: tenant,
            partner_id: input.partner_id,
            customer_id: input.customer_id,
            start: input.start,
            end: input.end,
            custom_rate: input.custom_rate,
            created_at: self.clock.now(),
        };
        tx.insert_account(&account).await?;
        let record = self.audit(
            tenant,
            actor,
            "account.create",
            "partner_account",
            account.id.to_string(),
            None,
            Some(Snapshot::Account(Box::new(account.clone()))),
        );
        tx.insert_audit(&record).await?;
        tx.commit().await?;
        Ok(account)
    }

    /// Ends an attribution at `end` (it stays in force before `end`). An attribution can only
    /// be shortened, never extended past an end it already has.
    pub async fn end_attribution(
        &self,
        tenant: TenantId,
        actor: &Actor,
        id: PartnerAccountId,
        end: OffsetDateTime,
    ) -> Result<PartnerAccount, DomainError> {
        crate::value::check_instant("end_date", end)?;
        let mut tx = self.ledger.begin().await?;
        let mut account = tx
            .account(tenant, id)
            .await?
            .ok_or(DomainError::not_found("partner account"))?;
        tx.lock_customer(tenant, &account.customer_id).await?;
        if end <= account.start {
            return Err(
                ValidationError::new("end_date", "must be after the attribution's start").into(),
            );
        }
        if account.end.is_some_and(|e| end > e) {
            return Err(DomainError::Conflict(
                "an attribution cannot be extended past its end".into(),
            ));
        }
        tx.end_account(tenant, id, end).await?;
        let before = Snapshot::Account(Box::new(account.clone()));
        let mut after = account.clone();
        after.end = Some(end);
        let record = self.audit(
            tenant,
            actor,
            "account.end",
            "partner_account",
            account.id.to_string(),
            Some(before),
            Some(Snapshot::Account(Box::new(after))),
        );
        tx.insert_audit(&record).await?;
        tx.commit().await?;
        account.end = Some(end);
        Ok(account)
    }
}
