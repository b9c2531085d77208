//! Bearer JWTs: the algorithm is pinned by configuration (HS256 with a secret, or RS256 with a
//! key pair), expiry and not-before are enforced with a bounded clock skew, and issuer and
//! audience are checked when configured.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use revshare_domain::access::{Principal, Role};
use revshare_domain::partner::PartnerUserRole;
use revshare_domain::value::{PartnerId, TenantId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::problem::ApiError;

/// Clock skew tolerated on `exp` and `nbf`, in seconds.
pub const LEEWAY_SECONDS: u64 = 30;
/// Shortest HS256 secret accepted, in bytes.
pub const MIN_SECRET_BYTES: usize = 32;

/// The claims revshare issues and accepts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Subject: user id or service name.
    pub sub: String,
    /// Tenant id.
    pub tenant: Uuid,
    /// `operator`, `auditor`, `billing` or `partner`.
    pub role: String,
    /// For partner users: their partner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner_id: Option<Uuid>,
    /// For partner users: `owner`, `admin`, `finance` or `account_manager`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner_role: Option<String>,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// Issued at.
    pub iat: i64,
    /// Not before.
    pub nbf: i64,
    /// Issuer, when configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// Audience, when configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
}

/// Keys and rules for tokens.
#[derive(Clone)]
pub struct TokenKeys {
    algorithm: Algorithm,
    encoding: Option<EncodingKey>,
    decoding: DecodingKey,
    issuer: Option<String>,
    audience: Option<String>,
    ttl_seconds: i64,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.debug_struct("TokenKeys")
            .field("algorithm", &self.algorithm)
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

/// Why keys could not be built.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The HS256 secret is too short.
    #[error("the JWT secret must be at least {MIN_SECRET_BYTES} bytes")]
    ShortSecret,
    /// A PEM key could not be read.
    #[error("invalid RSA key: {0}")]
    BadKey(String),
}

impl TokenKeys {
    /// HS256 with a shared secret (≥ 32 bytes); tokens live `ttl_seconds`.
    pub fn hs256(secret: &[u8], ttl_seconds: i64) -> Result<Self, KeyError> {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(KeyError::ShortSecret);
        }
        Ok(TokenKeys {
            algorithm: Algorithm::HS256,
            encoding: Some(EncodingKey::from_secret(secret)),
            decoding: DecodingKey::from_secret(secret),
            issuer: None,
            audience: None,
            ttl_seconds,
        })
    }

    /// RS256 with a public key (verification) and optionally the private key (to issue login
    /// tokens; without it, tokens come from an outside issuer).
    pub fn rs256(
        public_pem: &[u8],
        private_pem: Option<&[u8]>,
        ttl_seconds: i64,
    ) -> Result<Self, KeyError> {
        let decoding =
            DecodingKey::from_rsa_pem(public_pem).map_err(|e| KeyError::BadKey(e.to_string()))?;
        let encoding = private_pem
            .map(|p| EncodingKey::from_rsa_pem(p).map_err(|e| KeyError::BadKey(e.to_string())))
            .transpose()?;
        Ok(TokenKeys {
            algorithm: Algorithm::RS256,
            encoding,
            decoding,
            issuer: None,
            audience: None,
            ttl_seconds,
        })
    }

    /// Requires (and issues) this `iss`.
    pub fn with_issuer(mut self, issuer: Option<String>) -> Self {
        self.issuer = issuer;
        self
    }

    /// Requires (and issues) this `aud`.
    pub fn with_audience(mut self, audience: Option<String>) -> Self {
        self.audience = audience;
        self
    }

    /// Token lifetime in seconds.
    pub fn ttl_seconds(&self) -> i64 {
        self.ttl_seconds
    }

    /// Issues a token for a principal, valid from `now` for the configured lifetime
    /// (`ttl_override` for service tokens).
    pub fn issue(
        &self,
        p: &Principal,
        now: OffsetDateTime,
        ttl_override: Option<i64>,
    ) -> Result<String, ApiError> {
        let Some(key) = &self.encoding else {
            return Err(ApiError::forbidden(
                "this server verifies tokens but does not issue them",
            ));
        };
        let iat = now.unix_timestamp();
        let claims = Claims {
            sub: p.subject.clone(),
            tenant: p.tenant.uuid(),
            role: p.role.name().to_owned(),
            partner_id: p.partner_id.map(|x| x.uuid()),
            partner_role: p.partner_role.map(|r| r.name().to_owned()),
            exp: iat + ttl_override.unwrap_or(self.ttl_seconds),
            iat,
            nbf: iat,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
        };
        encode(&Header::new(self.algorithm), &claims, key).map_err(|e| {
            tracing::error!(error = %e, "token signing failed");
            ApiError::internal()
        })
    }

    /// Verifies a token and returns its principal; every failure is a 401 that says only what
    /// the caller may know.
    pub fn verify(&self, token: &str) -> Result<Principal, ApiError> {
        let mut v = Validation::new(self.algorithm);
        v.leeway = LEEWAY_SECONDS;
        v.validate_exp = true;
        v.validate_nbf = true;
        // A configured issuer or audience must be present, not merely right when present.
        let mut required = vec!["exp", "nbf", "sub"];
        match &self.issuer {
            Some(i) => {
                v.set_issuer(&[i]);
                required.push("iss");
            }
            None => v.iss = None,
        }
        match &self.audience {
            Some(a) => {
                v.set_audience(&[a]);
                required.push("aud");
            }
            None => v.validate_aud = false,
        }
        v.set_required_spec_claims(&required);
        let data = decode::<Claims>(token, &self.decoding, &v).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind;
            match e.kind() {
                ErrorKind::ExpiredSignature => ApiError::unauthorized("the token has expired"),
                ErrorKind::ImmatureSignature => {
                    ApiError::unauthorized("the token is not valid yet")
                }
                _ => ApiError::unauthorized("the token is invalid"),
            }
        })?;
        principal_of(data.claims)
    }
}

