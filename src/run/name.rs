//! Run names: the default one (the space's name and the time) and the check that a name given
//! by a user (`radact search --name`, the desktop app's run name field) is a plain directory
//! name, so that `runs/<name>` stays inside `runs/`.

/// A default run name: the space's name and the current UTC time, `default-20261129-204501`.
pub fn default_name(space: &str) -> String {
    let now = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let digits: String = now.chars().filter(char::is_ascii_digit).collect();
    format!("{space}-{}-{}", &digits[..8], &digits[8..14])
}

/// A run name that is not a plain directory name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "run name `{name}` must be a plain directory name (not empty, no `/` or `\\`, not `.` or `..`)"
)]
pub struct RunNameError {
    /// The name given.
    pub name: String,
}

/// Checks that `name` is a plain directory name: not empty, no path separator (`/` or `\`),
/// not `.` or `..`. Front ends trim what the user typed before.
pub fn check_name(name: &str) -> Result<(), RunNameError> {
    if name.is_empty() || name.contains(['/', '\\']) || name == "." || name == ".." {
        return Err(RunNameError {
            name: name.to_string(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_pass_and_paths_do_not() {
        for good in ["demo", "default-20261129-204501", "a.b", "...", "run 1"] {
            assert_eq!(check_name(good), Ok(()), "{good}");
        }
        for bad in ["", ".", "..", "a/b", "/abs", "a\\b", "../up"] {
            let e = check_name(bad).unwrap_err();
            assert_eq!(e.name, bad);
            assert!(e.to_string().contains("plain directory name"), "{e}");
        }
    }

    #[test]
    fn default_names_are_plain() {
        let name = default_name("tiny");
        assert!(
            name.starts_with("tiny-") && name.len() == "tiny-".len() + 15,
            "{name}"
        );
        assert_eq!(check_name(&name), Ok(()));
    }
}
