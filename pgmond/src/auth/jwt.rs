//! Bearer tokens: HS256 only (pinned on verify), `sub` and `exp` claims, no leeway: a token is
//! expired from the second its `exp` names (RFC 7519: "on or after"). pgmon's tokens also carry
//! `ver`, the user's token version (`User::token_version`): a changed password or role, or a
//! login deleted and created again, leaves old tokens behind. Tokens without `ver` (the Python
//! backend's, with the same `SECRET_KEY`) are taken until they expire.

use std::time::Duration;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    exp: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ver: Option<String>,
}

/// Who a valid token is for, and the token version it carries.
#[derive(Debug, PartialEq, Eq)]
pub struct Subject {
    pub login: String,
    pub version: Option<String>,
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
    /// Keys the token versions (so a version says nothing without the secret).
    version_key: Vec<u8>,
}

impl TokenKeys {
    pub fn new(secret: &[u8], lifetime: Duration) -> TokenKeys {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub"]);
        TokenKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            lifetime,
            version_key: secret.to_vec(),
        }
    }

    /// `user`'s current token version.
    pub fn version(&self, user: &pgmon_common::users::User) -> String {
        user.token_version(&self.version_key)
    }

    /// A token for `user`, valid for the configured lifetime.
    pub fn issue(&self, user: &pgmon_common::users::User) -> String {
        let exp = chrono::Utc::now().timestamp() as u64 + self.lifetime.as_secs();
        let claims = Claims {
            sub: user.login.clone(),
            exp,
            ver: Some(self.version(user)),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 encoding with an HMAC key cannot fail")
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
            }),
            Err(e) if *e.kind() == ErrorKind::ExpiredSignature => Err(TokenError::Expired),
            Err(_) => Err(TokenError::Invalid),
        }
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use pgmon_common::users::{Role, User};

    use super::*;

    fn keys() -> TokenKeys {
        TokenKeys::new(b"0123456789abcdef0123456789abcdef", Duration::from_secs(60))
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
        let subject = k.verify(&k.issue(&admin)).unwrap();
        assert_eq!(subject.login, "admin");
        assert_eq!(subject.version, Some(k.version(&admin)));
        let other = TokenKeys::new(b"another-secret-another-secret-xx", Duration::from_secs(60));
        assert_eq!(k.verify(&other.issue(&admin)), Err(TokenError::Invalid));
        // Lifetime zero: `exp` is this very second, which is already too late.
        let expired = TokenKeys::new(b"0123456789abcdef0123456789abcdef", Duration::ZERO);
        assert_eq!(k.verify(&expired.issue(&admin)), Err(TokenError::Expired));
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
        let other = TokenKeys::new(b"another-secret-another-secret-xx", Duration::from_secs(60));
        assert_ne!(k.version(&a), other.version(&a));
    }
}
