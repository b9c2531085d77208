//! Half-open periods of time and the UTC calendar arithmetic the rules rely on.

use serde::Serialize;
use time::{Date, Duration, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

use crate::error::ValidationError;

/// A half-open interval `[start, end)` of instants, both in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Period {
    /// First instant inside the period.
    #[serde(with = "time::serde::rfc3339")]
    pub start: OffsetDateTime,
    /// First instant after the period.
    #[serde(with = "time::serde::rfc3339")]
    pub end: OffsetDateTime,
}

impl Period {
    /// A period; refuses `start > end`.
    pub fn new(start: OffsetDateTime, end: OffsetDateTime) -> Result<Self, ValidationError> {
        if start > end {
            return Err(ValidationError::new(
                "period_start",
                "period_start must not be after period_end",
            ));
        }
        Ok(Period {
            start: utc(start),
            end: utc(end),
        })
    }

    /// True iff `start ≤ at < end`.
    pub fn contains(&self, at: OffsetDateTime) -> bool {
        self.start <= at && at < self.end
    }

    /// The calendar month (UTC) containing `at`.
    pub fn month_of(at: OffsetDateTime) -> Self {
        let start = start_of_month(at);
        Period {
            start,
            end: add_months(start, 1),
        }
    }

    /// The default metrics period: midnight UTC on the 1st of the current month until `now`.
    pub fn month_to_date(now: OffsetDateTime) -> Self {
        Period {
            start: start_of_month(now),
            end: utc(now),
        }
    }
}

/// Earliest instant revshare accepts from outside (2000-01-01T00:00Z).
pub const EARLIEST_INSTANT: OffsetDateTime = time::macros::datetime!(2000-01-01 00:00 UTC);
/// First instant revshare no longer accepts from outside (2100-01-01T00:00Z).
pub const LATEST_INSTANT: OffsetDateTime = time::macros::datetime!(2100-01-01 00:00 UTC);

/// Refuses instants outside `[2000-01-01, 2100-01-01)`: typos such as year 0026 or 20026
/// would otherwise land in every report.
pub fn check_instant(field: &str, at: OffsetDateTime) -> Result<OffsetDateTime, ValidationError> {
    if at < EARLIEST_INSTANT || at >= LATEST_INSTANT {
        return Err(ValidationError::new(
            field,
            "must be between 2000-01-01 and 2099-12-31 (UTC)",
        ));
    }
    Ok(at.to_offset(UtcOffset::UTC))
}

/// `at` in UTC; an instant whose UTC form is beyond the calendar's range (years ±9999)
/// saturates to its end instead of panicking.
fn utc(at: OffsetDateTime) -> OffsetDateTime {
    at.checked_to_offset(UtcOffset::UTC).unwrap_or_else(|| {
        if at.offset().is_negative() {
            Date::MAX.with_time(Time::MAX).assume_utc()
        } else {
            midnight(Date::MIN)
        }
    })
}

/// Midnight UTC of the day of `at`.
pub fn start_of_day(at: OffsetDateTime) -> OffsetDateTime {
    utc(at).replace_time(Time::MIDNIGHT)
}

/// Midnight UTC on the 1st of the month of `at`.
pub fn start_of_month(at: OffsetDateTime) -> OffsetDateTime {
    let d = utc(at).date();
    midnight(Date::from_calendar_date(d.year(), d.month(), 1).unwrap_or(d))
}

/// Midnight UTC of a date: a bare date in revshare means this instant.
pub fn midnight(date: Date) -> OffsetDateTime {
    PrimitiveDateTime::new(date, Time::MIDNIGHT).assume_utc()
}

/// Adds calendar months, clamping the day to the end of the target month
/// (Jan 31 + 1 month = Feb 28/29). Time of day is kept.
pub fn add_months(at: OffsetDateTime, months: u32) -> OffsetDateTime {
    let at = utc(at);
    let d = at.date();
    let total = i64::from(d.year()) * 12 + i64::from(u8::from(d.month()) - 1) + i64::from(months);
    let year = i32::try_from(total.div_euclid(12)).unwrap_or(i32::MAX);
    let month_index = u8::try_from(total.rem_euclid(12)).unwrap_or(0) + 1;
    let month = Month::try_from(month_index).unwrap_or(Month::January);
    let day = d.day().min(month.length(year));
    match Date::from_calendar_date(year, month, day) {
        Ok(date) => PrimitiveDateTime::new(date, at.time()).assume_utc(),
        // Beyond year 9999: saturate; no window of revshare reaches that far.
        Err(_) => at
            .checked_add(Duration::days(36_500))
            .unwrap_or_else(|| Date::MAX.with_time(Time::MAX).assume_utc()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn months_clamp_to_month_end() {
        assert_eq!(
            add_months(datetime!(2025-01-31 10:00 UTC), 1),
            datetime!(2025-02-28 10:00 UTC)
        );
        assert_eq!(
            add_months(datetime!(2024-01-31 00:00 UTC), 1),
            datetime!(2024-02-29 00:00 UTC)
        );
        assert_eq!(
            add_months(datetime!(2025-11-15 00:00 UTC), 3),
            datetime!(2026-02-15 00:00 UTC)
        );
        assert_eq!(
            add_months(datetime!(2025-03-31 00:00 UTC), 0),
            datetime!(2025-03-31 00:00 UTC)
        );
    }

    #[test]
    fn default_period_starts_at_midnight_on_the_first() {
        let p = Period::month_to_date(datetime!(2025-09-17 14:30:12 UTC));
        assert_eq!(p.start, datetime!(2025-09-01 00:00 UTC));
        assert_eq!(p.end, datetime!(2025-09-17 14:30:12 UTC));
    }

    #[test]
    fn periods_are_half_open_and_ordered() {
        let p = Period::month_of(datetime!(2025-12-31 23:59:59 UTC));
        assert_eq!(p.end, datetime!(2026-01-01 00:00 UTC));
        assert!(p.contains(p.start) && !p.contains(p.end));
        assert!(Period::new(p.end, p.start).is_err());
    }
}
