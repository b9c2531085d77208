//! Instants, amounts and list queries as they travel in JSON and query strings.

use std::fmt;

use revshare_domain::ValidationError;
use revshare_domain::query::{ListRequest, PageRequest};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};
use utoipa::{IntoParams, ToSchema};

/// An instant in RFC 3339 (`2026-03-01T12:00:00Z`) or a bare date (`2026-03-01`, meaning
/// 00:00 UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InstantParam(pub OffsetDateTime);

impl utoipa::PartialSchema for InstantParam {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
        use utoipa::openapi::schema::AnyOfBuilder;
        use utoipa::openapi::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        let string = |format| {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(format)))
        };
        AnyOfBuilder::new()
            .item(string(KnownFormat::DateTime))
            .item(string(KnownFormat::Date))
            .description(Some(
                "An RFC 3339 instant, or a YYYY-MM-DD date meaning 00:00 UTC.",
            ))
            .examples([serde_json::json!("2026-03-01T00:00:00Z")])
            .into()
    }
}

impl ToSchema for InstantParam {}

impl InstantParam {
    /// Parses either form.
    pub fn parse(text: &str) -> Result<OffsetDateTime, String> {
        let t = text.trim();
        if t.len() > 64 {
            return Err("instant is too long".into());
        }
        let at = match OffsetDateTime::parse(t, &Rfc3339) {
            // `9999-12-31T23:00:00-05:00` is valid RFC 3339 but has no UTC form at all.
            Ok(at) => at.checked_to_offset(time::UtcOffset::UTC),
            Err(_) => {
                let fmt = time::macros::format_description!("[year]-[month]-[day]");
                let date = Date::parse(t, &fmt).map_err(|_| {
                    format!("{text:?} is not an RFC 3339 instant or a YYYY-MM-DD date")
                })?;
                Some(revshare_domain::value::midnight(date))
            }
        };
        // Every instant taken can be answered in RFC 3339 again: years 0000–9999 in UTC
        // (`-0001-01-01` and `0000-01-01T00:00:00+01:00` cannot).
        at.filter(|utc| (0..=9999).contains(&utc.year()))
            .ok_or_else(|| format!("{text:?} is out of range"))
    }
}

impl Serialize for InstantParam {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&rfc3339(self.0))
    }
}

impl<'de> Deserialize<'de> for InstantParam {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        InstantParam::parse(&s)
            .map(InstantParam)
            .map_err(serde::de::Error::custom)
    }
}

/// Formats an instant as RFC 3339.
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

/// Formats an optional instant as RFC 3339.
pub fn rfc3339_opt(t: Option<OffsetDateTime>) -> Option<String> {
    t.map(rfc3339)
}

/// An amount as a decimal string (`"12.50"`). JSON numbers are refused: they would pass
/// through a float on most clients.
#[derive(Debug, Clone, PartialEq, Eq, ToSchema)]
#[schema(value_type = String, example = "12500.50")]
pub struct AmountText(pub Decimal);

impl AmountText {
    /// Parses a decimal string strictly: no exponent, no `+`, no separators.
    pub fn parse_decimal(s: &str) -> Result<Decimal, String> {
        let t = s.trim();
        if t.is_empty() || t.len() > 40 || t.contains(['e', 'E', '_']) || t.starts_with('+') {
            return Err(format!("{s:?} is not a decimal number"));
        }
        // Exact: `parse` would round digits past a Decimal's 28 places away, so an amount with
        // 30 decimals would pass as a round one.
        Decimal::from_str_exact(t).map_err(|_| format!("{s:?} is not an exact decimal number"))
    }
}

impl Serialize for AmountText {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.to_string())
    }
}

impl<'de> Deserialize<'de> for AmountText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = AmountText;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a decimal string such as \"12.50\"")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<AmountText, E> {
                AmountText::parse_decimal(s)
                    .map(AmountText)
                    .map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}

/// Pagination and status filter of a list. `status_filter` is the seed's old name of `status`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only this status.
    pub status: Option<String>,
    /// Old name of `status`, still accepted.
    pub status_filter: Option<String>,
    /// Rows per page, 1–500 (default 100).
    pub limit: Option<i64>,
    /// Rows skipped (default 0).
    pub offset: Option<i64>,
}

impl ListQuery {
    /// The page asked for.
    pub fn page(&self) -> Result<PageRequest, ValidationError> {
        PageRequest::new(self.limit, self.offset)
    }

    /// The page asked for, by offset or by `cursor`.
    pub fn request(&self, cursor: &CursorQuery) -> Result<ListRequest, ValidationError> {
        ListRequest::new(self.limit, self.offset, cursor.cursor.as_deref())
    }

    /// The status asked for, under either name.
    pub fn status(&self) -> Option<&str> {
        self.status
            .as_deref()
            .or(self.status_filter.as_deref())
            .filter(|s| !s.is_empty())
    }
}

/// The position a list continues from, for lists that can be paged by cursor.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CursorQuery {
    /// Continue after this position: the `X-Next-Cursor` of the previous page, as given
    /// (opaque). Not with `offset`. Pages read by cursor cost the same at any depth and carry
    /// no `X-Total-Count`.
    #[param(max_length = 34, pattern = "^[A-Za-z0-9_-]*$")]
    pub cursor: Option<String>,
}

/// Deserialises a field that may be absent (`None`), `null` (`Some(None)`) or a value.
pub fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}
