//! Every error the API answers is `application/problem+json` (RFC 9457), with a stable `type`
//! URN and, for invalid input, the offending fields. This is the one place where domain errors
//! become HTTP statuses.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use revshare_domain::error::FieldError;
use revshare_domain::{DomainError, StoreError, ValidationError};
use serde::Serialize;
use utoipa::ToSchema;

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "urn:revshare:problem:validation",
    "title": "Invalid input",
    "status": 422,
    "detail": "invalid input: amount: 10.005 has more than 2 decimals for USD",
    "errors": [{"field": "amount", "message": "10.005 has more than 2 decimals for USD"}]
}))]
pub struct Problem {
    /// Stable identifier of the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short summary of the kind.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// What went wrong this time.
    pub detail: String,
    /// The offending fields, for invalid input.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Object>)]
    pub errors: Vec<FieldError>,
}

/// An error answer of the API.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{status} {detail}")]
pub struct ApiError {
    status: StatusCode,
    kind: &'static str,
    title: &'static str,
    detail: String,
    errors: Vec<FieldError>,
    challenge: Option<&'static str>,
}

impl ApiError {
    fn new(
        status: StatusCode,
        kind: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        ApiError {
            status,
            kind,
            title,
            detail: detail.into(),
            errors: Vec::new(),
            challenge: None,
        }
    }

    /// Whether this is a 503: the store could not be reached.
    pub fn is_unavailable(&self) -> bool {
        self.status == StatusCode::SERVICE_UNAVAILABLE
    }

    /// 400: the request cannot be read (malformed JSON, bad query string, …).
    pub fn bad_request(detail: impl Into<String>) -> Self {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "urn:revshare:problem:bad-request",
            "Malformed request",
            detail,
        )
    }

    /// 401 with a `WWW-Authenticate` challenge.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        let mut e = ApiError::new(
            StatusCode::UNAUTHORIZED,
            "urn:revshare:problem:unauthorized",
            "Not authenticated",
            detail,
        );
        e.challenge = Some("Bearer realm=\"revshare\", error=\"invalid_token\"");
        e
    }

    /// 403.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "urn:revshare:problem:forbidden",
            "Not allowed",
            detail,
        )
    }

    /// 404.
    pub fn not_found(detail: impl Into<String>) -> Self {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "urn:revshare:problem:not-found",
            "Not found",
            detail,
        )
    }

    /// 405.
    pub fn method_not_allowed() -> Self {
        ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "urn:revshare:problem:method-not-allowed",
            "Method not allowed",
            "this resource does not accept that method",
        )
    }

    /// 409.
    pub fn conflict(detail: impl Into<String>) -> Self {
        ApiError::new(
            StatusCode::CONFLICT,
            "urn:revshare:problem:conflict",
            "Conflict",
            detail,
        )
    }

    /// 413.
    pub fn too_large(detail: impl Into<String>) -> Self {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "urn:revshare:problem:payload-too-large",
            "Payload too large",
            detail,
        )
    }

    /// 415.
    pub fn unsupported_media_type(detail: impl Into<String>) -> Self {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "urn:revshare:problem:unsupported-media-type",
            "Unsupported media type",
            detail,
        )
    }

    /// 422 about fields.
    pub fn validation(e: ValidationError) -> Self {
        let mut a = ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "urn:revshare:problem:validation",
            "Invalid input",
            e.to_string(),
        );
        a.errors = e.fields;
        a
    }

    /// 422 about one field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        ApiError::validation(ValidationError::new(field, message))
    }

    /// 429.
    pub fn too_many_requests(detail: impl Into<String>) -> Self {
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "urn:revshare:problem:too-many-requests",
            "Too many requests",
            detail,
        )
    }

    /// 503: the database is unreachable; retry later.
    pub fn unavailable() -> Self {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "urn:revshare:problem:unavailable",
            "Service unavailable",
            "the database is unreachable; retry shortly",
        )
    }

    /// 500 without internals.
    pub fn internal() -> Self {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "urn:revshare:problem:internal",
            "Internal error",
            "an unexpected error occurred; it has been logged",
        )
    }

    /// The problem document.
    pub fn problem(&self) -> Problem {
        Problem {
            kind: self.kind.to_owned(),
            title: self.title.to_owned(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            errors: self.errors.clone(),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut r = HttpResponse::build(self.status);
        r.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        if let Some(c) = self.challenge {
            r.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static(c)));
        }
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            r.insert_header((header::RETRY_AFTER, HeaderValue::from_static("5")));
        }
        r.body(serde_json::to_string(&self.problem()).unwrap_or_default())
    }
}

impl From<ValidationError> for ApiError {
    fn from(e: ValidationError) -> Self {
        ApiError::validation(e)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(_) => ApiError::conflict("the request conflicts with stored data"),
            StoreError::Unavailable(msg) => {
                tracing::warn!(error = %msg, "database unavailable");
                ApiError::unavailable()
            }
            // Still aborted after the engine's retries: transient, nothing was written.
            StoreError::Contention(msg) => {
                tracing::warn!(error = %msg, "database contention");
                ApiError::unavailable()
            }
            StoreError::Internal(msg) => {
                tracing::error!(error = %msg, "store failure");
                ApiError::internal()
            }
        }
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::Validation(v) => ApiError::validation(v),
            DomainError::NotFound { entity } => ApiError::not_found(format!("{entity} not found")),
            DomainError::InvalidTransition { entity, from, to } => {
                let mut a = ApiError::conflict(format!("{entity} cannot move from {from} to {to}"));
                a.kind = "urn:revshare:problem:invalid-transition";
                a.title = "Invalid status change";
                a
            }
            DomainError::Conflict(msg) => ApiError::conflict(msg),
            DomainError::Forbidden(msg) => ApiError::forbidden(msg),
            DomainError::Store(s) => s.into(),
        }
    }
}

/// The result type of handlers.
pub type ApiResult<T> = Result<T, ApiError>;
