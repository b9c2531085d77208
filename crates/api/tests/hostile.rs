//! The API's parsers of outside input fed hostile text: instants (`InstantParam`), amounts
//! (`AmountText`), the CSV writer (formula neutralisation and quoting) and the form decoder
//! of the pages. None may panic on anything; what they accept must be exactly what they
//! promise.

use proptest::prelude::*;
use revshare_api::csv::{Cell, Csv};
use revshare_api::dto::{AmountText, InstantParam, rfc3339};
use revshare_api::web::form;
use revshare_api::web::revenue::period_of;
use rust_decimal::Decimal;
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

/// Text shaped like an instant (digits, dashes, colons, `T`, `Z`, offsets, fractions) and any
/// text at all.
fn instantish() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ ]?[+-]?[0-9]{1,6}-[0-9]{1,2}-[0-9]{1,2}([Tt ][0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(\\.[0-9]{1,12})?([Zz]|[+-][0-9]{2}:[0-9]{2}))?[ ]?",
        "[0-9T:Z.+-]{0,70}",
        // The calendar's edges, where conversions to UTC and day arithmetic overflow.
        prop::sample::select(vec![
            "9999-12-31",
            "9999-12-31T23:59:59Z",
            "9999-12-31T23:59:59-23:59",
            "9999-12-31T23:59:59.999999999-00:01",
            "0000-01-01",
            "0000-01-01T00:00:00+23:59",
            "0000-01-01T00:00:00-23:59",
        ])
        .prop_map(str::to_owned),
    ]
}

/// Any instant the calendar holds, at any offset.
fn any_instant() -> impl Strategy<Value = OffsetDateTime> {
    let min = time::Date::MIN.midnight().assume_utc().unix_timestamp();
    let max = time::Date::MAX.midnight().assume_utc().unix_timestamp();
    (min..=max, 0u32..1_000_000_000, -86_399i32..=86_399).prop_map(|(ts, nanos, offset)| {
        OffsetDateTime::from_unix_timestamp(ts)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
            .replace_nanosecond(nanos)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
            .replace_offset(UtcOffset::from_whole_seconds(offset).unwrap_or(UtcOffset::UTC))
    })
}

/// Text shaped like a decimal, past a Decimal's 28 digits, and any text at all.
fn decimalish() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[-+ ]?[0-9]{0,32}(\\.[0-9]{0,34})?[ ]?",
        "[-+0-9.eE_, \t]{0,45}",
    ]
}

/// Cell text with everything CSV and spreadsheets care about.
fn cell_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[=+@\t\r\n\",; a-z0-9'-]{0,12}",
        "[=+@-][A-Z]{1,5}\\([A-Z0-9:\"]{0,8}\\)",
    ]
}

/// A reference RFC 4180 reader: rows of cells, `\r\n` between rows, quotes doubled inside
/// quoted cells.
fn read_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') if cell.is_empty() => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut cell)),
            (false, '\r') if chars.peek() == Some(&'\n') => {
                chars.next();
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => cell.push(c),
        }
    }
    assert!(!quoted, "unterminated quoted cell in {text:?}");
    assert!(
        cell.is_empty() && row.is_empty(),
        "no final CRLF in {text:?}"
    );
    rows
}

