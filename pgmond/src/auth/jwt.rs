//! Bearer tokens: HS256 only (pinned on verify), `sub` and `exp` claims, no leeway: a token is
//! expired from the second its `exp` names (RFC 7519: "on or after").

use std::time::Duration;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    exp: u64,
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
        }
    }

    /// A token for `login`, valid for the configured lifetime.
    pub fn issue(&self, login: &str) -> String {
        let exp = chrono::Utc::now().timestamp() as u64 + self.lifetime.as_secs();
        let claims = Claims {
            sub: login.to_owned(),
            exp,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 encoding with an HMAC key cannot fail")
    }

    /// The login a token was issued to, if its signature and expiry hold.
    pub fn verify(&self, token: &str) -> Result<String, TokenError> {
        match jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation) {
            // The library accepts `exp == now`.
            Ok(data) if data.claims.exp <= chrono::Utc::now().timestamp() as u64 => {
                Err(TokenError::Expired)
            }
            Ok(data) => Ok(data.claims.sub),
            Err(e) if *e.kind() == ErrorKind::ExpiredSignature => Err(TokenError::Expired),
            Err(_) => Err(TokenError::Invalid),
        }
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;

    fn keys() -> TokenKeys {
        TokenKeys::new(b"0123456789abcdef0123456789abcdef", Duration::from_secs(60))
    }

    #[test]
    /// Issued tokens verify; other keys, expiry, `alg: none` and garbage do not.
    fn verify_is_strict() {
        let k = keys();
        assert_eq!(k.verify(&k.issue("admin")), Ok("admin".into()));
        let other = TokenKeys::new(b"another-secret-another-secret-xx", Duration::from_secs(60));
        assert_eq!(k.verify(&other.issue("admin")), Err(TokenError::Invalid));
        // Lifetime zero: `exp` is this very second, which is already too late.
        let expired = TokenKeys::new(b"0123456789abcdef0123456789abcdef", Duration::ZERO);
        assert_eq!(k.verify(&expired.issue("admin")), Err(TokenError::Expired));
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
        let body = URL_SAFE_NO_PAD.encode(r#"{"sub":"admin","exp":99999999999}"#);
        assert_eq!(
            k.verify(&format!("{header}.{body}.")),
            Err(TokenError::Invalid)
        );
        assert_eq!(k.verify("garbage.token.value"), Err(TokenError::Invalid));
        assert_eq!(k.verify(""), Err(TokenError::Invalid));
    }
}
