//! `application/x-www-form-urlencoded` bodies with repeated keys (checkbox lists), which
//! serde's form decoder cannot express.

/// Most fields one form may carry.
const MAX_FIELDS: usize = 2_000;

/// Decodes `a=1&b=x+y&ids=1&ids=2` into ordered pairs; malformed escapes are kept literally.
pub fn pairs(body: &str) -> Vec<(String, String)> {
    body.split('&')
        .filter(|p| !p.is_empty())
        .take(MAX_FIELDS)
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// The first value of a field.
pub fn first<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// Every value of a field.
pub fn all<'a>(pairs: &'a [(String, String)], key: &str) -> Vec<&'a str> {
    pairs
        .iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .collect()
}

/// Percent-encodes a query value (everything but `A–Z a–z 0–9 - _ .`).
pub fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            // `%` and exactly two hex digits (`%+1` stays as written).
            b'%' if i + 2 < bytes.len()
                && bytes[i + 1].is_ascii_hexdigit()
                && bytes[i + 2].is_ascii_hexdigit() =>
            {
                let digit = |b: u8| char::from(b).to_digit(16).map_or(0, |d| d as u8);
                out.push(digit(bytes[i + 1]) * 16 + digit(bytes[i + 2]));
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_keys_and_escapes() {
        let p = pairs("ids=a&ids=b&reason=dup+invoice%21&x=%zz&y=%4&z=%+1");
        assert_eq!(all(&p, "ids"), vec!["a", "b"]);
        assert_eq!(first(&p, "reason"), Some("dup invoice!"));
        assert_eq!(first(&p, "x"), Some("%zz"));
        assert_eq!(first(&p, "y"), Some("%4"));
        assert_eq!(first(&p, "z"), Some("% 1"));
        assert_eq!(first(&p, "missing"), None);
        assert_eq!(encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
        assert_eq!(decode(&encode("a b&c=d/é")), "a b&c=d/é");
    }
}
