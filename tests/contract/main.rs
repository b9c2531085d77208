//! The contract suite: every port and use case against a real database, on SQLite always and
//! on PostgreSQL when `TEST_DATABASE_URL` is set, each test on its own fresh database.
//! Expected values are computed by hand in the comments.

mod access;
mod approvals;
mod batches;
mod concurrency;
mod ingestion;
mod migrations;
mod money;
mod month_totals;
mod paging;
mod payout_references;
mod payouts;
mod plans;
mod races;
mod reads;
mod refunds;
mod totals;
