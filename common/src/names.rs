//! Validation of what users name things: logins, server names and hosts.

use std::net::IpAddr;

/// Names and logins accepted on create: `^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`. Existing odd names
/// in old files are still served; only new ones must pass. The rule keeps names safe in paths,
/// URLs and file names (no `/`, no `..` at the start, no control characters).
pub fn is_valid_name(name: &str) -> bool {
    check_name_chars(name)
}

/// The rule of [`is_valid_name`] in words, for error messages.
pub const NAME_RULE: &str =
    "1 to 64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit";

/// `Invalid <what>: <rule>` unless `name` follows the rule.
pub fn check_name(what: &str, name: &str) -> crate::Result<()> {
    if is_valid_name(name) {
        Ok(())
    } else {
        Err(crate::Error::invalid(format!(
            "Invalid {what}: {NAME_RULE}"
        )))
    }
}

fn check_name_chars(name: &str) -> bool {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    first.is_ascii_alphanumeric()
        && name.len() <= 64
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '@' | '-'))
}

/// A host is an IP address or a DNS name (letters, digits, hyphens; dot-separated labels of at
/// most 63 characters). `localhost` and `127.0.0.1` are valid: pgmon monitors local servers too.
pub fn is_valid_host(host: &str) -> bool {
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if bare.parse::<IpAddr>().is_ok() {
        return true;
    }
    let name = host.strip_suffix('.').unwrap_or(host);
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// A loose e-mail check: one `@` between non-empty parts, no spaces or control characters.
pub fn is_valid_email(email: &str) -> bool {
    match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.contains('@')
                && email.len() <= 254
                && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    /// Names follow the SPEC pattern; path tricks and control characters are refused.
    fn names() {
        for ok in ["a", "local-pg", "db1.prod_x@eu", &"a".repeat(64)] {
            assert!(is_valid_name(ok), "{ok}");
        }
        for bad in [
            "",
            "-a",
            ".hidden",
            "..",
            "a/b",
            "a b",
            "a\0",
            "é",
            &"a".repeat(65),
        ] {
            assert!(!is_valid_name(bad), "{bad:?}");
        }
    }

    #[test]
    /// Hosts are IPs or DNS names, including localhost.
    fn hosts() {
        for ok in [
            "localhost",
            "127.0.0.1",
            "::1",
            "[::1]",
            "pg-billing.invalid",
            "a.b.c.",
        ] {
            assert!(is_valid_host(ok), "{ok}");
        }
        for bad in ["", "a..b", "-a", "a b", "a/b", "host;rm", "a_b.com"] {
            assert!(!is_valid_host(bad), "{bad:?}");
        }
    }

    #[test]
    /// E-mails need a local part and a dotted domain.
    fn emails() {
        assert!(is_valid_email("dba@example.com"));
        for bad in ["", "a", "@x.y", "a@b", "a b@c.d", "a@b@c.d"] {
            assert!(!is_valid_email(bad), "{bad:?}");
        }
    }
}
