//! Users of the API (`users.json`) and the rules for changing them.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::config_dir::ConfigDir;
use crate::crypto;
use crate::names::{check_name, is_valid_email};
use crate::timestamp::Timestamp;
use crate::{Error, Result};

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Default, ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    #[default]
    Viewer,
    Operator,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "viewer" => Some(Role::Viewer),
            "operator" => Some(Role::Operator),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A bcrypt hash; kept out of `Debug` output.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PasswordHash(String);

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(***)")
    }
}

impl PasswordHash {
    /// Hashes `password` (slow: keep it off async threads and outside store locks).
    pub fn new(password: &str) -> Result<PasswordHash> {
        crypto::hash_password(password).map(PasswordHash)
    }

    pub fn verify(&self, password: &str) -> bool {
        crypto::verify_password(password, &self.0)
    }
}

fn yes() -> bool {
    true
}

/// One entry of `users.json`. Only `login`, `password` and `role` are required (the minimal form
/// hand-written entries use); fields pgmon does not know are kept as they are.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct User {
    pub login: String,
    pub password: PasswordHash,
    #[serde(default)]
    pub role: Role,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Timestamp>,
    #[serde(default = "yes")]
    pub is_active: bool,
    #[serde(default)]
    pub last_login: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<Timestamp>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl User {
    /// What a token issued to this user is bound to: a keyed digest of the password hash,
    /// the role and the creation time. Changing the password or the role, or deleting the user
    /// and creating the login again, changes it, so tokens issued before stop working.
    pub fn token_version(&self, key: &[u8]) -> String {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        h.update(key);
        for part in [
            self.password.0.as_str(),
            self.role.as_str(),
            &self.created_at.map(|t| t.to_api()).unwrap_or_default(),
        ] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part.as_bytes());
        }
        h.finalize()[..12]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    fn is_active_admin(&self) -> bool {
        self.is_active && self.role == Role::Admin
    }
}

/// A user to create. The password is plaintext here and hashed before the store is locked.
#[derive(Debug)]
pub struct NewUser {
    pub login: String,
    pub password: String,
    pub role: Role,
    pub email: Option<String>,
}

/// A partial change; `None` leaves a field as it is. An empty e-mail clears it.
#[derive(Debug, Default)]
pub struct UserChange {
    pub password: Option<String>,
    pub role: Option<Role>,
    pub email: Option<String>,
    pub is_active: Option<bool>,
}

fn check_email(email: &Option<String>) -> Result<()> {
    match email {
        Some(e) if !e.is_empty() && !is_valid_email(e) => {
            Err(Error::invalid(format!("Invalid email address: {e}")))
        }
        _ => Ok(()),
    }
}

fn normalise_email(email: Option<String>) -> Option<String> {
    email.filter(|e| !e.is_empty())
}

fn position(users: &[User], login: &str) -> Result<usize> {
    users
        .iter()
        .position(|u| u.login == login)
        .ok_or_else(|| Error::not_found("User not found"))
}

/// A [`UserChange`] whose password is hashed already.
pub(crate) struct HashedChange {
    password: Option<PasswordHash>,
    role: Option<Role>,
    email: Option<String>,
    is_active: Option<bool>,
}

fn duplicate_login(login: &str) -> Error {
    Error::invalid(format!("User {login} already exists"))
}

pub(crate) fn create_in(users: &mut Vec<User>, user: User) -> Result<User> {
    if users.iter().any(|u| u.login == user.login) {
        return Err(duplicate_login(&user.login));
    }
    users.push(user.clone());
    Ok(user)
}

pub(crate) fn update_in(users: &mut [User], login: &str, change: HashedChange) -> Result<User> {
    let i = position(users, login)?;
    let had_admin = users.iter().any(User::is_active_admin);
    let u = &mut users[i];
    if let Some(h) = change.password {
        u.password = h;
    }
    if let Some(r) = change.role {
        u.role = r;
    }
    if let Some(e) = change.email {
        u.email = normalise_email(Some(e));
    }
    if let Some(a) = change.is_active {
        u.is_active = a;
    }
    u.updated_at = Some(Timestamp::now());
    let updated = u.clone();
    if had_admin && !users.iter().any(User::is_active_admin) {
        return Err(Error::invalid(LAST_ADMIN));
    }
    Ok(updated)
}

