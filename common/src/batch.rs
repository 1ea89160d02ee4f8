//! Several changes to servers and users made as one (what `pgmonctl apply` does on a config
//! dir): every change is checked and every password hashed first, then all are applied to the
//! files' contents under both exclusive locks, and the files are written only if all of them
//! succeeded: a failing change leaves both files as they were. `servers.json` is written
//! before `users.json`; only a failure of that last write (a full disk) could split them.

use crate::config_dir::ConfigDir;
use crate::servers::{self, ServerInput};
use crate::users::{self, NewUser, UserChange};
use crate::{Error, Result};

pub enum ServerOp {
    Create(ServerInput),
    Update { name: String, input: ServerInput },
    Remove(String),
}

pub enum UserOp {
    Create(NewUser),
    Update { login: String, change: UserChange },
    Delete(String),
}

enum PreparedUserOp {
    Create(users::User),
    Update {
        login: String,
        change: users::HashedChange,
    },
    Delete(String),
}

/// `err`, naming the object it is about.
fn about(kind: &str, name: &str, err: Error) -> Error {
    match err {
        Error::Invalid(m) => Error::Invalid(format!("{kind} {name}: {m}")),
        Error::NotFound(m) => Error::NotFound(format!("{kind} {name}: {m}")),
        other => other,
    }
}

impl ServerOp {
    fn name(&self) -> &str {
        match self {
            ServerOp::Create(i) => &i.name,
            ServerOp::Update { name, .. } | ServerOp::Remove(name) => name,
        }
    }
}

impl ConfigDir {
    /// Applies `server_ops` and `user_ops` in order, all or nothing.
    pub fn apply_batch(
        &self,
        server_ops: Vec<ServerOp>,
        user_ops: Vec<UserOp>,
        max_servers: usize,
    ) -> Result<()> {
        let keys = self.ssh_keys.load()?;
        for op in &server_ops {
            if let ServerOp::Create(input) | ServerOp::Update { input, .. } = op {
                input
                    .validate_with(&keys)
                    .map_err(|e| about("server", op.name(), e))?;
            }
        }
        let user_ops = user_ops
            .into_iter()
            .map(|op| match op {
                UserOp::Create(new) => {
                    let login = new.login.clone();
                    self.prepare_user(new)
                        .map(PreparedUserOp::Create)
                        .map_err(|e| about("user", &login, e))
                }
                UserOp::Update { login, change } => match self.prepare_change(change) {
                    Ok(change) => Ok(PreparedUserOp::Update { login, change }),
                    Err(e) => Err(about("user", &login, e)),
                },
                UserOp::Delete(login) => Ok(PreparedUserOp::Delete(login)),
            })
            .collect::<Result<Vec<_>>>()?;
        let cipher = self.cipher()?;
        let write_servers = || -> Result<()> {
            if server_ops.is_empty() {
                return Ok(());
            }
            self.update_servers(|list| {
                for op in server_ops {
                    let name = op.name().to_owned();
                    let done = match op {
                        ServerOp::Create(input) => {
                            servers::create_in(list, input, cipher, max_servers).map(|_| ())
                        }
                        ServerOp::Update { name, input } => {
                            servers::update_in(list, &name, input, cipher).map(|_| ())
                        }
                        ServerOp::Remove(name) => servers::remove_in(list, &name).map(|_| ()),
                    };
                    done.map_err(|e| about("server", &name, e))?;
                }
                Ok(())
            })
        };
        if user_ops.is_empty() {
            return write_servers();
        }
        self.users.update(|list| {
            for op in user_ops {
                match op {
                    PreparedUserOp::Create(user) => {
                        let login = user.login.clone();
                        users::create_in(list, user).map_err(|e| about("user", &login, e))?;
                    }
                    PreparedUserOp::Update { login, change } => {
                        users::update_in(list, &login, change)
                            .map_err(|e| about("user", &login, e))?;
                    }
                    PreparedUserOp::Delete(login) => {
                        users::delete_in(list, &login, None)
                            .map_err(|e| about("user", &login, e))?;
                    }
                }
            }
            // Inside the users lock and after every user change held: a failing server
            // change still leaves users.json unwritten.
            write_servers()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::users::Role;

    fn dir() -> (tempfile::TempDir, ConfigDir) {
        let tmp = tempfile::tempdir().unwrap();
        let (dir, _) = ConfigDir::initialize(tmp.path().join("cfg")).unwrap();
        (tmp, dir)
    }

    fn server(name: &str, host: &str) -> ServerInput {
        ServerInput {
            name: name.into(),
            host: host.into(),
            user: "u".into(),
            ..ServerInput::default()
        }
    }

    #[test]
    /// Servers and users change together; a failing change anywhere writes neither file.
    fn all_or_nothing() {
        let (_tmp, dir) = dir();
        let admin = NewUser {
            login: "admin".into(),
            password: "long-pass-1".into(),
            role: Role::Admin,
            email: None,
        };
        dir.apply_batch(
            vec![ServerOp::Create(server("a", "h1"))],
            vec![UserOp::Create(admin)],
            10,
        )
        .unwrap();
        assert_eq!(dir.list_servers().unwrap().len(), 1);
        assert_eq!(dir.list_users().unwrap().len(), 1);
        let servers_before = std::fs::read(dir.servers.path()).unwrap();
        let users_before = std::fs::read(dir.users.path()).unwrap();

        let bob = || NewUser {
            login: "bob".into(),
            password: "long-pass-2".into(),
            role: Role::Viewer,
            email: None,
        };
        // The user change holds; the second server is a duplicate.
        let e = dir
            .apply_batch(
                vec![
                    ServerOp::Create(server("b", "h2")),
                    ServerOp::Create(server("a", "h3")),
                ],
                vec![UserOp::Create(bob())],
                10,
            )
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "server a: Server with this name already exists"
        );
        // The servers hold; the last admin may not go.
        let e = dir
            .apply_batch(
                vec![ServerOp::Remove("a".into())],
                vec![UserOp::Create(bob()), UserOp::Delete("admin".into())],
                10,
            )
            .unwrap_err();
        assert!(e.to_string().starts_with("user admin: "), "{e}");
        assert_eq!(std::fs::read(dir.servers.path()).unwrap(), servers_before);
        assert_eq!(std::fs::read(dir.users.path()).unwrap(), users_before);
    }
}
