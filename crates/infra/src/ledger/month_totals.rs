//! The monthly totals kept by the triggers of the `month_totals` migration — a partner's tier
//! volume and a rule's cap usage per currency and UTC month — and their month key.

use revshare_domain::StoreError;
use revshare_domain::value::Period;
use time::{Date, Month, OffsetDateTime, Time, UtcOffset};

/// One kind of monthly total: its table, key column, value column, and what an
/// `invoice_payment` event adds to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MonthTotal {
    /// `partner_month_volumes`: Σ `base_minor` of a partner's payments.
    Volume,
    /// `rule_month_usages`: Σ `amount_minor` of the payments a rule produced.
    Usage,
}

impl MonthTotal {
    pub(crate) const ALL: [MonthTotal; 2] = [MonthTotal::Volume, MonthTotal::Usage];

    pub(crate) fn table(self) -> &'static str {
        match self {
            MonthTotal::Volume => "partner_month_volumes",
            MonthTotal::Usage => "rule_month_usages",
        }
    }

    /// The partner or the rule.
    pub(crate) fn key(self) -> &'static str {
        match self {
            MonthTotal::Volume => "partner_id",
            MonthTotal::Usage => "rule_id",
        }
    }

    pub(crate) fn value(self) -> &'static str {
        match self {
            MonthTotal::Volume => "base_minor",
            MonthTotal::Usage => "amount_minor",
        }
    }

    /// What one event adds, as the trigger computes it.
    pub(crate) fn adds(self) -> &'static str {
        match self {
            MonthTotal::Volume => "COALESCE(base_minor, 0)",
            MonthTotal::Usage => "amount_minor",
        }
    }
}

/// `year × 12 + month − 1`: the key the totals' triggers compute from an event's date. Only a
/// whole UTC calendar month has one; anything else is a bug of the caller.
pub(crate) fn month_key(month: Period) -> Result<i64, StoreError> {
    if Period::month_of(month.start) != month {
        return Err(StoreError::Internal(format!(
            "monthly totals asked for {month:?}, not a UTC calendar month"
        )));
    }
    let start = month.start.to_offset(UtcOffset::UTC);
    Ok(i64::from(start.year()) * 12 + i64::from(u8::from(start.month())) - 1)
}

/// The UTC calendar month of a key [`month_key`] gave.
pub(crate) fn month_period(key: i64) -> Result<Period, StoreError> {
    let bad = || StoreError::Internal(format!("month key {key} out of range"));
    let year = i32::try_from(key.div_euclid(12)).map_err(|_| bad())?;
    let month = u8::try_from(key.rem_euclid(12) + 1).map_err(|_| bad())?;
    let month = Month::try_from(month).map_err(|_| bad())?;
    let first = Date::from_calendar_date(year, month, 1).map_err(|_| bad())?;
    Ok(Period::month_of(OffsetDateTime::new_utc(
        first,
        Time::MIDNIGHT,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn a_month_key_names_its_month_and_back() {
        for at in [
            datetime!(2000-01-01 00:00 UTC),
            datetime!(2025-12-31 23:59:59.999999 UTC),
            datetime!(2026-02-14 12:00 UTC),
            datetime!(2099-12-31 23:59 UTC),
        ] {
            let month = Period::month_of(at);
            let key = month_key(month).unwrap();
            assert_eq!(month_period(key).unwrap(), month);
        }
        assert_eq!(
            month_key(Period::month_of(datetime!(2026-01-05 00:00 UTC))).unwrap(),
            2026 * 12
        );
    }

    #[test]
    fn only_a_whole_calendar_month_has_a_key() {
        let p = Period::new(
            datetime!(2026-01-01 00:00 UTC),
            datetime!(2026-01-31 00:00 UTC),
        )
        .unwrap();
        assert!(month_key(p).is_err());
    }
}
