//! Reading and writing the files of a run directory: atomic, durable writes (a temporary file,
//! synced, renamed over the target, then the directory synced) and validated reads whose errors
//! name the file, line and column.

use super::RunError;
use crate::search::space::FieldError;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

pub(crate) fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> RunError + '_ {
    move |source| RunError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The temporary file `write_atomic` writes before the rename: `NAME.tmp` beside `path`.
fn temporary(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    path.with_file_name(name)
}

/// Writes `bytes` to `path` atomically and durably: readers see the old file or the new one,
/// never a mix, and after it returns the new file survives a power loss.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = temporary(path);
    {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_data()?;
    }
    fs::rename(&tmp, path)?;
    sync_dir(path.parent().unwrap_or(Path::new(".")))
}

/// Writes `bytes` to `path` atomically, refusing to replace an existing file unless `force`.
pub fn write_new(path: &Path, bytes: &[u8], force: bool) -> std::io::Result<()> {
    if !force && path.exists() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            "the file exists (use --force to overwrite it)",
        ));
    }
    write_atomic(path, bytes)
}

/// Makes a directory's entries (new files, renames) durable. A no-op where directories cannot
/// be opened as files (Windows).
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

pub(crate) fn to_ron<T: Serialize>(value: &T) -> String {
    ron::ser::to_string_pretty(value, ron::ser::PrettyConfig::default())
        .expect("run files serialise")
}

/// Reads a RON file; errors carry file, line and column.
pub fn read_ron<T: DeserializeOwned>(path: &Path) -> Result<T, RunError> {
    read_checked(path, |_: &T| Ok(()))
}

/// Reads a RON file and checks its content with `check`, which names the offending field; the
/// error points at the field's first occurrence in the file.
pub(crate) fn read_checked<T: DeserializeOwned>(
    path: &Path,
    check: impl FnOnce(&T) -> Result<(), FieldError>,
) -> Result<T, RunError> {
    let text = fs::read_to_string(path).map_err(io_err(path))?;
    // Optional fields also read as bare values: metrics that every run measured once
    // (`train_accuracy: (median: …)`) are optional now (`Some(…)`), and files written before
    // must still open.
    let value: T = ron::Options::default()
        .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
        .from_str(&text)
        .map_err(|e| RunError::Invalid {
            path: path.to_path_buf(),
            line: e.position.line,
            column: e.position.col,
            message: e.code.to_string(),
        })?;
    check(&value).map_err(|FieldError { field, message }| {
        let (line, column) = crate::search::space::locate(&text, field);
        RunError::Invalid {
            path: path.to_path_buf(),
            line,
            column,
            message,
        }
    })?;
    Ok(value)
}

/// Like [`read_checked`], `None` when the file does not exist.
pub(crate) fn read_optional<T: DeserializeOwned>(
    path: &Path,
    check: impl FnOnce(&T) -> Result<(), FieldError>,
) -> Result<Option<T>, RunError> {
    match fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        _ => read_checked(path, check).map(Some),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_writes_replace_whole_files_and_leave_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("checkpoint.ron");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("checkpoint.ron")]);
    }

    #[test]
    fn write_new_refuses_to_overwrite_without_force() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("best.ron");
        write_new(&path, b"first", false).unwrap();
        let err = write_new(&path, b"second", false).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read(&path).unwrap(), b"first");
        write_new(&path, b"second", true).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"second");
    }

    #[test]
    fn checked_reads_point_at_the_offending_field() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.ron");
        fs::write(&path, "(\n  a: 1,\n  b: 0,\n)").unwrap();
        #[derive(serde::Deserialize)]
        struct F {
            #[allow(dead_code)]
            a: u32,
            b: u32,
        }
        let err = read_checked(&path, |f: &F| {
            if f.b == 0 {
                Err(FieldError::new("b", "b must be positive".to_string()))
            } else {
                Ok(())
            }
        })
        .map(|_| ())
        .unwrap_err()
        .to_string();
        assert!(err.ends_with("f.ron:3:3: b must be positive"), "{err}");
        fs::write(&path, "(a: 1, b: x)").unwrap();
        let err = read_ron::<F>(&path).map(|_| ()).unwrap_err().to_string();
        assert!(err.contains("f.ron:1:"), "{err}");
    }

    #[test]
    fn files_written_before_metrics_became_optional_still_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hall_of_fame.ron");
        let old = include_str!("../../tests/fixtures/hall-of-fame-before-optional-metrics.ron");
        assert!(old.contains("train_accuracy: (") && !old.contains("train_accuracy: Some("));
        fs::write(&path, old).unwrap();
        let hall: crate::search::hall_of_fame::HallOfFame = read_ron(&path).unwrap();
        let entry = &hall.top[0];
        assert_eq!((entry.id, entry.rung), (221, 2));
        let m = entry.summary.metrics.as_ref().unwrap();
        assert!(m.train_accuracy.is_some() && m.validation_accuracy.is_some());
        assert!(m.noisy_accuracy_0_3.is_some());
    }
}
