//! Parsers of outside input fed hostile text: `Money::parse` / `Money::from_input`,
//! `Currency::parse`, `Rate::parse`, `PageRequest::new`, `Cursor::parse`, `ListRequest::new`,
//! the external and UUID ids, and the instant helpers. None may panic on anything; what they accept must be exactly what they
//! promise.

use proptest::prelude::*;
use revshare_domain::query::{
    CURSOR_LEN, Cursor, DEFAULT_PAGE_LIMIT, ListRequest, MAX_OFFSET, MAX_PAGE_LIMIT, PageRequest,
};
use revshare_domain::value::{
    Currency, CustomerId, InvoiceId, MAX_EXTERNAL_ID_LEN, MAX_MINOR_UNITS, Money, PartnerId,
    PaymentId, PayoutId, ProductId, RATE_DECIMALS, Rate, RefundId, add_months, check_instant,
    start_of_day, start_of_month,
};
use rust_decimal::Decimal;
use time::{OffsetDateTime, UtcOffset};

use crate::any_currency;

/// Text shaped like a decimal (digits, signs, points, exponents, separators, spaces) up to
/// well past the 28 digits a `Decimal` holds, and any text at all.
fn decimalish() -> impl Strategy<Value = String> {
    prop_oneof![
        "[-+ ]?[0-9]{0,32}(\\.[0-9]{0,34})?[ ]?",
        "[-+0-9.eE_, \t]{0,45}",
        "-?[0-9]{1,15}\\.[0-9]{20,30}",
        any::<String>(),
    ]
}

/// Any `Decimal`, from its raw parts: every scale 0–28, every 96-bit mantissa, both signs.
fn any_decimal() -> impl Strategy<Value = Decimal> {
    (
        any::<u32>(),
        any::<u32>(),
        any::<u32>(),
        any::<bool>(),
        0u32..=28,
    )
        .prop_map(|(lo, mid, hi, negative, scale)| {
            Decimal::from_parts(lo, mid, hi, negative, scale)
        })
}

/// Text with control characters, spaces at the ends, multi-byte characters and lengths
/// around the 128-byte bound.
fn id_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ \t\n\r\u{0}\u{7f}\u{85}a-z0-9_é€😀-]{0,140}",
        "[a-z]{120,135}",
        "[€😀]{30,40}",
    ]
}

/// Any instant the `time` crate can hold, at any offset.
fn any_instant() -> impl Strategy<Value = OffsetDateTime> {
    let min = time::Date::MIN.midnight().assume_utc().unix_timestamp();
    let max = time::Date::MAX.midnight().assume_utc().unix_timestamp();
    (min..=max, -86_399i32..=86_399).prop_map(|(ts, offset)| {
        let at = OffsetDateTime::from_unix_timestamp(ts).unwrap_or(OffsetDateTime::UNIX_EPOCH);
        // The same local wall time at another offset; stays in range or is skipped.
        at.replace_offset(UtcOffset::from_whole_seconds(offset).unwrap_or(UtcOffset::UTC))
    })
}

