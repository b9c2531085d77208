//! Typed identifiers, so a partner id can never be passed where a payout id is expected.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::ValidationError;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident, $field:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// Wraps a UUID.
            pub const fn from_uuid(id: Uuid) -> Self {
                $name(id)
            }

            /// The inner UUID.
            pub const fn uuid(&self) -> Uuid {
                self.0
            }

            /// Parses the hyphenated UUID form.
            pub fn parse(text: &str) -> Result<Self, ValidationError> {
                Uuid::parse_str(text.trim())
                    .map($name)
                    .map_err(|_| ValidationError::new($field, format!("{text:?} is not a UUID")))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }
    };
}

uuid_id!(
    /// An operator organisation; every row and query is scoped to one.
    TenantId, "tenant_id");
uuid_id!(
    /// A partner company.
    PartnerId, "partner_id");
uuid_id!(
    /// A person who logs into the partner portal.
    PartnerUserId, "partner_user_id");
uuid_id!(
    /// An attribution of a customer to a partner.
    PartnerAccountId, "partner_account_id");
uuid_id!(
    /// A commission rule.
    RuleId, "rule_id");
uuid_id!(
    /// One line of a partner's ledger.
    EventId, "commission_id");
uuid_id!(
    /// A payout batch.
    PayoutId, "payout_id");

/// Longest identifier accepted from the billing system.
pub const MAX_EXTERNAL_ID_LEN: usize = 128;

macro_rules! external_id {
    ($(#[$doc:meta])* $name:ident, $field:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Accepts 1 to 128 printable characters without surrounding whitespace.
            pub fn parse(text: &str) -> Result<Self, ValidationError> {
                parse_external(text, $field).map($name)
            }

            /// The identifier as given.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                $name::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

fn parse_external(text: &str, field: &str) -> Result<String, ValidationError> {
    if text.is_empty() || text.len() > MAX_EXTERNAL_ID_LEN {
        return Err(ValidationError::new(
            field,
            format!("must be 1 to {MAX_EXTERNAL_ID_LEN} characters"),
        ));
    }
    if text.trim() != text || text.chars().any(char::is_control) {
        return Err(ValidationError::new(
            field,
            "must not contain control characters or surrounding spaces",
        ));
    }
    Ok(text.to_owned())
}

external_id!(
    /// The billing system's id of a payment; the idempotency key of payment ingestion.
    PaymentId, "payment_id");
external_id!(
    /// The billing system's id of a refund; the idempotency key of refund ingestion.
    RefundId, "refund_id");
external_id!(
    /// The billing system's id of an invoice.
    InvoiceId, "invoice_id");
external_id!(
    /// The billing system's id of a customer.
    CustomerId, "customer_id");
external_id!(
    /// The billing system's id of a product.
    ProductId, "product_id");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn external_ids_are_bounded_and_clean() {
        assert!(PaymentId::parse("pay_123").is_ok());
        assert!(PaymentId::parse("").is_err());
        assert!(PaymentId::parse(" pay").is_err());
        assert!(PaymentId::parse("a\u{0}b").is_err());
        assert!(PaymentId::parse(&"x".repeat(129)).is_err());
        assert!(PaymentId::parse(&"x".repeat(128)).is_ok());
    }

    #[test]
    fn uuid_ids_parse() {
        assert!(PartnerId::parse("not-a-uuid").is_err());
        let id = PartnerId::parse("0190a8a0-0000-7000-8000-000000000001").unwrap();
        assert_eq!(id.to_string(), "0190a8a0-0000-7000-8000-000000000001");
    }
}
