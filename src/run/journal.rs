//! The journal file: one JSON record a line. [`JournalReader`] reads it incrementally, complete
//! lines only, so a viewer can follow a run that another process is writing; it never changes
//! the file. Only the run's writer calls [`repair`].

use super::RunError;
use crate::search::record::Record;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Truncates a torn last line (a record cut by a kill) so that appending starts on a line. Only
/// the writer holding the run's lock may call it.
pub(crate) fn repair(path: &Path, file: &File) -> std::io::Result<()> {
    let bytes = std::fs::read(path)?;
    if bytes.is_empty() || bytes.ends_with(b"\n") {
        return Ok(());
    }
    let keep = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    file.set_len(keep as u64)
}

/// Reads the records appended to a journal since the last call.
#[derive(Clone, Debug)]
pub struct JournalReader {
    path: PathBuf,
    objectives: usize,
    offset: u64,
    line: usize,
}

impl JournalReader {
    /// A reader at the start of the journal at `path` of a run with `objectives` objectives
    /// (each record's objective values are checked against it).
    pub fn new(path: &Path, objectives: usize) -> JournalReader {
        JournalReader {
            path: path.to_path_buf(),
            objectives,
            offset: 0,
            line: 0,
        }
    }

    /// The complete records written since the previous call (none if the file does not exist
    /// yet). A line still being written is left for the next call.
    pub fn read_new(&mut self) -> Result<Vec<Record>, RunError> {
        let io = |source| RunError::Io {
            path: self.path.clone(),
            source,
        };
        let mut file = match File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io(e)),
        };
        file.seek(SeekFrom::Start(self.offset)).map_err(io)?;
        let mut buf = Vec::new();
        file.read_to_end(&mut buf).map_err(io)?;
        let complete = buf.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let mut records = Vec::new();
        for line in buf[..complete].split(|&b| b == b'\n') {
            if line.is_empty() {
                continue;
            }
            self.line += 1;
            let record: Record = serde_json::from_slice(line).map_err(|e| RunError::Invalid {
                path: self.path.clone(),
                line: self.line,
                column: e.column(),
                message: e.to_string(),
            })?;
            if let Some(values) = record.objectives.as_ref() {
                if values.len() != self.objectives {
                    return Err(RunError::Invalid {
                        path: self.path.clone(),
                        line: self.line,
                        column: 1,
                        message: format!(
                            "record {} has {} objective values; the run has {} objectives",
                            record.id,
                            values.len(),
                            self.objectives
                        ),
                    });
                }
            }
            records.push(record);
        }
        self.offset += complete as u64;
        Ok(records)
    }
}
