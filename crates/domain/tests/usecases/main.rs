//! Use-case tests of `revshare_domain::Engine` over mockall mocks of its ports
//! (`Ledger`, `LedgerTx`, `Clock`, `IdSource`): a fixed clock and deterministic ids.

#[path = "../common/mod.rs"]
mod common;

mod approval;
mod payouts;
mod record_payment;
mod record_refund;
