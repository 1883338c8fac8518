//! Reading the inputs `radact predict` classifies: raw feature rows from a CSV file (one example
//! a line, values separated by commas, semicolons or white space; a first line that is not
//! numbers is taken as a header; `#` starts a comment line) or from an IDX file of unsigned
//! bytes (gzipped or not), such as Fashion-MNIST's image files: one example per entry of the
//! first dimension.

use super::ModelError;
use crate::train::read_idx;
use std::path::Path;

/// The first bytes of a gzip stream.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Reads raw input rows of `n_inputs` values each from `path` (CSV or IDX, told apart by the
/// content); returns the values row after row.
pub fn read_inputs(path: &Path, n_inputs: usize) -> Result<Vec<f32>, ModelError> {
    let bytes = std::fs::read(path).map_err(|source| ModelError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let origin = path.display().to_string();
    if bytes.starts_with(&GZIP_MAGIC) || bytes.starts_with(&[0, 0, 8]) {
        let array = read_idx(path).map_err(|e| ModelError::Input {
            origin: origin.clone(),
            message: e.to_string(),
        })?;
        let per_row: usize = array.dims.iter().skip(1).product();
        if array.dims.len() < 2 || per_row != n_inputs {
            return Err(ModelError::Input {
                origin,
                message: format!(
                    "IDX array of dimensions {:?}: the model takes {n_inputs} values per example",
                    array.dims
                ),
            });
        }
        return Ok(array.data.iter().map(|&b| f32::from(b)).collect());
    }
    let text = String::from_utf8(bytes).map_err(|e| ModelError::Input {
        origin: origin.clone(),
        message: format!(
            "neither an IDX file nor UTF-8 text (invalid byte at {})",
            e.utf8_error().valid_up_to()
        ),
    })?;
    parse_csv(&text, &origin, n_inputs)
}

/// Parses CSV text of rows of `n_inputs` numbers (see the module documentation).
pub fn parse_csv(text: &str, origin: &str, n_inputs: usize) -> Result<Vec<f32>, ModelError> {
    let mut values = Vec::new();
    let mut first = true;
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line
            .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
            .filter(|f| !f.is_empty())
            .collect();
        let parsed: Result<Vec<f32>, usize> = fields
            .iter()
            .enumerate()
            .map(|(i, f)| f.parse::<f32>().map_err(|_| i))
            .collect();
        let at = |message: String| ModelError::Input {
            origin: format!("{origin}:{}", index + 1),
            message,
        };
        let header_allowed = std::mem::replace(&mut first, false);
        match parsed {
            // A header: the first line, not numbers.
            Err(_) if header_allowed => continue,
            Err(i) => {
                return Err(at(format!(
                    "value {} `{}` is not a number",
                    i + 1,
                    fields[i]
                )));
            }
            Ok(row) if row.len() != n_inputs => {
                return Err(at(format!(
                    "{} values, the model takes {n_inputs} per example",
                    row.len()
                )));
            }
            Ok(row) => values.extend(row),
        }
    }
    if values.is_empty() {
        return Err(ModelError::Input {
            origin: origin.to_string(),
            message: "no examples to classify".to_string(),
        });
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_with_a_header_comments_and_any_separator() {
        let text = "# two examples\np0,p1,p2\n1, 2,3\n\n4 5\t6\n7;8;9\n";
        assert_eq!(
            parse_csv(text, "x.csv", 3).unwrap(),
            [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]
        );
    }

    #[test]
    fn bad_rows_are_named_by_line() {
        let err = parse_csv("1,2,3\n4,5\n", "x.csv", 3)
            .unwrap_err()
            .to_string();
        assert_eq!(err, "x.csv:2: 2 values, the model takes 3 per example");
        let err = parse_csv("1,2,3\n4,five,6\n", "x.csv", 3)
            .unwrap_err()
            .to_string();
        assert_eq!(err, "x.csv:2: value 2 `five` is not a number");
        let err = parse_csv("a,b,c\nd,e,f\n", "x.csv", 3)
            .unwrap_err()
            .to_string();
        assert_eq!(err, "x.csv:2: value 1 `d` is not a number");
        let err = parse_csv("# nothing\n", "x.csv", 3)
            .unwrap_err()
            .to_string();
        assert_eq!(err, "x.csv: no examples to classify");
    }

    #[test]
    fn idx_files_are_read_by_content() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("images");
        // Two 2x2 images.
        let mut bytes = vec![0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2];
        bytes.extend([0, 1, 2, 255, 9, 8, 7, 6]);
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(
            read_inputs(&path, 4).unwrap(),
            [0.0, 1.0, 2.0, 255.0, 9.0, 8.0, 7.0, 6.0]
        );
        let err = read_inputs(&path, 5).unwrap_err().to_string();
        assert!(err.contains("dimensions [2, 2, 2]"), "{err}");
    }
}
