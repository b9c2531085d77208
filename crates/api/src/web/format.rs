//! How amounts, rates and dates look on a page: always with their currency and exactly the
//! currency's decimals.

use revshare_domain::value::Money;
use time::OffsetDateTime;

/// `1,234,567.5` for `1234567.5`.
pub fn grouped(plain: &str) -> String {
    let (sign, digits) = plain.strip_prefix('-').map_or(("", plain), |d| ("-", d));
    let (int, frac) = digits
        .split_once('.')
        .map_or((digits, None), |(i, f)| (i, Some(f)));
    let mut out = String::from(sign);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

/// `1 commission`, `3 commissions`.
pub fn plural(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// `12,500.50 USD`, `-5.00 USD`, `100 JPY`.
pub fn money(m: &Money) -> String {
    amount(&m.to_plain_string(), m.currency().code())
}

/// Groups the integer digits of a plain decimal string and appends the currency.
pub fn amount(plain: &str, currency: &str) -> String {
    format!("{} {currency}", grouped(plain))
}

/// `2026-03-01`.
pub fn date(t: OffsetDateTime) -> String {
    t.date().to_string()
}

/// `15 %` for `0.15`.
pub fn rate(r: &str) -> String {
    match rust_decimal::Decimal::from_str_exact(r) {
        Ok(d) => format!("{} %", (d * rust_decimal::Decimal::ONE_HUNDRED).normalize()),
        Err(_) => r.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_digits_and_keeps_decimals() {
        assert_eq!(amount("12500.50", "USD"), "12,500.50 USD");
        assert_eq!(amount("-5.00", "USD"), "-5.00 USD");
        assert_eq!(amount("100", "JPY"), "100 JPY");
        assert_eq!(amount("1234567.125", "KWD"), "1,234,567.125 KWD");
        assert_eq!(amount("0.00", "EUR"), "0.00 EUR");
        assert_eq!(rate("0.15"), "15 %");
        assert_eq!(rate("0.0125"), "1.25 %");
    }
}
