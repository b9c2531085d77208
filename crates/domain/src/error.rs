//! Errors of the domain: invalid input, refused moves, conflicts and store failures.

use std::fmt;

/// One offending input field and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    /// Name of the field as the caller spelled it (`amount`, `currency`, …).
    pub field: String,
    /// Human-readable explanation.
    pub message: String,
}

/// Input that cannot be accepted. Carries every offending field so a caller can fix all at once.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ValidationError {
    /// The offending fields, at least one.
    pub fields: Vec<FieldError>,
}

impl ValidationError {
    /// A validation error about one field.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        ValidationError {
            fields: vec![FieldError {
                field: field.into(),
                message: message.into(),
            }],
        }
    }

    /// Renames the field of every entry, for values parsed under a caller's name.
    pub fn for_field(mut self, field: &str) -> Self {
        for f in &mut self.fields {
            f.field = field.to_owned();
        }
        self
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .fields
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect();
        write!(f, "invalid input: {}", parts.join("; "))
    }
}

/// Collects field errors of a command before failing once with all of them.
#[derive(Debug, Default)]
pub struct Validator {
    fields: Vec<FieldError>,
}

impl Validator {
    /// Starts an empty collection.
    pub fn new() -> Self {
        Validator::default()
    }

    /// Keeps the value or records its error; `None` means the command is already invalid.
    pub fn check<T>(&mut self, r: Result<T, ValidationError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.fields.extend(e.fields);
                None
            }
        }
    }

    /// Records an error when `ok` is false.
    pub fn ensure(&mut self, ok: bool, field: &str, message: &str) {
        if !ok {
            self.fields.push(FieldError {
                field: field.to_owned(),
                message: message.to_owned(),
            });
        }
    }

    /// Fails with every recorded error, if any.
    pub fn finish(self) -> Result<(), ValidationError> {
        if self.fields.is_empty() {
            Ok(())
        } else {
            Err(ValidationError {
                fields: self.fields,
            })
        }
    }
}

/// A failure of a persistence adapter. Adapters map driver errors to these at their boundary.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique key already holds this value (a replay, a duplicate partner number, …).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database could not be reached or timed out; the operation may be retried.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// The database aborted the transaction to break a deadlock or a serialization conflict
    /// with a concurrent one; nothing of it was written and running it again is safe.
    #[error("store contention: {0}")]
    Contention(String),
    /// Anything else: a bug or a corrupt row. Never shown to callers verbatim.
    #[error("store failure: {0}")]
    Internal(String),
}

/// Why a use case did not do what it was asked.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// The input is invalid; nothing was written.
    #[error(transparent)]
    Validation(#[from] ValidationError),
    /// The object does not exist in the caller's tenant (or scope).
    #[error("{entity} not found")]
    NotFound {
        /// What was looked for: `partner`, `commission`, `payout`, …
        entity: &'static str,
    },
    /// A state machine refused a move.
    #[error("{entity} cannot move from {from} to {to}")]
    InvalidTransition {
        /// The kind of object.
        entity: &'static str,
        /// Its current state.
        from: String,
        /// The requested state.
        to: String,
    },
    /// The caller may not do this.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The request conflicts with the current state (overlapping attribution, claimed event, …).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The persistence adapter failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl DomainError {
    /// Shorthand for [`DomainError::NotFound`].
    pub fn not_found(entity: &'static str) -> Self {
        DomainError::NotFound { entity }
    }
}