fn principal_of(c: Claims) -> Result<Principal, ApiError> {
    let bad = || ApiError::unauthorized("the token is invalid");
    let role = Role::parse(&c.role).map_err(|_| bad())?;
    let partner_role = c
        .partner_role
        .as_deref()
        .map(PartnerUserRole::parse)
        .transpose()
        .map_err(|_| bad())?;
    if (role == Role::Partner) != c.partner_id.is_some() || c.sub.is_empty() || c.sub.len() > 255 {
        return Err(bad());
    }
    Ok(Principal {
        subject: c.sub,
        tenant: TenantId::from_uuid(c.tenant),
        role,
        partner_id: c.partner_id.map(PartnerId::from_uuid),
        partner_role,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn operator() -> Principal {
        Principal {
            subject: "ops".into(),
            tenant: TenantId::from_uuid(Uuid::nil()),
            role: Role::Operator,
            partner_id: None,
            partner_role: None,
        }
    }

    #[test]
    fn round_trip_and_expiry() {
        let keys = TokenKeys::hs256(&[7u8; 32], 60).unwrap();
        let now = OffsetDateTime::now_utc();
        let t = keys.issue(&operator(), now, None).unwrap();
        assert_eq!(keys.verify(&t).unwrap(), operator());
        let old = keys
            .issue(&operator(), now - time::Duration::hours(2), None)
            .unwrap();
        assert!(keys.verify(&old).is_err());
        let future = keys
            .issue(&operator(), now + time::Duration::hours(2), None)
            .unwrap();
        assert!(keys.verify(&future).is_err(), "nbf in the future");
    }

    #[test]
    fn issuer_audience_and_skew_are_checked() {
        let now = OffsetDateTime::now_utc();
        let strict = TokenKeys::hs256(&[7u8; 32], 60)
            .unwrap()
            .with_issuer(Some("https://id.example".into()))
            .with_audience(Some("revshare".into()));
        let ok = strict.issue(&operator(), now, None).unwrap();
        assert!(strict.verify(&ok).is_ok());
        // Same key, no or other issuer/audience: refused.
        let bare = TokenKeys::hs256(&[7u8; 32], 60).unwrap();
        assert!(
            strict
                .verify(&bare.issue(&operator(), now, None).unwrap())
                .is_err()
        );
        let other_aud = TokenKeys::hs256(&[7u8; 32], 60)
            .unwrap()
            .with_issuer(Some("https://id.example".into()))
            .with_audience(Some("someone-else".into()));
        assert!(
            strict
                .verify(&other_aud.issue(&operator(), now, None).unwrap())
                .is_err()
        );
        // Clock skew: 20 s ahead is tolerated, 2 minutes ahead is not yet valid.
        assert!(
            bare.verify(
                &bare
                    .issue(&operator(), now + time::Duration::seconds(20), None)
                    .unwrap()
            )
            .is_ok()
        );
        assert!(
            bare.verify(
                &bare
                    .issue(&operator(), now + time::Duration::minutes(2), None)
                    .unwrap()
            )
            .is_err()
        );
    }

    #[test]
    fn key_material_is_never_printed() {
        let keys = TokenKeys::hs256(b"super-secret-value-super-secret-value", 60).unwrap();
        assert!(!format!("{keys:?}").contains("super-secret"));
    }

    #[test]
    fn other_keys_and_algorithms_are_refused() {
        let keys = TokenKeys::hs256(&[7u8; 32], 60).unwrap();
        let other = TokenKeys::hs256(&[8u8; 32], 60).unwrap();
        let t = other
            .issue(&operator(), OffsetDateTime::now_utc(), None)
            .unwrap();
        assert!(keys.verify(&t).is_err());
        // alg: none, hand-made.
        let header = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0";
        let body = t.split('.').nth(1).unwrap();
        assert!(keys.verify(&format!("{header}.{body}.")).is_err());
        assert!(TokenKeys::hs256(b"short", 60).is_err());
    }
}