pub(crate) fn delete_in(users: &mut Vec<User>, login: &str, actor: Option<&str>) -> Result<()> {
    if actor == Some(login) {
        return Err(Error::invalid("Cannot delete yourself"));
    }
    let i = position(users, login)?;
    let had_admin = users.iter().any(User::is_active_admin);
    users.remove(i);
    if had_admin && !users.iter().any(User::is_active_admin) {
        return Err(Error::invalid(LAST_ADMIN));
    }
    Ok(())
}

/// A valid cost-12 hash of a random string, checked against when the login is unknown.
const UNKNOWN_USER_HASH: &str = "$2b$12$c3Mha4DJwM2Mr6EKhjS7zuAak0fH4/9h0Aan/hLQYEFLCnjCihvy.";

const LAST_ADMIN: &str = "Cannot remove or demote the last active admin";

/// Shortest password accepted for a new password, unless `min_password_length` in pgmond.toml
/// says otherwise. Existing hashes, whatever their password, keep working.
pub const DEFAULT_MIN_PASSWORD_LENGTH: usize = 8;

impl ConfigDir {
    /// Refuses a new password shorter than the configured minimum (counted in characters).
    fn check_new_password(&self, password: &str) -> Result<()> {
        let min = self.min_password_length();
        if password.chars().count() < min {
            return Err(Error::invalid(format!(
                "Password too short: at least {min} characters"
            )));
        }
        Ok(())
    }

    pub fn list_users(&self) -> Result<Vec<User>> {
        Ok(self.users.load()?.to_vec())
    }

    pub fn get_user(&self, login: &str) -> Result<User> {
        let users = self.users.load()?;
        Ok(users[position(&users, login)?].clone())
    }

    pub fn create_user(&self, new: NewUser) -> Result<User> {
        let user = self.prepare_user(new)?;
        self.users.update(|users| create_in(users, user))
    }

    /// The entry of a new user, checked and with its password hashed (slow: outside locks).
    pub(crate) fn prepare_user(&self, new: NewUser) -> Result<User> {
        check_name("login", &new.login)?;
        check_email(&new.email)?;
        // A login taken is the answer before anything about the password (checked again
        // under the lock when the user is added).
        if self.users.load()?.iter().any(|u| u.login == new.login) {
            return Err(duplicate_login(&new.login));
        }
        self.check_new_password(&new.password)?;
        Ok(User {
            login: new.login,
            password: PasswordHash::new(&new.password)?,
            role: new.role,
            email: normalise_email(new.email),
            created_at: Some(Timestamp::now()),
            is_active: true,
            last_login: None,
            updated_at: None,
            extra: Map::new(),
        })
    }

    /// Applies a partial change. Refuses to leave the service without an active admin.
    pub fn update_user(&self, login: &str, change: UserChange) -> Result<User> {
        let change = self.prepare_change(change)?;
        self.users.update(|users| update_in(users, login, change))
    }

    /// A change checked and with its new password hashed (slow: outside locks).
    pub(crate) fn prepare_change(&self, change: UserChange) -> Result<HashedChange> {
        check_email(&change.email)?;
        if let Some(p) = &change.password {
            self.check_new_password(p)?;
        }
        Ok(HashedChange {
            password: change
                .password
                .as_deref()
                .map(PasswordHash::new)
                .transpose()?,
            role: change.role,
            email: change.email,
            is_active: change.is_active,
        })
    }

    /// Deletes a user. `actor` is the caller when there is one (the API); nobody deletes
    /// themselves, and the last active admin stays.
    pub fn delete_user(&self, login: &str, actor: Option<&str>) -> Result<()> {
        self.users.update(|users| delete_in(users, login, actor))
    }

    /// Checks a login and password: `None` for a wrong password, an unknown login or an
    /// inactive user alike. Slow (bcrypt): keep it off async threads.
    pub fn authenticate(&self, login: &str, password: &str) -> Result<Option<User>> {
        let users = self.users.load()?;
        Ok(match users.iter().find(|u| u.login == login) {
            Some(u) => Some(u.clone()).filter(|u| u.password.verify(password) && u.is_active),
            None => {
                // Spend the same bcrypt time as for a real user, so timing does not tell which
                // logins exist.
                crypto::verify_password(password, UNKNOWN_USER_HASH);
                None
            }
        })
    }

    /// Records a successful login.
    pub fn touch_last_login(&self, login: &str) -> Result<()> {
        self.users.update_unbacked(|users| {
            let i = position(users, login)?;
            users[i].last_login = Some(Timestamp::now());
            Ok(())
        })
    }
}
