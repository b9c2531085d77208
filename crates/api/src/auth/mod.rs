//! Authentication: bearer tokens, password hashes, the caller extractor, login throttling.

pub mod caller;
pub mod password;
pub mod secret;
pub mod throttle;
pub mod token;

pub use caller::Caller;
pub use token::TokenKeys;