/// What a spreadsheet would run as a formula.
fn starts_a_formula(cell: &str) -> bool {
    cell.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// A reference form decoder: `+` is a space, `%` and two hex digits a byte, anything else
/// itself; bytes that are not UTF-8 become U+FFFD.
fn reference_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'+' {
            out.push(b' ');
        } else if b[i] == b'%'
            && i + 2 < b.len()
            && b[i + 1].is_ascii_hexdigit()
            && b[i + 2].is_ascii_hexdigit()
        {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 2;
        } else {
            out.push(b[i]);
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3_000))]

    /// Any text: never a panic; an accepted instant is in UTC and its RFC 3339 form parses
    /// back to the same instant, through JSON too.
    #[test]
    fn instant_param_takes_any_text(text in instantish()) {
        let Ok(at) = InstantParam::parse(&text) else { return Ok(()) };
        prop_assert_eq!(at.offset(), UtcOffset::UTC);
        let printed = rfc3339(at);
        prop_assert_eq!(InstantParam::parse(&printed).unwrap(), at);
        let json = serde_json::to_string(&text).unwrap();
        let back: InstantParam = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back.0, at);
    }

    /// Any instant at any offset, written in RFC 3339: the same instant in UTC, or refused
    /// when its UTC form leaves the calendar (`9999-12-31T23:00-05:00`); never a panic.
    #[test]
    fn rfc3339_instants_round_trip(at in any_instant()) {
        let Ok(text) = at.format(&Rfc3339) else { return Ok(()) };
        let utc = at.checked_to_offset(UtcOffset::UTC);
        match InstantParam::parse(&text) {
            Ok(parsed) => {
                prop_assert_eq!(parsed, at);
                prop_assert_eq!(parsed.offset(), UtcOffset::UTC);
                // Every accepted instant can be answered in RFC 3339 again.
                prop_assert_eq!(InstantParam::parse(&rfc3339(parsed)).unwrap(), at);
            }
            Err(_) => prop_assert!(
                utc.is_none_or(|u| !(0..=9999).contains(&u.year())),
                "{} refused", text
            ),
        }
    }

    /// Any JSON string as an amount: never a panic; accepted ⇔ it is an exact decimal (no
    /// exponent, no `+`, at most 28 decimals), and the value is the text's.
    #[test]
    fn amount_text_takes_any_string(text in decimalish()) {
        let json = serde_json::to_string(&text).unwrap();
        match serde_json::from_str::<AmountText>(&json) {
            Ok(AmountText(d)) => {
                let t = text.trim();
                prop_assert!(!t.contains(['e', 'E', '_', '+']) && t.len() <= 40);
                prop_assert_eq!(Decimal::from_str_exact(t).unwrap(), d);
                // It serialises to a string that deserialises to the same value.
                let again = serde_json::to_string(&AmountText(d)).unwrap();
                prop_assert_eq!(serde_json::from_str::<AmountText>(&again).unwrap().0, d);
            }
            Err(_) => {
                let t = text.trim();
                let exact = Decimal::from_str_exact(t).is_ok();
                prop_assert!(
                    !exact || t.contains(['e', 'E', '_']) || t.starts_with('+') || t.len() > 40,
                    "{:?} refused", text
                );
            }
        }
    }

    /// JSON numbers are never amounts (they would pass through a float on most clients).
    #[test]
    fn amount_text_refuses_numbers(n in any::<f64>(), i in any::<i64>()) {
        if n.is_finite() {
            prop_assert!(serde_json::from_str::<AmountText>(&n.to_string()).is_err());
        }
        prop_assert!(serde_json::from_str::<AmountText>(&i.to_string()).is_err());
    }

    /// Any outside text in any cell: read back with a reference RFC 4180 reader, every cell is
    /// the text itself, or the text behind one `'` when it would start a formula; no cell
    /// starts a formula. Our own values are written verbatim.
    #[test]
    fn csv_text_cells_never_start_a_formula(
        rows in prop::collection::vec(prop::collection::vec(cell_text(), 1..5), 0..6),
        value in "[0-9.-]{0,8}",
    ) {
        let width = rows.iter().map(Vec::len).max().unwrap_or(1);
        let header: Vec<String> = (0..width).map(|i| format!("c{i}")).collect();
        let header_refs: Vec<&str> = header.iter().map(String::as_str).collect();
        let mut csv = Csv::new(&header_refs);
        for row in &rows {
            let mut cells: Vec<Cell<'_>> = row.iter().map(|t| Cell::Text(t)).collect();
            cells.push(Cell::Value(&value));
            csv.row(&cells);
        }
        let text = csv.finish();
        let read = read_csv(&text);
        prop_assert_eq!(read.len(), rows.len() + 1);
        prop_assert_eq!(&read[0], &header);
        for (written, got) in rows.iter().zip(&read[1..]) {
            prop_assert_eq!(got.len(), written.len() + 1);
            for (w, g) in written.iter().zip(got) {
                prop_assert!(!starts_a_formula(g), "{:?} starts a formula", g);
                if starts_a_formula(w) {
                    prop_assert_eq!(g, &format!("'{w}"));
                } else {
                    prop_assert_eq!(g, w);
                }
            }
            prop_assert_eq!(got.last().unwrap(), &value);
        }
    }

    /// Any form body: never a panic; each pair is decoded like a reference decoder, and no
    /// more than 2,000 fields are kept.
    #[test]
    fn form_pairs_take_any_body(body in prop_oneof![any::<String>(), "[a-z=&%+0-9A-Fé]{0,60}"]) {
        let got = form::pairs(&body);
        let want: Vec<(String, String)> = body
            .split('&')
            .filter(|p| !p.is_empty())
            .take(2_000)
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (reference_decode(k), reference_decode(v))
            })
            .collect();
        prop_assert_eq!(got, want);
    }

    /// The revenue page's custom range takes any text for its dates without panicking (the
    /// day after `to` does not always exist); an accepted period is ordered and in UTC.
    #[test]
    fn revenue_page_periods_take_any_dates(
        from in prop::option::of(instantish()),
        to in prop::option::of(instantish()),
        preset in prop_oneof![Just("custom".to_owned()), Just("last_month".to_owned()), "[a-z_]{0,12}"],
    ) {
        let now = time::macros::datetime!(2026-03-15 12:00 UTC);
        if let Ok(p) = period_of(&preset, from.as_deref(), to.as_deref(), now) {
            prop_assert!(p.start <= p.end);
            prop_assert_eq!(p.end.offset(), UtcOffset::UTC);
        }
    }

    /// Encoded keys and values come back exactly.
    #[test]
    fn form_encoding_round_trips(
        fields in prop::collection::vec((any::<String>(), any::<String>()), 0..8),
    ) {
        let body = fields
            .iter()
            .map(|(k, v)| format!("{}={}", form::encode(k), form::encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        // An empty key and value encode to "=", which is still one (empty) pair.
        prop_assert_eq!(form::pairs(&body), fields);
    }
}

#[test]
fn many_fields_are_cut_at_two_thousand() {
    let body = "a=1&".repeat(5_000);
    assert_eq!(form::pairs(&body).len(), 2_000);
}
