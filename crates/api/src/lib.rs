//! # revshare-api
//!
//! The thin HTTP layer of revshare: handlers parse, check who is asking, call one domain use
//! case and shape the answer. Authentication (bearer JWT, argon2id logins), problem+json
//! errors, idempotency keys, OpenAPI and Swagger UI live here; the `revshare` binary composes
//! it with `revshare-infra`.

pub mod app;
pub mod auth;
pub mod bootstrap;
pub mod coalesce;
pub mod csv;
pub mod dto;
pub mod idempotency;
pub mod jobs;
pub mod openapi;
pub mod problem;
pub mod routes;
pub mod server;
pub mod state;
pub mod web;
