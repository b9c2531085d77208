//! The HTTP suite: the real application on a random port, over a fresh database per test, on
//! SQLite always and on PostgreSQL when `TEST_DATABASE_URL` is set. It covers every endpoint's
//! happy path, the authorisation matrix, refused input, idempotency keys, the route table and
//! reads shared by identical requests in flight.

mod audit;
mod authz;
mod catalogue;
mod happy;
mod idempotency;
mod paging;
mod routes;
mod shared_reads;
mod validation;