/// Text shaped like a cursor: any text, base64url-ish text around the 34-character length,
/// text that decodes to version 1 with valid unused bits (mostly valid cursors), and valid
/// cursors with one character changed.
fn cursorish() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[A-Za-z0-9_=+/-]{0,40}",
        "A[Q-f][A-Za-z0-9_-]{31}[AQgw]",
        (
            any::<i64>(),
            any::<u128>(),
            0usize..CURSOR_LEN,
            any::<char>()
        )
            .prop_map(|(micros, id, at, c)| {
                let at_micros = micros % 200_000_000_000_000_000;
                let t = OffsetDateTime::from_unix_timestamp_nanos(i128::from(at_micros) * 1_000)
                    .unwrap_or(OffsetDateTime::UNIX_EPOCH);
                let mut chars: Vec<char> = Cursor::new(t, uuid::Uuid::from_u128(id))
                    .to_string()
                    .chars()
                    .collect();
                chars[at] = c;
                chars.into_iter().collect()
            }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3_000))]

    /// Any text as a cursor: never a panic; an accepted cursor is 34 base64url characters
    /// and prints back as exactly the text (one spelling per position); a refusal names
    /// `cursor`.
    #[test]
    fn cursor_parse_takes_any_text(text in cursorish()) {
        match Cursor::parse(&text) {
            Ok(c) => {
                prop_assert_eq!(text.len(), CURSOR_LEN);
                prop_assert_eq!(c.to_string(), text);
            }
            Err(e) => {
                prop_assert_eq!(e.fields.len(), 1);
                prop_assert_eq!(e.fields[0].field.as_str(), "cursor");
            }
        }
    }

    /// Every position a row can have survives its text: instant to the microsecond, and id.
    #[test]
    fn cursors_round_trip(at in any_instant(), id in any::<u128>()) {
        let c = Cursor::new(at, uuid::Uuid::from_u128(id));
        prop_assert_eq!(i128::from(c.at_micros()), at.unix_timestamp_nanos() / 1_000);
        prop_assert_eq!(Cursor::parse(&c.to_string()).unwrap(), c);
    }

    /// Any paging parameters: never a panic; a cursor together with an offset is refused, and
    /// otherwise the verdict on limit and offset is `PageRequest::new`'s.
    #[test]
    fn list_request_takes_any_parameters(
        limit in prop::option::of(prop_oneof![any::<i64>(), -2i64..=502]),
        offset in prop::option::of(prop_oneof![any::<i64>(), -2i64..=2]),
        cursor in prop::option::of(cursorish()),
    ) {
        let r = ListRequest::new(limit, offset, cursor.as_deref());
        match cursor.as_deref().filter(|c| !c.is_empty()) {
            None => prop_assert_eq!(
                r.map_err(|e| e.fields),
                PageRequest::new(limit, offset).map(ListRequest::Offset).map_err(|e| e.fields)
            ),
            Some(c) => {
                let valid = offset.is_none()
                    && PageRequest::new(limit, None).is_ok()
                    && Cursor::parse(c).is_ok();
                prop_assert_eq!(r.is_ok(), valid);
                if offset.is_some() {
                    let e = r.unwrap_err();
                    prop_assert_eq!(e.fields[0].field.as_str(), "cursor");
                }
            }
        }
    }

    /// Any text in any currency: never a panic; an accepted amount is exact in the minor unit,
    /// within the bound, equal to the text's value, and prints back to itself.
    #[test]
    fn money_parse_takes_any_text(text in decimalish(), currency in any_currency()) {
        let Ok(m) = Money::parse(&text, currency) else { return Ok(()) };
        let e = currency.exponent();
        prop_assert!(m.minor().unsigned_abs() <= MAX_MINOR_UNITS.unsigned_abs());
        prop_assert_eq!(m.amount().scale(), e);
        prop_assert_eq!(m.amount(), Decimal::new(m.minor(), e));
        prop_assert_eq!(m.currency(), currency);
        // The value is the text's, exactly (no rounding happened).
        let written: Decimal = text.trim().parse().unwrap();
        prop_assert_eq!(m.amount(), written);
        // And it round-trips through its plain form.
        let back = Money::parse(&m.to_plain_string(), currency).unwrap();
        prop_assert_eq!(back, m);
    }

    /// Any decimal: never a panic; accepted exactly when it has no more decimals than the
    /// currency (trailing zeros aside) and is within the bound, and then unchanged in value.
    #[test]
    fn money_from_input_takes_any_decimal(d in any_decimal(), currency in any_currency()) {
        let e = currency.exponent();
        let exact = d.normalize().scale() <= e;
        let in_bound = d.abs() <= Decimal::new(MAX_MINOR_UNITS, e);
        match Money::from_input(d, currency) {
            Ok(m) => {
                prop_assert!(exact && in_bound, "{} {} accepted", d, currency);
                prop_assert_eq!(m.amount(), d);
                prop_assert_eq!(m.amount().scale(), e);
                prop_assert_eq!(Decimal::new(m.minor(), e), d);
            }
            Err(_) => prop_assert!(!exact || !in_bound, "{} {} refused", d, currency),
        }
    }

    /// One significant decimal past the minor unit is always refused, even 30 places out;
    /// trailing zeros there are not.
    #[test]
    fn too_many_decimals_are_refused(
        whole in 0u64..=9_999_999_999,
        places in 1usize..=30,
        digit in 1u8..=9,
        currency in any_currency(),
    ) {
        let e = currency.exponent() as usize;
        let zeros = "0".repeat(e + places - 1);
        let inexact = format!("{whole}.{zeros}{digit}");
        prop_assert!(Money::parse(&inexact, currency).is_err(), "{} accepted", inexact);
        let padded = format!("{whole}.{}", "0".repeat(e + places));
        // 30 trailing zeros may not fit a Decimal's 28 places: refused or exact, never rounded.
        if let Ok(m) = Money::parse(&padded, currency) {
            prop_assert_eq!(m.amount(), Decimal::from(whole));
        }
    }

    /// Any text: never a panic; only the table's exact three-letter codes are currencies.
    #[test]
    fn currency_parse_takes_any_text(text in prop_oneof![any::<String>(), "[A-Za-z ]{0,4}"]) {
        if let Ok(c) = Currency::parse(&text) {
            prop_assert_eq!(c.code(), text.as_str());
            prop_assert!(text.len() == 3 && text.bytes().all(|b| b.is_ascii_uppercase()));
            prop_assert!(c.exponent() <= 3);
            prop_assert!(Currency::all().any(|k| k == c));
            let json = serde_json::to_string(&c).unwrap();
            prop_assert_eq!(serde_json::from_str::<Currency>(&json).unwrap(), c);
        }
    }

    /// Any text: never a panic; an accepted rate is in [0, 1] with at most six decimals and
    /// equals the text's value.
    #[test]
    fn rate_parse_takes_any_text(text in decimalish()) {
        let Ok(r) = Rate::parse(&text) else { return Ok(()) };
        prop_assert!(r.value() >= Decimal::ZERO && r.value() <= Decimal::ONE);
        prop_assert!(r.value().scale() <= RATE_DECIMALS);
        prop_assert!((0..=1_000_000).contains(&r.micros()));
        let written: Decimal = text.trim().parse().unwrap();
        prop_assert_eq!(r.value(), written.abs());
        prop_assert_eq!(Rate::parse(&r.to_string()).unwrap(), r);
    }

    /// Any pair of `i64`s: never a panic; accepted exactly within 1–500 and 0–10,000,000.
    #[test]
    fn page_request_takes_any_numbers(
        limit in prop::option::of(prop_oneof![any::<i64>(), -2i64..=502]),
        offset in prop::option::of(prop_oneof![any::<i64>(), -2i64..=2, 9_999_998i64..=10_000_002]),
    ) {
        let want_limit = limit.unwrap_or(i64::from(DEFAULT_PAGE_LIMIT));
        let want_offset = offset.unwrap_or(0);
        let valid = (1..=i64::from(MAX_PAGE_LIMIT)).contains(&want_limit)
            && (0..=i64::try_from(MAX_OFFSET).unwrap()).contains(&want_offset);
        match PageRequest::new(limit, offset) {
            Ok(p) => {
                prop_assert!(valid);
                prop_assert_eq!(i64::from(p.limit), want_limit);
                prop_assert_eq!(i64::try_from(p.offset).unwrap(), want_offset);
            }
            Err(e) => {
                prop_assert!(!valid);
                prop_assert!(e.fields.iter().all(|f| f.field == "limit" || f.field == "offset"));
            }
        }
    }

    /// Any text as any external id: never a panic; accepted ids are the text itself, 1–128
    /// bytes, without control characters or surrounding whitespace.
    #[test]
    fn external_ids_take_any_text(text in id_text()) {
        let results = [
            PaymentId::parse(&text).map(|i| i.as_str().to_owned()),
            RefundId::parse(&text).map(|i| i.as_str().to_owned()),
            InvoiceId::parse(&text).map(|i| i.as_str().to_owned()),
            CustomerId::parse(&text).map(|i| i.as_str().to_owned()),
            ProductId::parse(&text).map(|i| i.as_str().to_owned()),
        ];
        let valid = !text.is_empty()
            && text.len() <= MAX_EXTERNAL_ID_LEN
            && text.trim() == text
            && !text.chars().any(char::is_control);
        for r in results {
            match r {
                Ok(id) => {
                    prop_assert!(valid, "{:?} accepted", text);
                    prop_assert_eq!(&id, &text);
                    prop_assert!((1..=MAX_EXTERNAL_ID_LEN).contains(&id.chars().count()));
                }
                Err(e) => {
                    prop_assert!(!valid, "{:?} refused", text);
                    prop_assert_eq!(e.fields.len(), 1);
                }
            }
        }
        // Through JSON, the same verdict.
        let json = serde_json::to_string(&text).unwrap();
        prop_assert_eq!(serde_json::from_str::<PaymentId>(&json).is_ok(), valid);
    }

    /// Any text as a UUID id: never a panic; accepted ids print back as the same UUID.
    #[test]
    fn uuid_ids_take_any_text(
        text in prop_oneof![any::<String>(), "[0-9a-fA-F{}-]{30,40}", "[ ]?[0-9a-f]{32}[ ]?"],
    ) {
        if let Ok(id) = PartnerId::parse(&text) {
            prop_assert_eq!(PartnerId::parse(&id.to_string()).unwrap(), id);
            prop_assert_eq!(PayoutId::parse(&text).unwrap().uuid(), id.uuid());
        } else {
            prop_assert!(PayoutId::parse(&text).is_err());
        }
    }

    /// Any instant the calendar holds, at any offset: the range check and the calendar helpers
    /// never panic, and what passes the check is in range and in UTC.
    #[test]
    fn instants_at_any_offset_never_panic(at in any_instant(), months in any::<u32>()) {
        if let Ok(t) = check_instant("at", at) {
            prop_assert_eq!(t, at);
            prop_assert_eq!(t.offset(), UtcOffset::UTC);
        }
        let day = start_of_day(at);
        prop_assert_eq!(day.offset(), UtcOffset::UTC);
        let month = start_of_month(at);
        prop_assert!(month <= day);
        prop_assert!(add_months(at, months) >= month);
    }
}
