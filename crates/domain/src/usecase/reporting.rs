//! Reads: revenue metrics, the time series, and lists of commissions and payouts.

use futures_util::future::try_join;
use time::OffsetDateTime;

use crate::commission::CommissionEvent;
use crate::error::{DomainError, StoreError, ValidationError};
use crate::metrics::{Granularity, RevenueMetrics, SeriesPoint, regroup};
use crate::payout::Payout;
use crate::query::{
    CommissionFilter, MAX_SEARCH_LEN, Page, PageRequest, PayoutFilter, SeekPage, SeekRequest,
};
use crate::usecase::Engine;
use crate::value::{EventId, PartnerId, PayoutId, Period, TenantId};

/// Longest series: 400 days by day, 50 years by month.
const MAX_SERIES_DAYS: i64 = 400;
const MAX_SERIES_MONTH_DAYS: i64 = 50 * 366;

impl Engine {
    /// Resolves the metrics period: defaults to midnight UTC on the 1st of this month until
    /// now; a start after the end is refused.
    pub fn metrics_period(
        &self,
        start: Option<OffsetDateTime>,
        end: Option<OffsetDateTime>,
    ) -> Result<Period, ValidationError> {
        let now = self.clock.now();
        let default = Period::month_to_date(now);
        Period::new(start.unwrap_or(default.start), end.unwrap_or(now))
    }

    /// A partner's revenue metrics per currency.
    pub async fn metrics(
        &self,
        tenant: TenantId,
        partner: PartnerId,
        period: Period,
    ) -> Result<RevenueMetrics, DomainError> {
        let mut currencies = self
            .of_known_partner(
                tenant,
                partner,
                self.ledger.metrics(tenant, partner, period),
            )
            .await?;
        currencies.sort_by_key(|c| c.currency);
        Ok(RevenueMetrics {
            partner_id: partner,
            period,
            currencies,
        })
    }

    /// Commissions and completed payouts per day or month over a period.
    pub async fn series(
        &self,
        tenant: TenantId,
        partner: PartnerId,
        period: Period,
        granularity: Granularity,
    ) -> Result<Vec<SeriesPoint>, DomainError> {
        let days = (period.end - period.start).whole_days();
        let max = if granularity == Granularity::Day {
            MAX_SERIES_DAYS
        } else {
            MAX_SERIES_MONTH_DAYS
        };
        if days > max {
            return Err(ValidationError::new(
                "period_end",
                format!("a {granularity:?} series covers at most {max} days"),
            )
            .into());
        }
        let daily = self
            .of_known_partner(
                tenant,
                partner,
                self.ledger.daily_series(tenant, partner, period),
            )
            .await?;
        Ok(regroup(daily, granularity))
    }

    /// `read` of a partner's figures, sent together with the read of the partner (one round
    /// trip, not two); an unknown partner is not found, whatever `read` answered.
    async fn of_known_partner<T>(
        &self,
        tenant: TenantId,
        partner: PartnerId,
        read: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, DomainError> {
        let (known, figures) = try_join(self.ledger.partner(tenant, partner), read).await?;
        known.ok_or(DomainError::not_found("partner"))?;
        Ok(figures)
    }

    /// A page of commissions, newest first, with the total count.
    pub async fn list_commissions(
        &self,
        tenant: TenantId,
        filter: &CommissionFilter,
        page: PageRequest,
    ) -> Result<Page<CommissionEvent>, DomainError> {
        check_search(filter)?;
        Ok(self.ledger.list_commissions(tenant, filter, page).await?)
    }

    /// A page of commissions after a position, newest first, without a count: its cost does
    /// not grow with the depth of the page.
    pub async fn seek_commissions(
        &self,
        tenant: TenantId,
        filter: &CommissionFilter,
        page: SeekRequest,
    ) -> Result<SeekPage<CommissionEvent>, DomainError> {
        check_search(filter)?;
        Ok(self.ledger.seek_commissions(tenant, filter, page).await?)
    }

    /// One commission; `partner` restricts it to that partner's ledger.
    pub async fn commission(
        &self,
        tenant: TenantId,
        partner: Option<PartnerId>,
        id: EventId,
    ) -> Result<CommissionEvent, DomainError> {
        self.ledger
            .commission(tenant, id)
            .await?
            .filter(|e| partner.is_none_or(|p| e.partner_id == p))
            .ok_or(DomainError::not_found("commission"))
    }

    /// A page of payouts, newest first, with the total count.
    pub async fn list_payouts(
        &self,
        tenant: TenantId,
        filter: &PayoutFilter,
        page: PageRequest,
    ) -> Result<Page<Payout>, DomainError> {
        Ok(self.ledger.list_payouts(tenant, filter, page).await?)
    }

    /// A page of payouts after a position, newest first, without a count.
    pub async fn seek_payouts(
        &self,
        tenant: TenantId,
        filter: &PayoutFilter,
        page: SeekRequest,
    ) -> Result<SeekPage<Payout>, DomainError> {
        Ok(self.ledger.seek_payouts(tenant, filter, page).await?)
    }

    /// One payout; `partner` restricts it to that partner's payouts.
    pub async fn payout(
        &self,
        tenant: TenantId,
        partner: Option<PartnerId>,
        id: PayoutId,
    ) -> Result<Payout, DomainError> {
        self.ledger
            .payout(tenant, id)
            .await?
            .filter(|p| partner.is_none_or(|x| p.partner_id == x))
            .ok_or(DomainError::not_found("payout"))
    }

    /// One rule.
    pub async fn rule(
        &self,
        tenant: TenantId,
        id: crate::value::RuleId,
    ) -> Result<crate::terms::CommissionRule, DomainError> {
        let mut tx = self.ledger.begin().await?;
        tx.rule(tenant, id)
            .await?
            .ok_or(DomainError::not_found("rule"))
    }

    /// A partner's rules, active or not, highest priority first.
    pub async fn rules_of_partner(
        &self,
        tenant: TenantId,
        partner: PartnerId,
    ) -> Result<Vec<crate::terms::CommissionRule>, DomainError> {
        self.partner(tenant, partner).await?;
        Ok(self.ledger.rules_of_partner(tenant, partner).await?)
    }

    /// A partner's attributions, by start.
    pub async fn accounts_of_partner(
        &self,
        tenant: TenantId,
        partner: PartnerId,
    ) -> Result<Vec<crate::attribution::PartnerAccount>, DomainError> {
        self.partner(tenant, partner).await?;
        Ok(self.ledger.accounts_of_partner(tenant, partner).await?)
    }
}

fn check_search(filter: &CommissionFilter) -> Result<(), ValidationError> {
    if filter
        .search
        .as_ref()
        .is_some_and(|s| s.chars().count() > MAX_SEARCH_LEN)
    {
        return Err(ValidationError::new(
            "search",
            format!("at most {MAX_SEARCH_LEN} characters"),
        ));
    }
    Ok(())
}
