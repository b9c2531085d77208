//! # revshare-domain
//!
//! The pure core of revshare, a partner revenue-share engine: exact money, commission terms
//! (revenue share, flat fee, tiered, hybrid), the ledger's state machines, the use cases that
//! record payments and refunds, approve commissions and make payouts, and the ports (traits)
//! through which it reaches storage, time and identity.
//!
//! Nothing here names a database or HTTP. `revshare-infra` implements the ports on SeaORM;
//! any other implementation works the same way.
//!
//! ```
//! use revshare_domain::value::{Currency, Money, Rate};
//! use rust_decimal::Decimal;
//!
//! let amount = Money::parse("333.33", Currency::USD).unwrap();
//! let rate = Rate::parse("0.15").unwrap();
//! let commission = Money::round(amount.amount() * rate.value(), Currency::USD).unwrap();
//! assert_eq!(commission.to_plain_string(), "50.00"); // rounded once, half away from zero
//! # let _ = Decimal::ZERO;
//! ```
#![deny(clippy::float_arithmetic)]
#![warn(missing_docs)]

pub mod access;
pub mod attribution;
pub mod audit;
pub mod commission;
pub mod error;
pub mod ingestion;
pub mod metrics;
pub mod partner;
pub mod payout;
pub mod port;
pub mod query;
pub mod reconciliation;
pub mod refund;
pub mod state;
pub mod terms;
pub mod usecase;
pub mod value;

pub use error::{DomainError, StoreError, ValidationError};
pub use usecase::{Actor, Engine};
