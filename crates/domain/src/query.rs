//! Filters and pagination of the ledger's lists.
//!
//! A list is paged either by `offset` ([`PageRequest`], with a total count) or by position
//! ([`SeekRequest`], after a [`Cursor`], without one). Deep offsets make the database walk and
//! discard every skipped row; a cursor lets it start at the position through an index, so page
//! 100,000 costs what page 1 does.

use std::fmt;

use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::commission::{CommissionEvent, EventStatus, EventType};
use crate::error::ValidationError;
use crate::payout::{Payout, PayoutStatus};
use crate::value::{Currency, PartnerId, PayoutId};

/// Most rows one page may hold.
pub const MAX_PAGE_LIMIT: u32 = 500;
/// Rows per page when the caller does not say.
pub const DEFAULT_PAGE_LIMIT: u32 = 100;
/// Deepest offset accepted; deeper reads should use a narrower filter.
pub const MAX_OFFSET: u64 = 10_000_000;
/// Longest search text.
pub const MAX_SEARCH_LEN: usize = 128;

/// A page of a list: `limit` 1–500, `offset` ≥ 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PageRequest {
    /// Rows wanted.
    pub limit: u32,
    /// Rows skipped.
    pub offset: u64,
}

impl Default for PageRequest {
    fn default() -> Self {
        PageRequest {
            limit: DEFAULT_PAGE_LIMIT,
            offset: 0,
        }
    }
}

impl PageRequest {
    /// Validates a page request.
    pub fn new(limit: Option<i64>, offset: Option<i64>) -> Result<Self, ValidationError> {
        let limit = limit.unwrap_or(i64::from(DEFAULT_PAGE_LIMIT));
        if !(1..=i64::from(MAX_PAGE_LIMIT)).contains(&limit) {
            return Err(ValidationError::new(
                "limit",
                format!("must be between 1 and {MAX_PAGE_LIMIT}"),
            ));
        }
        let offset = offset.unwrap_or(0);
        if offset < 0 || offset.unsigned_abs() > MAX_OFFSET {
            return Err(ValidationError::new(
                "offset",
                format!("must be between 0 and {MAX_OFFSET}"),
            ));
        }
        Ok(PageRequest {
            limit: u32::try_from(limit).unwrap_or(DEFAULT_PAGE_LIMIT),
            offset: offset.unsigned_abs(),
        })
    }
}

/// A page of rows and the total count of the filtered list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Page<T> {
    /// The rows.
    pub items: Vec<T>,
    /// Rows matching the filter, all pages together.
    pub total: u64,
    /// The request that produced this page.
    pub page: PageRequest,
}

impl<T: Keyed> Page<T> {
    /// Where the page after this one starts, when rows remain after it.
    pub fn next_cursor(&self) -> Option<Cursor> {
        let seen = self.page.offset.saturating_add(self.items.len() as u64);
        if seen < self.total {
            self.items.last().map(Keyed::cursor)
        } else {
            None
        }
    }
}

/// The version byte that starts every cursor; a new encoding takes a new number, so cursors
/// handed out before a change are refused cleanly instead of misread.
const CURSOR_VERSION: u8 = 1;
/// Version, instant (big-endian `i64` microseconds) and id.
const CURSOR_BYTES: usize = 1 + 8 + 16;
/// Length of a cursor's text: 25 bytes in unpadded base64url.
pub const CURSOR_LEN: usize = 34;

/// A position in a list ordered newest first: the sort key — instant in microseconds, then
/// id — of the last row of a page. The next page holds the rows strictly after it in that
/// order (older, or as old with a smaller id).
///
/// Clients see it as opaque text ([`fmt::Display`] / [`Cursor::parse`]). It encodes only a
/// position, never a filter or a scope: reading after it still applies every filter, so a
/// cursor taken from one partner's list shows nothing of another partner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cursor {
    micros: i64,
    id: Uuid,
}

impl Cursor {
    /// The position of a row sorted by `at` (to the microsecond, as stored) and `id`.
    pub fn new(at: OffsetDateTime, id: Uuid) -> Self {
        // Every instant `time` holds fits: ±9999 years are about ±3.2e17 µs.
        let micros = i64::try_from(at.unix_timestamp_nanos() / 1_000).unwrap_or(i64::MAX);
        Cursor { micros, id }
    }

    /// The row's instant, in microseconds since the Unix epoch.
    pub fn at_micros(&self) -> i64 {
        self.micros
    }

    /// The row's id.
    pub fn id(&self) -> Uuid {
        self.id
    }

