//! Optional request fields as the Python backend's models read them: an explicit `null` is the
//! field's default, as pydantic's `Optional[...] = default` reads it (the old web front end
//! sends `"key_size": null` for an Ed25519 key and `"ssh_auth_type": null`).

use serde::{Deserialize, Deserializer};

/// `null` (or absent, with `#[serde(default)]`) is `T::default()`.
pub fn or_default<'de, D: Deserializer<'de>, T: Deserialize<'de> + Default>(
    d: D,
) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// `null` is `N`.
pub fn u16_or<'de, const N: u16, D: Deserializer<'de>>(d: D) -> Result<u16, D::Error> {
    Ok(Option::<u16>::deserialize(d)?.unwrap_or(N))
}

/// `null` is `N`.
pub fn usize_or<'de, const N: usize, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    Ok(Option::<usize>::deserialize(d)?.unwrap_or(N))
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Deserialize, Debug, PartialEq)]
    struct Body {
        #[serde(default = "port", deserialize_with = "super::u16_or::<5432, _>")]
        port: u16,
        #[serde(default, deserialize_with = "super::or_default")]
        name: String,
    }

    fn port() -> u16 {
        5432
    }

    #[test]
    fn null_is_the_default() {
        let b: Body = serde_json::from_str(r#"{"port": null, "name": null}"#).unwrap();
        assert_eq!(
            b,
            Body {
                port: 5432,
                name: String::new()
            }
        );
        let b: Body = serde_json::from_str(r#"{}"#).unwrap();
        assert_eq!(b.port, 5432);
        let b: Body = serde_json::from_str(r#"{"port": 6543, "name": "x"}"#).unwrap();
        assert_eq!(
            b,
            Body {
                port: 6543,
                name: "x".into()
            }
        );
        assert!(serde_json::from_str::<Body>(r#"{"port": "x"}"#).is_err());
    }
}
