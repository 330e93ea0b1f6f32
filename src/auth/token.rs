use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

const ISSUER: &str = "releasegate";
const AUDIENCE: &str = "releasegate-api";
/// Tokens of registered members of the public: valid on `/public` only, so
/// a member of the public can never act on `/api/v1` (and no staff token
/// stands in for a public account).
const PUBLIC_AUDIENCE: &str = "releasegate-public";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub name: String,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    /// Issued-at in milliseconds: a token from just before a password change
    /// is told apart from one just after it, in the same second.
    #[serde(default)]
    pub iat_ms: i64,
    /// Not valid before this instant (checked, with the leeway).
    pub nbf: i64,
    pub exp: i64,
    /// Random: two sessions started in the same second still get distinct
    /// tokens, so signing out of one (which revokes its token) spares the other.
    #[serde(default)]
    pub jti: String,
}

#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    public_validation: Validation,
    /// The same secret, for HMACs that are not tokens (the dashboard's CSRF tokens).
    mac_key: std::sync::Arc<[u8]>,
    pub ttl: Duration,
}

impl TokenKeys {
    pub fn hs256(secret: &[u8], ttl: Duration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = 30;
        let mut public_validation = validation.clone();
        public_validation.set_audience(&[PUBLIC_AUDIENCE]);
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            public_validation,
            mac_key: secret.into(),
            ttl,
        }
    }

    /// HMAC-SHA256 of `data` under the server's secret, hex-encoded.
    pub fn mac(&self, data: &[u8]) -> String {
        hex::encode(self.mac_raw(data).finalize().into_bytes())
    }

    /// Checks `tag` (hex) against the HMAC of `data` in constant time.
    pub fn verify_mac(&self, data: &[u8], tag: &str) -> bool {
        hex::decode(tag).is_ok_and(|tag| self.mac_raw(data).verify_slice(&tag).is_ok())
    }

    fn mac_raw(&self, data: &[u8]) -> Hmac<sha2::Sha256> {
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&self.mac_key)
            .expect("HMAC takes a key of any length");
        mac.update(data);
        mac
    }

    /// A staff token (audience `releasegate-api`).
    pub fn issue(
        &self,
        user_id: &str,
        username: &str,
        ttl: Option<Duration>,
    ) -> Result<(String, DateTime<Utc>), jsonwebtoken::errors::Error> {
        self.issue_for(AUDIENCE, user_id, username, ttl)
    }

    /// A public account's token (audience `releasegate-public`).
    pub fn issue_public(
        &self,
        account_id: &str,
        email: &str,
    ) -> Result<(String, DateTime<Utc>), jsonwebtoken::errors::Error> {
        self.issue_for(PUBLIC_AUDIENCE, account_id, email, None)
    }

    fn issue_for(
        &self,
        audience: &str,
        user_id: &str,
        username: &str,
        ttl: Option<Duration>,
    ) -> Result<(String, DateTime<Utc>), jsonwebtoken::errors::Error> {
        let now = Utc::now();
        let expires = now + ttl.unwrap_or(self.ttl);
        let claims = Claims {
            sub: user_id.to_string(),
            name: username.to_string(),
            iss: ISSUER.into(),
            aud: audience.into(),
            iat: now.timestamp(),
            iat_ms: now.timestamp_millis(),
            nbf: now.timestamp(),
            exp: expires.timestamp(),
            jti: hex::encode(rand::random::<[u8; 16]>()),
        };
        Ok((
            encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?,
            expires,
        ))
    }

    /// Checks a staff token's signature, expiry, issuer and audience.
    pub fn verify(&self, token: &str) -> Result<Claims, jsonwebtoken::errors::Error> {
        decode::<Claims>(token, &self.decoding, &self.validation).map(|data| data.claims)
    }

    /// `verify` for a public account's token.
    pub fn verify_public(&self, token: &str) -> Result<Claims, jsonwebtoken::errors::Error> {
        decode::<Claims>(token, &self.decoding, &self.public_validation).map(|data| data.claims)
    }
}

/// What a revoked session is remembered by: the token's SHA-256, so the
/// table holds nothing that could be replayed.
pub fn token_digest(token: &str) -> String {
    crate::store::sha256_hex(token.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_not_yet_valid_is_refused() {
        let keys = TokenKeys::hs256(b"0123456789abcdef0123456789abcdef", Duration::hours(1));
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: "u1".into(),
            name: "alice".into(),
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            iat: now,
            iat_ms: now * 1000,
            nbf: now + 3600,
            exp: now + 7200,
            jti: String::new(),
        };
        let early = encode(&Header::new(Algorithm::HS256), &claims, &keys.encoding).unwrap();
        assert!(keys.verify(&early).is_err(), "nbf in the future");
        let mut without = serde_json::to_value(&claims).unwrap();
        without.as_object_mut().unwrap().remove("nbf");
        let bare = encode(&Header::new(Algorithm::HS256), &without, &keys.encoding).unwrap();
        assert!(keys.verify(&bare).is_err(), "nbf is required");
    }

    #[test]
    fn issues_and_verifies_and_refuses_foreign_or_expired_tokens() {
        let keys = TokenKeys::hs256(b"0123456789abcdef0123456789abcdef", Duration::hours(1));
        let (token, _) = keys.issue("u1", "alice", None).unwrap();
        assert_eq!(keys.verify(&token).unwrap().sub, "u1");
        let other = TokenKeys::hs256(b"another secret of enough length!", Duration::hours(1));
        assert!(other.verify(&token).is_err());
        let (old, _) = keys
            .issue("u1", "alice", Some(Duration::hours(-2)))
            .unwrap();
        assert!(keys.verify(&old).is_err());
    }

    #[test]
    fn staff_and_public_tokens_are_never_taken_for_each_other() {
        let keys = TokenKeys::hs256(b"0123456789abcdef0123456789abcdef", Duration::hours(1));
        let (public, _) = keys.issue_public("p1", "a@example.org").unwrap();
        let (staff, _) = keys.issue("u1", "alice", None).unwrap();
        assert_eq!(keys.verify_public(&public).unwrap().sub, "p1");
        assert!(
            keys.verify(&public).is_err(),
            "public token on the staff API"
        );
        assert!(
            keys.verify_public(&staff).is_err(),
            "staff token as a public account"
        );
    }
}