    /// Reads a cursor this API handed out. Anything else — wrong length, alphabet, padding,
    /// version or an instant out of range — is refused under the field `cursor`.
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        let refuse = || ValidationError::new("cursor", "is not a cursor given by this API");
        if text.len() != CURSOR_LEN {
            return Err(refuse());
        }
        let bytes: [u8; CURSOR_BYTES] = base64url_decode(text.as_bytes())
            .and_then(|b| b.try_into().ok())
            .ok_or_else(refuse)?;
        let [version, rest @ ..] = bytes;
        let (micros, id) = rest.split_at(8);
        if version != CURSOR_VERSION {
            return Err(refuse());
        }
        let micros = i64::from_be_bytes(micros.try_into().map_err(|_| refuse())?);
        let id = Uuid::from_bytes(id.try_into().map_err(|_| refuse())?);
        // Only instants a row can hold; this also keeps the microseconds convertible.
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1_000)
            .map_err(|_| refuse())?;
        Ok(Cursor { micros, id })
    }
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut bytes = [0u8; CURSOR_BYTES];
        bytes[0] = CURSOR_VERSION;
        bytes[1..9].copy_from_slice(&self.micros.to_be_bytes());
        bytes[9..].copy_from_slice(self.id.as_bytes());
        f.write_str(&base64url_encode(&bytes))
    }
}

const BASE64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Hand-written (a few lines) rather than a dependency of the pure domain.
fn base64url_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(BASE64URL[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

fn sextet(c: u8) -> Option<u32> {
    BASE64URL
        .iter()
        .position(|&a| a == c)
        .and_then(|p| u32::try_from(p).ok())
}

/// Strict: unpadded, and the unused low bits of the last character must be zero, so every
/// value has exactly one spelling.
fn base64url_decode(text: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3 + 2);
    for chunk in text.chunks(4) {
        if chunk.len() < 2 {
            return None;
        }
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            n |= sextet(*c)? << (18 - 6 * i);
        }
        let len = chunk.len() - 1;
        if n & (0x00FF_FFFF >> (8 * len)) != 0 {
            return None;
        }
        out.extend_from_slice(&n.to_be_bytes()[1..=len]);
    }
    Some(out)
}

/// A row of a list ordered newest first by (instant, id), so it has a [`Cursor`].
pub trait Keyed {
    /// The position of this row.
    fn cursor(&self) -> Cursor;
}

impl Keyed for CommissionEvent {
    fn cursor(&self) -> Cursor {
        Cursor::new(self.event_date, self.id.uuid())
    }
}

impl Keyed for Payout {
    fn cursor(&self) -> Cursor {
        Cursor::new(self.created_at, self.id.uuid())
    }
}

/// A page read by position: `limit` rows (1–500) after `after`, or from the top when `None`.
/// Nothing is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeekRequest {
    /// Rows wanted.
    pub limit: u32,
    /// Rows strictly after this position; `None` starts at the newest.
    pub after: Option<Cursor>,
}

/// A page read by position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeekPage<T> {
    /// The rows.
    pub items: Vec<T>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<Cursor>,
}

impl<T: Keyed> SeekPage<T> {
    /// Keeps `limit` of the rows read with `LIMIT limit + 1`: the extra row, when present,
    /// only tells that a next page exists.
    pub fn cut(mut rows: Vec<T>, limit: u32) -> Self {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next = if more {
            rows.last().map(Keyed::cursor)
        } else {
            None
        };
        SeekPage { items: rows, next }
    }
}

/// How a list is paged: by offset (counted) or by cursor (not counted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListRequest {
    /// `limit` and `offset`.
    Offset(PageRequest),
    /// `limit` and `cursor`.
    Seek(SeekRequest),
}

impl ListRequest {
    /// Validates a list's paging parameters. An empty `cursor` counts as absent, like other
    /// empty filters; a cursor together with an `offset` is refused.
    pub fn new(
        limit: Option<i64>,
        offset: Option<i64>,
        cursor: Option<&str>,
    ) -> Result<Self, ValidationError> {
        let Some(cursor) = cursor.filter(|c| !c.is_empty()) else {
            return PageRequest::new(limit, offset).map(ListRequest::Offset);
        };
        if offset.is_some() {
            return Err(ValidationError::new(
                "cursor",
                "cannot be combined with offset; page with one or the other",
            ));
        }
        let page = PageRequest::new(limit, None)?;
        Ok(ListRequest::Seek(SeekRequest {
            limit: page.limit,
            after: Some(Cursor::parse(cursor)?),
        }))
    }
}

