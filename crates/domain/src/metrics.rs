//! Revenue metrics of a partner per currency, and their time series.

use serde::Serialize;
use time::OffsetDateTime;

use crate::value::{Currency, Money, PartnerId, Period, start_of_month};

/// The figures of one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CurrencyMetrics {
    /// The currency of every amount below.
    pub currency: Currency,
    /// Approved and paid events dated in the period.
    pub total_commissions: Money,
    /// Their number.
    pub total_commission_count: u64,
    /// Completed payouts, by `completed_at`, in the period.
    pub total_payouts: Money,
    /// Approved, not yet paid, whether or not claimed by an unfinished payout; as of now.
    pub pending_amount: Money,
    /// Pending (held) events, as of now.
    pub on_hold_amount: Money,
}

/// A partner's revenue metrics for a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RevenueMetrics {
    /// The partner.
    pub partner_id: PartnerId,
    /// The period `[start, end)` of the period-dependent figures.
    pub period: Period,
    /// One entry per currency the partner has any figure in, ordered by code.
    pub currencies: Vec<CurrencyMetrics>,
}

/// Width of a time-series bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Granularity {
    /// UTC days.
    Day,
    /// UTC calendar months.
    Month,
}

/// One bucket of the time series in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SeriesPoint {
    /// First instant of the bucket.
    #[serde(with = "time::serde::rfc3339")]
    pub bucket_start: OffsetDateTime,
    /// The currency.
    pub currency: Currency,
    /// Approved and paid events dated in the bucket.
    pub commissions: Money,
    /// Their number.
    pub commission_count: u64,
    /// Completed payouts in the bucket.
    pub payouts: Money,
}

/// Folds daily points into the requested granularity, keeping order by bucket then currency.
pub fn regroup(daily: Vec<SeriesPoint>, granularity: Granularity) -> Vec<SeriesPoint> {
    if granularity == Granularity::Day {
        return daily;
    }
    let mut out: Vec<SeriesPoint> = Vec::new();
    let mut sorted = daily;
    sorted.sort_by_key(|p| (start_of_month(p.bucket_start), p.currency));
    for p in sorted {
        let bucket = start_of_month(p.bucket_start);
        match out.last_mut() {
            Some(last) if last.bucket_start == bucket && last.currency == p.currency => {
                last.commissions = last
                    .commissions
                    .checked_add(p.commissions)
                    .unwrap_or(last.commissions);
                last.payouts = last.payouts.checked_add(p.payouts).unwrap_or(last.payouts);
                last.commission_count += p.commission_count;
            }
            _ => out.push(SeriesPoint {
                bucket_start: bucket,
                ..p
            }),
        }
    }
    out
}
