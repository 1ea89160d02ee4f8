//! Disk usage of a server's data directory: the mount point, the `df` command, its output.

use super::SshError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DiskUsage {
    pub total: u64,
    pub free: u64,
}

/// The folder `df` is asked about: the data directory, cut before `/DB` when present (the old
/// backend's layout rule). Only absolute paths of `[A-Za-z0-9/_.-]` without `..` pass: the
/// result goes into a remote shell command.
pub fn mount_point(data_dir: &str) -> Result<String, SshError> {
    let mount = match data_dir.find("/DB") {
        Some(i) => &data_dir[..i],
        _ => data_dir,
    };
    let safe = mount.starts_with('/')
        && !mount.contains("..")
        && mount
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '.' | '-'));
    if safe {
        Ok(mount.to_owned())
    } else {
        Err(SshError::InvalidMountPoint)
    }
}

/// `df -P -B1 '<mount>'`: `-P` keeps each filesystem on one line (long device names would
/// otherwise wrap and shift the columns); the mount has passed [`mount_point`].
pub fn df_command(mount: &str) -> String {
    format!("df -P -B1 '{mount}'")
}

/// Line 2 of the output: column 2 is the total, column 4 the available bytes.
pub fn parse_df(output: &str) -> Result<DiskUsage, SshError> {
    let line = output.lines().nth(1).ok_or(SshError::InvalidDfOutput)?;
    let cols: Vec<&str> = line.split_whitespace().collect();
    let number = |i: usize| {
        cols.get(i)
            .and_then(|c| c.parse::<u64>().ok())
            .ok_or(SshError::InvalidDfOutput)
    };
    Ok(DiskUsage {
        total: number(1)?,
        free: number(3)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    /// The mount is cut before `/DB`; anything a shell could misread is refused.
    fn mount_points() {
        assert_eq!(
            mount_point("/var/lib/postgresql/15/main").unwrap(),
            "/var/lib/postgresql/15/main"
        );
        assert_eq!(mount_point("/data/DB/pg15").unwrap(), "/data");
        for bad in [
            "relative/path",
            "/a/../etc",
            "/a b",
            "/a;rm -rf /",
            "/a$(id)",
            "/a'b",
            "",
            "/DB",
        ] {
            assert!(
                matches!(mount_point(bad), Err(SshError::InvalidMountPoint)),
                "{bad:?}"
            );
        }
    }

    #[test]
    /// Total and available come from line 2; anything else is invalid output.
    fn df_output() {
        let out = "Filesystem     1-blocks        Used   Available Capacity Mounted on\n\
                   /dev/vda   270465425408 12884901888 85899345920      13% /\n";
        assert_eq!(
            parse_df(out).unwrap(),
            DiskUsage {
                total: 270465425408,
                free: 85899345920
            }
        );
        for bad in ["", "header only\n", "h\n/dev/x notanumber 1 2 3% /\n"] {
            assert!(
                matches!(parse_df(bad), Err(SshError::InvalidDfOutput)),
                "{bad:?}"
            );
        }
    }
}