/// A page of a list read either way, as answered to a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing<T> {
    /// The rows.
    pub items: Vec<T>,
    /// Rows matching the filter, all pages together; offset reads only.
    pub total: Option<u64>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<Cursor>,
}

impl<T: Keyed> From<Page<T>> for Listing<T> {
    fn from(p: Page<T>) -> Self {
        Listing {
            next: p.next_cursor(),
            total: Some(p.total),
            items: p.items,
        }
    }
}

impl<T> From<SeekPage<T>> for Listing<T> {
    fn from(p: SeekPage<T>) -> Self {
        Listing {
            items: p.items,
            total: None,
            next: p.next,
        }
    }
}

/// Which commission events a list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommissionFilter {
    /// Only this partner.
    pub partner_id: Option<PartnerId>,
    /// Only this status.
    pub status: Option<EventStatus>,
    /// Only this type.
    pub event_type: Option<EventType>,
    /// Only this currency.
    pub currency: Option<Currency>,
    /// Only events dated at or after.
    pub from: Option<OffsetDateTime>,
    /// Only events dated before.
    pub to: Option<OffsetDateTime>,
    /// Only events of this payout.
    pub payout_id: Option<PayoutId>,
    /// Invoice id, invoice number or customer id equal to this text.
    pub search: Option<String>,
}

/// Which payouts a list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PayoutFilter {
    /// Only this partner.
    pub partner_id: Option<PartnerId>,
    /// Only this status.
    pub status: Option<PayoutStatus>,
    /// Only this currency.
    pub currency: Option<Currency>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_bounded() {
        assert_eq!(
            PageRequest::new(None, None).unwrap(),
            PageRequest {
                limit: 100,
                offset: 0
            }
        );
        assert!(PageRequest::new(Some(0), None).is_err());
        assert!(PageRequest::new(Some(501), None).is_err());
        assert!(PageRequest::new(Some(500), Some(-1)).is_err());
        assert!(PageRequest::new(Some(1), Some(i64::MAX)).is_err());
    }

    #[test]
    fn base64url_matches_rfc_4648_vectors() {
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64url_encode(plain.as_bytes()), coded);
            assert_eq!(
                base64url_decode(coded.as_bytes()).unwrap(),
                plain.as_bytes()
            );
        }
        assert_eq!(base64url_encode(&[0xfb, 0xff]), "-_8");
        // Padding, the standard alphabet and non-zero unused bits are refused.
        for bad in ["Zg==", "Z", "+/8", "Zh", "Zm9"] {
            assert!(base64url_decode(bad.as_bytes()).is_none(), "{bad}");
        }
    }

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        let at = time::macros::datetime!(2026-03-01 12:00:00.123456 UTC);
        let c = Cursor::new(at, Uuid::from_u128(42));
        let text = c.to_string();
        assert_eq!(text.len(), CURSOR_LEN);
        assert_eq!(Cursor::parse(&text).unwrap(), c);
        assert_eq!(c.at_micros(), 1_772_366_400_123_456);
        let mut wrong_version = text.clone().into_bytes();
        wrong_version[0] = b'B';
        for bad in [
            String::new(),
            "x".into(),
            format!("{text}="),
            text[1..].to_owned(),
            String::from_utf8(wrong_version).unwrap(),
            "é".repeat(17),
        ] {
            let e = Cursor::parse(&bad).unwrap_err();
            assert_eq!(e.fields[0].field, "cursor", "{bad:?}");
        }
    }

    #[test]
    fn list_requests_take_offset_or_cursor_not_both() {
        let c = Cursor::new(OffsetDateTime::UNIX_EPOCH, Uuid::nil()).to_string();
        assert_eq!(
            ListRequest::new(None, Some(5), None).unwrap(),
            ListRequest::Offset(PageRequest {
                limit: 100,
                offset: 5
            })
        );
        assert_eq!(
            ListRequest::new(Some(7), None, Some("")).unwrap(),
            ListRequest::Offset(PageRequest {
                limit: 7,
                offset: 0
            })
        );
        assert!(matches!(
            ListRequest::new(Some(7), None, Some(&c)).unwrap(),
            ListRequest::Seek(SeekRequest {
                limit: 7,
                after: Some(_)
            })
        ));
        let both = ListRequest::new(None, Some(0), Some(&c)).unwrap_err();
        assert_eq!(both.fields[0].field, "cursor");
        let limit = ListRequest::new(Some(501), None, Some(&c)).unwrap_err();
        assert_eq!(limit.fields[0].field, "limit");
    }
}
