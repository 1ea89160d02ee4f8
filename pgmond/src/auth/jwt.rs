//! Bearer tokens: HS256 only (pinned on verify), `sub` and `exp` claims, no leeway: a token is
//! expired from the second its `exp` names (RFC 7519: "on or after"). pgmon's tokens also carry
//! `ver`, the user's token version (`User::token_version`): a changed password or role, or a
//! login deleted and created again, leaves old tokens behind. Tokens without `ver` (the Python
//! backend's, with the same `SECRET_KEY`) are taken until they expire. A login's tokens carry
//! its session (`sid`) and their own id (`jti`); a refresh token says so (`typ: "refresh"`)
//! and is good for nothing but `POST /token/refresh` (see `sessions`).

use std::time::Duration;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

const REFRESH: &str = "refresh";

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    exp: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ver: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    jti: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    typ: Option<String>,
}

/// Who a valid token is for, and what it carries.
#[derive(Debug, PartialEq, Eq)]
pub struct Subject {
    pub login: String,
    pub version: Option<String>,
    /// The login session (none in the Python backend's tokens).
    pub session: Option<String>,
    pub id: Option<String>,
    pub refresh: bool,
    /// Seconds since the epoch.
    pub expires: u64,
    /// The token's signature: what names a token that has no session.
    pub signature: String,
}

/// A login's two tokens.
pub struct Pair {
    pub access: String,
    pub refresh: String,
    /// The refresh token's `jti`: what its session remembers as current.
    pub refresh_id: String,
}

#[derive(Debug, PartialEq, Eq)]
pub enum TokenError {
    Expired,
    Invalid,
}

pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    lifetime: Duration,
    refresh_lifetime: Duration,
    /// Keys the token versions (so a version says nothing without the secret).
    version_key: Vec<u8>,
}

impl TokenKeys {
    pub fn new(secret: &[u8], lifetime: Duration, refresh_lifetime: Duration) -> TokenKeys {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub"]);
        TokenKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            lifetime,
            refresh_lifetime,
            version_key: secret.to_vec(),
        }
    }

    /// Until when the tokens of a session still going now can be valid: what a revocation of
    /// it must be kept for.
    pub fn session_end(&self) -> u64 {
        chrono::Utc::now().timestamp().max(0) as u64 + self.refresh_lifetime.as_secs()
    }

    /// `user`'s current token version.
    pub fn version(&self, user: &pgmon_common::users::User) -> String {
        user.token_version(&self.version_key)
    }

    /// An access and a refresh token for `user` in `session` (a new login's: `new_session`),
    /// each valid for its configured lifetime.
    pub fn issue(&self, user: &pgmon_common::users::User, session: &str) -> Pair {
        let now = chrono::Utc::now().timestamp().max(0) as u64;
        let token = |lifetime: Duration, typ: Option<&str>, jti: String| {
            let claims = Claims {
                sub: user.login.clone(),
                exp: now + lifetime.as_secs(),
                ver: Some(self.version(user)),
                sid: Some(session.to_owned()),
                jti: Some(jti),
                typ: typ.map(str::to_owned),
            };
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
                .expect("HS256 encoding with an HMAC key cannot fail")
        };
        let refresh_id = random_id();
        Pair {
            access: token(self.lifetime, None, random_id()),
            refresh: token(self.refresh_lifetime, Some(REFRESH), refresh_id.clone()),
            refresh_id,
        }
    }

    /// Whom a token was issued to, if its signature and expiry hold.
    pub fn verify(&self, token: &str) -> Result<Subject, TokenError> {
        match jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation) {
            // The library accepts `exp == now`.
            Ok(data) if data.claims.exp <= chrono::Utc::now().timestamp() as u64 => {
                Err(TokenError::Expired)
            }
            Ok(data) => Ok(Subject {
                login: data.claims.sub,
                version: data.claims.ver,
                session: data.claims.sid,
                id: data.claims.jti,
                refresh: data.claims.typ.as_deref() == Some(REFRESH),
                expires: data.claims.exp,
                signature: token.rsplit('.').next().unwrap_or_default().to_owned(),
            }),
            Err(e) if *e.kind() == ErrorKind::ExpiredSignature => Err(TokenError::Expired),
            Err(_) => Err(TokenError::Invalid),
        }
    }
}

/// A new session's id.
pub fn new_session() -> String {
    random_id()
}

fn random_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use pgmon_common::users::{Role, User};

    use super::*;

    fn keys() -> TokenKeys {
        TokenKeys::new(
            b"0123456789abcdef0123456789abcdef",
            Duration::from_secs(60),
            Duration::from_secs(600),
        )
    }

    fn user(login: &str, hash: &str) -> User {
        serde_json::from_value(serde_json::json!({
            "login": login, "password": hash, "role": "admin",
            "created_at": "2026-01-01T00:00:00+00:00"
        }))
        .unwrap()
    }

    #[test]
    /// Issued tokens verify; other keys, expiry, `alg: none` and garbage do not.
    fn verify_is_strict() {
        let k = keys();
        let admin = user("admin", "$2b$12$abc");
        let pair = k.issue(&admin, "s1");
        let subject = k.verify(&pair.access).unwrap();
        assert_eq!(subject.login, "admin");
        assert_eq!(subject.version, Some(k.version(&admin)));
        assert_eq!(subject.session.as_deref(), Some("s1"));
        assert!(!subject.refresh);
        let refresh = k.verify(&pair.refresh).unwrap();
        assert!(refresh.refresh);
        assert_eq!(refresh.session.as_deref(), Some("s1"));
        assert_ne!(refresh.id, subject.id);
        assert!(refresh.expires > subject.expires);
        let other = TokenKeys::new(
            b"another-secret-another-secret-xx",
            Duration::from_secs(60),
            Duration::from_secs(60),
        );
        assert_eq!(
            k.verify(&other.issue(&admin, "s").access),
            Err(TokenError::Invalid)
        );
        // Lifetime zero: `exp` is this very second, which is already too late.
        let expired = TokenKeys::new(
            b"0123456789abcdef0123456789abcdef",
            Duration::ZERO,
            Duration::ZERO,
        );
        let pair = expired.issue(&admin, "s");
        assert_eq!(k.verify(&pair.access), Err(TokenError::Expired));
        assert_eq!(k.verify(&pair.refresh), Err(TokenError::Expired));
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
        let body = URL_SAFE_NO_PAD.encode(r#"{"sub":"admin","exp":99999999999}"#);
        assert_eq!(
            k.verify(&format!("{header}.{body}.")),
            Err(TokenError::Invalid)
        );
        assert_eq!(k.verify("garbage.token.value"), Err(TokenError::Invalid));
        assert_eq!(k.verify(""), Err(TokenError::Invalid));
    }

    #[test]
    /// The version follows the password hash, the role and the creation time, and the key.
    fn versions() {
        let k = keys();
        let a = user("admin", "$2b$12$abc");
        assert_eq!(k.version(&a), k.version(&a.clone()));
        let mut changed = a.clone();
        changed.role = Role::Viewer;
        assert_ne!(k.version(&a), k.version(&changed));
        assert_ne!(k.version(&a), k.version(&user("admin", "$2b$12$abd")));
        let other = TokenKeys::new(
            b"another-secret-another-secret-xx",
            Duration::from_secs(60),
            Duration::from_secs(60),
        );
        assert_ne!(k.version(&a), other.version(&a));
    }
}
