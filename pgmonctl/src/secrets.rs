//! Secrets come from a TTY prompt or standard input, never from the command line (where `ps`
//! and shell history would keep them).

use std::io::{self, BufRead, IsTerminal};

use crate::error::CliError;

/// Reads secrets from standard input, one per line, in the order they are asked for.
pub struct StdinSecrets {
    lines: io::Lines<io::StdinLock<'static>>,
}

impl StdinSecrets {
    pub fn new() -> StdinSecrets {
        StdinSecrets {
            lines: io::stdin().lock().lines(),
        }
    }

    pub fn next(&mut self, what: &str) -> Result<String, CliError> {
        match self.lines.next() {
            Some(Ok(line)) => Ok(line.strip_suffix('\r').unwrap_or(&line).to_owned()),
            Some(Err(e)) => Err(CliError::Failed(format!("reading {what} from stdin: {e}"))),
            None => Err(CliError::Usage(format!("no {what} on standard input"))),
        }
    }
}

/// A required secret: from stdin when `from_stdin`, else from a prompt on the terminal, asked
/// twice when `confirm` (new passwords).
pub fn read_secret(
    stdin: &mut StdinSecrets,
    from_stdin: bool,
    what: &str,
    confirm: bool,
) -> Result<String, CliError> {
    if from_stdin {
        return stdin.next(what);
    }
    if !io::stdin().is_terminal() {
        return Err(CliError::Usage(format!(
            "no {what} given: pass it with --*-stdin or run on a terminal"
        )));
    }
    let first = rpassword::prompt_password(format!("{what}: "))?;
    if confirm {
        let again = rpassword::prompt_password(format!("{what} (again): "))?;
        if again != first {
            return Err(CliError::Usage(format!("the two {what}s differ")));
        }
    }
    Ok(first)
}

/// An optional secret: from stdin when `from_stdin`, else asked once on a terminal (empty for
/// none), else none.
pub fn read_optional_secret(
    stdin: &mut StdinSecrets,
    from_stdin: bool,
    what: &str,
) -> Result<Option<String>, CliError> {
    if from_stdin {
        return stdin.next(what).map(Some);
    }
    if !io::stdin().is_terminal() {
        return Ok(None);
    }
    let s = rpassword::prompt_password(format!("{what} (empty for none): "))?;
    Ok(Some(s).filter(|s| !s.is_empty()))
}
